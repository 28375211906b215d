//! Stage benchmarks of plangate's pipeline against the JSON parse floors, on plans made by the
//! plan generator (`examples/gen-plan.rs`, same seed: the same bytes as `scripts/bench.sh`).
//!
//! ```text
//! cargo bench --bench pipeline                       # 1 MB and 10 MB plans
//! BENCH_SIZES="1 10 30" cargo bench --bench pipeline
//! ```
//!
//! Per size: the floors (`IgnoredAny`, `Value`), plangate's read stage (`plan::parse`), the
//! graph build alone (`Graph::from_document` on an already parsed plan), and `app::check`, what
//! `plangate check` runs (read, graph, every built-in policy, the report's extras) without
//! rendering. The whole-process figures, peak memory and the targets of issue 6 are in
//! `scripts/bench.sh`; this harness says which stage the time and the allocations go to. The
//! allocation profiler adds a little to every allocation, equally for floors and stages.

#![allow(clippy::print_stdout, clippy::print_stderr)]
#![recursion_limit = "512"]

#[path = "../examples/gen_plan/mod.rs"]
#[allow(dead_code)]
mod gen_plan;

use divan::{black_box, AllocProfiler, Bencher};
use plangate::graph::Graph;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

#[global_allocator]
static ALLOC: AllocProfiler = AllocProfiler::system();

const SEED: u64 = 1;

fn main() {
    divan::main();
}

/// Plan sizes in MB, from `BENCH_SIZES` (default "1 10").
fn sizes() -> Vec<u64> {
    std::env::var("BENCH_SIZES")
        .unwrap_or_else(|_| "1 10".into())
        .split_whitespace()
        .filter_map(|s| s.parse().ok())
        .collect()
}

/// The plan of about `mb` megabytes, generated once per run.
fn plan(mb: u64) -> Arc<Vec<u8>> {
    static PLANS: OnceLock<Mutex<HashMap<u64, Arc<Vec<u8>>>>> = OnceLock::new();
    let mut plans = PLANS
        .get_or_init(Default::default)
        .lock()
        .expect("no panics while holding the lock");
    plans
        .entry(mb)
        .or_insert_with(|| {
            let stacks = gen_plan::stacks_for_bytes(mb * 1_000_000, SEED).expect("in memory");
            let opts = gen_plan::Options { stacks, seed: SEED };
            let (bytes, _) = gen_plan::write_plan(opts, Vec::new()).expect("in memory");
            Arc::new(bytes)
        })
        .clone()
}

fn parse(bytes: &[u8]) -> plangate::plan::Document {
    plangate::plan::parse("bench.json", bytes).expect("the generated plan parses")
}

#[divan::bench(args = sizes(), sample_count = 10, sample_size = 1)]
fn floor_ignored_any(b: Bencher, mb: u64) {
    let bytes = plan(mb);
    b.counter(divan::counter::BytesCount::new(bytes.len()))
        .bench(|| {
            serde_json::from_slice::<serde::de::IgnoredAny>(black_box(&bytes)).expect("valid")
        });
}

#[divan::bench(args = sizes(), sample_count = 10, sample_size = 1)]
fn floor_value(b: Bencher, mb: u64) {
    let bytes = plan(mb);
    b.counter(divan::counter::BytesCount::new(bytes.len()))
        .bench(|| serde_json::from_slice::<serde_json::Value>(black_box(&bytes)).expect("valid"));
}

#[divan::bench(args = sizes(), sample_count = 10, sample_size = 1)]
fn read_stage(b: Bencher, mb: u64) {
    let bytes = plan(mb);
    b.counter(divan::counter::BytesCount::new(bytes.len()))
        .bench(|| parse(black_box(&bytes)));
}

#[divan::bench(args = sizes(), sample_count = 10, sample_size = 1)]
fn graph_stage(b: Bencher, mb: u64) {
    let bytes = plan(mb);
    b.counter(divan::counter::BytesCount::new(bytes.len()))
        .with_inputs(|| parse(&bytes))
        .bench_values(Graph::from_document);
}

/// The plan of about `mb` megabytes as a file, for `app::check`, which reads paths.
fn plan_file(mb: u64) -> String {
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("pipeline-{mb}mb-s{SEED}.json"));
    let bytes = plan(mb);
    if std::fs::metadata(&path).map(|m| m.len()).ok() != Some(bytes.len() as u64) {
        std::fs::write(&path, &*bytes).expect("the target directory is writable");
    }
    path.to_string_lossy().into_owned()
}

#[divan::bench(args = sizes(), sample_count = 10, sample_size = 1)]
fn check_in_process(b: Bencher, mb: u64) {
    let file = plan_file(mb);
    let settings = plangate::app::Settings::default();
    let loaded = plangate::app::load(&settings).expect("the built-in policies load");
    b.counter(divan::counter::BytesCount::new(plan(mb).len()))
        .bench(|| {
            plangate::app::check(&loaded, std::slice::from_ref(&file), &settings)
                .expect("the generated plan is checked")
        });
}
