//! Property: whatever happens to a plan file on its way to plangate — cut short at any byte, a
//! byte flipped, a key deleted, a value replaced by one of another type — reading it and
//! building its graph never panics, and ends either in a graph whose values all parse or in an
//! error whose message starts with the file's name.
//!
//! The seeds are the fixture plans in `testdata/plans/` (real `terraform show -json` output).

use plangate::graph::Graph;
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::Value;
use std::path::Path;
use std::sync::OnceLock;

/// (file name, bytes) of every fixture plan, read once.
fn fixtures() -> &'static [(String, Vec<u8>)] {
    static FIXTURES: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/plans");
        let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
            .expect("testdata/plans")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .map(|p| {
                let name = format!(
                    "testdata/plans/{}",
                    p.file_name().unwrap().to_string_lossy()
                );
                (name, std::fs::read(&p).expect("fixture"))
            })
            .collect();
        v.sort();
        assert!(v.len() >= 5, "fixture plans missing: {v:?}");
        v
    })
}

/// Read and build; check the property. A panic anywhere fails the case (and is shrunk).
fn check(file: &str, bytes: &[u8]) -> Result<(), TestCaseError> {
    let doc = match plangate::plan::parse(file, bytes) {
        Ok(doc) => doc,
        Err(e) => {
            let message = e.to_string();
            prop_assert!(
                message.starts_with(&format!("{file}: ")),
                "error does not name the file: {message}"
            );
            return Ok(());
        }
    };
    let graph = Graph::from_document(doc);
    for node in &graph.nodes {
        // A value the read accepted must parse: `null` would hide it from every policy.
        let lazy = node.values_lazy();
        prop_assert!(
            lazy.is_null() || !lazy.get().is_null(),
            "{}: values accepted but unreadable",
            node.address
        );
    }
    let mut out = Vec::new();
    plangate::report::graph::json(&graph, &mut out).expect("render to memory");
    plangate::report::graph::summary(file, &graph, &mut out).expect("render to memory");
    Ok(())
}

/// Every path to a value in a JSON document (object keys and array indexes).
fn paths(v: &Value, here: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                here.push(Value::String(k.clone()));
                out.push(here.clone());
                paths(x, here, out);
                here.pop();
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                here.push(Value::from(i));
                out.push(here.clone());
                paths(x, here, out);
                here.pop();
            }
        }
        _ => {}
    }
}

/// The container holding the value at `path` (the path without its last step).
fn parent<'v>(doc: &'v mut Value, path: &[Value]) -> &'v mut Value {
    let mut v = doc;
    for step in &path[..path.len() - 1] {
        v = match step {
            Value::String(k) => v.get_mut(k.as_str()).expect("key"),
            _ => v
                .get_mut(step.as_u64().expect("index") as usize)
                .expect("index"),
        };
    }
    v
}

/// The fixture's JSON with one path chosen by `at` edited by `edit`.
fn edited(at: Index, which: Index, edit: impl Fn(&mut Value, &Value)) -> (String, Vec<u8>) {
    let (file, bytes) = &fixtures()[which.index(fixtures().len())];
    let mut doc: Value = serde_json::from_slice(bytes).expect("fixtures are JSON");
    let mut all = Vec::new();
    paths(&doc, &mut Vec::new(), &mut all);
    let path = &all[at.index(all.len())];
    edit(parent(&mut doc, path), path.last().expect("non-empty path"));
    (file.clone(), serde_json::to_vec_pretty(&doc).unwrap())
}

/// Values of every JSON type, to put where another type was.
fn replacement() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,8}".prop_map(Value::String),
        Just(Value::Array(vec![])),
        Just(Value::Array(vec![Value::from(1), Value::from("x")])),
        Just(Value::Object(Default::default())),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn cut_short_at_any_byte(which: Index, at: Index) {
        let (file, bytes) = &fixtures()[which.index(fixtures().len())];
        let cut = at.index(bytes.len() + 1);
        check(file, &bytes[..cut])?;
    }

    #[test]
    fn one_byte_flipped(which: Index, at: Index, mask in 1u8..=255) {
        let (file, bytes) = &fixtures()[which.index(fixtures().len())];
        let mut bytes = bytes.clone();
        let i = at.index(bytes.len());
        bytes[i] ^= mask;
        check(file, &bytes)?;
    }

    #[test]
    fn one_key_deleted(which: Index, at: Index) {
        let (file, bytes) = edited(at, which, |container, last| match (container, last) {
            (Value::Object(m), Value::String(k)) => {
                m.remove(k);
            }
            (Value::Array(a), i) => {
                a.remove(i.as_u64().unwrap() as usize);
            }
            _ => unreachable!("paths step into objects and arrays only"),
        });
        check(&file, &bytes)?;
    }

    #[test]
    fn one_value_changes_type(which: Index, at: Index, new in replacement()) {
        let (file, bytes) = edited(at, which, |container, last| match (container, last) {
            (Value::Object(m), Value::String(k)) => {
                m.insert(k.clone(), new.clone());
            }
            (Value::Array(a), i) => {
                a[i.as_u64().unwrap() as usize] = new.clone();
            }
            _ => unreachable!("paths step into objects and arrays only"),
        });
        check(&file, &bytes)?;
    }
}
