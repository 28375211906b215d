//! Operands ready to apply — regexes, globs, CIDRs and bounds compiled once — and the value
//! helpers operators share (JSON equality, numbers, lengths, how values are shown).

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use ipnet::IpNet;
use regex::{Regex, RegexBuilder};
use serde_json::Value;

use super::ops::Op;

/// Regexes come from policy authors and plan values; cap their compiled size.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// An operand ready to apply.
#[derive(Debug, Clone)]
pub enum Prepared {
    None,
    Value(Value),
    List(Vec<Value>),
    Regexes(Vec<(String, Regex)>),
    Globs(GlobSet, Vec<String>),
    Number(f64),
    Length(Vec<(Cmp, u64)>),
    Cidrs(Vec<(String, IpNet)>),
}

/// A length comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

impl Cmp {
    const ALL: [(&'static str, Cmp); 6] = [
        ("eq", Cmp::Eq),
        ("ne", Cmp::Ne),
        ("gt", Cmp::Gt),
        ("ge", Cmp::Ge),
        ("lt", Cmp::Lt),
        ("le", Cmp::Le),
    ];

    pub(crate) fn holds(self, n: u64, b: u64) -> bool {
        match self {
            Cmp::Eq => n == b,
            Cmp::Ne => n != b,
            Cmp::Gt => n > b,
            Cmp::Ge => n >= b,
            Cmp::Lt => n < b,
            Cmp::Le => n <= b,
        }
    }

    pub(crate) fn symbol(self) -> &'static str {
        match self {
            Cmp::Eq => "=",
            Cmp::Ne => "≠",
            Cmp::Gt => ">",
            Cmp::Ge => "≥",
            Cmp::Lt => "<",
            Cmp::Le => "≤",
        }
    }
}

pub(crate) fn length_bounds(v: &Value) -> Result<Vec<(Cmp, u64)>, String> {
    const HELP: &str = "`length` takes a count or a table of bounds, e.g. value = 3 or value = { ge = 1, le = 5 } (keys: eq, ne, gt, ge, lt, le)";
    match v {
        Value::Number(n) => n
            .as_u64()
            .map(|n| vec![(Cmp::Eq, n)])
            .ok_or_else(|| HELP.to_string()),
        Value::Object(m) if !m.is_empty() => m
            .iter()
            .map(|(k, x)| {
                let c = Cmp::ALL.iter().find(|(s, _)| s == k).map(|(_, c)| *c);
                match (c, x.as_u64()) {
                    (Some(c), Some(n)) => Ok((c, n)),
                    _ => Err(HELP.to_string()),
                }
            })
            .collect(),
        _ => Err(HELP.to_string()),
    }
}

pub(crate) fn strings(op: Op, v: &Value) -> Result<Vec<String>, String> {
    let err = || format!("`{}` takes a string or a list of strings", op.name());
    match v {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(a) if !a.is_empty() => a
            .iter()
            .map(|x| x.as_str().map(str::to_string).ok_or_else(err))
            .collect(),
        _ => Err(err()),
    }
}

/// Compile a user regex with a size limit (the `regex` crate runs in linear time).
pub fn regex(s: &str) -> Result<Regex, String> {
    RegexBuilder::new(s)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| match e {
            regex::Error::CompiledTooBig(_) => format!("regex /{s}/ is too large; simplify it"),
            other => format!(
                "invalid regex /{s}/: {}",
                other
                    .to_string()
                    .lines()
                    .last()
                    .unwrap_or("syntax error")
                    .trim()
            ),
        })
}

/// Compile globs where `*` also crosses `.` and `/` (`db.t3.*`, `module.net*`).
pub fn globs(pats: &[String]) -> Result<GlobSet, String> {
    let mut b = GlobSetBuilder::new();
    for p in pats {
        let g = GlobBuilder::new(p)
            .literal_separator(false)
            .backslash_escape(true)
            .build()
            .map_err(|e| format!("invalid glob {p:?}: {}", e.kind()))?;
        b.add(g);
    }
    b.build().map_err(|e| format!("invalid globs: {e}"))
}

pub(crate) fn cidr(s: &str) -> Option<IpNet> {
    s.parse::<IpNet>()
        .ok()
        .or_else(|| s.parse::<std::net::IpAddr>().ok().map(IpNet::from))
}

pub(crate) fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

pub(crate) fn as_text(v: &Value) -> Result<std::borrow::Cow<'_, str>, String> {
    match v {
        Value::String(s) => Ok(s.as_str().into()),
        Value::Number(n) => Ok(n.to_string().into()),
        Value::Bool(b) => Ok(b.to_string().into()),
        Value::Null => Err("is not set".into()),
        _ => Err("is not a string".into()),
    }
}

pub(crate) fn length(v: &Value) -> Option<u64> {
    Some(match v {
        Value::String(s) => s.chars().count() as u64,
        Value::Array(a) => a.len() as u64,
        Value::Object(m) => m.len() as u64,
        Value::Null => 0,
        _ => return None,
    })
}

pub(crate) fn contains(subject: &Value, v: &Value) -> Result<bool, String> {
    match subject {
        Value::String(s) => Ok(v.as_str().is_some_and(|x| s.contains(x))),
        Value::Array(a) => Ok(a.iter().any(|x| json_eq(x, v))),
        Value::Object(m) => Ok(v.as_str().is_some_and(|k| m.contains_key(k))),
        Value::Null => Err("is not set".into()),
        _ => Err("is neither a string, a list nor a map".into()),
    }
}

/// The elements of `wanted` that `subject` does not contain (`contains_all`): substrings of a
/// string, elements of a list, keys of a map.
pub(crate) fn missing<'w>(subject: &Value, wanted: &'w [Value]) -> Result<Vec<&'w Value>, String> {
    let mut out = Vec::new();
    for w in wanted {
        if !contains(subject, w)? {
            out.push(w);
        }
    }
    Ok(out)
}

/// JSON equality where `1` equals `1.0`.
pub fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q))
        }
        _ => a == b,
    }
}

/// A value as shown in a message: compact JSON, long values shortened.
pub fn show(v: &Value) -> String {
    // Serialised only as far as the message can show: 121 characters are at most 484 bytes,
    // so a value that fills the buffer is longer than 120 characters whatever they are (a
    // policy document or a tag map can be kilobytes, and messages show thousands of them).
    const CAP: usize = 121 * 4;
    struct Capped(Vec<u8>);
    impl std::io::Write for Capped {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            let room = CAP - self.0.len();
            if room == 0 {
                return Err(std::io::Error::other("long enough"));
            }
            let n = b.len().min(room);
            self.0.extend_from_slice(&b[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut w = Capped(Vec::with_capacity(64));
    let _ = serde_json::to_writer(&mut w, v);
    // A full buffer may end inside a character: keep the whole ones.
    let s = match std::str::from_utf8(&w.0) {
        Ok(s) => s,
        Err(e) => std::str::from_utf8(&w.0[..e.valid_up_to()]).unwrap_or_default(),
    };
    shorten(s)
}

/// A value's compact JSON text as [`show`] shows it: longer than 120 characters, cut to 117
/// and `…`. For a text serialised already (evidence's), rather than serialising again.
pub fn shorten(s: &str) -> String {
    if s.chars().count() > 120 {
        let cut: String = s.chars().take(117).collect();
        format!("{cut}…")
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::show;
    use serde_json::{json, Value};

    /// What `show` gave when it serialised the whole value.
    fn whole(v: &Value) -> String {
        let s = v.to_string();
        if s.chars().count() > 120 {
            let cut: String = s.chars().take(117).collect();
            format!("{cut}…")
        } else {
            s
        }
    }

    #[test]
    fn show_stops_serialising_but_shows_the_same() {
        let mut values = vec![json!(null), json!(1.5), json!({}), json!({"a": [1, "b"]})];
        for n in [
            100, 117, 118, 119, 120, 121, 122, 130, 480, 481, 484, 485, 2000,
        ] {
            for unit in ["a", "é", "😀", "\"", "\u{1}"] {
                values.push(Value::String(unit.repeat(n)));
                values.push(json!({ "k": unit.repeat(n), "t": {"x": unit.repeat(n / 3)} }));
            }
        }
        for v in &values {
            assert_eq!(show(v), whole(v), "{v}");
            assert_eq!(super::shorten(&v.to_string()), whole(v), "{v}");
        }
    }
}
