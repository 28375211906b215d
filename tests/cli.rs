//! CLI end to end: encodings, standard input, help and usage errors.

mod common;

use std::path::Path;

const PLAN: &str = "testdata/plans/peering-two-sides.json";

fn graph_json(bytes: Vec<u8>) -> String {
    let out = common::plangate()
        .args(["graph", "--format", "json", "-"])
        .write_stdin(bytes)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn utf8() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(PLAN)).unwrap()
}

#[test]
fn utf16_and_bom_files_read_like_utf8() {
    let plain = graph_json(utf8().into_bytes());
    let mut bom8 = b"\xEF\xBB\xBF".to_vec();
    bom8.extend(utf8().bytes());
    let mut le = vec![0xFF, 0xFE];
    le.extend(utf8().encode_utf16().flat_map(u16::to_le_bytes));
    let mut be = vec![0xFE, 0xFF];
    be.extend(utf8().encode_utf16().flat_map(u16::to_be_bytes));
    assert!(plain.contains("aws_vpc_peering_connection.main"));
    assert_eq!(graph_json(bom8), plain, "UTF-8 with BOM");
    assert_eq!(graph_json(le), plain, "UTF-16LE with BOM (PowerShell >)");
    assert_eq!(graph_json(be), plain, "UTF-16BE with BOM");
}

#[test]
fn stdin_is_named_in_errors() {
    let out = common::plangate()
        .args(["check", "-"])
        .write_stdin("Terraform will perform the following actions:\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with("error: <stdin>: this is the human-readable output"),
        "{err}"
    );
}

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    let out = common::plangate().arg("check").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = common::plangate()
        .args(["graph", "--format", "png", PLAN])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("possible values"));
    let out = common::plangate().arg("--help").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn graph_summary_of_a_state_says_state() {
    let out = common::plangate()
        .args(["graph", "testdata/plans/state.json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(
        s.starts_with("testdata/plans/state.json: state (format 1.0"),
        "{s}"
    );
}
