//! plangate binary: `main` → `run` → exit code. The only place where outcomes become exit
//! codes: 0 nothing at or above `--fail-on` failed, 1 it did, 2 usage, input, policy or
//! config error. A closed stdout (`plangate … | head`) is not an error.

#![allow(clippy::print_stderr)]

use clap::Parser;
use plangate::app::{self, FailOn, Settings};
use plangate::error::Error;
use plangate::graph::Graph;
use plangate::plan;
use plangate::report::{self, Report, Severity};
use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

mod cli;
mod explain;
use cli::{CheckArgs, Cli, Command, FailOnArg, Format, GraphFormat, PolicyArgs, RulesAction};

/// mimalloc: allocation-heavy stages (graph build, findings) run ~1.5× faster than with the
/// system allocator (docs/performance.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc keeps freed memory for 1 s (its arenas for 10 s) before giving it back to the OS,
/// which a check of a few seconds never reaches: the memory freed by one stage (the plan's
/// text, each policy's parsed values) stayed resident while the next allocated fresh pages.
/// After 100 ms (1 s for arenas) it is given back, which took the peak of the ~100 MB check
/// from 226-241 to 214-227 MB at the same speed; 0 (at once) took it to 203-211 MB but cost
/// ~15 % more time in page faults. A check of small plans is over before 100 ms, so nothing
/// was given back at all: below [`SMALL_PLANS`] the delay is 0 ([`tune_for_plans`]).
/// `MIMALLOC_PURGE_DELAY` set by the user wins.
fn tune_allocator() {
    set_purge_delay(100);
}

/// `mi_option_purge_delay` in mimalloc v3's `mimalloc.h` (the `libmimalloc-sys` 0.1.49
/// bindings name no constant for it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn set_purge_delay(ms: std::ffi::c_long) {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: `mi_option_set` stores an option's value, which mimalloc reads whenever it
        // schedules a purge; any value is valid for this option.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, ms) };
    }
}

/// Plans of less than this, in all, are read with freed memory given back at once. A ~10 MB
/// check is over in ~0.1 s, before the 100 ms delay gives anything back: it peaked at 38-43 MB
/// with the delay and at 26 MB without, for ~10 % more time (median 0.09 -> 0.10 s); a ~30 MB
/// one at 76-92 MB against 56 MB (0.26 -> 0.29 s). From ~50 MB up the delay costs less memory
/// (117 against 92 MB at ~50 MB, 2.3x the plan) and saves 8-15 % of the time.
const SMALL_PLANS: u64 = 48 << 20;

/// The purge delay for the plans about to be read: 0 when they are [`small_plans`].
fn tune_for_plans<'a>(paths: impl IntoIterator<Item = &'a str>) {
    if small_plans(paths) {
        set_purge_delay(0);
    }
}

/// The plans are all files (standard input has no size before it is read) of less than
/// [`SMALL_PLANS`] in all.
fn small_plans<'a>(paths: impl IntoIterator<Item = &'a str>) -> bool {
    let mut total = 0u64;
    for p in paths {
        match plangate::plan::regular_file_len(p) {
            Some(len) => total = total.saturating_add(len),
            None => return false,
        }
        if total >= SMALL_PLANS {
            return false;
        }
    }
    true
}

fn main() -> ExitCode {
    tune_allocator();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(Failure::Pipe) => ExitCode::from(0),
        Err(Failure::Error(e)) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

enum Failure {
    Error(Error),
    Pipe,
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Error(e)
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        if e.kind() == io::ErrorKind::BrokenPipe {
            Failure::Pipe
        } else {
            Failure::Error(Error::io("<stdout>", e))
        }
    }
}

fn settings(p: &PolicyArgs) -> Settings {
    Settings {
        env: p.env.clone(),
        policy_paths: p.policies.clone(),
        config: p.config.clone(),
        only: p.only.clone(),
        skip: p.skip.clone(),
        no_builtin: p.no_builtin,
    }
}

fn run(cli: Cli) -> Result<u8, Failure> {
    match cli.command {
        Command::Check(args) => {
            tune_for_plans(args.plans.iter().map(String::as_str));
            check(args)
        }
        Command::Graph(args) => {
            tune_for_plans([args.plan.as_str()]);
            let graph = Graph::from_document(plan::read(&args.plan)?);
            let name = plan::display_name(&args.plan);
            let mut out = stdout();
            match args.format {
                GraphFormat::Summary => report::graph::summary(name, &graph, &mut out)?,
                GraphFormat::Dot => report::graph::dot(&graph, &mut out)?,
                GraphFormat::Mermaid => report::graph::mermaid(&graph, &mut out)?,
                GraphFormat::Json => report::graph::json(&graph, &mut out)?,
            }
            out.flush()?;
            Ok(0)
        }
        Command::Rules(args) => match args.action {
            Some(RulesAction::Show { id, policy }) => {
                let loaded = app::load(&settings(&policy))?;
                let Some(p) = loaded.policies.iter().find(|p| p.id == id) else {
                    return Err(Error::Usage(format!(
                        "no rule `{id}` among the loaded policies; `plangate rules` lists them"
                    ))
                    .into());
                };
                let mut out = stdout();
                explain::rule_page(p, &mut out)?;
                out.flush()?;
                Ok(0)
            }
            None => {
                let loaded = app::load(&settings(&args.policy))?;
                let mut out = stdout();
                explain::rules_list(&loaded.policies, args.json, &mut out)?;
                out.flush()?;
                Ok(0)
            }
        },
        Command::Explain(args) => {
            tune_for_plans([args.plan.as_str()]);
            let s = settings(&args.policy);
            let loaded = app::load(&s)?;
            let mut out = stdout();
            let code = explain::resource(&loaded, &args.plan, &args.address, &s, &mut out)?;
            out.flush()?;
            Ok(code)
        }
        Command::Test(args) => {
            let outcome = plangate::policy::testing::run(&args.dir)?;
            let mut out = stdout();
            write!(out, "{outcome}")?;
            out.flush()?;
            Ok(if outcome.passed() { 0 } else { 1 })
        }
        Command::Prerequisites(args) => {
            let s = settings(&args.policy);
            let loaded = app::load(&s)?;
            let graph = app::read_plan(&args.plan)?;
            let name = plan::display_name(&args.plan);
            let env =
                plangate::policy::env::detect(&graph, s.env.as_deref(), &loaded.config.environment);
            let list = app::prerequisites(&loaded, &graph, name, &env.name);
            let mut out = stdout();
            explain::prerequisites(&list, args.json, &mut out)?;
            out.flush()?;
            Ok(0)
        }
    }
}

/// Where one format goes.
struct Target {
    format: Format,
    file: Option<PathBuf>,
}

/// Pair `--format` and `--output` by position; formats without a file go to stdout.
fn targets(args: &CheckArgs) -> Result<Vec<Target>, Error> {
    let formats = if args.format.is_empty() {
        vec![Format::Table]
    } else {
        args.format.clone()
    };
    if args.output.len() > formats.len() {
        return Err(Error::Usage(format!(
            "{} --output given for {} --format; each --output pairs with the --format at the same position",
            args.output.len(),
            formats.len()
        )));
    }
    let targets: Vec<Target> = formats
        .into_iter()
        .enumerate()
        .map(|(i, format)| Target {
            format,
            file: args.output.get(i).cloned(),
        })
        .collect();
    if targets.iter().filter(|t| t.file.is_none()).count() > 1 {
        return Err(Error::Usage(
            "more than one --format would go to standard output; give an --output FILE for all but one".into(),
        ));
    }
    Ok(targets)
}

fn check(args: CheckArgs) -> Result<u8, Failure> {
    let targets = targets(&args)?;
    let s = settings(&args.policy);
    let (loaded, source_map, mut report) =
        app::load_and_check(&s, &args.plans, || match &args.source_dir {
            Some(d) => plangate::source_map::SourceMap::load(d).map(Some),
            None => Ok(None),
        })?;
    let fail_on = match args.fail_on {
        Some(FailOnArg::Never) => FailOn::Never,
        Some(f) => FailOn::Severity(severity(f)),
        None => FailOn::Severity(loaded.config.fail_on.unwrap_or(Severity::High)),
    };
    let failed = app::gate(&mut report, &loaded.policies, fail_on, args.fail_on_unknown);
    let gate = report::markdown::Gate {
        fail_on: match fail_on {
            FailOn::Severity(s) => Some(s),
            FailOn::Never => None,
        },
        fail_on_unknown: args.fail_on_unknown,
    };
    for t in &targets {
        let color = t.file.is_none()
            && io::stdout().is_terminal()
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        let render = |w: &mut dyn Write| -> io::Result<()> {
            match t.format {
                Format::Table => report::table::render(
                    &report,
                    report::table::Options {
                        color,
                        verbose: args.verbose,
                    },
                    w,
                ),
                Format::Json => report::json::render(&report, w),
                Format::Sarif => report::sarif::render(
                    &report,
                    report::sarif::Options {
                        source_map: source_map.as_ref(),
                    },
                    w,
                ),
                Format::Junit => report::junit::render(&report, w),
                Format::Markdown => report::markdown::render(
                    &report,
                    report::markdown::Options {
                        gate,
                        ..Default::default()
                    },
                    w,
                ),
                Format::Github => report::github::render(
                    &report,
                    report::github::Options {
                        source_map: source_map.as_ref(),
                    },
                    w,
                ),
            }
        };
        match &t.file {
            Some(path) => {
                let name = path.display().to_string();
                let f = File::create(path).map_err(|e| Error::io(&name, e))?;
                let mut w = BufWriter::with_capacity(OUT_BUFFER, f);
                render(&mut w)
                    .and_then(|_| w.flush())
                    .map_err(|e| Error::io(&name, e))?;
            }
            None => {
                let mut out = stdout();
                render(&mut out)?;
                out.flush()?;
            }
        }
    }
    warn_notes(&report);
    // The report can hold tens of thousands of findings; freeing them one by one just before
    // the process exits (and the OS takes the memory back at once) is wasted time.
    std::mem::forget(report);
    Ok(if failed { 1 } else { 0 })
}

/// Standard output, locked once, behind a large buffer. A bare `StdoutLock` is line-buffered:
/// renderers that write piece by piece (serde_json, `writeln!`) would pay a `write` system
/// call for every line.
fn stdout() -> BufWriter<io::StdoutLock<'static>> {
    BufWriter::with_capacity(OUT_BUFFER, io::stdout().lock())
}

/// Bytes buffered before a write to standard output or a report file.
const OUT_BUFFER: usize = 256 * 1024;

/// Stale or expired waivers are also said on stderr, where a CI log shows them.
fn warn_notes(report: &Report) {
    let mut seen = std::collections::BTreeSet::new();
    for p in &report.plans {
        for n in p.notes.iter().filter(|n| n.contains("waiver")) {
            if seen.insert(n) {
                eprintln!("warning: {n}");
            }
        }
    }
}

fn severity(f: FailOnArg) -> Severity {
    match f {
        FailOnArg::Critical => Severity::Critical,
        FailOnArg::High => Severity::High,
        FailOnArg::Medium => Severity::Medium,
        FailOnArg::Low => Severity::Low,
        FailOnArg::Info | FailOnArg::Never => Severity::Info,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_are_small_when_all_are_files_of_less_than_the_limit_in_all() {
        let dir = std::env::temp_dir().join(format!("plangate-small-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = |name: &str, len: u64| {
            let p = dir.join(name);
            // Sparse: the size is what counts, not the bytes on disk.
            File::create(&p).unwrap().set_len(len).unwrap();
            p.display().to_string()
        };
        let (a, b) = (
            file("a.json", 10 << 20),
            file("b.json", SMALL_PLANS - (5 << 20)),
        );
        assert!(small_plans([a.as_str()]));
        assert!(small_plans([b.as_str()]));
        assert!(!small_plans([a.as_str(), b.as_str()]), "the sizes add up");
        assert!(!small_plans([file("big.json", SMALL_PLANS).as_str()]));
        assert!(!small_plans([a.as_str(), "-"]), "standard input");
        let missing = dir.join("missing.json").display().to_string();
        assert!(!small_plans([missing.as_str()]));
        assert!(
            !small_plans([dir.display().to_string().as_str()]),
            "a directory"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
