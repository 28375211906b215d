//! A resource's values kept as raw JSON text and parsed on first use.
//!
//! Most of a plan's bytes are resource values (`before`, `after`, `planned_values`,
//! `prior_state`), and a policy pack looks at only a few resource types. Keeping the text and
//! parsing it when a policy asks makes a check cost little more than reading the bytes, and
//! keeps memory near the size of the file instead of the ~8× of a parsed `Value` tree.

use super::values::Seg;
use crate::plan::RawText;
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::fmt;
use std::sync::OnceLock;

/// Raw JSON text, parsed once on demand.
#[derive(Default)]
pub struct LazyValue {
    raw: Option<RawText>,
    parsed: OnceLock<Value>,
}

impl fmt::Debug for LazyValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.raw {
            Some(r) => write!(f, "LazyValue({})", r.get()),
            None => write!(f, "LazyValue(null)"),
        }
    }
}

static NULL: Value = Value::Null;

impl LazyValue {
    pub fn new(raw: Option<RawText>) -> LazyValue {
        LazyValue {
            raw,
            parsed: OnceLock::new(),
        }
    }

    /// From an already parsed value (tests, generated nodes).
    pub fn from_value(v: Value) -> LazyValue {
        let l = LazyValue::default();
        if !v.is_null() {
            let _ = l.parsed.set(v);
        }
        l
    }

    /// Keep a copy of the text instead of a span of the plan's (see [`RawText::detach`]).
    pub fn detach(&mut self) {
        if let Some(r) = &mut self.raw {
            r.detach();
        }
    }

    /// True when the JSON was `null` or absent.
    pub fn is_null(&self) -> bool {
        self.raw.is_none() && self.parsed.get().is_none_or(Value::is_null)
    }

    /// The parsed value (`Null` when absent).
    pub fn get(&self) -> &Value {
        match &self.raw {
            None => self.parsed.get().unwrap_or(&NULL),
            // The text was validated by the plan parse, so this cannot fail in practice;
            // should it, the value is treated as absent rather than crashing a gate.
            Some(r) => self
                .parsed
                .get_or_init(|| serde_json::from_str(r.get()).unwrap_or(Value::Null)),
        }
    }

    /// Visit every string leaf with its path, without building a `Value` tree. A key repeated
    /// in one object (the read accepts repeats; the last one counts, as in the parsed
    /// `Value`) retracts what was visited under its earlier occurrence: `sink.retract(path)`.
    pub fn scan_strings(&self, sink: &mut dyn StringSink) {
        if let Some(v) = self.parsed.get() {
            super::values::for_each_string(v, &mut |p, s| sink.string(p, s));
            return;
        }
        let Some(r) = &self.raw else { return };
        let mut de = serde_json::Deserializer::from_str(r.get());
        let mut path = Vec::new();
        let mut spare = Vec::new();
        let _ = de.deserialize_any(Scan {
            path: &mut path,
            spare: &mut spare,
            sink,
        });
    }

    /// The top-level string attributes `id` and `arn`, in one pass that parses nothing else.
    pub fn id_and_arn(&self) -> (Option<String>, Option<String>) {
        if let Some(v) = self.parsed.get() {
            let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
            return (s("id"), s("arn"));
        }
        let Some(r) = &self.raw else {
            return (None, None);
        };
        let mut de = serde_json::Deserializer::from_str(r.get());
        de.deserialize_map(IdArn).unwrap_or_default()
    }
}

/// An object key, borrowed from the text unless it has escapes (serde's own `Cow<str>`
/// always allocates).
struct Key<'de>(std::borrow::Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Owned(s.to_string())))
            }
        }
        d.deserialize_str(V)
    }
}

/// Receives the string leaves of [`LazyValue::scan_strings`].
pub trait StringSink {
    fn string(&mut self, path: &[Seg], s: &str);
    /// What was reported under `path` is overridden by a later repeat of its last key.
    fn retract(&mut self, path: &[Seg]);
}

/// `id` and `arn` of a top-level object; the last one counts when a key is repeated. Any
/// other top level is an error, which [`LazyValue::id_and_arn`] reads as neither.
struct IdArn;

impl<'de> Visitor<'de> for IdArn {
    type Value = (Option<String>, Option<String>);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut id, mut arn) = (None, None);
        while let Some(k) = map.next_key::<Key<'de>>()? {
            let slot = match k.0.as_ref() {
                "id" => &mut id,
                "arn" => &mut arn,
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                    continue;
                }
            };
            // A scalar in practice; anything but a string counts as none.
            *slot = match map.next_value::<Value>()? {
                Value::String(s) => Some(s),
                _ => None,
            };
        }
        Ok((id, arn))
    }
}

struct Scan<'p, 'f> {
    path: &'p mut Vec<Seg>,
    /// Key strings popped off `path`, reused for the next keys (no allocation per key).
    spare: &'p mut Vec<String>,
    sink: &'f mut dyn StringSink,
}

impl<'de> Visitor<'de> for Scan<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_str<E>(self, s: &str) -> Result<(), E> {
        self.sink.string(self.path, s);
        Ok(())
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0;
        loop {
            self.path.push(Seg::Idx(i));
            let more = seq.next_element_seed(Scan {
                path: self.path,
                spare: self.spare,
                sink: self.sink,
            })?;
            self.path.pop();
            if more.is_none() {
                return Ok(());
            }
            i += 1;
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        // Keys of this object so far, to notice a repeat (objects are small: a linear search).
        let mut keys: Vec<u64> = Vec::new();
        while let Some(k) = map.next_key::<Key<'de>>()? {
            let mut key = self.spare.pop().unwrap_or_default();
            key.clear();
            key.push_str(&k.0);
            let h = key_hash(&key);
            self.path.push(Seg::Key(key));
            if keys.contains(&h) {
                self.sink.retract(self.path);
            } else {
                keys.push(h);
            }
            map.next_value_seed(Scan {
                path: self.path,
                spare: self.spare,
                sink: self.sink,
            })?;
            if let Some(Seg::Key(key)) = self.path.pop() {
                self.spare.push(key);
            }
        }
        Ok(())
    }
}

/// A key's hash, to notice repeated keys. A collision between two different keys retracts
/// the path of the second one before anything was reported under it: nothing.
fn key_hash(k: &str) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = foldhash::fast::FixedState::with_seed(0).build_hasher();
    h.write(k.as_bytes());
    h.finish()
}

impl<'de> DeserializeSeed<'de> for Scan<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(s: &str) -> LazyValue {
        LazyValue::new(Some(RawText::from_json(s)))
    }

    /// Collects (path, string) pairs and honours retractions.
    #[derive(Default)]
    struct Seen(Vec<(Vec<Seg>, String)>);

    impl StringSink for Seen {
        fn string(&mut self, path: &[Seg], s: &str) {
            self.0.push((path.to_vec(), s.to_string()));
        }
        fn retract(&mut self, path: &[Seg]) {
            self.0.retain(|(p, _)| !p.starts_with(path));
        }
    }

    fn scanned(v: &LazyValue) -> Vec<(String, String)> {
        let mut seen = Seen::default();
        v.scan_strings(&mut seen);
        seen.0
            .into_iter()
            .map(|(p, s)| (super::super::values::render(&p), s))
            .collect()
    }

    #[test]
    fn parses_on_demand_and_scans_without_parsing() {
        let v = raw(r#"{"id":"vpc-1","route":[{"gw":"pcx-9"}],"n":1}"#);
        assert_eq!(
            scanned(&v),
            vec![
                ("id".to_string(), "vpc-1".to_string()),
                ("route[0].gw".to_string(), "pcx-9".to_string())
            ]
        );
        assert!(v.parsed.get().is_none(), "scanning must not parse");
        assert_eq!(v.id_and_arn(), (Some("vpc-1".to_string()), None));
        assert!(v.parsed.get().is_none(), "reading the id must not parse");
        assert_eq!(v.get()["n"], 1);
        assert_eq!(v.id_and_arn(), (Some("vpc-1".to_string()), None));
    }

    #[test]
    fn a_repeated_top_level_key_reads_like_the_parsed_value() {
        let v = raw(r#"{"id":"pcx-first","arn":{"x":1},"id":"pcx-last","arn":"arn:a"}"#);
        assert_eq!(
            v.id_and_arn(),
            (Some("pcx-last".to_string()), Some("arn:a".to_string()))
        );
        assert_eq!(v.get()["id"], "pcx-last");
    }

    #[test]
    fn a_repeated_key_retracts_what_its_earlier_value_held() {
        // As in the parsed value, only the last `vpc_id` and the last `b.c` count.
        let v = raw(
            r#"{"vpc_id":"vpc-old","b":{"c":["x-old"],"d":"keep","c":"x-new"},"vpc_id":"vpc-new"}"#,
        );
        let parsed: Vec<(String, String)> = {
            let p =
                LazyValue::from_value(serde_json::from_str(v.raw.as_ref().unwrap().get()).unwrap());
            scanned(&p)
        };
        let mut streamed = scanned(&v);
        streamed.sort();
        let mut parsed = parsed;
        parsed.sort();
        assert_eq!(streamed, parsed);
        assert_eq!(
            streamed,
            vec![
                ("b.c".to_string(), "x-new".to_string()),
                ("b.d".to_string(), "keep".to_string()),
                ("vpc_id".to_string(), "vpc-new".to_string()),
            ]
        );
    }

    #[test]
    fn null_is_null() {
        assert!(LazyValue::new(None).is_null());
        assert_eq!(LazyValue::new(None).get(), &Value::Null);
    }
}
