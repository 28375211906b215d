//! `plangate check` and friends end to end: user policies in a temporary directory, exit
//! codes and `--fail-on`, several formats and outputs in one run, waivers, `rules`,
//! `explain`, `test`.

mod common;

use serde_json::Value;
use std::path::{Path, PathBuf};

/// A fresh directory under Cargo's per-test temporary area.
fn tempdir(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The three example policies of the language reference, copied as a user would keep them.
fn user_policies(name: &str) -> PathBuf {
    let d = tempdir(name);
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/policy-lang/examples");
    for f in [
        "database-class-too-large.toml",
        "bucket-without-public-access-block.toml",
        "route-not-to-peer-cidr.toml",
    ] {
        std::fs::copy(src.join(f), d.join(f)).unwrap();
    }
    d
}

fn json_check(policies: &Path, plan: &str, extra: &[&str]) -> (i32, Value) {
    let out = common::plangate()
        .args(["check", "--no-builtin", "--format", "json", "--policies"])
        .arg(policies)
        .arg(plan)
        .args(extra)
        .output()
        .unwrap();
    let code = out.status.code().unwrap();
    assert!(code != 2, "{}", String::from_utf8_lossy(&out.stderr));
    (
        code,
        serde_json::from_slice(&out.stdout).expect("JSON report"),
    )
}

fn status(report: &Value, rule: &str, resource: &str) -> String {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == rule && f["resource"] == resource)
        .map(|f| f["status"].as_str().unwrap().to_string())
        .unwrap_or_else(|| format!("no finding of {rule} on {resource}"))
}

#[test]
fn user_policies_from_a_directory_express_the_three_examples() {
    let dir = user_policies("user-policies");
    // "in test, aws_db_instance.instance_class must match db.t3.*"
    let (code, r) = json_check(
        &dir,
        "testdata/policy-lang/plans/db.json",
        &["--env", "test"],
    );
    assert_eq!(code, 1, "a high failure fails the default gate");
    let rule = "examples.database-class-too-large";
    assert_eq!(status(&r, rule, "aws_db_instance.large"), "fail");
    assert_eq!(status(&r, rule, "aws_db_instance.small"), "pass");
    assert_eq!(r["plans"][0]["environment"]["source"], "--env");
    // "every aws_s3_bucket must be referenced by an aws_s3_bucket_public_access_block"
    let (_, r) = json_check(&dir, "testdata/policy-lang/plans/s3.json", &[]);
    let rule = "examples.bucket-without-public-access-block";
    assert_eq!(status(&r, rule, "aws_s3_bucket.data"), "fail");
    assert_eq!(status(&r, rule, "aws_s3_bucket.logs"), "pass");
    // "every aws_route via a peering connection must point at the peer VPC's cidr_block"
    let (_, r) = json_check(&dir, "testdata/policy-lang/plans/peering.json", &[]);
    let rule = "examples.route-not-to-peer-cidr";
    assert_eq!(status(&r, rule, "aws_route.b_to_a_too_wide"), "fail");
    assert_eq!(status(&r, rule, "aws_route.a_to_b"), "pass");
    // An unknown value gives unknown, with the reason.
    assert_eq!(status(&r, rule, "aws_route.a_to_c"), "unknown");
    let unknown = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["resource"] == "aws_route.a_to_c")
        .unwrap();
    assert!(
        unknown["message"]
            .as_str()
            .unwrap()
            .contains("known only after apply"),
        "{unknown}"
    );
}

#[test]
fn fail_on_sets_the_threshold_and_never_reports_only() {
    let dir = user_policies("fail-on");
    let plan = "testdata/policy-lang/plans/db.json";
    let args = ["--env", "test"];
    assert_eq!(
        json_check(
            &dir,
            plan,
            &[&args[..], &["--fail-on", "critical"]].concat()
        )
        .0,
        0
    );
    assert_eq!(
        json_check(&dir, plan, &[&args[..], &["--fail-on", "high"]].concat()).0,
        1
    );
    assert_eq!(
        json_check(&dir, plan, &[&args[..], &["--fail-on", "never"]].concat()).0,
        0
    );
    // Unknowns fail the gate only when asked.
    let peering = "testdata/policy-lang/plans/peering.json";
    let (_, r) = json_check(&dir, peering, &["--fail-on", "critical"]);
    assert!(r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f.get("blocking").is_none()));
    let (code, r) = json_check(&dir, peering, &["--fail-on", "info", "--fail-on-unknown"]);
    assert_eq!(code, 1);
    let blocking_unknown = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["status"] == "unknown" && f["blocking"] == true);
    assert!(blocking_unknown, "{r}");
}

#[test]
fn several_formats_go_to_their_outputs_in_one_run() {
    let dir = user_policies("formats");
    let out_dir = tempdir("formats-out");
    let (json, sarif, md) = (
        out_dir.join("r.json"),
        out_dir.join("r.sarif"),
        out_dir.join("r.md"),
    );
    let out = common::plangate()
        .args(["check", "--no-builtin", "--env", "test", "--policies"])
        .arg(&dir)
        .arg("testdata/policy-lang/plans/db.json")
        .args(["--format", "json", "--output"])
        .arg(&json)
        .args(["--format", "sarif", "--output"])
        .arg(&sarif)
        .args(["--format", "markdown", "--output"])
        .arg(&md)
        .args(["--format", "table"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(
        table.contains("examples.database-class-too-large"),
        "{table}"
    );
    let j: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(j["summary"]["failed"], 1);
    let s: Value = serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    assert_eq!(s["version"], "2.1.0");
    let m = std::fs::read_to_string(&md).unwrap();
    assert!(m.starts_with("<!-- plangate -->\n## ❌"), "{m}");
    // Two formats on stdout is a usage error.
    let out = common::plangate()
        .args([
            "check",
            "--format",
            "json",
            "--format",
            "table",
            "testdata/policy-lang/plans/db.json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn waivers_waive_until_they_expire_and_stale_ones_are_warned() {
    let dir = user_policies("waivers");
    let cfg = dir.join("plangate.toml");
    let write = |expires: &str| {
        std::fs::write(
            &cfg,
            format!(
                "[[waiver]]\nrule = \"examples.database-class-too-large\"\nresource = \"aws_db_instance.large\"\nreason = \"load test until the migration\"\nowner = \"team-data\"\nexpires = {expires}\n\n[[waiver]]\nrule = \"examples.nothing-*\"\nreason = \"left over\"\nexpires = 2099-01-01\n"
            ),
        )
        .unwrap();
    };
    let run = || {
        common::plangate()
            .env("PLANGATE_TODAY", "2026-11-23")
            .args([
                "check",
                "--no-builtin",
                "--env",
                "test",
                "--format",
                "json",
                "--policies",
            ])
            .arg(&dir)
            .arg("--config")
            .arg(&cfg)
            .arg("testdata/policy-lang/plans/db.json")
            .output()
            .unwrap()
    };
    write("2027-01-31");
    let out = run();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        status(
            &r,
            "examples.database-class-too-large",
            "aws_db_instance.large"
        ),
        "waived"
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("warning: waiver for rule examples.nothing-* matched no failing finding"),
        "{stderr}"
    );
    write("2026-11-01");
    let out = run();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("expired on 2026-11-01"), "{stderr}");
}

#[test]
fn rules_explain_and_test_commands() {
    let dir = user_policies("rules");
    let out = common::plangate()
        .args(["rules", "--no-builtin", "--policies"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(out.status.success());
    let list = String::from_utf8(out.stdout).unwrap();
    assert!(list.contains("examples.route-not-to-peer-cidr"), "{list}");
    let out = common::plangate()
        .args([
            "rules",
            "show",
            "examples.database-class-too-large",
            "--no-builtin",
            "--policies",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .starts_with("# examples.database-class-too-large"));
    let out = common::plangate()
        .args([
            "explain",
            "testdata/plans/rds-test-env.json",
            "aws_db_instance.main",
            "--no-builtin",
            "--policies",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("\"password\": \"(sensitive)\""), "{text}");
    assert!(
        !text.contains("not-a-real-password"),
        "a sensitive value leaked:\n{text}"
    );
    assert!(
        text.contains("db_subnet_group_name <- aws_db_subnet_group.main (reference)"),
        "{text}"
    );
    assert!(
        text.contains("fail    examples.database-class-too-large"),
        "{text}"
    );
    let out = common::plangate()
        .args([
            "explain",
            "testdata/plans/rds-test-env.json",
            "aws_db_instance.nope",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = common::plangate()
        .args(["test", "testdata/policy-lang/examples"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn a_price_override_reaches_both_the_budget_rule_and_the_report_estimate() {
    let dir = tempdir("prices");
    std::fs::write(
        dir.join("budget.toml"),
        "id = \"cost.team-budget\"\ntitle = \"Over the team budget\"\nseverity = \"high\"\ncheck = \"environment-budget\"\n[select]\ntypes = [\"aws_db_instance\"]\n[params.default]\nbudget = 100\n[params.default.prices.rds_instance_hourly]\n\"db.r6g.large\" = 10.0\n",
    )
    .unwrap();
    let (code, r) = json_check(&dir, "testdata/plans/rds-test-env.json", &[]);
    assert_eq!(code, 1);
    let line = r["cost_estimate"]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["resource"] == "aws_db_instance.main")
        .expect("the database is priced");
    // 10 USD an hour, Multi-AZ, 730 hours: at least 14,600 USD before storage.
    assert!(line["monthly_cost"].as_f64().unwrap() >= 14_600.0, "{line}");
    assert_eq!(status(&r, "cost.team-budget", "(plan)"), "fail");
}

/// The policies load while the plans are read, but their errors still come first: a broken
/// policy is reported (exit 2) even when the plan is missing too, then a bad `--source-dir`,
/// then the plan.
#[test]
fn policy_errors_come_before_source_dir_and_plan_errors() {
    let dir = tempdir("broken-policy");
    std::fs::write(dir.join("p.toml"), "id = \"x.y\"\ntitle = 3\n").unwrap();
    let missing_plan = dir.join("no-such-plan.json");
    let missing_dir = dir.join("no-such-dir");
    let run = |args: &[&std::ffi::OsStr]| {
        let out = common::plangate().arg("check").args(args).output().unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (code, err) = run(&[
        "--policies".as_ref(),
        dir.as_os_str(),
        "--source-dir".as_ref(),
        missing_dir.as_os_str(),
        missing_plan.as_os_str(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("p.toml:2:9: invalid TOML"), "{err}");
    assert!(
        !err.contains("no-such-dir") && !err.contains("no-such-plan"),
        "{err}"
    );
    let (code, err) = run(&[
        "--source-dir".as_ref(),
        missing_dir.as_os_str(),
        missing_plan.as_os_str(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--source-dir") && !err.contains("no-such-plan"),
        "{err}"
    );
    let (code, err) = run(&[missing_plan.as_os_str()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no-such-plan.json"), "{err}");
    // Standard input is not read when the policies do not load, nor after a bad
    // --source-dir: a writer that never closes it does not hold the run (the child is killed,
    // and the test fails, if it waits).
    let code_with_open_stdin = |args: &[&std::ffi::OsStr]| {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_plangate"))
            .args(["check", "-"])
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let _open_stdin = child.stdin.take();
        let start = std::time::Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break Some(status);
            }
            if start.elapsed() > std::time::Duration::from_secs(60) {
                child.kill().unwrap();
                break None;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        status.and_then(|s| s.code())
    };
    assert_eq!(
        code_with_open_stdin(&["--policies".as_ref(), dir.as_os_str()]),
        Some(2),
        "waited for standard input"
    );
    assert_eq!(
        code_with_open_stdin(&["--source-dir".as_ref(), missing_dir.as_os_str()]),
        Some(2),
        "waited for standard input after a bad --source-dir"
    );
}
