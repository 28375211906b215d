//! Loading side of the policy language: the exact messages of broken policy files, duplicate
//! ids, policy directories, environment detection, the `plangate test` runner, and the
//! examples of `docs/policy-language.md`.

use super::*;

fn load_error(body: &str) -> String {
    load(body).unwrap_err()
}
#[test]
fn broken_policy_files_name_line_column_and_fix() {
    assert_eq!(
        load_error("id = \"t.rule\ntitle = \"t\"\n"),
        "p.toml:1:13: invalid TOML: invalid basic string, expected `\"`"
    );
    assert_eq!(
        load_error(&with_head("[select]\ntypes = [\"x\"]\nwhere = { path = \"$.a\", op = \"exists\", valeu = 1 }\n[[assert]]\npath = \"$\"\nop = \"exists\"\n")),
        "p.toml:6:40: unknown key `valeu` (did you mean `value`?); allowed keys here: path, op, value, value_path, value_json, json, quantifier, all, any, not, relation, message"
    );
    assert_eq!(
        load_error(&with_head(
            "[select]\ntypes = [\"x\"]\n[[assert]]\npath = \"$.tags[\"\nop = \"exists\"\n"
        )),
        "p.toml:7:16: invalid JSONPath \"$.tags[\": expected selector"
    );
    assert_eq!(
        load_error(&with_head("[select]\ntypes = [\"x\"]\n[[assert]]\npath = \"$.a\"\nop = \"equal\"\nvalue = 1\n")),
        "p.toml:8:6: unknown operator \"equal\"; did you mean \"equals\"? use one of: equals, not_equals, in, not_in, matches, glob, exists, absent, gt, ge, lt, le, contains, contains_all, known, length, cidr_contains, cidr_within, cidr_overlaps, cidr_equals"
    );
    assert_eq!(
        load_error(&with_head("[select]\ntypes = [\"x\"]\n[params.test]\nallowed = [\"a\"]\n[[assert]]\npath = \"$.a\"\nop = \"in\"\nvalue = \"{params.allowed}\"\n")),
        "p.toml:11:9: parameter `allowed` has no value for environments without their own table; add `allowed = …` to [params.default], or limit the policy with when.env = [...] to the environments that define it"
    );
    assert_eq!(
        load_error(&with_head("[when]\nenv = [\"test\", \"prod\"]\n[select]\ntypes = [\"x\"]\n[params.test]\nallowed = [\"a\"]\n[[assert]]\npath = \"$.a\"\nop = \"in\"\nvalue = \"{params.allowed}\"\n")),
        "p.toml:13:9: parameter `allowed` has no value in environment `prod`; add `allowed = …` to [params.prod] or [params.default]"
    );
    assert_eq!(
        load_error(&with_head("[select]\ntypes = [\"x\"]\n[[assert]]\npath = \"$.a\"\nop = \"matches\"\nvalue = \"db.(t3\"\n")),
        "p.toml:9:9: invalid regex /db.(t3/: error: unclosed group"
    );
    assert_eq!(
        load_error(&with_head("[select]\ntypes = [\"x\"]\n[params.default]\npattern = \"(\"\n[[assert]]\npath = \"$.a\"\nop = \"matches\"\nvalue = \"{params.pattern}\"\n")),
        "p.toml:11:9: invalid regex /(/: error: unclosed group"
    );
}

#[test]
fn parameters_and_templates_are_checked_per_environment() {
    assert_eq!(
        load_error(&with_head("[select]\ntypes = [\"x\"]\n[params.default]\nallowed = [\"a\"]\n[params.test]\nallowed = \"db.t3.*\"\n[[assert]]\npath = \"$.a\"\nop = \"in\"\nvalue = \"{params.allowed}\"\n")),
        "p.toml:13:9: in environment `test`: `in` takes a list, e.g. value = [\"a\", \"b\"]"
    );
    assert_eq!(
        load_error(&with_head("[select]\ntypes = [\"x\"]\n[[assert]]\npath = \"$.a\"\nop = \"exists\"\nmessage = \"{adress} is wrong\"\n")),
        "p.toml:9:11: unknown placeholder `{adress}` (did you mean `address`?); messages may use address, type, name, module, action, env, id, title, severity, value, path, detail, related, params.NAME, values.PATH, meta.PATH, var.NAME"
    );
    assert_eq!(
        load_error(&with_head("[select]\ntypes = [\"x\"]\n[[assert]]\npath = \"nope:$.a\"\nop = \"exists\"\n")),
        "p.toml:7:8: unknown scope `nope:` in \"nope:$.a\"; use one of `self:`, `var:`, `meta:`, `self.meta:` (relation names are in scope inside their relation)"
    );
}

#[test]
fn every_problem_of_every_file_is_reported_at_once() {
    let a = Text {
        file: "a.toml".into(),
        text: "id = \"Bad Id\"\ntitle = \"t\"\nseverity = \"hgh\"\n[select]\ntypes = [\"x\"]\nactions = [\"destroy\"]\n[[assert]]\npath = \"a.b\"\nop = \"exists\"\n".into(),
        page: None,
        builtin: false,
    };
    let b = Text {
        file: "b.toml".into(),
        text: "id = 3\n".into(),
        page: None,
        builtin: false,
    };
    let e = policy::load_texts(vec![a, b]).unwrap_err().to_string();
    let lines: Vec<&str> = e.lines().collect();
    assert_eq!(lines, [
        "a.toml:1:6: id \"Bad Id\" must be `<pack>.<kebab-name>` naming the bad pattern, e.g. \"cost.oversized-database-class\" (lowercase letters, digits and dashes)",
        "a.toml:3:12: unknown severity \"hgh\"; did you mean \"high\"? use one of: critical, high, medium, low, info",
        "a.toml:6:11: unknown action \"destroy\" in select.actions; use any of: create, update, replace, delete, read, no-op, forget",
        "a.toml:8:8: \"a.b\" is not a JSONPath; start it with `$` (e.g. \"$.a.b\")",
        "b.toml:1:6: invalid TOML: invalid type: integer `3`, expected a string",
    ]);
}

#[test]
fn duplicate_ids_and_missing_files_are_errors() {
    let t = |file: &str| Text {
        file: file.into(),
        text: with_head("[select]\ntypes = [\"x\"]\n[[assert]]\npath = \"$\"\nop = \"exists\"\n"),
        page: None,
        builtin: false,
    };
    let e = policy::load_texts(vec![t("a.toml"), t("b.toml")])
        .unwrap_err()
        .to_string();
    assert_eq!(e, "b.toml:1:1: duplicate policy id \"t.rule\": a.toml already defines it; ids are unique and stable, rename one");
    let e = policy::load_dir(&root().join("testdata/policy-lang/no-such-dir"))
        .unwrap_err()
        .to_string();
    assert!(e.ends_with("no-such-dir: no such file or directory; pass a policy file or a directory of *.toml policies"), "{e}");
}

#[test]
fn example_directory_loads_as_a_policy_directory() {
    let p = policy::load_dir(&root().join("testdata/policy-lang/examples")).unwrap();
    let ids: Vec<&str> = p.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "examples.bucket-without-public-access-block",
            "examples.database-class-too-large",
            "examples.route-not-to-peer-cidr"
        ]
    );
    let info = policy::rule_info(&p[1]);
    assert_eq!(
        (info.id.as_str(), info.severity.as_str()),
        ("examples.database-class-too-large", "high")
    );
}

#[test]
fn environment_detection_order_and_aliases() {
    let cfg = Config::parse(
        "plangate.toml",
        "[environment.aliases]\ntest = [\"pr-*\", \"ci\", \"qa\"]\nprod = [\"production\"]\n",
    )
    .unwrap()
    .environment;
    let d = |plan: &str, cli: Option<&str>, cfg: &EnvironmentConfig| {
        policy::env::detect(&graph(plan), cli, cfg)
    };
    let e = d("env-variable.json", Some("Prod"), &cfg);
    assert_eq!(
        (e.name.as_str(), e.raw.as_str(), e.source.as_str()),
        ("prod", "Prod", "--env")
    );
    let e = d("env-variable.json", None, &cfg);
    assert_eq!(
        (e.name.as_str(), e.raw.as_str(), e.source.as_str()),
        ("test", "pr-123", "variable `stage`")
    );
    let e = d("env-default-tags.json", None, &cfg);
    assert_eq!(
        (e.name.as_str(), e.source.as_str()),
        (
            "prod",
            "tag `Environment` in default_tags of provider `aws`"
        )
    );
    let e = d("env-resource-tags.json", None, &cfg);
    assert_eq!((e.name.as_str(), e.source.as_str()), ("staging", "tag `Environment` on aws_sqs_queue.q0 (2 of 3 tagged resources; 1 other value(s) seen)"));
    let e = d("env-none.json", None, &cfg);
    assert_eq!(
        (e.name.as_str(), e.raw.as_str(), e.source.as_str()),
        ("default", "default", "default")
    );
    let e = d("env-variable.json", None, &EnvironmentConfig::default());
    assert_eq!(e.name, "pr-123");
}

#[test]
fn the_test_runner_reports_mismatches() {
    let dir = std::env::temp_dir().join(format!("plangate-test-runner-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let examples = root().join("testdata/policy-lang/examples");
    let case = format!(
        "plan = {:?}\npolicies = [{:?}]\nstrict = true\n[expect.\"examples.database-class-too-large\"]\nfail = [\"aws_db_instance.small\"]\n[expect.\"examples.nope\"]\n",
        root().join("testdata/policy-lang/plans/db.json").display().to_string(),
        examples.join("database-class-too-large.toml").display().to_string(),
    );
    std::fs::write(
        dir.join("wrong.test.toml"),
        format!("env = \"test\"\n{case}"),
    )
    .unwrap();
    let outcome = testing::run(&dir).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(!outcome.passed());
    assert_eq!(outcome.cases[0].problems, [
        "examples.database-class-too-large: aws_db_instance.small: expected fail, got pass: `instance_class` is \"db.t3.micro\", which matches db.t3.*",
        "examples.database-class-too-large: aws_db_instance.large: unexpected fail: aws_db_instance.large uses db.r5.large; test allows db.t3.*",
        "examples.nope: no such policy among those loaded; check the id",
    ]);
}

#[test]
fn docs_examples_load() {
    let doc = std::fs::read_to_string(root().join("docs/policy-language.md")).unwrap();
    let mut policies = 0;
    let mut rest = doc.as_str();
    while let Some(start) = rest.find("```toml\n") {
        let body = &rest[start + 8..];
        let end = body.find("```").unwrap();
        let block = &body[..end];
        rest = &body[end + 3..];
        if block.starts_with("id = ") {
            load(block).unwrap_or_else(|e| panic!("docs example does not load:\n{e}\n{block}"));
            policies += 1;
        } else if block.starts_with("[environment]") {
            Config::parse("docs", block).unwrap();
        }
    }
    assert!(policies >= 10, "{policies} policy examples found");
}

#[test]
fn only_and_skip_select_rules_by_id_pack_or_glob() {
    let dir = root().join("testdata/policy-lang/examples");
    let ids = |only: &[&str], skip: &[&str]| -> Result<Vec<String>, String> {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        policy::filter_rules(policy::load_dir(&dir).unwrap(), &s(only), &s(skip))
            .map(|p| p.into_iter().map(|p| p.id).collect())
            .map_err(|e| e.to_string())
    };
    assert_eq!(ids(&[], &[]).unwrap().len(), 3);
    assert_eq!(
        ids(&["examples"], &["examples.route-*"]).unwrap(),
        [
            "examples.bucket-without-public-access-block",
            "examples.database-class-too-large"
        ]
    );
    assert_eq!(
        ids(&["examples.database-class-too-large"], &[]).unwrap(),
        ["examples.database-class-too-large"]
    );
    assert_eq!(
        ids(&["cost"], &[]).unwrap_err(),
        "--only \"cost\" matches no rule; `plangate rules` lists the rule ids and packs"
    );
}
