//! `check = "unresolved-references"`: unknown when the instance has references the graph could
//! not follow (through `local.`, a dynamic block, a function), pass otherwise. The smallest
//! useful check, and the example of the registry.
//!
//! Parameters: `ignore` — a list of reference prefixes to leave aside (e.g. `["local."]`).

use super::{Check, CheckInput};
use crate::policy::tri::{Fact, Tri, Verdict};
use serde_json::{Map, Value};

pub struct UnresolvedReferences;

fn ignored(params: &Map<String, Value>) -> Vec<&str> {
    params
        .get("ignore")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

impl Check for UnresolvedReferences {
    fn name(&self) -> &'static str {
        "unresolved-references"
    }

    fn summary(&self) -> &'static str {
        "unknown when the instance has references that cannot be followed to a resource; params: ignore = [reference prefixes]"
    }

    fn validate(&self, params: &Map<String, Value>) -> Vec<String> {
        match params.get("ignore") {
            None => Vec::new(),
            Some(Value::Array(a)) if a.iter().all(Value::is_string) => Vec::new(),
            Some(_) => vec!["parameter `ignore` of check `unresolved-references` must be a list of strings, e.g. ignore = [\"local.\"]".into()],
        }
    }

    fn evaluate(&self, input: &CheckInput<'_>) -> Verdict {
        let ignore = ignored(input.params);
        let facts: Vec<Fact> = input
            .graph
            .unresolved_of(input.node)
            .filter(|u| !ignore.iter().any(|p| u.reference.starts_with(p)))
            .map(|u| {
                let from = &input.graph.node(input.node).address;
                Fact::text(crate::policy::relation_text(
                    &u.attribute,
                    from,
                    &u.reference,
                    &u.reason,
                ))
            })
            .collect();
        if facts.is_empty() {
            Verdict::fact(Tri::True, Fact::text("every reference was followed"))
        } else {
            Verdict::new(Tri::Unknown, facts)
        }
    }
}
