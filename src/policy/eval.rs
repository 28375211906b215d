//! Evaluating policies over a graph: one finding per (policy, selected instance), pass, fail
//! or unknown, with its message, evidence and related resources.
//!
//! A policy runs only if its `when` admits the environment, and only over the resource types
//! its `select.types` names (through the graph's type index).

use super::builtin::{CheckScope, PlanInput};
use super::cond::{decide, eval as eval_cond, message_value};
use super::context::{NodeCx, PolicyRun, Run};
use super::model::{Assertion, CheckCall, Policy};
use super::template::{Placeholder, Template};
use super::tri::{Fact, Tri, Verdict};
use crate::graph::{Graph, Node, NodeId};
use crate::par::Step;
use crate::report::{Environment, Evidence, Finding, Status};
use std::sync::Arc;

/// What an evaluation needs besides the policies and the graph.
#[derive(Debug, Clone, Copy)]
pub struct EvalOptions<'a> {
    /// The environment (from `env::detect`).
    pub env: &'a Environment,
    /// The plan file, as named in findings.
    pub plan_file: &'a str,
}

/// Evaluate every policy over the graph. Findings of every status are returned, pass
/// included; the renderer decides what to show. Each policy parses values only as far as it
/// reads them (`policy::projection`), and drops them when it is done.
pub fn evaluate(policies: &[Policy], graph: &Graph, opts: &EvalOptions<'_>) -> Vec<Finding> {
    unbox(evaluate_boxed(policies, graph, opts))
}

/// [`evaluate`], each finding in a box of its own. The policies' lists of findings are
/// joined into one list when they are done: a list of boxes is 8 bytes a finding, where
/// a list of findings is ~150, and joining held both the policies' lists and the joined one
/// (~0.9 MB at ~10 MB, at the check's peak). The report keeps them boxed
/// ([`crate::report::Report::findings`]).
pub fn evaluate_boxed(
    policies: &[Policy],
    graph: &Graph,
    opts: &EvalOptions<'_>,
) -> Vec<Box<Finding>> {
    evaluate_run(policies, &Run::new(graph, opts.env, opts.plan_file, false))
}

/// [`evaluate`] reading whole values, as before projections: the same findings, to compare.
pub fn evaluate_whole(policies: &[Policy], graph: &Graph, opts: &EvalOptions<'_>) -> Vec<Finding> {
    unbox(evaluate_run(
        policies,
        &Run::new(graph, opts.env, opts.plan_file, true),
    ))
}

/// The findings out of their boxes, in order.
#[allow(
    clippy::vec_box,
    reason = "findings are joined by moving boxes (see `evaluate_boxed`)"
)]
fn unbox(findings: Vec<Box<Finding>>) -> Vec<Finding> {
    findings.into_iter().map(|f| *f).collect()
}

#[allow(
    clippy::vec_box,
    reason = "findings are joined by moving boxes (see `evaluate_boxed`)"
)]
fn evaluate_run(policies: &[Policy], run: &Run<'_>) -> Vec<Box<Finding>> {
    let chosen: Vec<&Policy> = policies
        .iter()
        .filter(|p| p.when.applies(&run.env.name))
        .collect();
    // Policies are independent: evaluated on every core, their findings put back in policy
    // order, so the report does not depend on the schedule. On a graph whose references
    // are still being resolved (`app`), the policies that do not read its links go first.
    let mut order: Vec<usize> = (0..chosen.len()).collect();
    if !run.graph.linked() {
        order.sort_by_key(|&i| reads_links(chosen[i]));
    }
    // A policy that does not read links can still need them for a few instances (an
    // unknown value is explained by the edge it comes from): on a large graph the rest of it
    // waits in a queue rather than on its thread, which goes on with the next policy while
    // they are resolved (at ~100 MB both threads waited ~90 ms for them).
    let done = crate::par::map_ordered_or_defer(
        order.len(),
        |k| {
            let p = chosen[order[k]];
            if reads_links(p) {
                run.graph.wait_linked();
            }
            evaluate_policy(p, run)
        },
        Rest::finish,
    );
    let mut per_policy: Vec<Vec<Box<Finding>>> = vec![Vec::new(); chosen.len()];
    for (k, f) in done.into_iter().enumerate() {
        per_policy[order[k]] = f;
    }
    let mut out = Vec::with_capacity(per_policy.iter().map(Vec::len).sum());
    for f in per_policy {
        out.extend(f);
    }
    out
}

/// Whether evaluating `p` reads the graph's edges or unresolved references (beyond
/// explaining an unknown value, see [`evaluate_policy`]): a relation, or a built-in check.
fn reads_links(p: &Policy) -> bool {
    fn has_relation(c: &super::model::Condition) -> bool {
        use super::model::Condition;
        match c {
            Condition::All(cs) | Condition::Any(cs) => cs.iter().any(has_relation),
            Condition::Not(c) => has_relation(c),
            Condition::Test(_) => false,
            Condition::Relation(_) => true,
        }
    }
    p.check.is_some()
        || p.select.filter.as_ref().is_some_and(has_relation)
        || p.assertions.iter().any(|a| has_relation(&a.condition))
}

/// The first pass of a policy over its instances: its findings, or what is left to do once
/// the graph's links are resolved ([`Rest`]), when some finding needs them and they are not.
#[allow(
    clippy::vec_box,
    reason = "findings are joined by moving boxes (see `evaluate_boxed`)"
)]
fn evaluate_policy<'r>(p: &'r Policy, run: &'r Run<'r>) -> Step<Vec<Box<Finding>>, Rest<'r>> {
    let mut pr = PolicyRun::new(run, p);
    let g = run.graph;
    // Without relations an instance's values are read only while it is evaluated: they are
    // freed right after (still in cache, and not all held until the policy is done).
    let only_own = !reads_links(p);
    let plan_wide = p
        .check
        .as_ref()
        .filter(|c| c.check.scope() == CheckScope::Plan);
    let mut out = Vec::new();
    let mut chosen = Vec::new();
    let mut redo: Vec<(usize, NodeId, bool)> = Vec::new();
    for t in &run.types {
        if !p.select.types.is_match(t) {
            continue;
        }
        for &id in g.of_type(t) {
            if !selected(p, g.node(id)) {
                continue;
            }
            if plan_wide.is_some() {
                let cx = NodeCx::new(&pr, id);
                let filter = p.select.filter.as_ref().map(|c| decide(c, &cx));
                if filter.is_none_or(|f| f != Tri::False) {
                    chosen.push(id);
                }
            } else {
                pr.explained_unlinked.set(false);
                let found = evaluate_node(&pr, id);
                if pr.explained_unlinked.get() {
                    redo.push((out.len(), id, found.is_some()));
                }
                if only_own {
                    pr.forget(id);
                }
                out.extend(found.map(Box::new));
            }
        }
    }
    let rest = Rest {
        pr,
        out,
        redo,
        plan_wide,
        chosen,
    };
    // On a small graph the rest is done here, waiting for the links: the policies after it
    // would otherwise run beside the resolving, and hold their findings at its peak (~0.5 MB
    // more at ~10 MB, mean of 40 runs).
    if rest.redo.is_empty() || g.linked() || !run.defer_rest {
        Step::Done(rest.finish())
    } else {
        Step::Later(rest)
    }
}

/// What is left of a policy after its first pass over the instances: the instances whose
/// finding must be made again with the graph's links, and a plan-wide check's evaluation.
struct Rest<'r> {
    pr: PolicyRun<'r>,
    #[allow(
        clippy::vec_box,
        reason = "findings are joined by moving boxes (see `evaluate_boxed`)"
    )]
    out: Vec<Box<Finding>>,
    /// Per instance to make again: the position of its finding among the policy's, the
    /// instance, and whether the first pass made one.
    redo: Vec<(usize, NodeId, bool)>,
    /// A plan-wide check, and the instances it is evaluated over.
    plan_wide: Option<&'r CheckCall>,
    chosen: Vec<NodeId>,
}

impl Rest<'_> {
    #[allow(
        clippy::vec_box,
        reason = "findings are joined by moving boxes (see `evaluate_boxed`)"
    )]
    fn finish(self) -> Vec<Box<Finding>> {
        let Rest {
            pr,
            mut out,
            redo,
            plan_wide,
            chosen,
        } = self;
        let p = pr.policy;
        let run = pr.run;
        let g = run.graph;
        // Instances whose finding explains an unknown value without the edges that say where
        // it comes from: made again, in place, once the graph has them (their values parsed
        // again: `forget` dropped them). The positions count from this policy's first finding.
        if !redo.is_empty() {
            g.wait_linked();
            let mut again = Vec::with_capacity(out.len());
            let mut before = std::mem::take(&mut out).into_iter();
            let mut at = 0;
            for (pos, id, made) in redo {
                again.extend(before.by_ref().take(pos - at));
                at = pos;
                if made {
                    before.next();
                    at += 1;
                }
                again.extend(evaluate_node(&pr, id).map(Box::new));
            }
            again.extend(before);
            out = again;
        }
        if let Some(call) = plan_wide {
            let params = p.params.merged(&run.env.name);
            let input = PlanInput {
                graph: g,
                nodes: &chosen,
                params: &params,
                env: &run.env.name,
            };
            for (resource, v) in call.check.evaluate_plan(&input) {
                out.push(Box::new(plan_finding(&pr, &resource, v)));
            }
        }
        out
    }
}

/// A finding of a plan-wide check, on an instance or on the plan as a whole.
fn plan_finding(pr: &PolicyRun<'_>, resource: &str, v: Verdict) -> Finding {
    let p = pr.policy;
    let node = pr.run.graph.find(resource);
    let (status, message) = match v.tri {
        Tri::True => (Status::Pass, join(&v.facts)),
        Tri::Unknown => (Status::Unknown, format!("undecided: {}", join(&v.facts))),
        Tri::False => {
            let msg = match (node, &p.message) {
                (Some(id), Some(t)) => render(t, &NodeCx::new(pr, id), &v.facts),
                _ => join(&v.facts),
            };
            (Status::Fail, msg)
        }
    };
    let resource = match node {
        Some(id) => pr.run.graph.shared_address(id),
        None => Arc::from(resource),
    };
    build(pr, resource, status, message, v.facts)
}

/// Mode, action, address and module (the `where` condition is evaluated separately).
fn selected(p: &Policy, n: &Node) -> bool {
    let s = &p.select;
    n.deposed.is_none()
        && s.mode.is_none_or(|m| m == n.mode)
        && s.actions.contains(&n.action)
        && s.address.as_ref().is_none_or(|g| g.is_match(&n.address))
        && s.module.as_ref().is_none_or(|g| g.is_match(&n.module))
}

/// The finding for one instance, or `None` when `where` excludes it.
fn evaluate_node(pr: &PolicyRun<'_>, id: NodeId) -> Option<Finding> {
    let p = pr.policy;
    let cx = NodeCx::new(pr, id);
    // The facts of `where` are shown only when it is unknown: build them only then.
    let filter = match p.select.filter.as_ref().map(|c| (c, decide(c, &cx))) {
        None => None,
        Some((_, Tri::False)) => return None,
        Some((_, Tri::True)) => Some(Verdict::new(Tri::True, Vec::new())),
        Some((c, Tri::Unknown)) => Some(eval_cond(c, &cx)),
    };
    let mut results: Vec<(Option<&Assertion>, Verdict)> = p
        .assertions
        .iter()
        .map(|a| (Some(a), eval_cond(&a.condition, &cx)))
        .collect();
    if let Some(call) = &p.check {
        let params = p.params.merged(&pr.run.env.name);
        let input = super::builtin::CheckInput {
            graph: pr.run.graph,
            node: id,
            params: &params,
            env: &pr.run.env.name,
        };
        results.push((None, call.check.evaluate(&input)));
    }
    let tri = results.iter().fold(Tri::True, |acc, (_, v)| acc.and(v.tri));
    let (status, message, facts) = match (tri, filter) {
        (Tri::True, _) => {
            let message = pass_message(&results);
            (Status::Pass, message, into_facts(results, Tri::True))
        }
        (Tri::False, Some(f)) if f.tri == Tri::Unknown => {
            let msg = format!(
                "undecided: whether the policy applies is not known ({}); if it does: {}",
                join(&f.facts),
                fail_message(&cx, &results)
            );
            let mut facts = f.facts;
            facts.extend(into_facts(results, Tri::False));
            (Status::Unknown, msg, facts)
        }
        (Tri::False, _) => {
            let message = fail_message(&cx, &results);
            (Status::Fail, message, into_facts(results, Tri::False))
        }
        (Tri::Unknown, f) => {
            let mut facts = into_facts(results, Tri::Unknown);
            if let Some(f) = f.filter(|f| f.tri == Tri::Unknown) {
                facts.splice(0..0, f.facts);
            }
            (
                Status::Unknown,
                format!("undecided: {}", join(&facts)),
                facts,
            )
        }
    };
    Some(finding(&cx, status, message, facts))
}

/// The facts of the results with answer `tri`, moved out.
fn into_facts(results: Vec<(Option<&Assertion>, Verdict)>, tri: Tri) -> Vec<Fact> {
    results
        .into_iter()
        .filter(|(_, v)| v.tri == tri)
        .flat_map(|(_, v)| v.facts)
        .collect()
}

/// Facts in a message: distinct, at most [`MESSAGE_FACTS`] (the evidence keeps the rest).
fn join(facts: &[Fact]) -> String {
    join_texts(facts.iter().map(|f| f.text.as_str()))
}

fn join_texts<'f>(texts: impl Iterator<Item = &'f str>) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for t in texts {
        if !seen.contains(&t) {
            seen.push(t);
        }
    }
    let more = seen.len().saturating_sub(MESSAGE_FACTS);
    seen.truncate(MESSAGE_FACTS);
    let mut s = seen.join("; ");
    if more > 0 {
        s.push_str(&format!("; and {more} more"));
    }
    s
}

/// A message names at most this many observations.
const MESSAGE_FACTS: usize = 5;

fn pass_message(results: &[(Option<&Assertion>, Verdict)]) -> String {
    join_texts(
        results
            .iter()
            .filter(|(_, v)| v.tri == Tri::True)
            .flat_map(|(_, v)| v.facts.iter().map(|f| f.text.as_str())),
    )
}

/// The messages of every failing assertion (its own template, else the policy's, else the
/// facts), joined.
fn fail_message(cx: &NodeCx<'_>, results: &[(Option<&Assertion>, Verdict)]) -> String {
    let p = cx.pr.policy;
    let mut parts: Vec<String> = Vec::new();
    for (a, v) in results.iter().filter(|(_, v)| v.tri == Tri::False) {
        let template = a.and_then(|a| a.message.as_ref()).or(p.message.as_ref());
        let text = match template {
            Some(t) => render(t, cx, &v.facts),
            None => join(&v.facts),
        };
        if !parts.contains(&text) {
            parts.push(text);
        }
    }
    parts.join("; ")
}

/// Fill a message template for the instance, from the facts of the verdict it explains.
pub fn render(t: &Template, cx: &NodeCx<'_>, facts: &[Fact]) -> String {
    let pr = cx.pr;
    let p = pr.policy;
    let n = cx.graph().node(cx.self_node);
    let first: Option<&Evidence> = facts.iter().flat_map(|f| f.evidence.iter()).next();
    let related: Vec<&str> = facts
        .iter()
        .flat_map(|f| f.related.iter().map(String::as_str))
        .collect();
    t.render(&|ph| match ph {
        Placeholder::Address => n.address.clone(),
        Placeholder::Type => n.type_.clone(),
        Placeholder::Name => n.name.clone(),
        Placeholder::Module => n.module.clone(),
        Placeholder::Action => n.action.as_str().to_string(),
        Placeholder::Env => pr.run.env.name.clone(),
        Placeholder::Id => p.id.clone(),
        Placeholder::Title => p.title.clone(),
        Placeholder::Severity => p.severity.as_str().to_string(),
        Placeholder::Value => first.map_or_else(|| "null".into(), message_value),
        Placeholder::Path => first.map_or_else(String::new, |e| e.path.clone()),
        Placeholder::Detail => join(facts),
        Placeholder::Related => {
            let mut r = related.clone();
            r.dedup();
            if r.is_empty() {
                "(none)".into()
            } else {
                r.join(", ")
            }
        }
        Placeholder::Param(name) => match p.params.get(&pr.run.env.name, name) {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Array(a)) => a
                .iter()
                .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
                .collect::<Vec<_>>()
                .join(", "),
            Some(v) => v.to_string(),
            None => "(unset)".into(),
        },
        Placeholder::Values(path) => {
            let (values, unknown, sensitive) = pr.node_values(cx.self_node);
            let hits = path.select(values, unknown);
            match hits.first() {
                Some(h) => match h.value {
                    None => "(known after apply)".into(),
                    Some(v) if crate::graph::values::sensitive_at(sensitive, &h.segs) => {
                        let _ = v;
                        "(sensitive)".into()
                    }
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(v) => super::ops::show(v),
                },
                None => "null".into(),
            }
        }
        Placeholder::Meta(path) => {
            let values: Vec<String> = path
                .select(pr.run.meta(cx.self_node), &serde_json::Value::Null)
                .into_iter()
                .filter_map(|h| h.value)
                .flat_map(|v| match v {
                    serde_json::Value::Array(a) => a.iter().map(text).collect(),
                    other => vec![text(other)],
                })
                .collect();
            if values.is_empty() {
                "(none)".into()
            } else {
                values.join(", ")
            }
        }
        Placeholder::Var(name) => match pr.run.graph.variables.get(name) {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
            None => "(unset)".into(),
        },
    })
}

/// A value as text in a message: strings bare, others as JSON, null as `null`.
fn text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => super::ops::show(other),
    }
}

fn finding(cx: &NodeCx<'_>, status: Status, message: String, facts: Vec<Fact>) -> Finding {
    let address = cx.graph().shared_address(cx.self_node);
    build(cx.pr, address, status, message, facts)
}

fn build(
    pr: &PolicyRun<'_>,
    resource: Arc<str>,
    status: Status,
    message: String,
    facts: Vec<Fact>,
) -> Finding {
    let p = pr.policy;
    // Sized for every fact's items and trimmed after the dedup: a vector grown by `push`
    // starts at 4 slots, and a finding (tens of thousands are kept to the end) has one
    // piece of evidence or none nearly always.
    let mut evidence: Vec<Evidence> =
        Vec::with_capacity(facts.iter().map(|f| f.evidence.len()).sum());
    let mut related: Vec<String> = Vec::with_capacity(facts.iter().map(|f| f.related.len()).sum());
    for f in facts {
        for e in f.evidence {
            if !evidence.contains(&e) {
                evidence.push(e);
            }
        }
        for r in f.related {
            if *r != *resource && !related.contains(&r) {
                related.push(r);
            }
        }
    }
    evidence.shrink_to_fit();
    related.shrink_to_fit();
    Finding {
        rule: pr.rule.clone(),
        severity: p.severity,
        status,
        resource,
        plan: pr.run.plan.clone(),
        message,
        evidence,
        related,
        remediation: (status != Status::Pass)
            .then(|| pr.remediation.clone())
            .flatten(),
        waiver: None,
        blocking: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The policies that do not read links, evaluated on a graph whose references are not
    /// resolved yet, find to the byte what they find on the resolved graph: a finding that
    /// explains an unknown value by its edges is made again once they are there. The graph
    /// is linked only once the evaluation waits for it, so each plan whose findings need
    /// edges goes through that path.
    #[test]
    fn evaluating_before_links_finds_what_a_linked_run_finds() {
        let root = env!("CARGO_MANIFEST_DIR");
        // The built-in ones, and one whose unknown values come from edges in the fixtures
        // (a route's peering connection created in the same plan).
        let route = crate::policy::load_texts(vec![crate::policy::Text {
            file: "route.toml".into(),
            text: "id = \"t.route\"\ntitle = \"t\"\nseverity = \"low\"\n[select]\ntypes = [\"aws_route\"]\n[[assert]]\npath = \"$.vpc_peering_connection_id\"\nop = \"equals\"\nvalue = \"pcx-1\"\n".into(),
            page: None,
            builtin: false,
        }])
        .unwrap();
        let policies: Vec<Policy> = crate::policy::load_builtin()
            .unwrap()
            .into_iter()
            .chain(route)
            .filter(|p| !reads_links(p))
            .collect();
        assert!(policies.len() > 30, "{}", policies.len());
        let env = crate::report::Environment {
            name: "test".into(),
            raw: "test".into(),
            source: "--env".into(),
        };
        let opts = EvalOptions {
            env: &env,
            plan_file: "p.json",
        };
        let mut waited = 0;
        let mut plans: Vec<_> = std::fs::read_dir(format!("{root}/testdata/plans"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        plans.sort();
        for plan in &plans {
            let read = || crate::plan::read(&plan.display().to_string());
            let Ok(crate::plan::Document::Plan(a)) = read() else {
                continue;
            };
            let linked = Graph::from_plan(*a);
            let want = serde_json::to_string(&evaluate(&policies, &linked, &opts)).unwrap();
            let needs_edges = want.contains("; it comes from ");
            // The small graphs of the fixtures wait for the links on the policy's thread;
            // a large graph's policies leave the rest for later (`Run::defer_rest`): both.
            for defer in [false, true] {
                let Ok(crate::plan::Document::Plan(b)) = read() else {
                    unreachable!("read as a plan above")
                };
                let (graph, config) = Graph::unlinked(*b);
                let got = std::thread::scope(|s| {
                    let eval = s.spawn(|| {
                        let mut run = Run::new(&graph, opts.env, opts.plan_file, false);
                        run.defer_rest = defer;
                        unbox(evaluate_run(&policies, &run))
                    });
                    if needs_edges {
                        let start = std::time::Instant::now();
                        while graph.waits.load(std::sync::atomic::Ordering::SeqCst) == 0 {
                            // Never reached in a run that works: the evaluation cannot finish
                            // without the links.
                            assert!(
                                start.elapsed().as_secs() < 120,
                                "{}: the evaluation never waited for the links",
                                plan.display()
                            );
                            std::thread::yield_now();
                        }
                        waited += 1;
                    }
                    graph.link(&config);
                    eval.join().unwrap()
                });
                assert_eq!(
                    serde_json::to_string(&got).unwrap(),
                    want,
                    "{} (rest deferred: {defer})",
                    plan.display()
                );
            }
        }
        assert!(
            waited >= 6,
            "only {waited} runs explained unknown values by edges"
        );
    }
}
