//! Policies: declarative TOML files → validated [`Policy`] values → findings over a graph.
//!
//! `raw` (serde, spans, unknown keys rejected) → `validate`/`validate_cond` (every problem at
//! once, JSONPaths, regexes, globs and CIDRs compiled) → `model`. `eval` runs policies over a
//! [`Graph`](crate::graph::Graph): value tests (`cond`, `path`, `ops`), relations over the
//! graph (`relation`), built-in analyses (`builtin`). Every (policy, instance) is pass, fail or
//! unknown (`tri`), with facts that become the message and evidence (`explain`). `env`
//! detects the environment; `testing` runs `plangate test` cases. The language is documented
//! in `docs/policy-language.md`. Nothing here prints or exits.

pub mod builtin;
mod cond;
#[cfg(test)]
mod constructs_tests;
mod context;
pub mod env;
mod eval;
mod eval_operand;
mod explain;
mod load;
pub mod model;
mod operand;
pub mod ops;
pub mod path;
mod path_cond;
mod path_filter;
pub mod projection;
mod raw;
mod relation;
mod relation_eval;
mod suggest;
pub mod template;
pub mod testing;
pub mod tri;
mod validate;
mod validate_cond;
mod validate_rel;
pub mod waiver;

pub use eval::{evaluate, evaluate_boxed, evaluate_whole, EvalOptions};
pub use load::friendly as friendly_toml;
pub use load::{
    builtin_files, is_policy_file, load, load_builtin, load_dir, load_paths, load_texts, merge,
    parse, Text,
};
pub use model::{OnUnknown, Policy};
pub(crate) use relation::unresolved_text as relation_text;
pub use validate::line_col;

use crate::report::{Finding, RuleInfo, Severity, Status};

/// The rule as formats that list rules show it.
pub fn rule_info(p: &Policy) -> RuleInfo {
    RuleInfo {
        id: p.id.clone(),
        title: p.title.clone(),
        severity: p.severity,
        remediation: p.remediation.clone(),
        docs: p.docs.clone(),
    }
}

impl Policy {
    /// Whether a finding of this policy counts against the gate, before the severity
    /// threshold: a failure always does; an unknown does when `on_unknown = "fail"`; pass and
    /// waived never do. The finding's status is not changed by this.
    pub fn gate_counts_as_failure(&self, f: &Finding) -> bool {
        match f.status {
            Status::Fail => true,
            Status::Unknown => self.on_unknown == OnUnknown::Fail,
            Status::Waived | Status::Pass => false,
        }
    }

    /// Whether the finding fails a gate with threshold `fail_on` (`--fail-on`).
    pub fn gate_fails(&self, f: &Finding, fail_on: Severity) -> bool {
        self.gate_counts_as_failure(f) && f.severity.at_least(fail_on)
    }

    /// Whether an unknown finding of this policy is shown as a warning.
    pub fn unknown_is_warning(&self) -> bool {
        self.on_unknown == OnUnknown::Warn
    }

    /// Whether the policy runs in an environment (its `when`).
    pub fn applies_to_env(&self, env: &str) -> bool {
        self.when.applies(env)
    }
}

/// The same, as a free function: `gate_counts_as_failure(&finding, &policy)`.
pub fn gate_counts_as_failure(f: &Finding, p: &Policy) -> bool {
    p.gate_counts_as_failure(f)
}

/// Keep the policies `--only` names (all when empty) and drop those `--skip` names. A pattern
/// is a rule id, a pack name, or a glob over ids (`cost.*`). A pattern that matches no loaded
/// policy is a usage error (a typo would otherwise silently check nothing).
pub fn filter_rules(
    policies: Vec<Policy>,
    only: &[String],
    skip: &[String],
) -> crate::error::Result<Vec<Policy>> {
    let matcher =
        |pats: &[String], flag: &str| -> crate::error::Result<Vec<globset::GlobMatcher>> {
            pats.iter()
                .map(|p| {
                    globset::Glob::new(p)
                        .map(|g| g.compile_matcher())
                        .map_err(|e| {
                            crate::error::Error::Usage(format!(
                                "{flag} {p:?} is not a valid pattern: {}",
                                e.kind()
                            ))
                        })
                })
                .collect()
        };
    let (o, s) = (matcher(only, "--only")?, matcher(skip, "--skip")?);
    let hits =
        |m: &globset::GlobMatcher, p: &Policy| m.is_match(&p.id) || m.glob().glob() == p.pack;
    for (pats, ms, flag) in [(only, &o, "--only"), (skip, &s, "--skip")] {
        for (pat, m) in pats.iter().zip(ms.iter()) {
            if !policies.iter().any(|p| hits(m, p)) {
                return Err(crate::error::Error::Usage(format!(
                    "{flag} {pat:?} matches no rule; `plangate rules` lists the rule ids and packs"
                )));
            }
        }
    }
    Ok(policies
        .into_iter()
        .filter(|p| o.is_empty() || o.iter().any(|m| hits(m, p)))
        .filter(|p| !s.iter().any(|m| hits(m, p)))
        .collect())
}
