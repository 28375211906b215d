//! Bad input, end to end: every case in `testdata/bad/<case>/` runs `plangate` with the
//! arguments in `cmd` and must exit with the code and print exactly the output recorded in
//! `expected` (never a panic). `BLESS=1 cargo test` rewrites `expected` for review.
//!
//! A case is either refused (exit 2, one `error:` paragraph on stderr) or, for a plan that is
//! odd but readable (a section missing, references that lead nowhere or in a cycle), read with
//! a degraded graph (exit 0, nothing on stderr). Nothing else is allowed: no panic, no exit 1,
//! no output followed by an error.

mod common;

#[test]
fn bad_inputs_are_refused_clearly_or_read_degraded() {
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
        let refused = got.starts_with("exit: 2\n--- stderr\nerror: ") && got.lines().count() == 3;
        let read = got.starts_with("exit: 0\n--- stdout\n") && !got.contains("\n--- stderr\n");
        assert!(
            refused || read,
            "{}: bad input must be refused (exit 2, one error) or read (exit 0, no error):\n{got}",
            case.display()
        );
        if let Some(diff) = common::compare_golden(&case.join("expected"), &got) {
            failures.push(format!("{}:\n{diff}", case.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
