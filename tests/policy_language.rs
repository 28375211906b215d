//! The policy language through the library API: every construct with a passing and a failing
//! case over small plan fixtures (`testdata/policy-lang/plans/`), the three example policies
//! (`testdata/policy-lang/examples/`), unknown values, sensitive values, environments, and the
//! exact messages of broken policy files.

use plangate::config::{Config, EnvironmentConfig};
use plangate::graph::Graph;
use plangate::policy::{self, testing, Text};
use plangate::report::{Environment, Finding, Status};
use std::collections::BTreeMap;
use std::path::Path;

#[path = "policy_language/documents.rs"]
mod documents;
#[path = "policy_language/loading.rs"]
mod loading;
#[path = "policy_language/relations.rs"]
mod relations;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn graph(plan: &str) -> Graph {
    let path = root().join("testdata/policy-lang/plans").join(plan);
    Graph::from_document(plangate::plan::read(&path.display().to_string()).unwrap())
}

fn env(name: &str) -> Environment {
    Environment {
        name: name.into(),
        raw: name.into(),
        source: "--env".into(),
    }
}

fn load(text: &str) -> Result<Vec<policy::Policy>, String> {
    let t = Text {
        file: "p.toml".into(),
        text: text.into(),
        page: None,
        builtin: false,
    };
    policy::load_texts(vec![t]).map_err(|e| e.to_string())
}

/// Findings of one inline policy over a plan fixture in an environment.
fn findings(plan: &str, env_name: &str, text: &str) -> Vec<Finding> {
    let policies = load(text).unwrap_or_else(|e| panic!("policy does not load:\n{e}"));
    let g = graph(plan);
    let e = env(env_name);
    policy::evaluate(
        &policies,
        &g,
        &policy::EvalOptions {
            env: &e,
            plan_file: plan,
        },
    )
}

/// Address → status.
fn statuses(plan: &str, env_name: &str, text: &str) -> BTreeMap<String, &'static str> {
    findings(plan, env_name, text)
        .into_iter()
        .map(|f| (f.resource.to_string(), f.status.as_str()))
        .collect()
}

fn one(plan: &str, env_name: &str, text: &str, address: &str) -> Finding {
    findings(plan, env_name, text)
        .into_iter()
        .find(|f| *f.resource == *address)
        .unwrap_or_else(|| panic!("no finding for {address}"))
}

const HEAD: &str = "id = \"t.rule\"\ntitle = \"t\"\nseverity = \"high\"\n";

fn with_head(body: &str) -> String {
    format!("{HEAD}{body}")
}

/// A value test over the two database instances of `constructs.json`.
fn db_test(path: &str, op: &str, value: &str) -> (String, String) {
    let text = with_head(&format!(
        "[select]\ntypes = [\"aws_db_instance\"]\naddress = [\"aws_db_instance.small\", \"aws_db_instance.large\"]\n[[assert]]\npath = \"{path}\"\nop = \"{op}\"\n{value}\n"
    ));
    let s = statuses("constructs.json", "test", &text);
    (
        s["aws_db_instance.small"].to_string(),
        s["aws_db_instance.large"].to_string(),
    )
}

fn pf(small: &str, large: &str) -> (String, String) {
    (small.to_string(), large.to_string())
}

#[test]
fn example_policies_pass_their_test_cases() {
    let outcome = testing::run(&root().join("testdata/policy-lang/examples")).unwrap();
    assert!(outcome.passed(), "{outcome}");
    assert_eq!(outcome.cases.len(), 6, "{outcome}");
}

#[test]
fn every_operator_passes_and_fails() {
    let cases: &[(&str, &str, &str, (&str, &str))] = &[
        ("$.multi_az", "equals", "value = false", ("pass", "fail")),
        ("$.multi_az", "not_equals", "value = true", ("pass", "fail")),
        (
            "$.instance_class",
            "in",
            "value = [\"db.t3.micro\", \"db.t3.small\"]",
            ("pass", "fail"),
        ),
        (
            "$.storage_type",
            "not_in",
            "value = [\"io1\", \"io2\"]",
            ("pass", "fail"),
        ),
        (
            "$.instance_class",
            "matches",
            "value = '^db\\.t3\\.'",
            ("pass", "fail"),
        ),
        (
            "$.instance_class",
            "glob",
            "value = [\"db.t3.*\", \"db.t4g.*\"]",
            ("pass", "fail"),
        ),
        ("$.iops", "exists", "", ("fail", "pass")),
        ("$.iops", "absent", "", ("pass", "fail")),
        ("$.allocated_storage", "gt", "value = 100", ("fail", "pass")),
        ("$.allocated_storage", "ge", "value = 500", ("fail", "pass")),
        ("$.allocated_storage", "lt", "value = 100", ("pass", "fail")),
        ("$.allocated_storage", "le", "value = 20", ("pass", "fail")),
        (
            "$.identifier",
            "contains",
            "value = \"-dev\"",
            ("pass", "fail"),
        ),
        ("$.tags", "contains", "value = \"Owner\"", ("pass", "fail")),
        ("$.tags", "length", "value = { ge = 2 }", ("pass", "fail")),
        ("$.tags", "length", "value = 2", ("pass", "fail")),
    ];
    for (path, op, value, want) in cases {
        assert_eq!(
            db_test(path, op, value),
            pf(want.0, want.1),
            "{op} on {path}"
        );
    }
}

#[test]
fn cidr_operators_pass_and_fail() {
    let run = |types: &str, op: &str, value: &str| {
        statuses("constructs.json", "test", &with_head(&format!(
            "[select]\ntypes = [\"{types}\"]\naddress = [\"*.a\", \"*.c\", \"*.main\", \"*.other\"]\n[[assert]]\npath = \"$.cidr_block\"\nop = \"{op}\"\nvalue = \"{value}\"\n"
        )))
    };
    let s = run("aws_subnet", "cidr_within", "10.0.0.0/16");
    assert_eq!((s["aws_subnet.a"], s["aws_subnet.c"]), ("pass", "fail"));
    let s = run("aws_subnet", "cidr_overlaps", "10.0.0.0/20");
    assert_eq!((s["aws_subnet.a"], s["aws_subnet.c"]), ("pass", "fail"));
    let s = run("aws_vpc", "cidr_contains", "10.0.1.0/24");
    assert_eq!((s["aws_vpc.main"], s["aws_vpc.other"]), ("pass", "fail"));
    let s = run("aws_vpc", "cidr_equals", "10.0.0.0/16");
    assert_eq!((s["aws_vpc.main"], s["aws_vpc.other"]), ("pass", "fail"));
}

#[test]
fn quantifiers_and_filters_over_lists() {
    let sg = |path: &str, op: &str, value: &str, quantifier: &str| {
        let s = statuses("constructs.json", "test", &with_head(&format!(
            "[select]\ntypes = [\"aws_security_group\"]\n[[assert]]\npath = \"{path}\"\nop = \"{op}\"\nvalue = {value}\nquantifier = \"{quantifier}\"\n"
        )));
        (s["aws_security_group.web"], s["aws_security_group.db"])
    };
    assert_eq!(
        sg(
            "$.ingress[*].cidr_blocks[*]",
            "not_equals",
            "\"0.0.0.0/0\"",
            "all"
        ),
        ("fail", "pass")
    );
    assert_eq!(
        sg("$.ingress[*].from_port", "equals", "443", "any"),
        ("pass", "fail")
    );
    assert_eq!(
        sg(
            "$.ingress[*].cidr_blocks[*]",
            "equals",
            "\"0.0.0.0/0\"",
            "none"
        ),
        ("fail", "pass")
    );
    // A filter: port 22 must not be open to the world; db has no port-22 rule (vacuously true).
    assert_eq!(
        sg(
            "$.ingress[?@.from_port == 22].cidr_blocks[*]",
            "cidr_within",
            "\"10.0.0.0/8\"",
            "all"
        ),
        ("fail", "pass")
    );
}

#[test]
fn combinators_all_any_not() {
    let run = |cond: &str| {
        let s = statuses("constructs.json", "test", &with_head(&format!(
            "[select]\ntypes = [\"aws_db_instance\"]\naddress = [\"aws_db_instance.small\", \"aws_db_instance.large\"]\n[[assert]]\n{cond}\n"
        )));
        (s["aws_db_instance.small"], s["aws_db_instance.large"])
    };
    let t3 = "{ path = \"$.instance_class\", op = \"glob\", value = \"db.t3.*\" }";
    let single = "{ path = \"$.multi_az\", op = \"equals\", value = false }";
    let big = "{ path = \"$.allocated_storage\", op = \"gt\", value = 100 }";
    assert_eq!(run(&format!("all = [{t3}, {single}]")), ("pass", "fail"));
    assert_eq!(run(&format!("any = [{t3}, {big}]")), ("pass", "pass"));
    assert_eq!(
        run(&format!("any = [{big}, {{ not = {single} }}]")),
        ("fail", "pass")
    );
    assert_eq!(run(&format!("not = {t3}")), ("fail", "pass"));
}

#[test]
fn selection_by_type_glob_mode_address_module_and_actions() {
    let sel = |select: &str| {
        statuses(
            "constructs.json",
            "test",
            &with_head(&format!(
                "[select]\n{select}\n[[assert]]\npath = \"$\"\nop = \"exists\"\n"
            )),
        )
    };
    let s = sel("types = [\"aws_db_*\"]");
    assert_eq!(
        s.keys().cloned().collect::<Vec<_>>(),
        [
            "aws_db_instance.large",
            "aws_db_instance.replaced",
            "aws_db_instance.small"
        ]
    );
    let s = sel("types = [\"aws_vpc\"]\nmode = \"data\"");
    assert_eq!(
        s.keys().cloned().collect::<Vec<_>>(),
        ["data.aws_vpc.shared"]
    );
    let s = sel("types = [\"aws_vpc\"]\nmode = \"any\"");
    assert_eq!(s.len(), 3);
    let s = sel("types = [\"aws_db_instance\"]\naddress = \"aws_db_instance.s*\"");
    assert_eq!(
        s.keys().cloned().collect::<Vec<_>>(),
        ["aws_db_instance.small"]
    );
    let s = sel("types = [\"aws_s3_bucket\"]\nmodule = \"module.app\"");
    assert_eq!(
        s.keys().cloned().collect::<Vec<_>>(),
        ["module.app.aws_s3_bucket.this"]
    );
    let s = sel("types = [\"aws_s3_bucket\"]\nmodule = \"\"");
    assert!(s.is_empty());
    let s = sel("types = [\"aws_db_instance\"]\nactions = [\"replace\"]");
    assert_eq!(
        s.keys().cloned().collect::<Vec<_>>(),
        ["aws_db_instance.replaced"]
    );
}

#[test]
fn deletes_are_selected_only_when_asked_and_read_before() {
    let text = with_head("[select]\ntypes = [\"aws_db_instance\"]\nactions = [\"delete\"]\n[[assert]]\npath = \"$.deletion_protection\"\nop = \"equals\"\nvalue = false\nmessage = \"{address} ({action}) has deletion_protection = {value}\"\n");
    let f = findings("constructs.json", "test", &text);
    assert_eq!(f.len(), 1);
    assert_eq!(
        (&*f[0].resource, f[0].status),
        ("aws_db_instance.retired", Status::Fail)
    );
    assert_eq!(
        f[0].message,
        "aws_db_instance.retired (delete) has deletion_protection = true"
    );
    // The default actions leave deletes out.
    let text = with_head(
        "[select]\ntypes = [\"aws_db_instance\"]\n[[assert]]\npath = \"$\"\nop = \"exists\"\n",
    );
    assert!(!statuses("constructs.json", "test", &text).contains_key("aws_db_instance.retired"));
}

#[test]
fn where_filters_instances_and_an_unknown_where_is_never_a_pass() {
    let text = with_head("[select]\ntypes = [\"aws_db_instance\"]\nwhere = { path = \"$.multi_az\", op = \"equals\", value = true }\n[[assert]]\npath = \"$.allocated_storage\"\nop = \"le\"\nvalue = 100\n");
    let s = statuses("constructs.json", "test", &text);
    assert_eq!(
        s.into_iter().collect::<Vec<_>>(),
        [("aws_db_instance.large".to_string(), "fail")]
    );
    // kms_key_id of small is known only after apply: whether the policy applies is unknown.
    let text = with_head("[select]\ntypes = [\"aws_db_instance\"]\naddress = \"aws_db_instance.small\"\nwhere = { path = \"$.kms_key_id\", op = \"exists\" }\n[[assert]]\npath = \"$.storage_encrypted\"\nop = \"equals\"\nvalue = false\n");
    let f = one("constructs.json", "test", &text, "aws_db_instance.small");
    assert_eq!(f.status, Status::Unknown);
    assert!(f.message.starts_with("undecided: whether the policy applies is not known (`kms_key_id` is known only after apply"), "{}", f.message);
}

#[test]
fn unknown_values_yield_unknown_with_where_they_come_from() {
    let text = with_head("[select]\ntypes = [\"aws_db_instance\"]\naddress = [\"aws_db_instance.small\", \"aws_db_instance.large\"]\n[[assert]]\npath = \"$.kms_key_id\"\nop = \"matches\"\nvalue = \"^arn:aws:kms:\"\n");
    let f = findings("constructs.json", "test", &text);
    let small = f
        .iter()
        .find(|f| &*f.resource == "aws_db_instance.small")
        .unwrap();
    assert_eq!(small.status, Status::Unknown);
    assert_eq!(small.message, "undecided: `kms_key_id` is known only after apply; it comes from `aws_kms_key.db.arn`, created in this plan");
    assert_eq!(small.evidence[0].path, "$.kms_key_id");
    assert!(small.evidence[0].unknown && small.evidence[0].value.is_none());
    let large = f
        .iter()
        .find(|f| &*f.resource == "aws_db_instance.large")
        .unwrap();
    assert_eq!(large.status, Status::Pass);
}

#[test]
fn on_unknown_decides_the_gate_not_the_status() {
    for (on_unknown, counts) in [("fail", true), ("warn", false), ("pass", false)] {
        let text = with_head(&format!("on_unknown = \"{on_unknown}\"\n[select]\ntypes = [\"aws_db_instance\"]\naddress = \"aws_db_instance.small\"\n[[assert]]\npath = \"$.kms_key_id\"\nop = \"exists\"\n"));
        let policies = load(&text).unwrap();
        let f = one("constructs.json", "test", &text, "aws_db_instance.small");
        assert_eq!(f.status, Status::Unknown);
        assert_eq!(
            policy::gate_counts_as_failure(&f, &policies[0]),
            counts,
            "{on_unknown}"
        );
    }
}

#[test]
fn sensitive_values_are_redacted_in_evidence_and_messages() {
    let text = with_head("[select]\ntypes = [\"aws_db_instance\"]\naddress = \"aws_db_instance.small\"\n[[assert]]\npath = \"$.password\"\nop = \"equals\"\nvalue = \"nope\"\nmessage = \"{address}: {value} / {values.password} / {detail}\"\n");
    let f = one("constructs.json", "test", &text, "aws_db_instance.small");
    assert_eq!(f.status, Status::Fail);
    assert_eq!(f.message, "aws_db_instance.small: (sensitive) / (sensitive) / `password` is (sensitive), which does not equal \"nope\"");
    assert!(f.evidence[0].redacted && f.evidence[0].value.is_none());
    // A map holding one sensitive entry is redacted whole; its other entries stay visible.
    let text = with_head("[select]\ntypes = [\"aws_lambda_function\"]\n[[assert]]\npath = \"$.environment[0].variables\"\nop = \"length\"\nvalue = 1\n[[assert]]\npath = \"$.environment[0].variables.STAGE\"\nop = \"equals\"\nvalue = \"prod\"\n");
    let f = one("constructs.json", "test", &text, "aws_lambda_function.api");
    let json = serde_json::to_string(&f).unwrap();
    assert!(!json.contains("s3cr3t-value"), "{json}");
    assert!(
        f.message
            .contains("`environment[0].variables` is (sensitive)"),
        "{}",
        f.message
    );
    assert!(
        f.message
            .contains("`environment[0].variables.STAGE` is \"dev\""),
        "{}",
        f.message
    );
    // Deleted instances use before_sensitive.
    let text = with_head("[select]\ntypes = [\"aws_db_instance\"]\nactions = [\"delete\"]\n[[assert]]\npath = \"$.password\"\nop = \"absent\"\n");
    let f = one("constructs.json", "test", &text, "aws_db_instance.retired");
    assert!(!serde_json::to_string(&f).unwrap().contains("old-secret"));
}

#[test]
fn variables_in_values_and_paths() {
    let (small, large) = db_test(
        "$.identifier",
        "contains",
        "value = \"{var.environment_suffix}\"",
    );
    assert_eq!((small.as_str(), large.as_str()), ("pass", "fail"));
    let (small, _) = db_test(
        "$.identifier",
        "equals",
        "value = \"app-small-{var.environment_suffix}\"",
    );
    assert_eq!(small, "pass");
    let (small, large) = db_test("$var.environment_suffix", "equals", "value = \"dev\"");
    assert_eq!((small.as_str(), large.as_str()), ("pass", "pass"));
    let (small, _) = db_test("var:$.environment_suffix", "equals", "value = \"prod\"");
    assert_eq!(small, "fail");
    let text = with_head("[select]\ntypes = [\"aws_db_instance\"]\naddress = \"aws_db_instance.small\"\n[[assert]]\npath = \"$.identifier\"\nop = \"contains\"\nvalue = \"{var.suffix_that_is_not_there}\"\n");
    let f = one("constructs.json", "test", &text, "aws_db_instance.small");
    assert_eq!(f.status, Status::Unknown);
    assert!(
        f.message
            .contains("the plan has no root variable `suffix_that_is_not_there`"),
        "{}",
        f.message
    );
}

#[test]
fn environments_and_parameters() {
    let text = with_head("[select]\ntypes = [\"aws_db_instance\"]\naddress = [\"aws_db_instance.small\", \"aws_db_instance.large\"]\n[params.default]\nmax = 100\n[params.prod]\nmax = 1000\n[[assert]]\npath = \"$.allocated_storage\"\nop = \"le\"\nvalue = \"{params.max}\"\nmessage = \"{address}: {value} GB is over {params.max} GB in {env}\"\n");
    let s = statuses("constructs.json", "test", &text);
    assert_eq!(
        (s["aws_db_instance.small"], s["aws_db_instance.large"]),
        ("pass", "fail")
    );
    let f = one("constructs.json", "test", &text, "aws_db_instance.large");
    assert_eq!(
        f.message,
        "aws_db_instance.large: 500 GB is over 100 GB in test"
    );
    let s = statuses("constructs.json", "prod", &text);
    assert_eq!(
        (s["aws_db_instance.small"], s["aws_db_instance.large"]),
        ("pass", "pass")
    );
    // when.env and when.not_env
    let only_prod = with_head("[when]\nenv = [\"prod\"]\n[select]\ntypes = [\"aws_db_instance\"]\n[[assert]]\npath = \"$\"\nop = \"exists\"\n");
    assert!(statuses("constructs.json", "test", &only_prod).is_empty());
    assert!(!statuses("constructs.json", "prod", &only_prod).is_empty());
    let not_prod = with_head("[when]\nnot_env = [\"prod*\"]\n[select]\ntypes = [\"aws_db_instance\"]\n[[assert]]\npath = \"$\"\nop = \"exists\"\n");
    assert!(!statuses("constructs.json", "test", &not_prod).is_empty());
    assert!(statuses("constructs.json", "prod", &not_prod).is_empty());
}

#[test]
fn built_in_checks_run_and_are_validated() {
    let text =
        with_head("check = \"unresolved-references\"\n[select]\ntypes = [\"aws_s3_bucket*\"]\n");
    let s = statuses("s3-unresolved.json", "test", &text);
    assert_eq!(
        (
            s["aws_s3_bucket.assets"],
            s["aws_s3_bucket_public_access_block.assets"]
        ),
        ("pass", "unknown")
    );
    let text = with_head("check = \"unresolved-references\"\n[select]\ntypes = [\"aws_s3_bucket*\"]\n[params.default]\nignore = [\"local.\"]\n");
    let s = statuses("s3-unresolved.json", "test", &text);
    assert_eq!(s["aws_s3_bucket_public_access_block.assets"], "pass");
    let e = load(&with_head(
        "check = \"unresolved-reference\"\n[select]\ntypes = [\"x\"]\n",
    ))
    .unwrap_err();
    assert!(
        e.starts_with("p.toml:4:9: unknown check \"unresolved-reference\"; did you mean \"unresolved-references\"? built-in checks: unresolved-references, max-instances, "),
        "{e}"
    );
    let e = load(&with_head("check = \"unresolved-references\"\n[select]\ntypes = [\"x\"]\n[params.default]\nignore = 3\n")).unwrap_err();
    assert_eq!(e, "p.toml:4:9: parameter `ignore` of check `unresolved-references` must be a list of strings, e.g. ignore = [\"local.\"]");
}

#[test]
fn message_templates_fill_every_placeholder() {
    let text = "id = \"t.rule\"\ntitle = \"Too big\"\nseverity = \"medium\"\n[select]\ntypes = [\"aws_db_instance\"]\naddress = \"aws_db_instance.large\"\n[params.default]\nlimit = \"db.t3.*\"\n[[assert]]\npath = \"$.instance_class\"\nop = \"glob\"\nvalue = \"{params.limit}\"\nmessage = \"{id}|{title}|{severity}|{address}|{type}|{name}|{module}|{action}|{env}|{value}|{path}|{params.limit}|{values.tags.Name}|{var.environment_suffix}|{related}|{{x}}\"\n";
    let f = one("constructs.json", "test", text, "aws_db_instance.large");
    assert_eq!(f.message, "t.rule|Too big|medium|aws_db_instance.large|aws_db_instance|large||create|test|db.r5.large|$.instance_class|db.t3.*|app-large|dev|(none)|{x}");
}

#[test]
fn unknown_values_name_references_that_cannot_be_followed() {
    let text = with_head("[select]\ntypes = [\"aws_s3_bucket_public_access_block\"]\n[[assert]]\npath = \"$.bucket\"\nop = \"glob\"\nvalue = \"acme-*\"\n");
    let f = one(
        "s3-unresolved.json",
        "test",
        &text,
        "aws_s3_bucket_public_access_block.assets",
    );
    assert_eq!(f.status, Status::Unknown);
    assert_eq!(f.message, "undecided: `bucket` is known only after apply; `local.assets_bucket` cannot be followed: locals are not in the plan JSON");
}
