//! A resource's values kept as raw JSON text and parsed on first use.
//!
//! Most of a plan's bytes are resource values (`before`, `after`, `planned_values`,
//! `prior_state`), and a policy pack looks at only a few resource types. Keeping the text and
//! parsing it when a policy asks makes a check cost little more than reading the bytes, and
//! keeps memory near the size of the file instead of the ~8× of a parsed `Value` tree.
//!
//! Policies read a few top-level attributes of many instances (`$.tags_all` of every `aws_*`
//! resource). [`LazyValue::get_in`] parses only the top-level attributes a [`Projection`]
//! names and skips the others without building them, and does not cache the result: the
//! reader keeps it as long as it needs it (a policy, while it runs). [`LazyValue::get`]
//! parses everything and keeps it, for the consumers that walk whole values (analyses,
//! explain, graph output).

use super::values::Seg;
use crate::plan::model::Key;
use crate::plan::RawText;
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::sync::{Arc, OnceLock};

/// Raw JSON text, parsed once on demand.
#[derive(Default)]
pub struct LazyValue {
    raw: Option<RawText>,
    /// The whole value. Boxed: a graph has five per node, and most are never parsed (an
    /// empty slot costs 16 bytes instead of 40: ~4 MB at 100 MB).
    parsed: OnceLock<Box<Value>>,
}

/// Top-level attribute names.
pub type KeySet = HashSet<String, foldhash::fast::RandomState>;

/// Which top-level attributes of resource values (and of their unknown and sensitive
/// markers, which share their shape) a reader may look at: all, or the attributes named.
///
/// A projected value is the whole value when it is not an object (`null`, or a marker tree
/// that is `true` as a whole), else the object with only the named keys, each whole. So any
/// lookup that starts with a named key — a value, an "unknown" or a "sensitive" answer —
/// gives exactly what it gives on the whole value; anything else must use [`Projection::all`].
#[derive(Debug, Clone, Default)]
pub struct Projection(Option<Arc<KeySet>>);

impl Projection {
    /// Every attribute: the whole values.
    pub fn all() -> Projection {
        Projection(None)
    }

    /// Only these top-level attributes.
    pub fn keys<S: Into<String>>(keys: impl IntoIterator<Item = S>) -> Projection {
        Projection(Some(Arc::new(keys.into_iter().map(Into::into).collect())))
    }

    /// True when every attribute is kept.
    pub fn is_all(&self) -> bool {
        self.0.is_none()
    }

    /// True when the attribute is kept.
    pub fn includes(&self, key: &str) -> bool {
        self.0.as_ref().is_none_or(|k| k.contains(key))
    }

    /// True when everything `other` keeps is kept here.
    pub fn covers(&self, other: &Projection) -> bool {
        match (&self.0, &other.0) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(a), Some(b)) => b.iter().all(|k| a.contains(k)),
        }
    }

    /// The attributes kept by either.
    pub fn union(&self, other: &Projection) -> Projection {
        match (&self.0, &other.0) {
            (Some(a), Some(b)) => Projection::keys(a.iter().chain(b.iter()).cloned()),
            _ => Projection::all(),
        }
    }

    /// The kept attributes, sorted (`None`: all).
    pub fn sorted_keys(&self) -> Option<Vec<&str>> {
        self.0.as_ref().map(|k| {
            let mut v: Vec<&str> = k.iter().map(String::as_str).collect();
            v.sort_unstable();
            v
        })
    }
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
            let _ = l.parsed.set(Box::new(v));
        }
        l
    }

    /// The raw text, if the value was not parsed from the start.
    pub fn raw_mut(&mut self) -> Option<&mut RawText> {
        self.raw.as_mut()
    }

    /// True when the JSON was `null` or absent.
    pub fn is_null(&self) -> bool {
        self.raw.is_none() && self.cached().is_none_or(Value::is_null)
    }

    /// The parsed value (`Null` when absent).
    pub fn get(&self) -> &Value {
        match &self.raw {
            None => self.cached().unwrap_or(&NULL),
            // The text was validated by the plan parse, so this cannot fail in practice;
            // should it, the value is treated as absent rather than crashing a gate.
            Some(r) => self
                .parsed
                .get_or_init(|| Box::new(serde_json::from_str(r.get()).unwrap_or(Value::Null))),
        }
    }

    /// The whole value, if it was parsed.
    fn cached(&self) -> Option<&Value> {
        self.parsed.get().map(|v| &**v)
    }

    /// The value as `projection` keeps it (see [`Projection`]), parsed now and not kept:
    /// borrowed when the whole value is what it keeps, or was parsed already.
    pub fn get_in(&self, projection: &Projection) -> Cow<'_, Value> {
        let (Some(keys), Some(r)) = (&projection.0, &self.raw) else {
            return Cow::Borrowed(self.get());
        };
        if let Some(v) = self.cached() {
            return Cow::Borrowed(v);
        }
        match parse_projected(r.get(), keys) {
            Some(v) => Cow::Owned(v),
            None => Cow::Borrowed(self.get()),
        }
    }

    /// The top-level attribute `key` (none when the value is not an object), parsed now and
    /// not kept; borrowed when the whole value was parsed already. For readers of a few
    /// attributes of many values (the analyses): [`LazyValue::get`] would keep every whole
    /// value parsed for the rest of the run.
    pub fn get_key(&self, key: &str) -> Option<Cow<'_, Value>> {
        let Some(r) = &self.raw else {
            return self.get().get(key).map(Cow::Borrowed);
        };
        if let Some(v) = self.cached() {
            return v.get(key).map(Cow::Borrowed);
        }
        let mut de = serde_json::Deserializer::from_str(r.get());
        de.deserialize_map(OneKey(key)).ok()?.map(Cow::Owned)
    }

    /// The whole value, parsed now and not kept (borrowed when it was parsed already): for
    /// a reader that needs it once.
    pub fn get_once(&self) -> Cow<'_, Value> {
        match (&self.raw, self.cached()) {
            (Some(r), None) => Cow::Owned(serde_json::from_str(r.get()).unwrap_or(Value::Null)),
            _ => Cow::Borrowed(self.get()),
        }
    }

    /// Visit every string leaf with its path, without building a `Value` tree. A key repeated
    /// in one object (the read accepts repeats; the last one counts, as in the parsed
    /// `Value`) retracts what was visited under its earlier occurrence: `sink.retract(path)`.
    pub fn scan_strings(&self, sink: &mut dyn StringSink) {
        if let Some(v) = self.cached() {
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
        if let Some(v) = self.cached() {
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

/// The value of `text` with only the top-level attributes in `keys` when it is an object;
/// `None` if it does not parse (the caller then answers as [`LazyValue::get`] does). Skipped
/// attributes are checked for syntax only, not for what a `Value` parse also refuses (depth,
/// numbers out of range, lone surrogates): the plan's input guard refused those already.
fn parse_projected(text: &str, keys: &KeySet) -> Option<Value> {
    let mut de = serde_json::Deserializer::from_str(text);
    let v = de.deserialize_any(Project(keys)).ok()?;
    de.end().ok()?;
    Some(v)
}

/// The top level of a projected value: an object keeps the named attributes (the last one
/// when a key is repeated, as in a parsed `Value`) and skips the others without building
/// them; any other JSON value is kept as it is.
struct Project<'k>(&'k KeySet);

impl<'de> Visitor<'de> for Project<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = serde_json::Map::new();
        while let Some(k) = map.next_key::<Key<'de>>()? {
            if self.0.contains(k.0.as_ref()) {
                out.insert(k.0.into_owned(), map.next_value::<Value>()?);
            } else {
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(Value::Object(out))
    }

    // Not an object: the whole value, exactly as `serde_json::from_str` builds it.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(x) = seq.next_element::<Value>()? {
            out.push(x);
        }
        Ok(Value::Array(out))
    }
    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_string()))
    }
    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
        Ok(Value::from(n))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
        Ok(Value::from(n))
    }
    fn visit_f64<E>(self, n: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
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

/// One attribute of a top-level object, the last one when the key is repeated (as in a
/// parsed `Value`); the others are skipped without building them. Any other top level is an
/// error, which [`LazyValue::get_key`] reads as no attribute.
struct OneKey<'k>(&'k str);

impl<'de> Visitor<'de> for OneKey<'_> {
    type Value = Option<Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        while let Some(k) = map.next_key::<Key<'de>>()? {
            if k.0 == self.0 {
                found = Some(map.next_value::<Value>()?);
            } else {
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(found)
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
    fn a_projection_keeps_the_named_attributes_whole() {
        let p = Projection::keys(["tags", "ingress"]);
        let v = raw(r#"{"tags":{"a":"1"},"id":"x","ingress":[{"from":1}],"tags":{"b":"2"}}"#);
        // The last of a repeated key, as in the parsed value.
        assert_eq!(
            *v.get_in(&p),
            serde_json::json!({"tags": {"b": "2"}, "ingress": [{"from": 1}]})
        );
        assert!(
            v.parsed.get().is_none(),
            "projecting must not parse it whole"
        );
        // Whole values are still whole, and then answer for the projection too.
        assert_eq!(v.get()["id"], "x");
        assert_eq!(v.get_in(&p)["id"], "x");
        assert_eq!(v.get_in(&Projection::all())["id"], "x");
    }

    #[test]
    fn anything_but_an_object_is_kept_as_it_is() {
        let p = Projection::keys(["tags"]);
        for text in [
            "true",
            "false",
            "null",
            "[1,{\"a\":2}]",
            "\"s\"",
            "1.5",
            "-3",
            "7",
        ] {
            let v = raw(text);
            let want: Value = serde_json::from_str(text).unwrap();
            assert_eq!(*v.get_in(&p), want, "{text}");
        }
        assert_eq!(*LazyValue::new(None).get_in(&p), Value::Null);
        let from = LazyValue::from_value(serde_json::json!({"tags": 1, "id": 2}));
        assert_eq!(from.get_in(&p)["id"], 2);
    }

    #[test]
    fn projections_combine() {
        let a = Projection::keys(["a"]);
        let ab = a.union(&Projection::keys(["b"]));
        assert!(ab.covers(&a) && !a.covers(&ab));
        assert!(Projection::all().covers(&ab) && !ab.covers(&Projection::all()));
        assert!(a.union(&Projection::all()).is_all());
        assert_eq!(ab.sorted_keys(), Some(vec!["a", "b"]));
        assert!(ab.includes("b") && !ab.includes("c") && Projection::all().includes("c"));
    }

    #[test]
    fn null_is_null() {
        assert!(LazyValue::new(None).is_null());
        assert_eq!(LazyValue::new(None).get(), &Value::Null);
    }
}
