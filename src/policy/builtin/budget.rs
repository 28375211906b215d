//! `check = "environment-budget"`: a plan-wide check — fails when the monthly estimate of
//! the instances the policy selects (`analysis::cost`, from the offline price table) exceeds
//! the environment's budget, naming the top contributors. Unknown when resources that could
//! not be priced might push a total under the budget over it.
//!
//! Parameters: `budget` (USD per month, required) and `prices` (optional): a table in the
//! shape of `policies/cost/_prices.toml` whose entries override the built-in prices, so a
//! user's own budget policy can price what the table lacks or use negotiated rates.

use super::{Check, CheckInput, CheckScope, PlanInput, PLAN_RESOURCE};
use crate::analysis::cost::{estimate_nodes, Line, Prices};
use crate::graph::Graph;
use crate::policy::tri::{Fact, Tri, Verdict};
use serde_json::{Map, Value};

pub struct EnvironmentBudget;

/// How many of the most expensive resources a failure names.
const TOP: usize = 5;

/// The built-in prices with the policy's `prices` parameter over them.
pub fn prices(params: &Map<String, Value>) -> Result<Prices, String> {
    let mut p = Prices::builtin();
    if let Some(over) = params.get("prices") {
        let over: Prices = serde_json::from_value(over.clone()).map_err(|e| {
            format!("parameter `prices` of check `environment-budget` is not a price table in the shape of policies/cost/_prices.toml: {e}")
        })?;
        p.merge(over);
    }
    Ok(p)
}

fn money(x: f64) -> String {
    format!("{x:.2} USD")
}

fn contributor(g: &Graph, l: &Line) -> String {
    format!(
        "{} {}/month ({})",
        g.node(l.node).address,
        money(l.monthly.unwrap_or(0.0)),
        l.detail
    )
}

impl Check for EnvironmentBudget {
    fn name(&self) -> &'static str {
        "environment-budget"
    }

    fn summary(&self) -> &'static str {
        "plan-wide: fails when the estimated monthly cost of the selected instances exceeds `budget` (USD per month), naming the top contributors; the estimate uses plangate's offline price table, overridable with a `prices` table"
    }

    fn scope(&self) -> CheckScope {
        CheckScope::Plan
    }

    fn validate(&self, params: &Map<String, Value>) -> Vec<String> {
        let mut out = Vec::new();
        match params.get("budget") {
            Some(v) if v.as_f64().is_some_and(|b| b >= 0.0) => {}
            _ => out.push("check `environment-budget` needs parameter `budget`, a monthly amount in USD (e.g. budget = 300 in [params.test])".into()),
        }
        if let Err(e) = prices(params) {
            out.push(e);
        }
        out
    }

    fn evaluate(&self, _input: &CheckInput<'_>) -> Verdict {
        Verdict::fact(Tri::True, Fact::text("evaluated once per plan"))
    }

    fn evaluate_plan(&self, input: &PlanInput<'_>) -> Vec<(String, Verdict)> {
        let g = input.graph;
        let budget = input
            .params
            .get("budget")
            .and_then(Value::as_f64)
            .unwrap_or(0.0);
        // Validated at load; the built-in table is the fallback.
        let prices = prices(input.params).unwrap_or_else(|_| Prices::builtin());
        let est = estimate_nodes(g, input.nodes, &prices);
        let basis = format!(
            "an estimate from approximate on-demand prices for {} ({}), not a bill",
            est.region, prices.date
        );
        let mut priced: Vec<&Line> = est.lines.iter().filter(|l| l.monthly.is_some()).collect();
        priced.sort_by(|a, b| {
            b.monthly
                .partial_cmp(&a.monthly)
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        let listed = |keep: fn(&Line) -> bool| -> Vec<String> {
            est.lines
                .iter()
                .filter(|l| keep(l))
                .map(|l| format!("{}: {}", g.node(l.node).address, l.detail))
                .collect()
        };
        // Unpriced resources may hide any amount: undecided. A priced instance whose storage
        // is known only after apply is a lower bound, said so in the message.
        let unpriced = listed(|l| l.monthly.is_none());
        let partial = listed(|l| l.monthly.is_some() && l.partial);
        let lower_bound = if partial.is_empty() {
            String::new()
        } else {
            format!("; a lower bound: {}", partial.join("; "))
        };
        let env = input.env;
        let verdict = if est.total > budget {
            let top: Vec<String> = priced.iter().take(TOP).map(|l| contributor(g, l)).collect();
            let related = priced
                .iter()
                .take(TOP)
                .map(|l| g.node(l.node).address.clone())
                .collect();
            Verdict::fact(
                Tri::False,
                Fact {
                    text: format!(
                        "the estimated monthly cost is {}, {} over the {env} budget of {} ({basis}); the largest: {}; make these smaller (the other cost.* findings say how) or raise the {env} budget",
                        money(est.total),
                        money(est.total - budget),
                        money(budget),
                        top.join("; ")
                    ),
                    evidence: Vec::new(),
                    related,
                },
            )
        } else if !unpriced.is_empty() {
            Verdict::fact(
                Tri::Unknown,
                Fact::text(format!(
                    "the priced resources come to {} a month, within the {env} budget of {} ({basis}), but {} could not be priced: {}{lower_bound}",
                    money(est.total),
                    money(budget),
                    unpriced.len(),
                    unpriced.join("; ")
                )),
            )
        } else {
            Verdict::fact(
                Tri::True,
                Fact::text(format!(
                    "the estimated monthly cost is {}, within the {env} budget of {} ({basis}){lower_bound}",
                    money(est.total),
                    money(budget)
                )),
            )
        };
        vec![(PLAN_RESOURCE.to_string(), verdict)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{read, Document};

    fn load(name: &str) -> Graph {
        let path = format!("{}/testdata/plans/{name}", env!("CARGO_MANIFEST_DIR"));
        match read(&path).unwrap() {
            Document::Plan(p) => Graph::from_plan(*p),
            Document::State(s) => Graph::from_state(*s),
        }
    }

    fn run(g: &Graph, params: Value) -> Verdict {
        let params = params.as_object().unwrap().clone();
        assert!(EnvironmentBudget.validate(&params).is_empty());
        let nodes: Vec<usize> = (0..g.nodes.len()).collect();
        let input = PlanInput {
            graph: g,
            nodes: &nodes,
            params: &params,
            env: "test",
        };
        let mut out = EnvironmentBudget.evaluate_plan(&input);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].0, PLAN_RESOURCE);
        out.pop().unwrap().1
    }

    #[test]
    fn within_and_over_the_budget() {
        let g = load("rds-test-env-fixed.json");
        let v = run(&g, serde_json::json!({ "budget": 300 }));
        assert_eq!(v.tri, Tri::True, "{:?}", v.facts);
        let v = run(&g, serde_json::json!({ "budget": 5 }));
        assert_eq!(v.tri, Tri::False);
        assert!(
            v.facts[0].text.contains("aws_db_instance.main"),
            "{}",
            v.facts[0].text
        );
        assert_eq!(v.facts[0].related[0], "aws_db_instance.main");
    }

    #[test]
    fn prices_parameter_overrides_the_table() {
        let g = load("rds-test-env-fixed.json");
        // 1 USD an hour for db.t4g.micro: 730 USD a month before the region factor.
        let v = run(
            &g,
            serde_json::json!({ "budget": 300, "prices": { "rds_instance_hourly": { "db.t4g.micro": 1.0 } } }),
        );
        assert_eq!(v.tri, Tri::False, "{:?}", v.facts);
        assert!(v.facts[0].text.contains("db.t4g.micro"));
    }

    #[test]
    fn bad_parameters_are_load_errors() {
        let p = |v: Value| v.as_object().unwrap().clone();
        assert_eq!(
            EnvironmentBudget.validate(&p(serde_json::json!({}))).len(),
            1
        );
        let e = EnvironmentBudget.validate(&p(
            serde_json::json!({ "budget": 1, "prices": { "rds_hourly": {} } }),
        ));
        assert!(e[0].contains("parameter `prices`"), "{e:?}");
    }

    #[test]
    fn unknown_storage_is_a_lower_bound_not_an_unknown() {
        let g = load("dr-database.json");
        let v = run(&g, serde_json::json!({ "budget": 10000 }));
        assert_eq!(v.tri, Tri::True, "{:?}", v.facts);
        assert!(
            v.facts[0]
                .text
                .contains("a lower bound: aws_db_instance.replica"),
            "{}",
            v.facts[0].text
        );
    }
}
