//! Command-line interface (clap derive). Doc comments are the help text.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Gate Terraform changes: resolve the planned resource graph of `terraform show -json`
/// output and evaluate policies against it.
///
/// Exit codes: 0 nothing at or above --fail-on failed; 1 something did; 2 usage, input,
/// policy or configuration error.
#[derive(Debug, Parser)]
#[command(name = "plangate", version, about, long_about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check one or more plans against the policies.
    Check(CheckArgs),
    /// Print the resolved resource graph of a plan (or a state).
    Graph(GraphArgs),
    /// List the policies, or print one rule's documentation (`rules show ID`).
    Rules(RulesArgs),
    /// Show one resource of a plan: its values (sensitive ones redacted), its edges, and every
    /// policy verdict on it with the evidence.
    Explain(ExplainArgs),
    /// Run policy tests: every `expected.toml` / `*.test.toml` case under DIR.
    Test(TestArgs),
    /// List the external prerequisites of a plan: data sources that look up infrastructure
    /// the configuration does not create, and what depends on them.
    Prerequisites(PrerequisitesArgs),
}

/// Which policies run, in which environment.
#[derive(Debug, Clone, clap::Args, Default)]
pub struct PolicyArgs {
    /// Environment name (overrides detection from plan variables and tags).
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,
    /// A policy file or directory of policies (*.toml), in addition to the built-in packs.
    #[arg(long = "policies", value_name = "PATH")]
    pub policies: Vec<PathBuf>,
    /// Configuration file (default: plangate.toml in the working directory, if present).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Run only these rules (ids, packs or globs); may be repeated.
    #[arg(long, value_name = "RULE")]
    pub only: Vec<String>,
    /// Skip these rules (ids, packs or globs); may be repeated.
    #[arg(long, value_name = "RULE")]
    pub skip: Vec<String>,
    /// Do not load the built-in packs.
    #[arg(long)]
    pub no_builtin: bool,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Plan JSON files (`terraform show -json plan.out > plan.json`); `-` reads standard input.
    #[arg(required = true, value_name = "PLAN")]
    pub plans: Vec<String>,
    /// Output format; may be repeated, each pairing with the --output at the same position
    /// (formats without an --output go to standard output).
    #[arg(long, short, value_enum, value_name = "FORMAT")]
    pub format: Vec<Format>,
    /// Write the format at the same position to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Vec<PathBuf>,
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// Fail (exit 1) on findings at or above this severity [default: high; or [gate] fail_on].
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<FailOnArg>,
    /// Unknown findings (values known only after apply, unresolved links) fail the gate too.
    #[arg(long)]
    pub fail_on_unknown: bool,
    /// The Terraform root directory: SARIF and GitHub annotations then point at the file and
    /// line of each resource block (following local module sources).
    #[arg(long, value_name = "DIR")]
    pub source_dir: Option<PathBuf>,
    /// Also show passes and each finding's evidence in the table.
    #[arg(long, short)]
    pub verbose: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    /// A table for terminals and CI logs (the default).
    Table,
    /// The versioned JSON report (docs/json-report.md).
    Json,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// JUnit XML, a test suite per rule.
    Junit,
    /// Markdown for a pull-request comment.
    Markdown,
    /// GitHub Actions workflow commands (annotations).
    Github,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum FailOnArg {
    Critical,
    High,
    Medium,
    Low,
    Info,
    /// Never fail (report only).
    Never,
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

#[derive(Debug, clap::Args)]
pub struct RulesArgs {
    #[command(subcommand)]
    pub action: Option<RulesAction>,
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// Print the list as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum RulesAction {
    /// Print the documentation of one rule.
    Show {
        /// The rule id, e.g. `peering.missing-route`.
        id: String,
        #[command(flatten)]
        policy: PolicyArgs,
    },
}

#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// Plan JSON file; `-` reads standard input.
    #[arg(value_name = "PLAN")]
    pub plan: String,
    /// Full instance address, e.g. `module.net["a"].aws_route.r[0]`.
    #[arg(value_name = "ADDRESS")]
    pub address: String,
    #[command(flatten)]
    pub policy: PolicyArgs,
}

#[derive(Debug, clap::Args)]
pub struct TestArgs {
    /// A directory of cases (searched recursively) or one case file.
    #[arg(value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct PrerequisitesArgs {
    /// Plan JSON file; `-` reads standard input.
    #[arg(value_name = "PLAN")]
    pub plan: String,
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// Print the inventory as JSON.
    #[arg(long)]
    pub json: bool,
}
