//! `plangate test [DIR]`: policy unit tests. Every `expected.toml` (a case folder, with its
//! `plan.json`) and every `*.test.toml` under DIR is a case: a plan fixture, an environment,
//! the policies, and for each rule the addresses that must pass, fail, be unknown or have no
//! finding. The format is documented in `docs/policy-language.md` ("Testing policies").

use super::model::Policy;
use crate::config::Config;
use crate::report::{Finding, Status};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// One case file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCase {
    /// The plan JSON, relative to the case file (default `plan.json`).
    plan: Option<String>,
    /// The environment, as `--env` would give it; omitted: detected from the plan.
    env: Option<String>,
    /// A `plangate.toml` for aliases and detection settings, relative to the case file.
    config: Option<String>,
    /// Policy files or directories, relative to the case file; omitted: the built-in packs.
    policies: Option<Vec<String>>,
    /// Also load the built-in packs (default: true when `policies` is omitted, else false).
    builtin: Option<bool>,
    /// A failing or unknown finding of a rule not under `[expect]` is a mismatch.
    #[serde(default)]
    strict: bool,
    #[serde(default)]
    expect: BTreeMap<String, RawExpect>,
}

/// What one rule must produce.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawExpect {
    /// Exactly these fail (default: none).
    #[serde(default)]
    fail: Vec<String>,
    /// Exactly these are unknown (default: none).
    #[serde(default)]
    unknown: Vec<String>,
    /// Exactly these pass, when given.
    pass: Option<Vec<String>>,
    /// These have no finding at all (not selected, or excluded by `where` or `when`).
    #[serde(default)]
    absent: Vec<String>,
    /// Address → text the finding's message must contain.
    #[serde(default)]
    messages: BTreeMap<String, String>,
}

/// The result of one case.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseResult {
    pub file: PathBuf,
    /// Mismatches and errors, one line each; empty when the case passed.
    pub problems: Vec<String>,
}

impl CaseResult {
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }
}

/// The result of a test run.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TestOutcome {
    pub cases: Vec<CaseResult>,
}

impl TestOutcome {
    pub fn passed(&self) -> bool {
        self.cases.iter().all(CaseResult::passed)
    }

    pub fn failed(&self) -> usize {
        self.cases.iter().filter(|c| !c.passed()).count()
    }
}

impl fmt::Display for TestOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in &self.cases {
            let mark = if c.passed() { "ok  " } else { "FAIL" };
            writeln!(f, "{mark} {}", c.file.display())?;
            for p in &c.problems {
                writeln!(f, "     {p}")?;
            }
        }
        let n = self.cases.len();
        // The closing line is the plain `cases: N passed, N failed` CI runners read.
        writeln!(
            f,
            "cases: {} passed, {} failed",
            n - self.failed(),
            self.failed()
        )
    }
}

/// Find the cases under `dir` (or run the one case file `dir`) and run them.
pub fn run(dir: &Path) -> crate::error::Result<TestOutcome> {
    let mut files = Vec::new();
    if dir.is_file() {
        files.push(dir.to_path_buf());
    } else {
        find_cases(dir, &mut files)
            .map_err(|e| crate::error::Error::io(dir.display().to_string(), e))?;
    }
    files.sort();
    let cases = files
        .into_iter()
        .map(|file| {
            let problems = match run_case(&file) {
                Ok(p) => p,
                Err(e) => vec![e],
            };
            CaseResult { file, problems }
        })
        .collect();
    Ok(TestOutcome { cases })
}

fn find_cases(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for e in std::fs::read_dir(dir)? {
        let p = e?.path();
        let name = p
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        if p.is_dir() {
            find_cases(&p, out)?;
        } else if name == "expected.toml" || name.ends_with(".test.toml") {
            out.push(p);
        }
    }
    Ok(())
}

fn run_case(file: &Path) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("cannot read the case: {e}"))?;
    let case: RawCase = toml::from_str(&text).map_err(|e| {
        let pos = e.span().map(|s| super::line_col(&text, s.start));
        let at = pos.map(|(l, c)| format!("{l}:{c}: ")).unwrap_or_default();
        format!("{at}{}", super::friendly_toml(e.message()))
    })?;
    let base = file.parent().unwrap_or(Path::new("."));
    let config = match &case.config {
        Some(c) => Config::load(&base.join(c)).map_err(|e| e.to_string())?,
        None => Config::default(),
    };
    let mut policies = policies(&case, base)?;
    super::builtin::accept_prerequisites(&mut policies, &config.external_allow)?;
    let plan_path = base.join(case.plan.as_deref().unwrap_or("plan.json"));
    let doc = crate::plan::read(&plan_path.display().to_string()).map_err(|e| e.to_string())?;
    let graph = crate::graph::Graph::from_document(doc);
    let env = super::env::detect(&graph, case.env.as_deref(), &config.environment);
    let plan_file = plan_path.display().to_string();
    let opts = super::EvalOptions {
        env: &env,
        plan_file: &plan_file,
    };
    let findings = super::evaluate(&policies, &graph, &opts);
    let mut problems = Vec::new();
    for (rule, exp) in &case.expect {
        if !policies.iter().any(|p| &p.id == rule) {
            problems.push(format!(
                "{rule}: no such policy among those loaded; check the id"
            ));
            continue;
        }
        compare(rule, exp, &findings, &mut problems);
    }
    if case.strict {
        for f in findings
            .iter()
            .filter(|f| matches!(f.status, Status::Fail | Status::Unknown))
        {
            if !case.expect.contains_key(&*f.rule) {
                problems.push(format!(
                    "{}: {}: unexpected {} ({}); add the rule under [expect] or fix the plan",
                    f.rule,
                    f.resource,
                    f.status.as_str(),
                    f.message
                ));
            }
        }
    }
    Ok(problems)
}

fn policies(case: &RawCase, base: &Path) -> Result<Vec<Policy>, String> {
    let builtin = case.builtin.unwrap_or(case.policies.is_none());
    let paths: Vec<PathBuf> = case
        .policies
        .iter()
        .flatten()
        .map(|p| base.join(p))
        .collect();
    super::load(builtin, &paths).map_err(|e| e.to_string())
}

fn compare(rule: &str, exp: &RawExpect, findings: &[Finding], problems: &mut Vec<String>) {
    let of_rule: Vec<&Finding> = findings.iter().filter(|f| &*f.rule == rule).collect();
    let got = |status: Status| -> Vec<&str> {
        of_rule
            .iter()
            .filter(|f| f.status == status)
            .map(|f| &*f.resource)
            .collect()
    };
    let mut lists = vec![(Status::Fail, &exp.fail), (Status::Unknown, &exp.unknown)];
    if let Some(p) = &exp.pass {
        lists.push((Status::Pass, p));
    }
    for (status, want) in lists {
        for addr in want {
            match of_rule.iter().find(|f| *f.resource == **addr) {
                None => problems.push(format!("{rule}: {addr}: expected {}, got no finding (is it selected? check the address and the plan)", status.as_str())),
                Some(f) if f.status != status => problems.push(format!("{rule}: {addr}: expected {}, got {}: {}", status.as_str(), f.status.as_str(), f.message)),
                Some(_) => {}
            }
        }
        for addr in got(status) {
            if !want.iter().any(|w| w == addr) {
                let f = of_rule
                    .iter()
                    .find(|f| &*f.resource == addr)
                    .map(|f| f.message.as_str())
                    .unwrap_or_default();
                problems.push(format!(
                    "{rule}: {addr}: unexpected {}: {f}",
                    status.as_str()
                ));
            }
        }
    }
    for addr in &exp.absent {
        if let Some(f) = of_rule.iter().find(|f| *f.resource == **addr) {
            problems.push(format!(
                "{rule}: {addr}: expected no finding, got {}: {}",
                f.status.as_str(),
                f.message
            ));
        }
    }
    for (addr, text) in &exp.messages {
        match of_rule.iter().find(|f| *f.resource == **addr) {
            Some(f) if f.message.contains(text.as_str()) => {}
            Some(f) => problems.push(format!(
                "{rule}: {addr}: the message does not contain {text:?}: {}",
                f.message
            )),
            None => problems.push(format!(
                "{rule}: {addr}: expected a message containing {text:?}, got no finding"
            )),
        }
    }
}
