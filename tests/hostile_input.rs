//! Hostile input too large to commit, generated in memory: a huge string value, a huge object,
//! plans whose graph would grow with the square of their size. Each runs the binary on
//! standard input under a memory limit (Linux `ulimit -v`) and must either read the plan or
//! refuse it with one clear error and exit 2 — never panic, hang or run out of memory.
//!
//! The string value is 1 GiB when the tests are built with optimisations and 256 MiB in a
//! debug build (where serde_json alone takes a minute over 1 GiB); `PLANGATE_HOSTILE_MB=1024
//! cargo test --test hostile_input` runs the full size in any build.

#![allow(clippy::print_stderr)]

use std::process::Output;
use std::time::Instant;

const MIB: usize = 1 << 20;

/// Run `plangate ARGS -` on `stdin` with at most `limit` bytes of address space.
///
/// The binary's allocator (mimalloc) reserves address space in arenas of 1 GiB and keeps
/// freed huge blocks reserved for reuse, so its address space runs far ahead of the memory it
/// uses (resident memory is the same as with the system allocator). `ulimit -v` limits
/// address space, so the child is told to take every block from the OS directly
/// (`MIMALLOC_DISALLOW_ARENA_ALLOC`): its address space then follows what it uses, and the
/// limit measures memory again.
fn run_limited(args: &[&str], stdin: Vec<u8>, limit: usize) -> Output {
    let script = format!("ulimit -v {} && exec \"$0\" \"$@\"", limit / 1024);
    let mut cmd = assert_cmd::Command::new("sh");
    cmd.arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_plangate"))
        .args(args)
        .arg("-")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env("MIMALLOC_DISALLOW_ARENA_ALLOC", "1")
        .write_stdin(stdin);
    cmd.output().expect("run plangate")
}

/// Read (exit 0, nothing on stderr) or refused (exit 2, one `error: <stdin>: ` line).
fn assert_read_or_refused(what: &str, out: &Output) -> bool {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("panicked") && !stderr.contains("memory allocation"),
        "{what}: plangate crashed: {stderr}"
    );
    match out.status.code() {
        Some(0) => {
            assert!(stderr.is_empty(), "{what}: read, but printed: {stderr}");
            true
        }
        Some(2) => {
            assert!(
                stderr.starts_with("error: <stdin>: ") && stderr.lines().count() == 1,
                "{what}: refused without one clear error: {stderr}"
            );
            false
        }
        other => panic!("{what}: exit {other:?}: {stderr}"),
    }
}

fn hostile_string_size() -> usize {
    match std::env::var("PLANGATE_HOSTILE_MB") {
        Ok(mb) => {
            mb.parse::<usize>()
                .expect("PLANGATE_HOSTILE_MB is a number")
                * MIB
        }
        Err(_) if cfg!(debug_assertions) => 256 * MIB,
        Err(_) => 1024 * MIB,
    }
}

#[test]
fn a_huge_string_value_is_read_in_bounded_memory() {
    let size = hostile_string_size();
    let head = r#"{"format_version":"1.2","resource_changes":[{"address":"aws_iam_policy.p","mode":"managed","type":"aws_iam_policy","name":"p","change":{"actions":["create"],"before":null,"after":{"name":"p","policy":""#;
    let tail = "\"}}}]}\n";
    let mut plan = Vec::with_capacity(head.len() + size + tail.len());
    plan.extend_from_slice(head.as_bytes());
    plan.resize(head.len() + size, b'A');
    plan.extend_from_slice(tail.as_bytes());
    // Standard input is read into one buffer (which may grow to twice the input while it
    // is read) and the value is kept as its raw text: about 2× the input resident, and a
    // little over 3× in address space. 4× is the bound.
    let limit = 4 * size + 256 * MIB;
    let start = Instant::now();
    let out = run_limited(&["graph"], plan, limit);
    eprintln!(
        "{} MiB string value: exit {:?} in {:.1?} under a {} MiB limit",
        size / MIB,
        out.status.code(),
        start.elapsed(),
        limit / MIB
    );
    assert!(assert_read_or_refused("huge string", &out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("resources: 1 (1 create)"), "{stdout}");
}

#[test]
fn an_object_with_200_000_keys_reads_and_so_does_a_repeated_key() {
    let keys: Vec<String> = (0..200_000).map(|k| format!("\"tag{k}\":\"v\"")).collect();
    let plan = |keys: &[String]| {
        format!(
            r#"{{"format_version":"1.2","resource_changes":[{{"address":"aws_vpc.v","mode":"managed","type":"aws_vpc","name":"v","change":{{"actions":["create"],"after":{{"tags":{{{}}}}}}}}}]}}"#,
            keys.join(",")
        )
        .into_bytes()
    };
    let out = run_limited(&["graph"], plan(&keys), 512 * MIB);
    assert!(assert_read_or_refused("200,000 keys", &out));
    let mut repeated = keys;
    repeated.push("\"tag123456\":\"w\"".into());
    // A repeated key is read, the last one counting, as Terraform's own reader does.
    let out = run_limited(&["graph"], plan(&repeated), 512 * MIB);
    assert!(assert_read_or_refused("a repeated key", &out));
    assert_eq!(out.status.code(), Some(0));
}

/// `n` instances of `aws_a.r` whose `v` names every one of `n` instances of `aws_b.r`
/// (a splat, or a reference without an index that lines up): n² edges if nothing bounds them.
fn splat_plan(n: usize) -> Vec<u8> {
    let mut changes = Vec::new();
    for t in ["a", "b"] {
        for i in 0..n {
            changes.push(format!(
                r#"{{"address":"aws_{t}.r[{i}]","mode":"managed","type":"aws_{t}","name":"r","index":{i},"change":{{"actions":["create"],"after":{{}}}}}}"#
            ));
        }
    }
    format!(
        r#"{{"format_version":"1.2","resource_changes":[{}],"configuration":{{"root_module":{{"resources":[
        {{"address":"aws_a.r","mode":"managed","type":"aws_a","name":"r","count_expression":{{"constant_value":{n}}},"expressions":{{"v":{{"references":["aws_b.r"]}}}}}},
        {{"address":"aws_b.r","mode":"managed","type":"aws_b","name":"r","count_expression":{{"constant_value":{n}}},"expressions":{{}}}}]}}}}}}"#,
        changes.join(",")
    )
    .into_bytes()
}

#[test]
fn a_splat_between_two_large_counts_stays_within_the_edge_budget() {
    // 3,000 × 3,000 = 9 million edges unbounded (about 3 GB); the budget is 64 per instance.
    let out = run_limited(&["graph"], splat_plan(3_000), 1024 * MIB);
    assert!(assert_read_or_refused("splat", &out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("edges: 384000 (384000 reference)"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "aws_a.r[2999] v: * (not followed: the graph reached plangate's limit of 384000 edges"
        ),
        "{stdout}"
    );
}

#[test]
fn instances_sharing_one_id_join_nothing() {
    // Every instance holds every other one's id: n² value joins.
    let n = 3_000;
    let changes: Vec<String> = (0..n)
        .map(|i| format!(r#"{{"address":"aws_x.r{i}","mode":"managed","type":"aws_x","name":"r{i}","change":{{"actions":["no-op"],"before":{{"id":"shared-id"}},"after":{{"id":"shared-id","peer_id":"shared-id"}}}}}}"#))
        .collect();
    let plan = format!(
        r#"{{"format_version":"1.2","resource_changes":[{}]}}"#,
        changes.join(",")
    );
    let out = run_limited(&["graph"], plan.into_bytes(), 1024 * MIB);
    assert!(assert_read_or_refused("shared id", &out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    // An id 3,000 instances hold identifies none of them: no value edge (it used to make
    // n² joins, capped only by the edge budget).
    assert!(stdout.contains("edges: 0\n"), "{stdout}");
}

#[test]
fn fifty_thousand_references_in_one_expression_are_followed_in_time() {
    let refs: Vec<String> = (0..50_000).map(|i| format!("\"aws_b.r{i}.id\"")).collect();
    let plan = format!(
        r#"{{"format_version":"1.2","resource_changes":[{{"address":"aws_a.r","mode":"managed","type":"aws_a","name":"r","change":{{"actions":["create"],"after":{{}}}}}}],
        "configuration":{{"root_module":{{"resources":[{{"address":"aws_a.r","mode":"managed","type":"aws_a","name":"r","expressions":{{"v":{{"references":[{}]}}}}}}]}}}}}}"#,
        refs.join(",")
    );
    let start = Instant::now();
    let out = run_limited(&["graph"], plan.into_bytes(), 1024 * MIB);
    assert!(assert_read_or_refused("50,000 references", &out));
    // Comparing every pair of references took 37 s here; sorted, it is well under a second
    // of it (the rest is the debug build reporting 50,000 unresolved references).
    assert!(start.elapsed().as_secs() < 30, "took {:?}", start.elapsed());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("unresolved references: 50000"), "{stdout}");
}

/// A file larger than the address space the process may have (a sparse file: it costs no
/// disk) is refused with an error, whichever way it would be read: the buffer of a file read
/// in two halves is allocated zeroed, and that allocation failing once aborted the process.
#[test]
fn a_file_larger_than_the_memory_limit_is_refused() {
    let dir = std::env::temp_dir().join(format!("plangate-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("sparse.json");
    std::fs::File::create(&path)
        .unwrap()
        .set_len(300 * MIB as u64)
        .unwrap();
    let script = format!("ulimit -v {} && exec \"$0\" \"$@\"", 200 * MIB / 1024);
    let out = assert_cmd::Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_plangate"))
        .arg("check")
        .arg(&path)
        .env("MIMALLOC_DISALLOW_ARENA_ALLOC", "1")
        .output()
        .expect("run plangate");
    std::fs::remove_dir_all(&dir).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("cannot read the plan: out of memory"),
        "{stderr}"
    );
}
