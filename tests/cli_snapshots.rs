//! Whole-output snapshots of every format on the shipped example plans: each folder of
//! `testdata/cli/` runs the arguments in `cmd` and must print exactly `expected` (exit code,
//! stdout, stderr). `BLESS=1 cargo test --test cli_snapshots` rewrites them for review.

mod common;

#[test]
fn every_format_matches_its_snapshot() {
    let cases = common::cases("testdata/cli");
    assert!(cases.len() >= 8, "snapshot cases missing: {cases:?}");
    let mut failures = Vec::new();
    for case in &cases {
        let got = common::run_case(case);
        assert!(!got.contains("panicked"), "{}:\n{got}", case.display());
        if let Some(diff) = common::compare_golden(&case.join("expected"), &got) {
            failures.push(format!("{}:\n{diff}", case.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// No sensitive value of the fixtures appears in any format.
#[test]
fn no_format_prints_a_sensitive_value() {
    const SECRETS: [&str; 2] = ["not-a-real-password-4f8b2c", "not-a-real-password-9e3d1a"];
    for plan in [
        "testdata/plans/rds-test-env.json",
        "testdata/plans/cicd-stack-test.json",
        "testdata/plans/external-lookups.json",
    ] {
        for format in ["table", "json", "sarif", "junit", "markdown", "github"] {
            let out = common::plangate()
                .args(["check", plan, "--verbose", "--format", format])
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout).to_string()
                + &String::from_utf8_lossy(&out.stderr);
            for s in SECRETS {
                assert!(
                    !text.contains(s),
                    "{plan} --format {format} printed a sensitive value"
                );
            }
        }
        let out = common::plangate()
            .args(["prerequisites", plan, "--json"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        for s in SECRETS {
            assert!(
                !text.contains(s),
                "{plan}: prerequisites printed a sensitive value"
            );
        }
    }
}
