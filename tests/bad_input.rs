//! Bad input, end to end: every case in `testdata/bad/<case>/` runs `plangate` with the
//! arguments in `cmd` and must exit with the code and print exactly the stderr recorded in
//! `expected` (never a panic). `BLESS=1 cargo test` rewrites `expected` for review.

mod common;

#[test]
fn bad_inputs_give_one_clear_error_and_exit_2() {
    let cases = common::cases("testdata/bad");
    assert!(
        cases.len() >= 10,
        "expected the bad-input suite, found {cases:?}"
    );
    let mut failures = Vec::new();
    for case in &cases {
        let got = common::run_case(case);
        assert!(
            !got.contains("panicked"),
            "{}: plangate panicked:\n{got}",
            case.display()
        );
        assert!(
            got.starts_with("exit: 2\n"),
            "{}: bad input must exit 2:\n{got}",
            case.display()
        );
        if let Some(diff) = common::compare_golden(&case.join("expected"), &got) {
            failures.push(format!("{}:\n{diff}", case.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
