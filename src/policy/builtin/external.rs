//! `check = "external-prerequisite"` on data sources: fails when the data source looks up
//! infrastructure this configuration does not create (of the classes the policy reports),
//! naming every resource that depends on it. `check = "deferred-read"`: a data source read
//! during apply, with Terraform's reason.
//!
//! Also the glue the CLI needs: [`accept_prerequisites`] adds `[external.allow]` of
//! `plangate.toml` to the `allow` parameter of every external-prerequisite policy, and
//! [`classification`] / [`prerequisites`] give the inventory with the classification the
//! loaded policies use.

use super::{Check, CheckInput};
use crate::analysis::external::{
    deferred_reason, inventory, prerequisite, Class, Classification, Prerequisite, SENSITIVE,
};
use crate::graph::Graph;
use crate::policy::tri::{Fact, Tri, Verdict};
use crate::policy::Policy;
use crate::report::Evidence;
use globset::{Glob, GlobSet, GlobSetBuilder};
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

/// The name policies use for the prerequisite check.
pub const EXTERNAL_PREREQUISITE: &str = "external-prerequisite";

pub struct ExternalPrerequisite;

fn strings<'a>(params: &'a Map<String, Value>, key: &str) -> Vec<&'a str> {
    params
        .get(key)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// The built-in classification with the parameters' lists on top. The last one built is kept
/// (by the lists' contents): a check asks for it for every data source it evaluates.
fn classify_with(params: &Map<String, Value>) -> Result<Classification, String> {
    let (sc, lookup, remote) = (
        strings(params, "self_contained"),
        strings(params, "lookup"),
        strings(params, "remote"),
    );
    if sc.is_empty() && lookup.is_empty() && remote.is_empty() {
        return Ok(Classification::builtin());
    }
    type Lists = [Vec<String>; 3];
    thread_local! {
        static LAST: RefCell<Option<(Lists, Result<Classification, String>)>> =
            const { RefCell::new(None) };
    }
    let same = |l: &Lists| {
        l[0].iter().eq(sc.iter().copied())
            && l[1].iter().eq(lookup.iter().copied())
            && l[2].iter().eq(remote.iter().copied())
    };
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        if let Some((lists, c)) = &*last {
            if same(lists) {
                return c.clone();
            }
        }
        let c = Classification::new(&sc, &lookup, &remote);
        let owned = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
        *last = Some(([owned(&sc), owned(&lookup), owned(&remote)], c.clone()));
        c
    })
}

const LIST_KEYS: [&str; 5] = ["self_contained", "lookup", "remote", "classes", "allow"];

impl Check for ExternalPrerequisite {
    fn name(&self) -> &'static str {
        EXTERNAL_PREREQUISITE
    }

    fn summary(&self) -> &'static str {
        "on data sources: fails when one looks up infrastructure the configuration does not create, listing every resource that depends on it; params: self_contained, lookup, remote (type globs over the built-in policies/external/_classification.toml), classes (which to report: lookup, remote), allow (address globs of accepted prerequisites; [external.allow] in plangate.toml adds to it)"
    }

    fn validate(&self, params: &Map<String, Value>) -> Vec<String> {
        let mut problems = Vec::new();
        for k in LIST_KEYS {
            match params.get(k) {
                None => {}
                Some(Value::Array(a)) if a.iter().all(Value::is_string) => {}
                Some(_) => problems.push(format!(
                    "parameter `{k}` of check `external-prerequisite` must be a list of strings"
                )),
            }
        }
        if let Err(e) = classify_with(params) {
            problems.push(format!("check `external-prerequisite`: {e}"));
        }
        for c in strings(params, "classes") {
            if !["lookup", "remote"].contains(&c) {
                problems.push(format!("parameter `classes` of check `external-prerequisite` has {c:?}; use \"lookup\" and/or \"remote\""));
            }
        }
        for a in strings(params, "allow") {
            if let Err(e) = Glob::new(a) {
                problems.push(format!(
                    "parameter `allow` of check `external-prerequisite` has an invalid glob {a:?}: {}",
                    e.kind()
                ));
            }
        }
        problems
    }

    fn evaluate(&self, input: &CheckInput<'_>) -> Verdict {
        let g = input.graph;
        let node = g.node(input.node);
        let Ok(classes) = classify_with(input.params) else {
            let why = "the classification parameters are invalid";
            return Verdict::fact(Tri::Unknown, Fact::text(why));
        };
        let Some(p) = prerequisite(g, input.node, &classes) else {
            let class = classes.classify(&node.type_);
            let text = match class {
                Class::SelfContained => format!("{} is self-contained", node.address),
                _ => format!("{} reads what this plan creates", node.address),
            };
            return Verdict::fact(Tri::True, Fact::text(text));
        };
        let reported = strings(input.params, "classes");
        let reported = if reported.is_empty() {
            vec!["lookup", "remote"]
        } else {
            reported
        };
        if !reported.contains(&p.class.as_str()) {
            let text = format!("{} is a {} data source", node.address, p.class.as_str());
            return Verdict::fact(Tri::True, Fact::text(text));
        }
        if allowed(input.params, &node.address) {
            let text = format!(
                "{} is an accepted prerequisite in {}",
                node.address, input.env
            );
            return Verdict::fact(Tri::True, Fact::text(text));
        }
        Verdict::fact(Tri::False, failure(g, &p))
    }
}

/// True when `address` matches a glob of the `allow` parameter. The last set compiled is kept
/// (by the globs' texts).
fn allowed(params: &Map<String, Value>, address: &str) -> bool {
    thread_local! {
        static LAST: RefCell<Option<(Vec<String>, Option<GlobSet>)>> = const { RefCell::new(None) };
    }
    let globs = strings(params, "allow");
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        match &*last {
            Some((texts, _)) if texts.iter().eq(globs.iter().copied()) => {}
            _ => {
                let mut allow = GlobSetBuilder::new();
                for a in &globs {
                    if let Ok(glob) = Glob::new(a) {
                        allow.add(glob);
                    }
                }
                let texts = globs.iter().map(|s| s.to_string()).collect();
                *last = Some((texts, allow.build().ok()));
            }
        }
        last.as_ref()
            .and_then(|(_, set)| set.as_ref())
            .is_some_and(|s| s.is_match(address))
    })
}

/// What the data source depends on, and what a missing one breaks, by type.
fn what(type_: &str, class: Class) -> (&'static str, &'static str) {
    match (type_, class) {
        ("terraform_remote_state" | "tfe_outputs", _) => (
            "reads the outputs of another state",
            "the plan fails, or reads stale values, unless that state was applied first",
        ),
        ("http", _) => (
            "fetches a web endpoint while planning",
            "the plan fails whenever the endpoint does not answer",
        ),
        ("external", _) => (
            "runs a program on the machine that plans",
            "the plan fails where the program or its interpreter is missing",
        ),
        (_, Class::Remote) => (
            "reads remote or side-effecting data",
            "the plan depends on it answering",
        ),
        _ => (
            "looks up infrastructure this configuration does not create",
            "in a fresh account or region it finds nothing and the plan fails",
        ),
    }
}

fn failure(g: &Graph, p: &Prerequisite) -> Fact {
    let node = g.node(p.node);
    let dependants: Vec<String> = p
        .dependants
        .iter()
        .map(|&d| g.node(d).address.clone())
        .collect();
    let (does, breaks) = what(&node.type_, p.class);
    let looked_up = match p.describe() {
        d if d.is_empty() => String::new(),
        d => format!(" ({d})"),
    };
    let blast = match dependants.len() {
        0 => "nothing in this plan uses it".to_string(),
        n => format!("{n} resource(s) depend on it: {}", dependants.join(", ")),
    };
    let deferred = p
        .deferred
        .as_ref()
        .map(|r| format!("; it is read during apply: {r}"))
        .unwrap_or_default();
    let evidence = p
        .looked_up
        .iter()
        .map(|(k, v)| {
            let redacted = v.as_str() == Some(SENSITIVE);
            Evidence {
                path: format!("$.{k}"),
                resource: g.shared_address(p.node),
                value: (!redacted).then(|| crate::report::JsonText::new(v)),
                unknown: false,
                redacted,
            }
        })
        .collect();
    Fact {
        text: format!(
            "{} {does}{looked_up}; {breaks}, and {blast}{deferred}",
            node.address
        ),
        evidence,
        related: dependants,
    }
}

pub struct DeferredRead;

impl Check for DeferredRead {
    fn name(&self) -> &'static str {
        "deferred-read"
    }

    fn summary(&self) -> &'static str {
        "on data sources: fails when the data source is read during apply (`read` action), with Terraform's reason and the pending resources its arguments come from"
    }

    fn evaluate(&self, input: &CheckInput<'_>) -> Verdict {
        let g = input.graph;
        let node = g.node(input.node);
        let Some(reason) = deferred_reason(g, input.node) else {
            let text = format!("{} is read while planning", node.address);
            return Verdict::fact(Tri::True, Fact::text(text));
        };
        let related: Vec<String> = g
            .outgoing(input.node)
            .map(|e| g.node(e.to).address.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        Verdict::fact(
            Tri::False,
            Fact {
                text: format!("{} is read during apply: {reason}; its values, and everything computed from them, are not known at review", node.address),
                evidence: Vec::new(),
                related,
            },
        )
    }
}

/// Add `[external.allow]` of `plangate.toml` (environment, or `default` for every
/// environment → address globs) to the `allow` parameter of every policy using
/// `check = "external-prerequisite"`, on top of the policy's own. Call it once, after loading
/// the policies and before evaluating. An invalid glob is an error naming it.
pub fn accept_prerequisites(
    policies: &mut [Policy],
    allow: &BTreeMap<String, Vec<String>>,
) -> Result<(), String> {
    let mut problems = Vec::new();
    for (env, globs) in allow {
        for glob in globs {
            if let Err(e) = Glob::new(glob) {
                problems.push(format!(
                    "[external.allow] {env}: invalid address glob {glob:?}: {}",
                    e.kind()
                ));
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems.join("\n"));
    }
    let extra = |env: &str| -> Vec<Value> {
        let mut v: Vec<&String> = Vec::new();
        if env != "default" {
            v.extend(allow.get("default").into_iter().flatten());
        }
        v.extend(allow.get(env).into_iter().flatten());
        v.into_iter().map(|s| Value::String(s.clone())).collect()
    };
    for p in policies.iter_mut().filter(|p| {
        p.check
            .as_ref()
            .is_some_and(|c| c.name == EXTERNAL_PREREQUISITE)
    }) {
        let envs: BTreeSet<String> = p
            .params
            .by_env
            .keys()
            .chain(allow.keys())
            .chain(std::iter::once(&"default".to_string()))
            .cloned()
            .collect();
        for env in envs {
            let mut list: Vec<Value> = match p.params.get(&env, "allow") {
                Some(Value::Array(a)) => a.clone(),
                _ => Vec::new(),
            };
            for v in extra(&env) {
                if !list.contains(&v) {
                    list.push(v);
                }
            }
            let table = p.params.by_env.entry(env).or_default();
            table.insert("allow".into(), Value::Array(list));
        }
    }
    Ok(())
}

/// The classification of data sources for `env`: the built-in one with the parameters of
/// every loaded `external-prerequisite` policy on top (the built-in one alone when none is
/// loaded).
pub fn classification(policies: &[Policy], env: &str) -> Classification {
    let mut c = Classification::builtin();
    for p in policies.iter().filter(|p| {
        p.check
            .as_ref()
            .is_some_and(|c| c.name == EXTERNAL_PREREQUISITE)
    }) {
        let params = p.params.merged(env);
        // Parameters are validated at load; an invalid list cannot get here.
        if let Ok(next) = c.clone().extended(
            &strings(&params, "self_contained"),
            &strings(&params, "lookup"),
            &strings(&params, "remote"),
        ) {
            c = next;
        }
    }
    c
}

/// The inventory of external prerequisites of a plan (`plangate prerequisites PLAN`, the
/// report's `prerequisites`), classified as the loaded policies classify in `env`.
pub fn prerequisites(policies: &[Policy], graph: &Graph, env: &str) -> Vec<Prerequisite> {
    inventory(graph, &classification(policies, env))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn external_policies() -> Vec<Policy> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/external");
        crate::policy::load(false, &[dir]).expect("the external pack loads")
    }

    fn allow_of(p: &Policy, env: &str) -> Vec<String> {
        strings(&p.params.merged(env), "allow")
            .into_iter()
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn config_allow_list_is_added_per_environment() {
        let mut policies = external_policies();
        let allow = BTreeMap::from([
            (
                "default".to_string(),
                vec!["data.aws_route53_zone.*".to_string()],
            ),
            (
                "prod".to_string(),
                vec!["data.aws_acm_certificate.*".to_string()],
            ),
        ]);
        accept_prerequisites(&mut policies, &allow).unwrap();
        let lookup = policies
            .iter()
            .find(|p| p.id == "external.infrastructure-lookup")
            .unwrap();
        assert_eq!(allow_of(lookup, "test"), ["data.aws_route53_zone.*"]);
        assert_eq!(
            allow_of(lookup, "prod"),
            ["data.aws_route53_zone.*", "data.aws_acm_certificate.*"]
        );
        let deferred = policies
            .iter()
            .find(|p| p.id == "external.data-read-deferred-to-apply")
            .unwrap();
        assert!(deferred.params.merged("prod").get("allow").is_none());
    }

    #[test]
    fn invalid_allow_glob_is_an_error_naming_it() {
        let mut policies = external_policies();
        let allow = BTreeMap::from([("prod".to_string(), vec!["data.[".to_string()])]);
        let err = accept_prerequisites(&mut policies, &allow).unwrap_err();
        assert!(
            err.contains("[external.allow] prod") && err.contains("data.["),
            "{err}"
        );
    }

    #[test]
    fn inventory_uses_the_loaded_classification() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/testdata/plans/rds-test-env.json"
        );
        let g = Graph::from_document(crate::plan::read(path).unwrap());
        let inv = prerequisites(&external_policies(), &g, "test");
        assert_eq!(inv.len(), 1);
        assert_eq!(g.node(inv[0].node).address, "data.aws_route53_zone.primary");
        assert!(
            prerequisites(&[], &g, "test").len() == 1,
            "the built-in classification alone"
        );
    }
}
