//! The machine-read reports against their schemas (SARIF 2.1.0, our JSON report), the
//! Markdown comment through a real Markdown renderer, and redaction in every format.

#![allow(clippy::print_stderr)]

use plangate::report::extras::{
    CostEstimate, CostLine, NetworkDiagram, Peering, Prerequisite, Route, RouteState, RouteTable,
    Vpc,
};
use plangate::report::{
    github, json, junit, markdown, sarif, table, Environment, Evidence, Finding, PlanInfo, Report,
    RuleInfo, Severity, Status, WaiverRef,
};
use plangate::source_map::SourceMap;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

const SECRET: &str = "hunter2-s3cr3t-value";

fn finding(rule: &str, severity: Severity, status: Status, resource: &str) -> Box<Finding> {
    Box::new(Finding {
        rule: rule.into(),
        severity,
        status,
        resource: resource.into(),
        plan: "plans/network.json".into(),
        message: format!("{resource} breaks {rule}"),
        evidence: vec![Evidence {
            path: "$.cidr_block".into(),
            resource: resource.into(),
            value: Some(json!("10.0.0.0/16").into()),
            unknown: false,
            redacted: false,
        }],
        related: vec!["aws_vpc.a".into()],
        remediation: Some("add the route | both sides".into()),
        waiver: None,
        blocking: false,
    })
}

/// A report that uses every part of the model: all statuses, waivers, evidence kinds,
/// several plans, and every extras section.
fn full_report() -> Report {
    let plan = |file: &str| PlanInfo {
        file: file.into(),
        terraform_version: Some("1.9.5".into()),
        format_version: "1.2".into(),
        environment: Environment {
            name: "test".into(),
            raw: "pr-12".into(),
            source: "variable environment".into(),
        },
        notes: vec!["no configuration section: references not resolved".into()],
    };
    let rule = |id: &str, severity, docs: Option<&str>| RuleInfo {
        id: id.into(),
        title: format!("Title of {id}"),
        severity,
        remediation: Some("Do the right thing.".into()),
        docs: docs.map(str::to_string),
    };
    let mut waived = finding(
        "cost.oversized-database-class",
        Severity::High,
        Status::Waived,
        "aws_db_instance.legacy",
    );
    waived.waiver = Some(Box::new(WaiverRef {
        reason: "migrating in Q3".into(),
        owner: Some("team-db".into()),
        expires: "2030-01-01".into(),
    }));
    let mut unknown = finding(
        "network.peering-route-missing",
        Severity::Medium,
        Status::Unknown,
        "module.net[\"b\"].aws_route.r[0]",
    );
    unknown.evidence[0].value = None;
    unknown.evidence[0].unknown = true;
    let mut other_plan = finding(
        "s3.public-bucket",
        Severity::Low,
        Status::Pass,
        "aws_s3_bucket.logs",
    );
    other_plan.plan = "plans/storage.json".into();
    let mut report = Report::new(
        vec![plan("plans/network.json"), plan("plans/storage.json")],
        vec![
            rule(
                "network.peering-route-missing",
                Severity::Critical,
                Some("https://example.com/rules/network.peering-route-missing"),
            ),
            rule(
                "cost.oversized-database-class",
                Severity::High,
                Some("policies/cost/oversized-database-class.md"),
            ),
            rule("s3.public-bucket", Severity::Low, None),
        ],
        vec![
            finding(
                "network.peering-route-missing",
                Severity::Critical,
                Status::Fail,
                "module.net[\"a\"].aws_route_table.rt",
            ),
            unknown,
            waived,
            other_plan,
            finding(
                "s3.public-bucket",
                Severity::Info,
                Status::Fail,
                "aws_s3_bucket.x",
            ),
        ],
    );
    report.extras.cost_estimate = Some(CostEstimate {
        estimate: true,
        currency: "USD".into(),
        total_monthly_cost: 187.2,
        partial: true,
        price_source: "built-in AWS on-demand table, us-east-1".into(),
        price_date: "2025-01-15".into(),
        lines: vec![
            CostLine {
                resource: "aws_db_instance.legacy".into(),
                plan: "plans/network.json".into(),
                resource_type: "aws_db_instance".into(),
                description: "db.r6g.large, 730 h".into(),
                monthly_cost: Some(187.2),
                note: None,
            },
            CostLine {
                resource: "aws_nat_gateway.a".into(),
                plan: "plans/network.json".into(),
                resource_type: "aws_nat_gateway".into(),
                description: "NAT gateway".into(),
                monthly_cost: None,
                note: Some("no price in the table".into()),
            },
        ],
        notes: vec!["730 hours a month".into()],
    });
    report.extras.prerequisites = vec![Prerequisite {
        address: "data.aws_vpc.shared".into(),
        plan: "plans/network.json".into(),
        data_type: "aws_vpc".into(),
        classification: "network".into(),
        value: Some(json!("vpc-0abc")),
        unknown: false,
        redacted: false,
        dependants: vec!["aws_vpc_peering_connection.ab".into()],
        deferred: None,
    }];
    report.extras.network_diagrams = vec![NetworkDiagram {
        title: "peering aws_vpc_peering_connection.ab".into(),
        plan: "plans/network.json".into(),
        rule: Some("network.peering-route-missing".into()),
        vpcs: vec![
            Vpc {
                key: "aws_vpc.a".into(),
                cidrs: vec!["10.0.0.0/16".into()],
                external: false,
            },
            Vpc {
                key: "vpc-0abc".into(),
                cidrs: vec!["10.1.0.0/16".into()],
                external: true,
            },
        ],
        peerings: vec![Peering {
            address: "aws_vpc_peering_connection.ab".into(),
            requester: "aws_vpc.a".into(),
            accepter: "vpc-0abc".into(),
        }],
        route_tables: vec![RouteTable {
            address: "module.net[\"a\"].aws_route_table.rt".into(),
            vpc: "aws_vpc.a".into(),
        }],
        routes: vec![Route {
            route_table: "module.net[\"a\"].aws_route_table.rt".into(),
            destination: "10.1.0.0/16".into(),
            peering: "aws_vpc_peering_connection.ab".into(),
            state: RouteState::Missing,
        }],
    }];
    report
}

fn crate_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn load_json(path: &Path) -> Option<Value> {
    let text = std::fs::read_to_string(path).ok()?;
    Some(serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

/// Validate, listing every error.
fn assert_valid(schema: &Value, doc: &Value, what: &str) {
    let validator = jsonschema::draft7::new(schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not validate:\n{}\n{}",
        errors.join("\n"),
        serde_json::to_string_pretty(doc).unwrap()
    );
}

/// The OASIS schema, made to validate the whole log: the copy in `shared/schemas` keeps the
/// root object's constraints under `definitions/Root` with nothing at the top level, so
/// validating against the file as is would accept anything.
fn sarif_schema() -> Option<Value> {
    let path = crate_path("../shared/schemas/sarif-schema-2.1.0.json");
    let Some(mut schema) = load_json(&path) else {
        eprintln!(
            "SKIPPED: {} not found; SARIF output not validated against the OASIS schema",
            path.display()
        );
        return None;
    };
    let constrains_root = ["type", "properties", "$ref", "required"]
        .iter()
        .any(|k| schema.get(k).is_some());
    if !constrains_root && schema["definitions"].get("Root").is_some() {
        schema["$ref"] = json!("#/definitions/Root");
    }
    // The `language` properties have the upstream pattern
    // `^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$`: a lone `]` is a literal in ECMA-262, but the
    // validator's meta-schema check refuses it. `\]` means the same and compiles.
    fix_patterns(&mut schema);
    Some(schema)
}

fn fix_patterns(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                match x {
                    Value::String(p) if k == "pattern" && p.ends_with("}]?$") => {
                        *p = p.replace("}]?$", "}\\]?$");
                    }
                    _ => fix_patterns(x),
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(fix_patterns),
        _ => {}
    }
}

fn render_sarif(report: &Report, map: Option<&SourceMap>) -> Value {
    let mut buf = Vec::new();
    sarif::render(report, sarif::Options { source_map: map }, &mut buf).unwrap();
    serde_json::from_slice(&buf).unwrap()
}

/// A Terraform root with a local module, for physical locations. Tests run in parallel: each
/// gets its own folder (`name`).
fn terraform_root(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "plangate-report-schemas-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("modules/net")).unwrap();
    std::fs::write(
        dir.join("main.tf"),
        "resource \"aws_s3_bucket\" \"x\" {}\n\nmodule \"net\" {\n  for_each = toset([\"a\", \"b\"])\n  source = \"./modules/net\"\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("modules/net/main.tf"),
        "# routes\nresource \"aws_route_table\" \"rt\" {}\n\nresource \"aws_route\" \"r\" {\n  count = 1\n}\n",
    )
    .unwrap();
    dir
}

/// GitHub code scanning refuses the whole file when a result has no location, or a location
/// without `physicalLocation.artifactLocation.uri` (its ingestion rule GH1001).
fn assert_github_ingestible(log: &Value) {
    for r in log["runs"][0]["results"].as_array().unwrap() {
        let locations = r["locations"].as_array().unwrap();
        assert!(!locations.is_empty(), "{r}");
        for l in locations
            .iter()
            .chain(r["relatedLocations"].as_array().into_iter().flatten())
        {
            assert!(
                l["physicalLocation"]["artifactLocation"]["uri"].is_string(),
                "{l}"
            );
        }
    }
}

#[test]
fn sarif_validates_against_the_oasis_schema() {
    let Some(schema) = sarif_schema() else { return };
    // The validator must actually constrain the root: a log without runs is refused.
    let validator = jsonschema::draft7::new(&schema).expect("schema compiles");
    assert!(!validator.is_valid(&json!({"version": "2.1.0"})));
    assert!(!validator.is_valid(&json!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"message": {"text": "m"}, "level": "fatal"}]}]})));

    let report = full_report();
    let plain = render_sarif(&report, None);
    assert_valid(&schema, &plain, "SARIF without a source map");
    assert_github_ingestible(&plain);

    let dir = terraform_root("sarif");
    let map = SourceMap::load(&dir).unwrap();
    let located = render_sarif(&report, Some(&map));
    assert_valid(&schema, &located, "SARIF with a source map");
    assert_github_ingestible(&located);
    let results = located["runs"][0]["results"].as_array().unwrap();
    let first = &results[0]["locations"][0];
    let uri = first["physicalLocation"]["artifactLocation"]["uri"]
        .as_str()
        .unwrap();
    assert!(uri.ends_with("/modules/net/main.tf"), "{uri}");
    assert_eq!(first["physicalLocation"]["region"]["startLine"], 2);
    assert_eq!(
        first["logicalLocations"][0]["fullyQualifiedName"],
        "module.net[\"a\"].aws_route_table.rt"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn json_validates_against_the_documented_schema() {
    let path = crate_path("docs/json-report.schema.json");
    let schema = load_json(&path).expect("docs/json-report.schema.json exists");
    let validator = jsonschema::draft7::new(&schema).expect("schema compiles");
    let mut buf = Vec::new();
    json::render(&full_report(), &mut buf).unwrap();
    let doc: Value = serde_json::from_slice(&buf).unwrap();
    assert_valid(&schema, &doc, "JSON report");
    // And the schema is not a rubber stamp.
    let mut bad = doc.clone();
    bad["findings"][0]["status"] = json!("broken");
    assert!(!validator.is_valid(&bad));
    let mut bad = doc.clone();
    bad["findings"][0]
        .as_object_mut()
        .unwrap()
        .remove("resource");
    assert!(!validator.is_valid(&bad));
    let mut bad = doc;
    bad["network_diagrams"][0]["routes"][0]["state"] = json!("gone");
    assert!(!validator.is_valid(&bad));
}

#[test]
fn minimal_json_report_validates_too() {
    let path = crate_path("docs/json-report.schema.json");
    let schema = load_json(&path).expect("docs/json-report.schema.json exists");
    let report = Report::new(vec![], vec![], vec![]);
    let mut buf = Vec::new();
    json::render(&report, &mut buf).unwrap();
    let doc: Value = serde_json::from_slice(&buf).unwrap();
    assert_valid(&schema, &doc, "empty JSON report");
}

#[test]
fn json_schema_example_in_the_docs_validates() {
    // docs/json-report.md's example is the fenced ```json block after "## Example".
    let md = std::fs::read_to_string(crate_path("docs/json-report.md")).unwrap();
    let example = md
        .split("## Example")
        .nth(1)
        .and_then(|s| s.split("```json\n").nth(1))
        .and_then(|s| s.split("\n```").next())
        .expect("an example in docs/json-report.md");
    let doc: Value = serde_json::from_str(example).expect("the example is JSON");
    let schema = load_json(&crate_path("docs/json-report.schema.json")).unwrap();
    assert_valid(&schema, &doc, "docs/json-report.md example");
}

fn render_markdown(report: &Report) -> String {
    let mut buf = Vec::new();
    markdown::render(report, markdown::Options::default(), &mut buf).unwrap();
    String::from_utf8(buf).unwrap()
}

fn to_html(md: &str) -> String {
    use pulldown_cmark::{html, Options, Parser};
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_TABLES);
    opts.insert(Options::ENABLE_STRIKETHROUGH);
    let mut html_out = String::new();
    html::push_html(&mut html_out, Parser::new_ext(md, opts));
    html_out
}

#[test]
fn markdown_renders_with_a_mermaid_block_and_intact_tables() {
    let md = render_markdown(&full_report());
    assert!(md.starts_with("<!-- plangate -->\n"));
    let html = to_html(&md);
    // The diagram is a fenced ```mermaid block: GitHub draws code blocks of that language.
    let start = html
        .find("<pre><code class=\"language-mermaid\">")
        .unwrap_or_else(|| panic!("no mermaid code block in:\n{html}"));
    let block = &html[start..];
    let block = &block[..block.find("</code></pre>").unwrap()];
    assert!(block.contains("flowchart LR"), "{block}");
    assert!(block.contains("❌ missing 10.1.0.0/16"), "{block}");
    assert!(block.contains("linkStyle"), "{block}");
    // Labels with quotes use Mermaid's entity, not a raw quote that would end the label.
    assert!(
        block.contains("module.net[#quot;a#quot;].aws_route_table.rt"),
        "{block}"
    );
    // Every table row keeps its column count although values hold `|`.
    for table in html.split("<table>").skip(1) {
        let table = &table[..table.find("</table>").unwrap()];
        let head = table.matches("</th>").count();
        for row in table.split("<tr>").skip(2) {
            assert_eq!(row.matches("</td>").count(), head, "row {row} in {table}");
        }
    }
    // Escaped values come out as the text they were.
    assert!(html.contains("add the route | both sides"), "{html}");
    assert!(
        html.contains("<code>module.net[\"a\"].aws_route_table.rt</code>"),
        "{html}"
    );
    assert!(
        html.contains("<details><summary>✅ Passed (1)</summary>"),
        "{html}"
    );
}

/// A report full of sensitive values, each marked redacted; some producers might even leave
/// the value in place, which no format we own may print.
fn sensitive_report(leave_values: bool) -> Report {
    let mut r = full_report();
    for f in &mut r.findings {
        for e in &mut f.evidence {
            e.redacted = true;
            e.unknown = false;
            e.value = leave_values.then(|| json!(SECRET).into());
        }
        f.evidence.push(Evidence {
            path: "$.password".into(),
            resource: f.resource.clone(),
            value: leave_values.then(|| json!({ "nested": SECRET }).into()),
            unknown: false,
            redacted: true,
        });
    }
    for p in &mut r.extras.prerequisites {
        p.redacted = true;
        p.value = leave_values.then(|| json!(SECRET));
    }
    r
}

#[test]
fn redacted_values_appear_in_no_format() {
    let dir = terraform_root("redaction");
    let map = SourceMap::load(&dir).unwrap();
    let outputs = |r: &Report, with_json: bool| {
        let mut out: Vec<(&str, Vec<u8>)> = Vec::new();
        let mut b = Vec::new();
        table::render(
            r,
            table::Options {
                color: false,
                verbose: true,
            },
            &mut b,
        )
        .unwrap();
        out.push(("table", b));
        let mut b = Vec::new();
        sarif::render(
            r,
            sarif::Options {
                source_map: Some(&map),
            },
            &mut b,
        )
        .unwrap();
        out.push(("sarif", b));
        let mut b = Vec::new();
        junit::render(r, &mut b).unwrap();
        out.push(("junit", b));
        let mut b = Vec::new();
        markdown::render(r, markdown::Options::default(), &mut b).unwrap();
        out.push(("markdown", b));
        let mut b = Vec::new();
        github::render(
            r,
            github::Options {
                source_map: Some(&map),
            },
            &mut b,
        )
        .unwrap();
        out.push(("github", b));
        if with_json {
            let mut b = Vec::new();
            json::render(r, &mut b).unwrap();
            out.push(("json", b));
        }
        out
    };
    // Values left on redacted evidence: the renderers check the flag, not only the value.
    // The JSON report serialises the model as is, so it relies on the model's contract
    // (redacted ⇒ no value) and is checked on a report that keeps it.
    for (format, bytes) in outputs(&sensitive_report(true), false)
        .into_iter()
        .chain(outputs(&sensitive_report(false), true))
    {
        let text = String::from_utf8(bytes).unwrap();
        assert!(
            !text.contains(SECRET),
            "{format} printed a redacted value:\n{text}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn github_annotations_and_junit_use_locations_and_plans() {
    let dir = terraform_root("github");
    let map = SourceMap::load(&dir).unwrap();
    let report = full_report();
    let mut buf = Vec::new();
    github::render(
        &report,
        github::Options {
            source_map: Some(&map),
        },
        &mut buf,
    )
    .unwrap();
    let out = String::from_utf8(buf).unwrap();
    let first = out.lines().next().unwrap();
    let file = format!("{}/modules/net/main.tf", dir.display()).replace(':', "%3A");
    assert!(
        first.starts_with(&format!(
            "::error file={file},line=2,title=network.peering-route-missing (critical)::"
        )),
        "{out}"
    );
    // Several plans: the plan names the resource.
    assert!(first.contains("::plans/network.json: module.net"), "{out}");
    let mut buf = Vec::new();
    junit::render(&report, &mut buf).unwrap();
    let xml = String::from_utf8(buf).unwrap();
    assert!(
        xml.contains("name=\"aws_s3_bucket.logs (plans/storage.json)\"/>"),
        "{xml}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The CLI's own output on real fixtures (every pack, waivers, extras) validates too.
#[test]
fn cli_output_on_the_fixtures_validates() {
    let json_schema = load_json(&crate_path("docs/json-report.schema.json")).expect("schema");
    let sarif = sarif_schema();
    for plan in [
        "testdata/plans/cicd-stack-test.json",
        "testdata/plans/mesh-modules.json",
        "testdata/plans/external-lookups.json",
    ] {
        for format in ["json", "sarif"] {
            let out = assert_cmd::Command::cargo_bin("plangate")
                .unwrap()
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .args(["check", plan, "--format", format])
                .output()
                .unwrap();
            assert!(
                matches!(out.status.code(), Some(0 | 1)),
                "{plan}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
            match format {
                "json" => assert_valid(&json_schema, &doc, &format!("{plan} --format json")),
                _ => {
                    if let Some(s) = &sarif {
                        assert_valid(s, &doc, &format!("{plan} --format sarif"));
                    }
                }
            }
        }
    }
}
