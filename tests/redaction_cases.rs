//! Redaction and reading regressions found in review: each plan is the smallest that showed
//! a leak or a wrong value (a forgotten resource's markers, a sensitive operand quoted in an
//! error, secret-named keys inside a looked-up attribute, sensitive sizes in the cost estimate,
//! BOM and UTF-16 text read as spans, repeated keys in value joins).

use assert_cmd::Command;
use plangate::graph::Graph;
use plangate::policy;
use plangate::report::Environment;
use serde_json::json;

fn graph_of(v: &serde_json::Value) -> Graph {
    let text = serde_json::to_string(v).unwrap();
    Graph::from_document(plangate::plan::parse("p.json", text.as_bytes()).unwrap())
}

fn load(text: &str) -> Vec<policy::Policy> {
    let t = policy::Text {
        file: "p.toml".into(),
        text: text.into(),
        page: None,
        builtin: false,
    };
    policy::load_texts(vec![t])
        .map_err(|e| e.to_string())
        .unwrap()
}

fn run(g: &Graph, text: &str) -> String {
    let e = Environment {
        name: "test".into(),
        raw: "test".into(),
        source: "--env".into(),
    };
    let f = policy::evaluate(
        &load(text),
        g,
        &policy::EvalOptions {
            env: &e,
            plan_file: "p.json",
        },
    );
    format!("{f:?}")
}

#[test]
fn a_forgotten_resource_uses_its_before_markers() {
    let plan = json!({
        "format_version": "1.2",
        "resource_changes": [{
            "address": "aws_db_instance.a", "mode": "managed", "type": "aws_db_instance", "name": "a",
            "provider_name": "registry.terraform.io/hashicorp/aws",
            "change": {"actions": ["forget"], "before": {"id": "db-1", "identifier": "S3CR3Tforget"},
                       "after": null, "after_unknown": false,
                       "before_sensitive": {"identifier": true}, "after_sensitive": false}
        }]
    });
    let g = graph_of(&plan);
    assert_eq!(
        g.nodes[0].sensitive()["identifier"],
        true,
        "the markers of `before`"
    );
    let out = run(&g, "id = \"t.rule\"\ntitle = \"t\"\nseverity = \"high\"\n[select]\ntypes = [\"aws_db_instance\"]\n[[assert]]\npath = \"$.identifier\"\nop = \"equals\"\nvalue = \"x\"\n");
    assert!(!out.contains("S3CR3T"), "leak via forget: {out}");
}

#[test]
fn a_sensitive_cidr_operand_is_not_quoted() {
    let plan = json!({
        "format_version": "1.2",
        "resource_changes": [{
            "address": "aws_route.a", "mode": "managed", "type": "aws_route", "name": "a",
            "provider_name": "registry.terraform.io/hashicorp/aws",
            "change": {"actions": ["create"], "before": null,
                       "after": {"destination_cidr_block": "10.0.0.0/16", "note": "S3CR3Tcidr"},
                       "after_unknown": {},
                       "before_sensitive": false, "after_sensitive": {"note": true}}
        }]
    });
    let g = graph_of(&plan);
    let out = run(&g, "id = \"t.rule\"\ntitle = \"t\"\nseverity = \"high\"\n[select]\ntypes = [\"aws_route\"]\n[[assert]]\npath = \"$.destination_cidr_block\"\nop = \"cidr_within\"\nvalue_path = \"self:$.note\"\n");
    assert!(!out.contains("S3CR3T"), "leak via cidr operand: {out}");
}

#[test]
fn a_sensitive_regex_operand_is_not_quoted() {
    let plan = json!({
        "format_version": "1.2",
        "resource_changes": [{
            "address": "aws_route.a", "mode": "managed", "type": "aws_route", "name": "a",
            "provider_name": "registry.terraform.io/hashicorp/aws",
            "change": {"actions": ["create"], "before": null,
                       "after": {"destination_cidr_block": "10.0.0.0/16", "note": "S3CR3T(unclosed"},
                       "after_unknown": {},
                       "before_sensitive": false, "after_sensitive": {"note": true}}
        }]
    });
    let g = graph_of(&plan);
    let out = run(&g, "id = \"t.rule\"\ntitle = \"t\"\nseverity = \"high\"\n[select]\ntypes = [\"aws_route\"]\n[[assert]]\npath = \"$.destination_cidr_block\"\nop = \"matches\"\nvalue_path = \"self:$.note\"\n");
    assert!(!out.contains("S3CR3T"), "leak via regex operand: {out}");
}

#[test]
fn bom_and_utf16_files_read_as_spans() {
    let plan = r#"{"format_version":"1.2","resource_changes":[{"address":"aws_vpc.a","mode":"managed","type":"aws_vpc","name":"a","provider_name":"p","change":{"actions":["create"],"before":null,"after":{"id":"vpc-0123456789abcdef0","cidr_block":"10.0.0.0/16"},"after_unknown":{},"before_sensitive":false,"after_sensitive":{}}}]}"#;
    let dir = std::env::temp_dir();
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(plan.as_bytes());
    let p1 = dir.join("review_bom.json");
    std::fs::write(&p1, &bom).unwrap();
    let mut u16 = vec![0xFF, 0xFE];
    for u in plan.encode_utf16() {
        u16.extend_from_slice(&u.to_le_bytes());
    }
    let p2 = dir.join("review_u16.json");
    std::fs::write(&p2, &u16).unwrap();
    for p in [p1, p2] {
        let g = Graph::from_document(plangate::plan::read(&p.display().to_string()).unwrap());
        assert_eq!(g.nodes[0].values()["cidr_block"], "10.0.0.0/16");
        assert_eq!(
            g.nodes[0].values_lazy().id_and_arn().0.as_deref(),
            Some("vpc-0123456789abcdef0")
        );
    }
}

#[test]
fn repeated_keys_in_value_joins_count_the_last() {
    // Subnet's vpc_id repeated: the parsed value keeps "vpc-other000000"; no join to the VPC.
    let text = r#"{"format_version":"1.2","resource_changes":[
      {"address":"aws_vpc.v","mode":"managed","type":"aws_vpc","name":"v","provider_name":"p",
       "change":{"actions":["no-op"],"before":{"id":"vpc-0123456789abcdef0"},"after":{"id":"vpc-0123456789abcdef0"},"after_unknown":{},"before_sensitive":{},"after_sensitive":{}}},
      {"address":"aws_subnet.s","mode":"managed","type":"aws_subnet","name":"s","provider_name":"p",
       "change":{"actions":["create"],"before":null,"after":{"vpc_id":"vpc-0123456789abcdef0","x":{"vpc_id":"vpc-0123456789abcdef0"},"vpc_id":"vpc-other000000","x":{"y":1}},"after_unknown":{},"before_sensitive":false,"after_sensitive":{}}},
      {"address":"aws_subnet.t","mode":"managed","type":"aws_subnet","name":"t","provider_name":"p",
       "change":{"actions":["create"],"before":null,"after":{"vpc_id":"nope-000000","vpc_id":"vpc-0123456789abcdef0"},"after_unknown":{},"before_sensitive":false,"after_sensitive":{"vpc_id":true}}}
    ]}"#;
    let g = Graph::from_document(plangate::plan::parse("p.json", text.as_bytes()).unwrap());
    let edges: Vec<String> = g
        .edges()
        .iter()
        .map(|e| {
            format!(
                "{}->{} {} {:?}",
                g.nodes[e.from].address, g.nodes[e.to].address, e.attribute, e.via
            )
        })
        .collect();
    assert!(
        !edges.iter().any(|e| e.starts_with("aws_subnet.s")),
        "{edges:#?}"
    );
    assert!(edges
        .iter()
        .any(|e| e.starts_with("aws_subnet.t") && e.contains("(sensitive value)")));
}

/// Run plangate with `args` on `plan` written to a file; stdout and stderr together.
fn cli(plan: &serde_json::Value, args: &[&str]) -> String {
    let dir = std::env::temp_dir().join(format!("plangate-redaction-cases-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{}.json", args.join("-").replace(['/', ' '], "_")));
    std::fs::write(&file, serde_json::to_string(plan).unwrap()).unwrap();
    let out = Command::cargo_bin("plangate")
        .unwrap()
        .args(args)
        .arg(&file)
        .output()
        .unwrap();
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn secret_named_keys_inside_a_looked_up_attribute_are_masked() {
    let plan = json!({
        "format_version": "1.2",
        "terraform_version": "1.11.4",
        "planned_values": {"root_module": {}},
        "prior_state": {"format_version": "1.0", "values": {"root_module": {"resources": [{
            "address": "data.terraform_remote_state.net", "mode": "data",
            "type": "terraform_remote_state", "name": "net",
            "provider_name": "terraform.io/builtin/terraform",
            "values": {"backend": "s3", "config": {"bucket": "tf-state", "key": "net.tfstate",
                       "secret_key": "S3CR3Tremote", "access_key": "AKIAEXAMPLE"},
                       "outputs": {"vpc_id": "vpc-0123456789abcdef0"}},
            "sensitive_values": {"config": {}, "outputs": {}}
        }]}}},
        "configuration": {"root_module": {}}
    });
    for args in [
        &["prerequisites"][..],
        &["prerequisites", "--json"],
        &["check", "--format", "json"],
    ] {
        let out = cli(&plan, args);
        assert!(
            !out.contains("S3CR3T"),
            "{args:?} printed the secret:\n{out}"
        );
        assert!(
            out.contains("tf-state"),
            "{args:?} no longer shows the bucket:\n{out}"
        );
    }
}

#[test]
fn sensitive_sizes_are_not_shown_in_the_cost_estimate() {
    let plan = json!({
        "format_version": "1.2",
        "terraform_version": "1.11.4",
        "resource_changes": [{
            "address": "aws_db_instance.db", "mode": "managed", "type": "aws_db_instance", "name": "db",
            "provider_name": "registry.terraform.io/hashicorp/aws",
            "change": {"actions": ["create"], "before": null,
                       "after": {"instance_class": "db.t3.micro", "allocated_storage": 987654,
                                 "storage_type": "gp2", "multi_az": false, "identifier": "db-test"},
                       "after_unknown": {"id": true},
                       "before_sensitive": false, "after_sensitive": {"allocated_storage": true}}
        }],
        "configuration": {"root_module": {}}
    });
    let out = cli(&plan, &["check", "--env", "test", "--format", "json"]);
    assert!(
        !out.contains("987654"),
        "the sensitive storage size was printed:\n{out}"
    );
    assert!(
        out.contains("sensitive sizes"),
        "the estimate no longer says why:\n{out}"
    );
}
