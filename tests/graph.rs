//! Graph golden tests: for every plan in `testdata/plans/`, the resolved edges and unresolved
//! references (`plangate graph --format json`, rendered one per line) must equal
//! `testdata/graph/<plan>.txt`. `BLESS=1 cargo test` rewrites them for review.

mod common;

use std::path::Path;

fn edges_text(json: &[u8]) -> String {
    let g: serde_json::Value = serde_json::from_slice(json).expect("graph JSON");
    let mut lines = vec![format!(
        "kind: {}, nodes: {}",
        g["kind"].as_str().unwrap_or("?"),
        g["nodes"].as_array().map_or(0, Vec::len)
    )];
    let mut edges: Vec<String> = g["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} | {} -> {} | {}{}",
                e["from"].as_str().unwrap(),
                e["attribute"].as_str().unwrap(),
                e["to"].as_str().unwrap(),
                e["provenance"].as_str().unwrap(),
                if e["ambiguous"] == true {
                    " (ambiguous)"
                } else {
                    ""
                }
            )
        })
        .collect();
    edges.sort();
    lines.push(format!("edges: {}", edges.len()));
    lines.extend(edges);
    let unresolved = g["unresolved"].as_array().unwrap();
    lines.push(format!("unresolved: {}", unresolved.len()));
    for u in unresolved {
        lines.push(format!(
            "{} | {} | {} | {}",
            u["from"].as_str().unwrap(),
            u["attribute"].as_str().unwrap(),
            u["reference"].as_str().unwrap(),
            u["reason"].as_str().unwrap()
        ));
    }
    lines.join("\n") + "\n"
}

#[test]
fn graph_of_every_fixture_matches_its_golden_file() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut plans: Vec<_> = std::fs::read_dir(root.join("testdata/plans"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    plans.sort();
    assert!(plans.len() >= 7, "fixtures missing: {plans:?}");
    let mut failures = Vec::new();
    for p in &plans {
        let out = common::plangate()
            .args(["graph", "--format", "json"])
            .arg(p)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}: {}",
            p.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let got = edges_text(&out.stdout);
        let stem = p.file_stem().unwrap().to_string_lossy();
        let golden = root.join("testdata/graph").join(format!("{stem}.txt"));
        if let Some(diff) = common::compare_golden(&golden, &got) {
            failures.push(format!("{stem}:\n{diff}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The issue's acceptance: route → peering → VPC, instance by instance, through modules and
/// for_each, in DOT's `"FROM" -> "TO" [label="ATTRIBUTE"]` form.
#[test]
fn dot_shows_route_to_peering_to_vpc_per_instance() {
    let out = common::plangate()
        .args([
            "graph",
            "--format",
            "dot",
            "testdata/plans/peering-modules-foreach.json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let dot = String::from_utf8(out.stdout).unwrap();
    for line in [
        r#""aws_route.to_peer[\"app\"]" -> "aws_vpc_peering_connection.app_data" [label="vpc_peering_connection_id"]"#,
        r#""aws_route.to_peer[\"data\"]" -> "aws_vpc_peering_connection.app_data" [label="vpc_peering_connection_id"]"#,
        r#""aws_vpc_peering_connection.app_data" -> "module.vpc[\"app\"].aws_vpc.this" [label="vpc_id"]"#,
        r#""aws_vpc_peering_connection.app_data" -> "module.vpc[\"data\"].aws_vpc.this" [label="peer_vpc_id"]"#,
        r#""aws_route.to_peer[\"app\"]" -> "module.vpc[\"app\"].aws_route_table.this" [label="route_table_id"]"#,
        r#""aws_route.to_peer[\"data\"]" -> "module.vpc[\"data\"].aws_route_table.this" [label="route_table_id"]"#,
    ] {
        assert!(
            dot.lines().any(|l| l.trim() == line),
            "missing {line} in\n{dot}"
        );
    }
}
