//! Documents besides an instance's values: its metadata (`meta:`), JSON held in strings
//! (`json`), and plan-wide built-in checks.

use super::*;

#[test]
fn meta_scope_reads_actions_and_replace_paths() {
    let text = with_head("[select]\ntypes = [\"aws_db_instance\"]\nactions = [\"create\", \"replace\", \"delete\"]\n[[assert]]\npath = \"meta:$.action\"\nop = \"not_in\"\nvalue = [\"delete\", \"replace\"]\nmessage = \"{address} would be {meta.action}d (forced by {meta.replace_paths})\"\n");
    let s = statuses("constructs.json", "test", &text);
    assert_eq!(
        (
            s["aws_db_instance.small"],
            s["aws_db_instance.replaced"],
            s["aws_db_instance.retired"]
        ),
        ("pass", "fail", "fail")
    );
    let f = one("constructs.json", "test", &text, "aws_db_instance.replaced");
    assert_eq!(
        f.message,
        "aws_db_instance.replaced would be replaced (forced by engine)"
    );
    assert_eq!(f.evidence[0].path, "meta:$.action");
    // A relation's `where` on the related instance's metadata: keys created in this plan.
    let text = with_head("[select]\ntypes = [\"aws_db_instance\"]\naddress = [\"aws_db_instance.small\", \"aws_db_instance.large\"]\n[[relation]]\ntype = \"aws_kms_key\"\nwhere = { path = \"meta:$.action\", op = \"equals\", value = \"create\" }\nmax = 0\n");
    let s = statuses("constructs.json", "test", &text);
    assert_eq!(
        (s["aws_db_instance.small"], s["aws_db_instance.large"]),
        ("fail", "pass")
    );
}

#[test]
fn json_documents_in_strings() {
    let run = |service: &str| {
        let text = with_head(&format!("[select]\ntypes = [\"aws_kms_key\"]\naddress = \"aws_kms_key.logs\"\n[[assert]]\npath = \"$.policy\"\njson = \"$.Statement[*].Principal.Service\"\nop = \"glob\"\nvalue = \"{service}\"\nquantifier = \"any\"\n"));
        one("constructs.json", "test", &text, "aws_kms_key.logs")
    };
    assert_eq!(run("logs.*.amazonaws.com").status, Status::Pass);
    let f = run("cloudtrail.amazonaws.com");
    assert_eq!(f.status, Status::Fail);
    assert_eq!(
        f.evidence[0].path,
        "$.policy.Statement[0].Principal.Service"
    );
    // The key created in this plan has its policy known only after apply.
    let text = with_head("[select]\ntypes = [\"aws_kms_key\"]\naddress = \"aws_kms_key.db\"\n[[assert]]\npath = \"$.policy\"\njson = \"$.Statement\"\nop = \"exists\"\n");
    assert_eq!(
        one("constructs.json", "test", &text, "aws_kms_key.db").status,
        Status::Unknown
    );
    // A value that is not JSON fails and says so.
    let text = with_head("[select]\ntypes = [\"aws_kms_key\"]\naddress = \"aws_kms_key.logs\"\n[[assert]]\npath = \"$.description\"\njson = \"$.x\"\nop = \"exists\"\n");
    let f = one("constructs.json", "test", &text, "aws_kms_key.logs");
    assert_eq!(f.status, Status::Fail);
    assert!(
        f.message.starts_with("`description` is not valid JSON"),
        "{}",
        f.message
    );
}

#[test]
fn plan_wide_checks_answer_once() {
    let text = with_head("check = \"max-instances\"\n[select]\ntypes = [\"aws_nat_gateway\"]\n[params.default]\nmax = 2\n[params.prod]\nmax = 3\n");
    let f = findings("constructs.json", "test", &text);
    assert_eq!(f.len(), 1);
    assert_eq!((&*f[0].resource, f[0].status), ("(plan)", Status::Fail));
    assert_eq!(
        f[0].message,
        "the plan has 3 selected instance(s); at most 2 allowed"
    );
    assert_eq!(
        f[0].related,
        [
            "aws_nat_gateway.a",
            "aws_nat_gateway.b",
            "aws_nat_gateway.c"
        ]
    );
    let f = findings("constructs.json", "prod", &text);
    assert_eq!(f[0].status, Status::Pass);
    let e = load(&with_head("check = \"max-instances\"\n[select]\ntypes = [\"x\"]\n[[assert]]\npath = \"$\"\nop = \"exists\"\n")).unwrap_err();
    assert_eq!(e, "p.toml:4:9: check `max-instances` needs parameter `max`, a count (e.g. max = 2 in [params.default])\np.toml:4:9: check \"max-instances\" looks at the whole plan; it cannot be combined with [[assert]] or [[relation]] — move those to another policy");
}
