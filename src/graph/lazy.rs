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

    /// Visit every string leaf with its path, without building a `Value` tree.
    pub fn scan_strings(&self, f: &mut dyn FnMut(&[Seg], &str)) {
        if let Some(v) = self.parsed.get() {
            super::values::for_each_string(v, &mut |p, s| f(p, s));
            return;
        }
        let Some(r) = &self.raw else { return };
        let mut de = serde_json::Deserializer::from_str(r.get());
        let mut path = Vec::new();
        let _ = de.deserialize_any(Scan { path: &mut path, f });
    }

    /// A top-level string attribute (`id`, `arn`) without parsing the rest.
    pub fn top_string(&self, key: &str) -> Option<String> {
        if let Some(v) = self.parsed.get() {
            return v.get(key).and_then(Value::as_str).map(str::to_string);
        }
        // The last one counts when a key is repeated (the read accepts repeats), as in the
        // parsed `Value`: taking the first let the scan and `values()` disagree on a node's id.
        let mut found = None;
        self.scan_strings(&mut |p, s| {
            if matches!(p, [Seg::Key(k)] if k == key) {
                found = Some(s.to_string());
            }
        });
        found
    }
}

struct Scan<'p, 'f> {
    path: &'p mut Vec<Seg>,
    f: &'f mut dyn FnMut(&[Seg], &str),
}

impl<'de> Visitor<'de> for Scan<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_str<E>(self, s: &str) -> Result<(), E> {
        (self.f)(self.path, s);
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
                f: self.f,
            })?;
            self.path.pop();
            if more.is_none() {
                return Ok(());
            }
            i += 1;
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(k) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            self.path.push(Seg::Key(k.into_owned()));
            map.next_value_seed(Scan {
                path: self.path,
                f: self.f,
            })?;
            self.path.pop();
        }
        Ok(())
    }
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

    #[test]
    fn parses_on_demand_and_scans_without_parsing() {
        let v = raw(r#"{"id":"vpc-1","route":[{"gw":"pcx-9"}],"n":1}"#);
        let mut seen = Vec::new();
        v.scan_strings(&mut |p, s| seen.push((super::super::values::render(p), s.to_string())));
        assert_eq!(
            seen,
            vec![
                ("id".to_string(), "vpc-1".to_string()),
                ("route[0].gw".to_string(), "pcx-9".to_string())
            ]
        );
        assert!(v.parsed.get().is_none(), "scanning must not parse");
        assert_eq!(v.top_string("id").as_deref(), Some("vpc-1"));
        assert_eq!(v.get()["n"], 1);
    }

    #[test]
    fn a_repeated_top_level_key_reads_like_the_parsed_value() {
        let v = raw(r#"{"id":"pcx-first","id":"pcx-last"}"#);
        assert_eq!(v.top_string("id").as_deref(), Some("pcx-last"));
        assert_eq!(v.get()["id"], "pcx-last");
    }

    #[test]
    fn null_is_null() {
        assert!(LazyValue::new(None).is_null());
        assert_eq!(LazyValue::new(None).get(), &Value::Null);
    }
}
