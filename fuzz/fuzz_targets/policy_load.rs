//! Fuzz target: any bytes, as the text of a TOML policy file → the policy loader
//! (`policy::load_texts`, the path the CLI takes for a user's policy files). Must never panic or
//! hang; a bad file must come back as an `Error` listing problems that each name the file.

#![no_main]

use libfuzzer_sys::fuzz_target;
use plangate::error::Error;
use plangate::policy::{load_texts, Text};

const FILE: &str = "fuzz.toml";

fuzz_target!(|bytes: &[u8]| {
    // A policy file is UTF-8 text; reading it as a `String` refuses other bytes first.
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let texts = vec![Text {
        file: FILE.to_string(),
        text: text.to_string(),
        page: None,
        builtin: false,
    }];
    match load_texts(texts) {
        Ok(policies) => assert_eq!(policies.len(), 1),
        Err(Error::Policy { problems }) => {
            assert!(!problems.is_empty(), "refused without saying why");
            for p in &problems {
                assert_eq!(p.file, FILE, "problem does not name the file: {p}");
            }
        }
        Err(e) => panic!("a policy text failed with a non-policy error: {e}"),
    }
});
