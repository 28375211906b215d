//! `check = "max-instances"`: a plan-wide check — fails when the policy selects more than
//! `max` instances in the plan (e.g. "at most two NAT gateways in test"). The example of a
//! check that answers once per plan, the shape a budget rule takes.
//!
//! Parameters: `max` — a count (required).

use super::{Check, CheckInput, CheckScope, PlanInput, PLAN_RESOURCE};
use crate::policy::tri::{Fact, Tri, Verdict};
use serde_json::{Map, Value};

pub struct MaxInstances;

impl Check for MaxInstances {
    fn name(&self) -> &'static str {
        "max-instances"
    }

    fn summary(&self) -> &'static str {
        "plan-wide: fails when more than `max` instances are selected; params: max = count"
    }

    fn validate(&self, params: &Map<String, Value>) -> Vec<String> {
        match params.get("max").and_then(Value::as_u64) {
            Some(_) => Vec::new(),
            None => vec!["check `max-instances` needs parameter `max`, a count (e.g. max = 2 in [params.default])".into()],
        }
    }

    fn scope(&self) -> CheckScope {
        CheckScope::Plan
    }

    fn evaluate(&self, _: &CheckInput<'_>) -> Verdict {
        Verdict::fact(Tri::True, Fact::text("evaluated once per plan"))
    }

    fn evaluate_plan(&self, input: &PlanInput<'_>) -> Vec<(String, Verdict)> {
        let max = input.params.get("max").and_then(Value::as_u64).unwrap_or(0) as usize;
        let related: Vec<String> = input
            .nodes
            .iter()
            .map(|&id| input.graph.node(id).address.clone())
            .collect();
        let n = related.len();
        let tri = Tri::from_bool(n <= max);
        let text = format!("the plan has {n} selected instance(s); at most {max} allowed");
        let fact = Fact {
            text,
            evidence: Vec::new(),
            related,
        };
        vec![(PLAN_RESOURCE.to_string(), Verdict::fact(tri, fact))]
    }
}
