//! Conformance: every real plan in `../shared/plans/real/` (public projects' `terraform show
//! -json` output, listed in its SOURCES.md) must load and produce a graph; states must be
//! recognised as states. Skips, saying so, when that folder is absent.

#![allow(clippy::print_stderr)]

mod common;

use std::path::Path;

#[test]
fn every_real_plan_loads_and_produces_a_graph() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/plans/real");
    if !dir.is_dir() {
        eprintln!(
            "SKIPPED: {} is absent; the real-plan conformance test did not run",
            dir.display()
        );
        return;
    }
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("read real plans")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} holds no .json files", dir.display());
    let mut failures = Vec::new();
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let out = common::plangate()
            .args(["graph", "--format", "json"])
            .arg(f)
            .output()
            .expect("run plangate");
        if out.status.code() != Some(0) {
            failures.push(format!(
                "{name}: graph exited {:?}: {}",
                out.status.code(),
                String::from_utf8_lossy(&out.stderr)
            ));
            continue;
        }
        let g: serde_json::Value = serde_json::from_slice(&out.stdout).expect("graph JSON");
        let count = |k: &str| g[k].as_array().map_or(0, Vec::len);
        let kind = g["kind"].as_str().unwrap_or("?").to_string();
        eprintln!(
            "{name}: {kind}, {} nodes, {} edges, {} unresolved",
            count("nodes"),
            count("edges"),
            count("unresolved")
        );
        // `check` must accept every plan that is complete, and name states and errored plans.
        let check = common::plangate()
            .arg("check")
            .arg(f)
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&check.stderr);
        let expect_refusal = kind == "state" || g["errored"] == true;
        match (expect_refusal, check.status.code()) {
            (false, Some(0 | 1)) => {}
            (true, Some(2)) if kind == "state" && stderr.contains("is a Terraform state") => {}
            (true, Some(2)) if stderr.contains("errored") => {}
            (_, code) => failures.push(format!("{name}: check exited {code:?}: {stderr}")),
        }
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
