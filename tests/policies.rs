//! The built-in packs: every rule's `plangate test` cases under `testdata/policies/` pass,
//! every rule has a case where it fails and one where it passes, every rule has a page that
//! follows the template, and `policies/README.md`'s rule table is current
//! (`BLESS=1 cargo test` rewrites it).

mod common;

use plangate::policy::{self, Policy};
use std::collections::BTreeMap;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn builtin() -> Vec<Policy> {
    policy::load_builtin().expect("the built-in packs load")
}

#[test]
fn every_builtin_case_passes() {
    let out = policy::testing::run(&root().join("testdata/policies")).expect("run the cases");
    assert!(!out.cases.is_empty(), "no cases under testdata/policies");
    assert!(out.passed(), "{out}");
}

/// rule → (has a case expecting a failure, has a case expecting a pass)
fn coverage() -> BTreeMap<String, (bool, bool)> {
    let mut cov: BTreeMap<String, (bool, bool)> = BTreeMap::new();
    let mut stack = vec![root().join("testdata/policies")];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            if name != "expected.toml" && !name.ends_with(".test.toml") {
                continue;
            }
            let t: toml::Table = toml::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            let Some(expect) = t.get("expect").and_then(|e| e.as_table()) else {
                continue;
            };
            for (rule, x) in expect {
                let nonempty = |k: &str| {
                    x.get(k)
                        .and_then(|v| v.as_array())
                        .is_some_and(|a| !a.is_empty())
                };
                let c = cov.entry(rule.clone()).or_default();
                c.0 |= nonempty("fail");
                c.1 |= nonempty("pass");
            }
        }
    }
    cov
}

#[test]
fn every_builtin_rule_has_a_failing_and_a_passing_case() {
    let cov = coverage();
    let missing: Vec<String> = builtin()
        .iter()
        .filter_map(|p| match cov.get(&p.id) {
            Some((true, true)) => None,
            Some((f, pa)) => Some(format!("{}: failing case {f}, passing case {pa}", p.id)),
            None => Some(format!("{}: no case under testdata/policies", p.id)),
        })
        .collect();
    assert!(
        missing.is_empty(),
        "rules without both cases:\n{}",
        missing.join("\n")
    );
}

const SECTIONS: [&str; 5] = [
    "## What it does",
    "## Why it matters",
    "## Example",
    "## How to fix",
    "## References",
];

#[test]
fn every_builtin_rule_has_a_page_in_the_template() {
    let mut problems = Vec::new();
    for p in builtin() {
        let Some(page) = &p.page else {
            problems.push(format!("{}: no page beside {}", p.id, p.source.file));
            continue;
        };
        if !page.starts_with(&format!("# {}", p.id)) {
            problems.push(format!("{}: the page must start with `# {}`", p.id, p.id));
        }
        let mut at = 0;
        for s in SECTIONS {
            match page[at..].find(s) {
                Some(i) => at += i,
                None => problems.push(format!("{}: missing or out-of-order section `{s}`", p.id)),
            }
        }
        if !page.contains("```hcl") && !page.contains("```json") {
            problems.push(format!(
                "{}: the example needs a failing and a fixed excerpt",
                p.id
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The rule table of `policies/README.md`, generated from the packs.
fn rule_table(policies: &[Policy]) -> String {
    let mut s = String::from(
        "# Built-in rules\n\nGenerated from the policy files by `BLESS=1 cargo test --test policies`; a test fails when it is stale.\n\n| rule | severity | title |\n|---|---|---|\n",
    );
    let mut sorted: Vec<&Policy> = policies.iter().collect();
    sorted.sort_by(|a, b| a.id.cmp(&b.id));
    for p in sorted {
        let page = p
            .source
            .file
            .trim_start_matches("policies/")
            .replace(".toml", ".md");
        s.push_str(&format!(
            "| [`{}`]({page}) | {} | {} |\n",
            p.id,
            p.severity.as_str(),
            p.title
        ));
    }
    s
}

#[test]
fn policies_readme_lists_every_rule() {
    let want = rule_table(&builtin());
    if let Some(diff) = common::compare_golden(&root().join("policies/README.md"), &want) {
        panic!("policies/README.md is stale (run BLESS=1 cargo test --test policies):\n{diff}");
    }
}

/// Every registered check is in the language reference's table.
#[test]
fn every_builtin_check_is_documented() {
    let doc = std::fs::read_to_string(root().join("docs/policy-language.md")).unwrap();
    for name in plangate::policy::builtin::names() {
        assert!(
            doc.contains(&format!("| `{name}` |")),
            "docs/policy-language.md does not list check `{name}`"
        );
    }
}
