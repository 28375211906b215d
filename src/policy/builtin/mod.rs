//! Built-in analyses: named checks too rich for the declarative language (the two-sided
//! peering analysis), called from a policy with `check = "name"`. The policy still selects,
//! scopes to environments, parameterises (its merged `[params.*]` table), documents and
//! waives; the check only answers pass / fail / unknown for one instance, with facts.
//!
//! Registration is one line in [`REGISTRY`]; a test checks every entry's name is unique and
//! documented.

pub mod budget;
mod external;
mod max_instances;
mod peering;
mod replacement;
mod reverse_peering;
mod unresolved;

pub use external::{
    accept_prerequisites, classification as prerequisite_classification, prerequisites,
};

use super::tri::Verdict;
use crate::graph::{Graph, NodeId};
use serde_json::{Map, Value};

/// What a check sees for one instance.
pub struct CheckInput<'a> {
    pub graph: &'a Graph,
    pub node: NodeId,
    /// The policy's parameters for the environment (`[params.default]` ← `[params.<env>]`).
    pub params: &'a Map<String, Value>,
    /// The canonical environment name.
    pub env: &'a str,
}

/// What a plan-wide check sees: every instance the policy selects (its `where` not false).
pub struct PlanInput<'a> {
    pub graph: &'a Graph,
    pub nodes: &'a [NodeId],
    pub params: &'a Map<String, Value>,
    pub env: &'a str,
}

/// Whether a check answers per selected instance or once for the whole plan (a budget).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckScope {
    Instance,
    Plan,
}

/// The pseudo-address of findings about the plan as a whole.
pub const PLAN_RESOURCE: &str = "(plan)";

/// A named built-in analysis.
pub trait Check: Send + Sync {
    /// The name policies use: `check = "<name>"`.
    fn name(&self) -> &'static str;
    /// One sentence for `docs/policy-language.md` and error messages.
    fn summary(&self) -> &'static str;
    /// Problems with the parameters (checked at load for every environment); each message
    /// says what to change.
    fn validate(&self, params: &Map<String, Value>) -> Vec<String> {
        let _ = params;
        Vec::new()
    }
    /// Per instance (the default) or once per plan.
    fn scope(&self) -> CheckScope {
        CheckScope::Instance
    }
    /// The verdict for one selected instance (instance-scoped checks).
    fn evaluate(&self, input: &CheckInput<'_>) -> Verdict;
    /// Findings over the whole plan (plan-scoped checks): (resource address, or
    /// [`PLAN_RESOURCE`], verdict).
    fn evaluate_plan(&self, input: &PlanInput<'_>) -> Vec<(String, Verdict)> {
        let _ = input;
        Vec::new()
    }
}

/// Every built-in check.
pub static REGISTRY: &[&dyn Check] = &[
    &unresolved::UnresolvedReferences,
    &max_instances::MaxInstances,
    &peering::PeeringRoutes,
    &peering::PeeringOverlap,
    &peering::PeeringSecurityGroups,
    &peering::PeeringRouteDestination,
    &reverse_peering::ReversePeering,
    &external::ExternalPrerequisite,
    &external::DeferredRead,
    &replacement::NoDelete,
    &budget::EnvironmentBudget,
];

/// The check called `name`.
pub fn find(name: &str) -> Option<&'static dyn Check> {
    REGISTRY.iter().copied().find(|c| c.name() == name)
}

/// Names of every check, for error messages.
pub fn names() -> Vec<&'static str> {
    REGISTRY.iter().map(|c| c.name()).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_are_unique_and_kebab_case() {
        let names = super::names();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len());
        for c in super::REGISTRY {
            assert!(c
                .name()
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch == '-'));
            assert!(!c.summary().is_empty());
        }
        assert!(super::find("unresolved-references").is_some());
        assert!(super::find("max-instances").is_some());
    }
}
