//! Command-line interface (clap derive). Doc comments are the help text.

use clap::{Parser, Subcommand, ValueEnum};

/// Gate Terraform changes: resolve the planned resource graph of `terraform show -json`
/// output and evaluate policies against it.
#[derive(Debug, Parser)]
#[command(name = "plangate", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check one or more plans (JSON from `terraform show -json plan.out`; `-` reads stdin).
    Check(CheckArgs),
    /// Print the resolved resource graph of a plan (or a state).
    Graph(GraphArgs),
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Plan JSON files; `-` reads standard input.
    #[arg(required = true, value_name = "PLAN")]
    pub plans: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct GraphArgs {
    /// Plan (or state) JSON file; `-` reads standard input.
    #[arg(value_name = "PLAN")]
    pub plan: String,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = GraphFormat::Summary)]
    pub format: GraphFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum GraphFormat {
    /// Counts of resources, edges and unresolved references.
    Summary,
    /// Graphviz DOT; every edge is `"FROM" -> "TO" [label="ATTRIBUTE"]`.
    Dot,
    /// Mermaid flowchart.
    Mermaid,
    /// JSON with `nodes`, `edges` and `unresolved`.
    Json,
}
