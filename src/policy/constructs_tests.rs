//! Unit tests of the constructs the hygiene pack needed — the `known` and `contains_all`
//! operators, `{params.NAME}` in paths, `direction = "sibling"` hops, the `self.meta:` /
//! `NAME.meta:` scopes and `value_json` operands — each with a case where it holds and one
//! where it does not, over real plan fixtures, and the load errors each can produce.

use super::{evaluate, load_texts, EvalOptions, Text};
use crate::graph::Graph;
use crate::report::{Environment, Status};
use std::collections::BTreeMap;

const HEAD: &str = "id = \"t.rule\"\ntitle = \"t\"\nseverity = \"high\"\n";

fn text(body: &str) -> Vec<Text> {
    vec![Text {
        file: "p.toml".into(),
        text: format!("{HEAD}{body}"),
        page: None,
        builtin: false,
    }]
}

/// Address → (status, message) of one inline policy over a fixture of `testdata/plans/`.
fn run(plan: &str, env: &str, body: &str) -> BTreeMap<String, (Status, String)> {
    let policies = load_texts(text(body)).unwrap_or_else(|e| panic!("does not load:\n{e}"));
    let path = format!("{}/testdata/plans/{plan}", env!("CARGO_MANIFEST_DIR"));
    let graph = Graph::from_document(crate::plan::read(&path).unwrap());
    let env = Environment {
        name: env.into(),
        raw: env.into(),
        source: "--env".into(),
    };
    let opts = EvalOptions {
        env: &env,
        plan_file: plan,
    };
    evaluate(&policies, &graph, &opts)
        .into_iter()
        .map(|f| (f.resource.to_string(), (f.status, f.message)))
        .collect()
}

fn status(found: &BTreeMap<String, (Status, String)>, address: &str) -> Status {
    found
        .get(address)
        .unwrap_or_else(|| panic!("no finding for {address}: {found:?}"))
        .0
}

/// The load error of an inline policy.
fn load_error(body: &str) -> String {
    load_texts(text(body)).unwrap_err().to_string()
}

#[test]
fn known_tells_values_of_the_plan_from_values_known_after_apply() {
    // Inline ingress is written for aws_security_group.db only; the others have it computed.
    let body = "[select]\ntypes = [\"aws_security_group\"]\n[[assert]]\npath = \"$.ingress\"\nop = \"known\"\n";
    let found = run("cicd-stack-test.json", "test", body);
    assert_eq!(status(&found, "aws_security_group.db"), Status::Pass);
    assert_eq!(status(&found, "aws_security_group.lb"), Status::Fail);
    assert!(
        found["aws_security_group.lb"]
            .1
            .contains("`ingress` is known only after apply"),
        "{found:?}"
    );
    // Never unknown itself: negated, it decides the other way round.
    let body = body.replace(
        "op = \"known\"",
        "not = { path = \"$.ingress\", op = \"known\" }",
    );
    let body = body.replace("path = \"$.ingress\"\nnot", "not");
    let found = run("cicd-stack-test.json", "test", &body);
    assert_eq!(status(&found, "aws_security_group.db"), Status::Fail);
    assert_eq!(status(&found, "aws_security_group.runner"), Status::Pass);
    assert!(load_error(
        "[select]\ntypes = [\"x\"]\n[[assert]]\npath = \"$.a\"\nop = \"known\"\nvalue = 1\n"
    )
    .contains("`known` takes no value"));
}

#[test]
fn contains_all_names_the_missing_elements() {
    let body = "[select]\ntypes = [\"aws_elasticache_replication_group\", \"aws_kms_key\"]\n[[assert]]\npath = \"$.tags_all\"\nop = \"contains_all\"\nvalue = [\"Owner\", \"Project\"]\n";
    let found = run("cicd-stack-test.json", "test", body);
    assert_eq!(status(&found, "aws_kms_key.ci"), Status::Pass);
    let (s, message) = &found["aws_elasticache_replication_group.cache"];
    assert_eq!(*s, Status::Fail);
    assert!(message.ends_with("which lacks Owner"), "{message}");
    let e = load_error("[select]\ntypes = [\"x\"]\n[[assert]]\npath = \"$.a\"\nop = \"contains_all\"\nvalue = []\n");
    assert!(
        e.starts_with("p.toml:9:9: `contains_all` takes a value or a non-empty list"),
        "{e}"
    );
}

#[test]
fn paths_take_parameters_per_environment() {
    let body = "[params.default]\nname = \"environment_suffix\"\n[params.prod]\nname = \"no_such_variable\"\n[select]\ntypes = [\"aws_kms_key\"]\n[[assert]]\npath = \"var:$['{params.name}']\"\nop = \"exists\"\n";
    assert_eq!(
        status(&run("cicd-stack-test.json", "test", body), "aws_kms_key.ci"),
        Status::Pass
    );
    assert_eq!(
        status(&run("cicd-stack-test.json", "prod", body), "aws_kms_key.ci"),
        Status::Fail
    );
    // As an operand too: the name contains the suffix's value.
    let body = "[params.default]\nname = \"environment_suffix\"\n[select]\ntypes = [\"aws_s3_bucket\"]\n[[assert]]\npath = \"$.bucket\"\nop = \"contains\"\nvalue_path = \"var:$['{params.name}']\"\n";
    let found = run("cicd-stack-test.json", "test", body);
    assert_eq!(status(&found, "aws_s3_bucket.logs"), Status::Pass);
    assert_eq!(status(&found, "aws_s3_bucket.artifacts"), Status::Fail);
}

#[test]
fn bad_parameters_in_paths_are_load_errors() {
    let with = |params: &str, path: &str| {
        load_error(&format!(
            "{params}[select]\ntypes = [\"x\"]\n[[assert]]\npath = \"{path}\"\nop = \"exists\"\n"
        ))
    };
    assert_eq!(
        with("", "$['{params.nope}']"),
        "p.toml:7:8: parameter `nope` has no value for environments without their own table; add `nope = …` to [params.default], or limit the policy with when.env = [...] to the environments that define it"
    );
    assert_eq!(
        with("[params.default]\nk = [\"a\"]\n", "$['{params.k}']"),
        "p.toml:9:8: parameter `k` is not a string or a number, so it cannot be written into the path \"$['{params.k}']\""
    );
    let e = with(
        "[params.default]\nk = \"a\"\n[params.prod]\nk = \"'\"\n",
        "$['{params.k}']",
    );
    assert!(
        e.starts_with("p.toml:11:8: invalid JSONPath \"$['{params.k}']\" in environment `prod` (filled in: \"$[''']\"): "),
        "{e}"
    );
    assert!(with("", "$.a['{var.x}']").contains("paths may use params.NAME"));
    // Doubled braces are literal.
    assert!(load_texts(text(
        "[select]\ntypes = [\"x\"]\n[[assert]]\npath = \"$.tags['{{x}}']\"\nop = \"exists\"\n"
    ))
    .is_ok());
}

#[test]
fn sibling_hops_reach_the_other_instances_of_the_module_instance() {
    // Each VPC module instance of the mesh has two private subnets.
    let body = |min: usize| {
        format!("[select]\ntypes = [\"aws_subnet\"]\n[[relation]]\ntype = \"aws_subnet\"\ndirection = \"sibling\"\nmin = {min}\nmax = 1\n")
    };
    let a = "module.vpc[\"shared\"].aws_subnet.private[0]";
    let found = run("mesh-10.json", "test", &body(1));
    assert_eq!(status(&found, a), Status::Pass);
    assert!(
        found[a].1.contains("it has 1 sibling aws_subnet in module.vpc[\"shared\"] (module.vpc[\"shared\"].aws_subnet.private[1])"),
        "{}",
        found[a].1
    );
    let found = run(
        "mesh-10.json",
        "test",
        &body(0).replace("max = 1", "max = 0"),
    );
    assert_eq!(status(&found, a), Status::Fail);
    let e = load_error("[select]\ntypes = [\"x\"]\n[[relation]]\ntype = \"x\"\ndirection = \"sibling\"\nattribute = \"vpc_id\"\n");
    assert!(
        e.starts_with("p.toml:9:13: a sibling hop follows no edge, so it takes no `attribute`"),
        "{e}"
    );
}

#[test]
fn meta_of_the_selected_and_of_named_instances() {
    // The log group reaches its key, and from the key the log groups that use it: the
    // selected one among them (self.meta:), and the key is bound to `key` (key.meta:).
    let body = |op: &str| {
        format!("[select]\ntypes = [\"aws_cloudwatch_log_group\"]\naddress = \"aws_cloudwatch_log_group.lambda\"\n[[relation]]\nname = \"key\"\ntype = \"aws_kms_key\"\nattribute = \"kms_key_id\"\n  [[relation.relation]]\n  type = \"aws_cloudwatch_log_group\"\n  attribute = \"kms_key_id\"\n  direction = \"incoming\"\n  where = {{ all = [{{ path = \"meta:$.address\", op = \"{op}\", value_path = \"self.meta:$.address\" }}, {{ path = \"key.meta:$.type\", op = \"equals\", value = \"aws_kms_key\" }}] }}\n")
    };
    let lambda = "aws_cloudwatch_log_group.lambda";
    assert_eq!(
        status(
            &run("cicd-stack-test.json", "test", &body("equals")),
            lambda
        ),
        Status::Pass
    );
    assert_eq!(
        status(
            &run("cicd-stack-test.json", "test", &body("not_equals")),
            lambda
        ),
        Status::Fail
    );
    let e = load_error(
        "[select]\ntypes = [\"x\"]\n[[assert]]\npath = \"nope.meta:$.a\"\nop = \"exists\"\n",
    );
    assert!(
        e.contains("unknown scope `nope.meta:` in \"nope.meta:$.a\"; use one of `self:`, `var:`, `meta:`, `self.meta:`"),
        "{e}"
    );
}

#[test]
fn value_json_reads_the_operand_inside_json_documents() {
    // The plan of hygiene.kms-key-policy-missing-writer-principal: aws_kms_key.ops names two
    // services as a list, aws_kms_key.events one as a string, aws_kms_key.reports's policy is
    // known only after apply.
    let plan = "../policies/hygiene.kms-key-policy-missing-writer-principal/writer-keys.json";
    let body = |op: &str, value_path: &str| {
        format!("[select]\ntypes = [\"aws_kms_key\"]\n[[assert]]\npath = \"$.policy\"\njson = '$..Principal.Service[*]'\nop = \"{op}\"\nvalue_path = \"{value_path}\"\nvalue_json = '$..Principal.Service'\n")
    };
    // A selected list adds its elements to the operand.
    let found = run(plan, "test", &body("in", "$.policy"));
    assert_eq!(status(&found, "aws_kms_key.ops"), Status::Pass);
    assert!(
        found["aws_kms_key.ops"].1.contains("which is one of `$..Principal.Service` in `policy` ([\"cloudwatch.amazonaws.com\",\"events.amazonaws.com\"])"),
        "{found:?}"
    );
    assert_eq!(status(&found, "aws_kms_key.reports"), Status::Unknown);
    let found = run(plan, "test", &body("not_in", "$.policy"));
    assert_eq!(status(&found, "aws_kms_key.ops"), Status::Fail);
    assert_eq!(status(&found, "aws_kms_key.events"), Status::Pass);
    // A value that is not JSON cannot be compared.
    let found = run(plan, "test", &body("in", "$.description"));
    let (s, message) = &found["aws_kms_key.ops"];
    assert_eq!(*s, Status::Fail);
    assert!(
        message.contains("`$..Principal.Service` in `description` cannot be compared: the document is not valid JSON"),
        "{message}"
    );
    let e = load_error("[select]\ntypes = [\"x\"]\n[[assert]]\npath = \"$.a\"\nop = \"in\"\nvalue = [1]\nvalue_json = \"$.b\"\n");
    assert!(
        e.contains(
            "`value_json` selects inside the JSON documents at `value_path`; give `value_path` too"
        ),
        "{e}"
    );
    let e = load_error("[select]\ntypes = [\"x\"]\n[[assert]]\npath = \"$.a\"\nop = \"in\"\nvalue_path = \"$.b\"\nvalue_json = \"$[\"\n");
    assert!(e.contains("invalid JSONPath \"$[\" in `value_json`"), "{e}");
}
