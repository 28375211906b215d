//! The parse floors of a plan: how long serde_json takes to read the same bytes and do
//! nothing else, to compare `plangate check` with (see `scripts/bench.sh`).
//!
//! ```text
//! parse-floor [--kind ignored|value|typed|all] [--runs N] FILE
//! ```
//!
//! - `ignored`: `serde_json::from_slice::<serde::de::IgnoredAny>`: validate and skip;
//! - `value`: `serde_json::from_slice::<serde_json::Value>`: a generic tree;
//! - `typed`: `plangate::plan::parse`: plangate's own read stage (sniffing + typed parse).
//!
//! Each parse is timed alone: the file is read first, and the result is dropped after the
//! clock stops (a process that exits does not free its memory either). One line per kind and
//! run: `kind=value seconds=0.412345 read_seconds=0.030000 bytes=104857600`.
//! For a cold allocator, as `plangate check` has, run one parse per process (`--runs 1`).

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;
use std::time::Instant;

#[derive(Clone, Copy)]
enum Kind {
    Ignored,
    Value,
    Typed,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Ignored => "ignored",
            Kind::Value => "value",
            Kind::Typed => "typed",
        }
    }

    /// Parse `bytes`, returning the seconds taken and what was built (dropped by the caller).
    fn time(self, file: &str, bytes: &[u8]) -> Result<(f64, Box<dyn std::any::Any>), String> {
        let t = Instant::now();
        let built: Box<dyn std::any::Any> = match self {
            Kind::Ignored => {
                let v: serde::de::IgnoredAny =
                    serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
                Box::new(v)
            }
            Kind::Value => {
                let v: serde_json::Value =
                    serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
                Box::new(v)
            }
            Kind::Typed => {
                let d = plangate::plan::parse(file, bytes).map_err(|e| e.to_string())?;
                Box::new(d)
            }
        };
        Ok((t.elapsed().as_secs_f64(), built))
    }
}

fn main() -> ExitCode {
    let mut kinds = vec![Kind::Ignored, Kind::Value, Kind::Typed];
    let mut runs = 1usize;
    let mut file = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--kind" => {
                kinds = match args.next().as_deref() {
                    Some("ignored") => vec![Kind::Ignored],
                    Some("value") => vec![Kind::Value],
                    Some("typed") => vec![Kind::Typed],
                    Some("all") => vec![Kind::Ignored, Kind::Value, Kind::Typed],
                    other => {
                        eprintln!("parse-floor: unknown kind {other:?}");
                        return ExitCode::from(2);
                    }
                }
            }
            "--runs" => match args.next().and_then(|n| n.parse().ok()) {
                Some(n) => runs = n,
                None => {
                    eprintln!("parse-floor: --runs needs a number");
                    return ExitCode::from(2);
                }
            },
            _ => file = Some(a),
        }
    }
    let Some(file) = file else {
        eprintln!("usage: parse-floor [--kind ignored|value|typed|all] [--runs N] FILE");
        return ExitCode::from(2);
    };
    let t = Instant::now();
    let bytes = match std::fs::read(&file) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("parse-floor: {file}: {e}");
            return ExitCode::from(2);
        }
    };
    let read_seconds = t.elapsed().as_secs_f64();
    for kind in kinds {
        for _ in 0..runs {
            match kind.time(&file, &bytes) {
                Ok((seconds, built)) => {
                    println!(
                        "kind={} seconds={seconds:.6} read_seconds={read_seconds:.6} bytes={}",
                        kind.name(),
                        bytes.len()
                    );
                    drop(built);
                }
                Err(e) => {
                    eprintln!("parse-floor: {file}: {} parse failed: {e}", kind.name());
                    return ExitCode::from(1);
                }
            }
        }
    }
    ExitCode::SUCCESS
}
