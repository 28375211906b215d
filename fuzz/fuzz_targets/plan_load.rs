//! Fuzz target: any bytes → `plan::parse` → `Graph::from_document` → every node's values and
//! the JSON graph renderer. Must never panic, hang or grow memory without bound; a bad input
//! must come back as an `Error` naming the file.

#![no_main]

use libfuzzer_sys::fuzz_target;
use plangate::graph::Graph;

const FILE: &str = "fuzz.json";

fuzz_target!(|bytes: &[u8]| {
    let doc = match plangate::plan::parse(FILE, bytes) {
        Ok(doc) => doc,
        Err(e) => {
            let message = e.to_string();
            assert!(
                message.starts_with(FILE),
                "error does not name the file: {message}"
            );
            return;
        }
    };
    let graph = Graph::from_document(doc);
    for node in &graph.nodes {
        // Values are kept as raw text and parsed here. `plan::parse` promises that every
        // value it accepted parses: a non-null raw value must not turn into `null` (that
        // would hide a resource's values from every policy).
        let lazy = node.values_lazy();
        assert!(
            lazy.is_null() || !lazy.get().is_null(),
            "{}: values were accepted by the read but do not parse",
            node.address
        );
        let _ = node.values();
        let _ = (
            node.before(),
            node.after(),
            node.unknown(),
            node.sensitive(),
        );
    }
    let mut out = Vec::new();
    plangate::report::graph::json(&graph, &mut out).expect("writing to a Vec cannot fail");
});
