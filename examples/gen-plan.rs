//! Write a realistic Terraform plan (`terraform show -json`, format 1.2) of any size, for
//! benchmarks and for trying plangate on large inputs.
//!
//! ```text
//! cargo run --release --example gen-plan -- --stacks 200 --seed 1 --out plan.json
//! cargo run --release --example gen-plan -- --target-mb 100 --out plan-100mb.json
//! ```
//!
//! The plan is streamed to the output; memory stays flat whatever the size. A summary line
//! (`gen-plan: stacks=… instances=… bytes=…`) goes to standard error.

#![allow(clippy::print_stdout, clippy::print_stderr)]
#![recursion_limit = "512"]

#[path = "gen_plan/mod.rs"]
mod gen_plan;

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

const USAGE: &str = "usage: gen-plan (--stacks N | --target-mb MB) [--seed S] [--out FILE]

  --stacks N      number of VPC stacks (module.stack[\"sN\"]); about 60 KB of plan each
  --target-mb MB  choose the number of stacks for a plan of about MB megabytes (10^6 bytes)
  --seed S        seed of every random choice (default 1): same options, same bytes
  --out FILE      where to write the plan (default: standard output)";

struct Args {
    stacks: Option<usize>,
    target_mb: Option<f64>,
    seed: u64,
    out: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        stacks: None,
        target_mb: None,
        seed: 1,
        out: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "-h" || flag == "--help" {
            return Err(String::new());
        }
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let bad = |e: &dyn std::fmt::Display| format!("{flag} {value}: {e}");
        match flag.as_str() {
            "--stacks" => a.stacks = Some(value.parse().map_err(|e| bad(&e))?),
            "--target-mb" => a.target_mb = Some(value.parse().map_err(|e| bad(&e))?),
            "--seed" => a.seed = value.parse().map_err(|e| bad(&e))?,
            "--out" => a.out = Some(value),
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    if a.stacks.is_some() == a.target_mb.is_some() {
        return Err("give exactly one of --stacks and --target-mb".into());
    }
    Ok(a)
}

fn run(a: Args) -> io::Result<gen_plan::Stats> {
    let stacks = match (a.stacks, a.target_mb) {
        (Some(n), _) => n,
        (None, Some(mb)) => gen_plan::stacks_for_bytes((mb * 1e6) as u64, a.seed)?,
        (None, None) => unreachable!("checked in parse_args"),
    };
    let opts = gen_plan::Options {
        stacks,
        seed: a.seed,
    };
    let sink: Box<dyn Write> = match &a.out {
        Some(path) => Box::new(File::create(path)?),
        None => Box::new(io::stdout().lock()),
    };
    let (w, stats) = gen_plan::write_plan(opts, BufWriter::with_capacity(1 << 20, sink))?;
    w.into_inner().map_err(|e| e.into_error())?.flush()?;
    Ok(stats)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("gen-plan: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let out = args.out.clone().unwrap_or_else(|| "-".into());
    match run(args) {
        Ok(s) => {
            eprintln!(
                "gen-plan: stacks={} instances={} bytes={} out={out}",
                s.stacks, s.instances, s.bytes
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gen-plan: {out}: {e}");
            ExitCode::from(1)
        }
    }
}
