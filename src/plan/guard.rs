//! One pass over the JSON text before the typed parse: nesting depth, numbers out of range
//! and lone surrogate escapes.
//!
//! Resource values are kept as raw text (`RawValue`) and parsed only when a policy looks at
//! them. While skimming them, serde_json checks their syntax but not everything a later parse
//! into a `Value` refuses: a number beyond ±1.8e308 (Terraform writes a number as long as the
//! configuration makes it) or a `\ud800` escape with no other half. Such a value would fail to
//! parse later and every policy would see the resource as having no values at all. This pass
//! refuses those files up front, so that every value the read accepts parses later.

use super::SHOW_JSON_FIX;
use crate::error::{Error, Result};

/// Deepest nesting accepted; serde_json's own limit for parsed values, which raw values
/// (kept unparsed until a policy needs them) would otherwise only meet later.
pub const MAX_DEPTH: usize = 128;

/// Refuse what a later parse of a raw value would refuse. Bytes that are
/// not valid JSON are left to serde_json, which names the problem itself. Returns the deepest
/// nesting seen.
pub fn check(file: &str, text: &[u8]) -> Result<usize> {
    check_finding(file, text, b"").map(|(deepest, _)| deepest)
}

/// [`check`], which also finds the span of the value of the top-level key `key` when that
/// value is an array (`resource_changes`): the byte range from its `[` to its `]` (with the
/// key repeated, the last array found; the typed parse refuses a repeated key anyway). Found in the same pass, for the read to parse that array on
/// another thread as soon as the guard is done.
pub fn check_finding(
    file: &str,
    text: &[u8],
    key: &[u8],
) -> Result<(usize, Option<std::ops::Range<usize>>)> {
    // Repeated keys are accepted, and the last one counts, as in Terraform's own JSON reader
    // (Go's encoding/json) and serde_json: real plans carry such repeats inside values (a
    // provider schema bug, seen in a google_storage_bucket in `../shared/plans/real`). A
    // repeated key of the plan's own structure is refused by the typed parse ("duplicate
    // field"), with its position.
    let mut depth = 0usize;
    let mut deepest = 0usize;
    let mut i = 0;
    // Where the key's string ends, when the last top-level string read was the key: its
    // array is the next `[` at depth 1 with nothing but `:` and whitespace between them.
    let mut key_end: Option<usize> = None;
    let mut started: Option<usize> = None;
    let mut found = None;
    while i < text.len() {
        match text[i] {
            b'"' => {
                let end = string(file, text, i + 1)?;
                if depth == 1 && !key.is_empty() {
                    key_end = (text.get(i + 1..end - 1) == Some(key)).then_some(end);
                }
                i = end;
            }
            b'{' | b'[' => {
                if depth == MAX_DEPTH {
                    let (line, col) = position(text, i);
                    return Err(Error::input(
                        file,
                        format!("the JSON nests more than {MAX_DEPTH} levels deep at line {line}, column {col}; Terraform never writes such a plan, so this file is not `terraform show -json` output ({SHOW_JSON_FIX})"),
                    ));
                }
                // The key's value, or not: either way the key has had its value.
                if depth == 1 {
                    if let Some(k) = key_end.take() {
                        if text[i] == b'[' && value_at(text, k, i) {
                            started = Some(i);
                        }
                    }
                }
                depth += 1;
                deepest = deepest.max(depth);
                i += 1;
            }
            b'}' | b']' => {
                if depth == 2 && text[i] == b']' {
                    if let Some(start) = started.take() {
                        found = Some(start..i + 1);
                    }
                }
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b'-' | b'0'..=b'9' => i = number(file, text, i)?,
            _ => i += 1,
        }
    }
    Ok((deepest, found))
}

/// True when `text[from..to]` is one `:` between JSON whitespace: the value at `to` is the
/// one of the key that ends at `from`. Stops at the first other byte, so that the bytes
/// between a key and a bracket (in a malformed text, any number) are read at most once.
fn value_at(text: &[u8], from: usize, to: usize) -> bool {
    let mut colons = 0;
    for &b in &text[from..to] {
        match b {
            b':' => colons += 1,
            b' ' | b'\t' | b'\n' | b'\r' => {}
            _ => return false,
        }
    }
    colons == 1
}

/// Skip a string whose opening quote is just before `i`; returns the offset after its closing
/// quote (or the end of a truncated file).
fn string(file: &str, text: &[u8], mut i: usize) -> Result<usize> {
    loop {
        let Some(at) = quote_or_backslash(&text[i..]) else {
            return Ok(text.len());
        };
        i += at;
        if text[i] == b'"' {
            return Ok(i + 1);
        }
        i = if text.get(i + 1) == Some(&b'u') {
            unicode_escape(file, text, i)?
        } else {
            i + 2
        };
        if i >= text.len() {
            return Ok(text.len());
        }
    }
}

/// The first `"` or `\\` in `text`. A plan holds millions of short strings (keys, ids,
/// names; ~6 M in 100 MB), whose end is found here eight bytes at a time in plain integer
/// arithmetic; the SIMD search, whose setup costs more than a short string's bytes, takes
/// over after 64 bytes. That took the guard from ~115 to 65–80 ms on a ~100 MB plan.
fn quote_or_backslash(text: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const QUOTES: u64 = ONES * b'"' as u64;
    const BACKSLASHES: u64 = ONES * b'\\' as u64;
    // The lowest high bit of `(x - ONES) & !x & HIGH` marks the first zero byte of `x`
    // (higher ones may be false, which the lowest set bit never is).
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let mut i = 0;
    while let Some(chunk) = text.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        let hit = zero(w ^ QUOTES) | zero(w ^ BACKSLASHES);
        if hit != 0 {
            return Some(i + (hit.trailing_zeros() / 8) as usize);
        }
        i += 8;
        if i == 64 {
            return memchr::memchr2(b'"', b'\\', &text[i..]).map(|at| at + i);
        }
    }
    text[i..]
        .iter()
        .position(|&b| b == b'"' || b == b'\\')
        .map(|at| at + i)
}

/// A `\uXXXX` escape at `i` (the backslash). A high surrogate must be followed by `\u` and a
/// low one, and a low one must not stand alone; serde_json refuses both when it parses the
/// value into text. Returns the offset after the escape (or the pair).
fn unicode_escape(file: &str, text: &[u8], i: usize) -> Result<usize> {
    let unit = |at: usize| -> Option<u16> {
        let hex = std::str::from_utf8(text.get(at + 2..at + 6)?).ok()?;
        u16::from_str_radix(hex, 16).ok()
    };
    let Some(u) = unit(i) else {
        return Ok(i + 2); // not four hex digits: serde_json reports the bad escape
    };
    let low_follows =
        || text.get(i + 6..i + 8) == Some(b"\\u") && matches!(unit(i + 6), Some(0xDC00..=0xDFFF));
    match u {
        0xD800..=0xDBFF if low_follows() => Ok(i + 12),
        0xD800..=0xDFFF => {
            let (line, col) = position(text, i);
            Err(Error::input(
                file,
                format!("a string at line {line}, column {col} holds `\\u{u:04x}`, half of a UTF-16 surrogate pair without its other half, which is no character; Terraform never writes one, so the file was edited or written by another tool: {SHOW_JSON_FIX}"),
            ))
        }
        _ => Ok(i + 6),
    }
}

/// Skip a number starting at `start`; refuse one that does not fit a 64-bit float.
fn number(file: &str, text: &[u8], start: usize) -> Result<usize> {
    let len = text[start..]
        .iter()
        .position(|b| !matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
        .unwrap_or(text.len() - start);
    let token = &text[start..start + len];
    // Integers of up to 18 digits always fit; only longer ones and exponents can overflow.
    // The check is serde_json's own parse, so it refuses exactly what a later parse would.
    let may_overflow = len > 18 || token.iter().any(|b| matches!(b, b'e' | b'E'));
    if may_overflow && out_of_range(token) {
        let (line, col) = position(text, start);
        let shown = String::from_utf8_lossy(&token[..len.min(24)]);
        let more = if len > 24 { "…" } else { "" };
        return Err(Error::input(
            file,
            format!("the number `{shown}{more}` at line {line}, column {col} is out of range: plangate reads numbers as 64-bit floats, up to ±1.8e308; if the configuration really sets such a number, write it as a string or make it smaller, and plan again"),
        ));
    }
    Ok(start + len)
}

fn out_of_range(token: &[u8]) -> bool {
    matches!(
        serde_json::from_slice::<serde_json::Value>(token),
        Err(e) if e.to_string().starts_with("number out of range")
    )
}

/// 1-based line and column of a byte offset.
pub fn position(text: &[u8], offset: usize) -> (usize, usize) {
    let before = &text[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let col = offset
        - before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1)
        + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The span of the top-level key's array: the last one, never a nested one, never a
    /// string that only looks like the key.
    #[test]
    fn finds_the_top_level_array_of_a_key() {
        let span = |t: &str| {
            check_finding("p.json", t.as_bytes(), b"rc")
                .unwrap()
                .1
                .map(|r| t[r].to_string())
        };
        assert_eq!(
            span(r#"{"a":1,"rc":[1,[2]],"b":2}"#).as_deref(),
            Some("[1,[2]]")
        );
        assert_eq!(span(r#"{ "rc" : [ ] }"#).as_deref(), Some("[ ]"));
        assert_eq!(span(r#"{"rc":[1],"rc":[2]}"#).as_deref(), Some("[2]"));
        assert_eq!(span(r#"{"a":"rc","b":[1]}"#), None);
        assert_eq!(span(r#"{"a":{"rc":[1]}}"#), None);
        assert_eq!(span(r#"{"rc":null,"b":[1]}"#), None);
        assert_eq!(span(r#"{"r\u0063":[1]}"#), None);
        assert_eq!(span(r#"{"rc":[1,2"#), None);
        assert_eq!(span(r#"["rc",[1]]"#), None);
        assert_eq!(span(r#"{"rc":[1] [2]}"#).as_deref(), Some("[1]"));
    }

    /// A key followed by many arrays (malformed): the first array is the key's, the others
    /// are nobody's. (The key is let go at the first bracket, so the bytes back to it are
    /// read once, not once per array: with 600,000 arrays that was minutes.)
    #[test]
    fn a_key_followed_by_many_arrays_has_the_first() {
        let text = format!(r#"{{"rc":{}}}"#, "[1]".repeat(1000));
        let (_, found) = check_finding("p.json", text.as_bytes(), b"rc").unwrap();
        assert_eq!(found, Some(6..9));
        assert!(!value_at(b"x: :[", 1, 4));
        assert!(value_at(b"x \t:\n[", 1, 5));
        assert!(!value_at(b"x 1 [", 1, 4));
    }

    fn err(text: &str) -> String {
        match check("p.json", text.as_bytes()) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("accepted: {text}"),
        }
    }

    #[test]
    fn numbers_beyond_f64_are_refused() {
        assert!(err(r#"{"a":[1e400]}"#).contains("`1e400` at line 1, column 7"));
        assert!(err(r#"{"a":-1e400}"#).contains("`-1e400`"));
        let long = format!(r#"{{"a":1{}}}"#, "0".repeat(400));
        assert!(err(&long).contains("`100000000000000000000000…`"));
        for ok in [
            "18446744073709551616",
            "1e308",
            "-1e-400",
            "0e99999",
            "1.5E+3",
        ] {
            check("p.json", format!(r#"{{"a":{ok}}}"#).as_bytes()).unwrap();
        }
    }

    #[test]
    fn lone_surrogates_are_refused_and_pairs_accepted() {
        assert!(err(r#"{"a":"\ud800"}"#).contains("`\\ud800`"));
        assert!(err(r#"{"a":"x\udc00y"}"#).contains("`\\udc00`"));
        assert!(err(r#"{"\ud800\u0041":1}"#).contains("column 3"));
        check("p.json", br#"{"a":"\ud83d\ude00 \u00e9 \\ud800"}"#).unwrap();
    }

    #[test]
    fn string_ends_are_found_as_a_byte_search_finds_them() {
        let naive = |t: &[u8]| t.iter().position(|&b| b == b'"' || b == b'\\');
        // Every length around the word and SIMD boundaries, the target at every position,
        // over fillers that differ from `"` (0x22) and `\` (0x5c) in one bit or a borrow.
        for filler in [b'a', b'#', b'!', 0x5d, 0x5b, 0xa2, 0xdc, 0x00, 0xff] {
            for len in 0..140 {
                let base = vec![filler; len];
                assert_eq!(quote_or_backslash(&base), naive(&base), "len {len}");
                for at in 0..len {
                    for target in [b'"', b'\\'] {
                        let mut t = base.clone();
                        t[at] = target;
                        if at + 1 < len {
                            t[at + 1] = b'"'; // a second match after the first
                        }
                        assert_eq!(quote_or_backslash(&t), Some(at), "len {len} at {at}");
                    }
                }
            }
        }
    }

    #[test]
    fn repeated_keys_are_accepted_the_last_one_counts() {
        check("p.json", b"{\"a\":1,\n \"b\":{\"a\":1},\n \"a\":2}").unwrap();
    }

    #[test]
    fn strings_hide_brackets_and_numbers() {
        let deep = format!(r#"{{"a":"{}1e400"}}"#, "[".repeat(200));
        check("p.json", deep.as_bytes()).unwrap();
        assert!(err(&"[".repeat(129)).contains("more than 128 levels deep"));
    }
}
