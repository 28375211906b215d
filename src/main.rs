//! plangate binary: `main` → `run` → exit code. The only place where outcomes become exit
//! codes: 0 nothing at or above `--fail-on` failed, 1 it did, 2 usage, input, policy or
//! config error. A closed stdout (`plangate … | head`) is not an error.

#![allow(clippy::print_stderr)]

use clap::Parser;
use plangate::error::Error;
use plangate::graph::Graph;
use plangate::plan::{self, Document};
use plangate::report;
use std::io::{self, Write};
use std::process::ExitCode;

mod cli;
use cli::{Cli, Command, GraphFormat};

fn main() -> ExitCode {
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

fn run(cli: Cli) -> Result<u8, Failure> {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    match cli.command {
        Command::Graph(args) => {
            let doc = plan::read(&args.plan)?;
            let graph = Graph::from_document(doc);
            let name = plan::display_name(&args.plan);
            match args.format {
                GraphFormat::Summary => report::graph::summary(name, &graph, &mut out)?,
                GraphFormat::Dot => report::graph::dot(&graph, &mut out)?,
                GraphFormat::Mermaid => report::graph::mermaid(&graph, &mut out)?,
                GraphFormat::Json => report::graph::json(&graph, &mut out)?,
            }
            out.flush()?;
            Ok(0)
        }
        Command::Check(args) => {
            // Read and validate every plan before reporting on any.
            let mut graphs = Vec::new();
            for p in &args.plans {
                let name = plan::display_name(p).to_string();
                let graph = match plan::read(p)? {
                    Document::Plan(pl) => Graph::from_plan(*pl),
                    Document::State(_) => {
                        return Err(Error::input(
                            name,
                            "this is a Terraform state (`terraform show -json` without a plan file), not a plan; run `terraform plan -out plan.out`, then `terraform show -json plan.out > plan.json`, and check plan.json",
                        )
                        .into())
                    }
                };
                if graph.meta.errored {
                    return Err(Error::input(
                        name,
                        "Terraform reported errors while planning (`\"errored\": true`), so the plan is incomplete and cannot be gated; fix the errors `terraform plan` printed and plan again",
                    )
                    .into());
                }
                graphs.push((name, graph));
            }
            for (name, graph) in &graphs {
                report::graph::summary(name, graph, &mut out)?;
            }
            out.flush()?;
            Ok(0)
        }
    }
}
