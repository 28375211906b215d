//! Attribute paths inside resource values, and the unknown / sensitive markers that share
//! their shape (`after_unknown`, `after_sensitive`: `true` at a path marks it and all below).

use serde_json::Value;
use std::fmt::Write;

/// One step into a value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Seg {
    Key(String),
    Idx(usize),
}

/// Render a path the way plangate shows attributes: `route[0].cidr_block`.
pub fn render(path: &[Seg]) -> String {
    let mut s = String::new();
    render_into(&mut s, path);
    s
}

/// [`render`], appended to `out`.
pub fn render_into(out: &mut String, path: &[Seg]) {
    let start = out.len();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if out.len() > start {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::Idx(i) => {
                let _ = write!(out, "[{i}]");
            }
        }
    }
}

/// The value at `path`, if present.
pub fn get<'a>(mut v: &'a Value, path: &[Seg]) -> Option<&'a Value> {
    for seg in path {
        v = match (seg, v) {
            (Seg::Key(k), Value::Object(m)) => m.get(k)?,
            (Seg::Idx(i), Value::Array(a)) => a.get(*i)?,
            _ => return None,
        };
    }
    Some(v)
}

/// True when a marker tree (`after_unknown`, `after_sensitive`) marks `path` or one of its
/// ancestors with `true`.
pub fn marked(mut markers: &Value, path: &[Seg]) -> bool {
    if markers == &Value::Bool(true) {
        return true;
    }
    for seg in path {
        markers = match (seg, markers) {
            (Seg::Key(k), Value::Object(m)) => match m.get(k) {
                Some(v) => v,
                None => return false,
            },
            (Seg::Idx(i), Value::Array(a)) => match a.get(*i) {
                Some(v) => v,
                None => return false,
            },
            _ => return false,
        };
        if markers == &Value::Bool(true) {
            return true;
        }
    }
    false
}

/// True when the marker tree marks anything at or below `path`.
pub fn marked_below(markers: &Value, path: &[Seg]) -> bool {
    if marked(markers, path) {
        return true;
    }
    fn any_true(v: &Value) -> bool {
        match v {
            Value::Bool(b) => *b,
            Value::Array(a) => a.iter().any(any_true),
            Value::Object(m) => m.values().any(any_true),
            _ => false,
        }
    }
    let mut v = markers;
    for seg in path {
        v = match (seg, v) {
            (Seg::Key(k), Value::Object(m)) => match m.get(k) {
                Some(x) => x,
                None => return false,
            },
            (Seg::Idx(i), Value::Array(a)) => match a.get(*i) {
                Some(x) => x,
                None => return false,
            },
            _ => return false,
        };
    }
    any_true(v)
}

/// Attribute names that hold secrets even when the provider does not mark them sensitive.
const SECRET_NAMES: [&str; 9] = [
    "password",
    "secret",
    "token",
    "private_key",
    "api_key",
    "access_key",
    "client_secret",
    "passphrase",
    "credentials",
];

/// True when a path names a secret-looking attribute (`master_password`, `auth_token`,
/// `tls_private_key`): reports treat it as sensitive whatever the markers say.
pub fn secret_named(path: &[Seg]) -> bool {
    path.iter().any(|s| match s {
        Seg::Key(k) => secret_key(k),
        Seg::Idx(_) => false,
    })
}

/// One key of [`secret_named`]: it contains a [`SECRET_NAMES`] entry, ASCII case aside, and
/// does not end in `_arn` or `_id`. Compared byte by byte without lowercasing a copy (reports
/// ask this of every attribute they show): a position is tried only when its byte can start
/// a name ([`STARTS`]). The names are ASCII, so a match never starts or ends inside a
/// multi-byte character.
fn secret_key(k: &str) -> bool {
    let b = k.as_bytes();
    let ends = |suffix: &str| {
        b.len() >= suffix.len()
            && b[b.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
    };
    let named = (0..b.len()).any(|i| {
        STARTS[b[i] as usize]
            && SECRET_NAMES.iter().any(|n| {
                let rest = &b[i..];
                rest.len() >= n.len() && rest[..n.len()].eq_ignore_ascii_case(n.as_bytes())
            })
    });
    named && !ends("_arn") && !ends("_id")
}

/// The bytes that start a [`SECRET_NAMES`] entry, in either case.
const STARTS: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < SECRET_NAMES.len() {
        let c = SECRET_NAMES[i].as_bytes()[0];
        t[c as usize] = true;
        t[c.to_ascii_uppercase() as usize] = true;
        i += 1;
    }
    t
};

/// Sensitive for reports: marked by Terraform at or below `path`, or secret-named.
pub fn sensitive_at(markers: &Value, path: &[Seg]) -> bool {
    marked_below(markers, path) || secret_named(path)
}

/// What reports show in place of a sensitive value.
pub const SENSITIVE: &str = "(sensitive)";

/// Values as reports may show them: sensitive parts (marked, or secret-named) replaced by
/// "(sensitive)", and unknown ones added as "(known after apply)".
pub fn shown(values: &Value, sensitive: &Value, unknown: &Value) -> Value {
    shown_at(values, sensitive, unknown, &mut Vec::new())
}

/// [`shown`] for the value at `path`, with the marker trees of that value.
pub fn shown_at(v: &Value, s: &Value, u: &Value, path: &mut Vec<Seg>) -> Value {
    if s == &Value::Bool(true) || secret_named(path) {
        return Value::String(SENSITIVE.into());
    }
    if u == &Value::Bool(true) {
        return Value::String("(known after apply)".into());
    }
    match v {
        Value::Object(m) => {
            let mut out = serde_json::Map::new();
            let keys: std::collections::BTreeSet<&String> = m
                .keys()
                .chain(u.as_object().into_iter().flat_map(|o| o.keys()))
                .collect();
            for k in keys {
                let child = m.get(k).unwrap_or(&Value::Null);
                let cu = u.get(k).unwrap_or(&Value::Null);
                if !m.contains_key(k) && cu != &Value::Bool(true) {
                    continue;
                }
                path.push(Seg::Key(k.clone()));
                out.insert(
                    k.clone(),
                    shown_at(child, s.get(k).unwrap_or(&Value::Null), cu, path),
                );
                path.pop();
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(
            a.iter()
                .enumerate()
                .map(|(i, x)| {
                    path.push(Seg::Idx(i));
                    let r = shown_at(
                        x,
                        s.get(i).unwrap_or(&Value::Null),
                        u.get(i).unwrap_or(&Value::Null),
                        path,
                    );
                    path.pop();
                    r
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Call `f(path, string)` for every string leaf of `v`.
pub fn for_each_string<'a>(v: &'a Value, f: &mut dyn FnMut(&[Seg], &'a str)) {
    fn walk<'a>(v: &'a Value, path: &mut Vec<Seg>, f: &mut dyn FnMut(&[Seg], &'a str)) {
        match v {
            Value::String(s) => f(path, s),
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    path.push(Seg::Idx(i));
                    walk(x, path, f);
                    path.pop();
                }
            }
            Value::Object(m) => {
                for (k, x) in m {
                    path.push(Seg::Key(k.clone()));
                    walk(x, path, f);
                    path.pop();
                }
            }
            _ => {}
        }
    }
    walk(v, &mut Vec::new(), f);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn markers_cover_descendants() {
        let m = json!({"route": [{"cidr_block": true}], "tags": true});
        let p = |s: &[Seg]| s.to_vec();
        assert!(marked(
            &m,
            &p(&[Seg::Key("tags".into()), Seg::Key("Name".into())])
        ));
        assert!(marked(
            &m,
            &p(&[
                Seg::Key("route".into()),
                Seg::Idx(0),
                Seg::Key("cidr_block".into())
            ])
        ));
        assert!(!marked(&m, &p(&[Seg::Key("route".into())])));
        assert!(marked_below(&m, &p(&[Seg::Key("route".into())])));
        assert!(marked(&json!(true), &[]));
    }

    #[test]
    fn secret_names_are_sensitive_but_their_ids_are_not() {
        let k = |s: &str| vec![Seg::Key(s.into())];
        assert!(sensitive_at(&Value::Null, &k("master_password")));
        assert!(sensitive_at(&Value::Null, &k("auth_token")));
        assert!(!sensitive_at(&Value::Null, &k("kms_key_id")));
        assert!(!sensitive_at(&Value::Null, &k("secret_arn")));
        assert!(!sensitive_at(&Value::Null, &k("instance_class")));
    }

    /// The byte comparison answers as lowercasing the key and searching it did.
    #[test]
    fn secret_keys_match_the_lowercased_search() {
        let lowercased = |k: &str| {
            let k = k.to_ascii_lowercase();
            SECRET_NAMES.iter().any(|n| k.contains(n))
                && !k.ends_with("_arn")
                && !k.ends_with("_id")
        };
        let keys = [
            "",
            "a",
            "password",
            "PassWord",
            "master_PASSWORD",
            "db_password_arn",
            "Token_ID",
            "tokens",
            "tok",
            "api_key",
            "API-KEY",
            "apikey",
            "x_access_key_y",
            "clientsecret",
            "client_secret_Arn",
            "credential",
            "Credentials",
            "passphrase",
            "PASSPHRAS",
            "private_keyé",
            "éprivate_key",
            "ſecret",
            "secreT",
            "kms_key_id",
            "_id",
            "_arn",
            "secret_id_x",
            "my_tokenization",
            "ARN",
            "password_aRN",
            "id",
        ];
        for key in keys {
            assert_eq!(secret_key(key), lowercased(key), "{key:?}");
        }
    }

    #[test]
    fn render_and_get() {
        let v = json!({"route": [{"cidr_block": "10.0.0.0/16"}]});
        let path = vec![
            Seg::Key("route".into()),
            Seg::Idx(0),
            Seg::Key("cidr_block".into()),
        ];
        assert_eq!(render(&path), "route[0].cidr_block");
        assert_eq!(get(&v, &path), Some(&json!("10.0.0.0/16")));
    }
}
