//! External prerequisites: data sources that look up infrastructure the configuration does
//! not create (a hosted zone, a VPC, a secret, remote state). In a fresh account every one of
//! them fails the first `terraform plan`, and with it every resource that depends on it.
//!
//! Each data source type is classified: **self-contained** (computed locally or from the
//! provider's own context: `aws_iam_policy_document`, `aws_caller_identity`), **lookup** of
//! pre-existing infrastructure (the default for types nobody classified), or **remote** /
//! side-effecting (`terraform_remote_state`, `http`, `external`). A lookup whose arguments
//! come from a resource managed in this same plan is internal, not a prerequisite.

use crate::graph::values::{marked, Seg};
use crate::graph::{Action, Graph, NodeId};
use crate::plan::Mode;
use globset::{Glob, GlobSet, GlobSetBuilder};
use serde_json::{Map, Value};
use std::collections::VecDeque;

/// How a data source type depends on the world outside the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    SelfContained,
    Lookup,
    Remote,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Class::SelfContained => "self-contained",
            Class::Lookup => "lookup",
            Class::Remote => "remote",
        }
    }
}

/// Type globs for each class; a type in none of them is a lookup.
#[derive(Debug, Clone)]
pub struct Classification {
    self_contained: GlobSet,
    remote: GlobSet,
    lookup: GlobSet,
}

impl Classification {
    /// Build from glob lists; an invalid glob is reported with its text.
    pub fn new(self_contained: &[&str], lookup: &[&str], remote: &[&str]) -> Result<Self, String> {
        fn set(globs: &[&str]) -> Result<GlobSet, String> {
            let mut b = GlobSetBuilder::new();
            for g in globs {
                b.add(Glob::new(g).map_err(|e| format!("invalid type glob {g:?}: {e}"))?);
            }
            b.build().map_err(|e| e.to_string())
        }
        Ok(Classification {
            self_contained: set(self_contained)?,
            remote: set(remote)?,
            lookup: set(lookup)?,
        })
    }

    /// Explicit lookups win over the other lists, so a user can reclassify a type.
    pub fn classify(&self, type_: &str) -> Class {
        if self.lookup.is_match(type_) {
            Class::Lookup
        } else if self.remote.is_match(type_) {
            Class::Remote
        } else if self.self_contained.is_match(type_) {
            Class::SelfContained
        } else {
            Class::Lookup
        }
    }
}

/// A data source the plan needs from outside.
#[derive(Debug, Clone, PartialEq)]
pub struct Prerequisite {
    pub node: NodeId,
    pub class: Class,
    /// The identifying arguments and results the plan knows (sensitive ones left out).
    pub looked_up: Map<String, Value>,
    /// Every resource that depends on it, directly or transitively.
    pub dependants: Vec<NodeId>,
    /// Terraform's reason when the read is deferred to apply (`read` action).
    pub deferred: Option<String>,
}

/// Arguments worth showing to say *what* is looked up.
const IDENTIFYING: [&str; 18] = [
    "name",
    "id",
    "arn",
    "zone_id",
    "secret_id",
    "key_id",
    "domain",
    "bucket",
    "cidr_block",
    "vpc_id",
    "filter",
    "tags",
    "most_recent",
    "owners",
    "backend",
    "config",
    "url",
    "program",
];

/// The prerequisite a data source is, or `None` when it is self-contained or internal.
pub fn prerequisite(g: &Graph, id: NodeId, c: &Classification) -> Option<Prerequisite> {
    let node = g.node(id);
    if node.mode != Mode::Data || node.deposed.is_some() {
        return None;
    }
    let class = c.classify(&node.type_);
    if class == Class::SelfContained || (class == Class::Lookup && internal(g, id)) {
        return None;
    }
    Some(Prerequisite {
        node: id,
        class,
        looked_up: identifying(g, id),
        dependants: dependants(g, id),
        deferred: (node.action == Action::Read).then(|| {
            node.action_reason
                .clone()
                .unwrap_or_else(|| "the read is deferred to apply".into())
        }),
    })
}

/// True when an argument of the data source comes from a resource managed in this plan
/// (directly, or through another data source that does).
fn internal(g: &Graph, id: NodeId) -> bool {
    let mut seen = vec![id];
    let mut queue = VecDeque::from([id]);
    while let Some(n) = queue.pop_front() {
        for e in g.outgoing(n) {
            let to = g.node(e.to);
            if to.mode == Mode::Managed && !to.from_prior_state {
                return true;
            }
            if to.mode == Mode::Data && !seen.contains(&e.to) {
                seen.push(e.to);
                queue.push_back(e.to);
            }
        }
    }
    false
}

fn identifying(g: &Graph, id: NodeId) -> Map<String, Value> {
    let node = g.node(id);
    let mut out = Map::new();
    let Some(values) = node.values().as_object() else {
        return out;
    };
    for k in IDENTIFYING {
        let Some(v) = values.get(k) else { continue };
        if v.is_null() || v == &Value::Array(vec![]) || v == &Value::Object(Map::new()) {
            continue;
        }
        if marked(node.sensitive(), &[Seg::Key(k.to_string())]) {
            out.insert(k.to_string(), Value::String("(sensitive)".into()));
            continue;
        }
        out.insert(k.to_string(), v.clone());
    }
    out
}

/// Every node that takes a value from `id`, transitively, in address order.
pub fn dependants(g: &Graph, id: NodeId) -> Vec<NodeId> {
    let mut seen = vec![false; g.nodes.len()];
    seen[id] = true;
    let mut queue = VecDeque::from([id]);
    let mut out = Vec::new();
    while let Some(n) = queue.pop_front() {
        for e in g.incoming(n) {
            if !seen[e.from] {
                seen[e.from] = true;
                out.push(e.from);
                queue.push_back(e.from);
            }
        }
    }
    out.sort_by(|a, b| g.node(*a).address.cmp(&g.node(*b).address));
    out
}
