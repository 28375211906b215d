//! External prerequisites: data sources that look up infrastructure the configuration does
//! not create (a hosted zone, a VPC, a secret, remote state). In a fresh account every one of
//! them fails the first `terraform plan`, and with it every resource that depends on it.
//!
//! Each data source type is classified: **self-contained** (computed locally or from the
//! provider's own context: `aws_iam_policy_document`, `aws_caller_identity`), **lookup** of
//! pre-existing infrastructure (the default for types nobody classified), or **remote** /
//! side-effecting (`terraform_remote_state`, `http`, `external`). The built-in classification
//! is data, `policies/external/_classification.toml`; a policy's parameters extend it. A data
//! source whose arguments come from a resource managed in this same plan is internal, not a
//! prerequisite.
//!
//! [`inventory`] lists every prerequisite of a plan (`plangate prerequisites`, the report's
//! `prerequisites` section); [`Prerequisite::to_report`] turns one into the report's shape.

use crate::graph::values::{marked, secret_named, shown_at, Seg};
use crate::graph::{Action, Graph, NodeId, Provenance};
use crate::plan::Mode;
use crate::report::extras;
use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

/// The built-in classification (`policies/external/_classification.toml`).
pub const BUILTIN_CLASSIFICATION: &str =
    include_str!("../../policies/external/_classification.toml");

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

/// One set of type globs per class.
#[derive(Debug, Clone)]
struct Layer {
    self_contained: GlobSet,
    lookup: GlobSet,
    remote: GlobSet,
}

impl Layer {
    fn new(self_contained: &[&str], lookup: &[&str], remote: &[&str]) -> Result<Layer, String> {
        fn set(globs: &[&str]) -> Result<GlobSet, String> {
            let mut b = GlobSetBuilder::new();
            for g in globs {
                b.add(Glob::new(g).map_err(|e| format!("invalid type glob {g:?}: {}", e.kind()))?);
            }
            b.build().map_err(|e| e.to_string())
        }
        Ok(Layer {
            self_contained: set(self_contained)?,
            lookup: set(lookup)?,
            remote: set(remote)?,
        })
    }

    /// Within a layer, an explicit lookup wins, then remote, then self-contained.
    fn classify(&self, type_: &str) -> Option<Class> {
        if self.lookup.is_match(type_) {
            Some(Class::Lookup)
        } else if self.remote.is_match(type_) {
            Some(Class::Remote)
        } else if self.self_contained.is_match(type_) {
            Some(Class::SelfContained)
        } else {
            None
        }
    }
}

/// Type globs for each class, in layers: a later layer (a policy's parameters) overrides an
/// earlier one (the built-in file); a type in no list is a lookup.
#[derive(Debug, Clone)]
pub struct Classification {
    layers: Vec<Arc<Layer>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClassification {
    #[serde(default)]
    self_contained: Vec<String>,
    #[serde(default)]
    lookup: Vec<String>,
    #[serde(default)]
    remote: Vec<String>,
}

impl Classification {
    /// The built-in classification with these glob lists on top (a policy's parameters);
    /// an invalid glob is reported with its text.
    pub fn new(self_contained: &[&str], lookup: &[&str], remote: &[&str]) -> Result<Self, String> {
        Classification::builtin().extended(self_contained, lookup, remote)
    }

    /// The built-in classification of `policies/external/_classification.toml`, parsed and
    /// compiled once per process (a check asks for it for every data source it evaluates).
    pub fn builtin() -> Self {
        static BUILTIN: std::sync::OnceLock<Arc<Layer>> = std::sync::OnceLock::new();
        let layer = BUILTIN.get_or_init(|| {
            let raw: RawClassification = toml::from_str(BUILTIN_CLASSIFICATION)
                .expect("the built-in classification is valid TOML (tested)");
            fn v(l: &[String]) -> Vec<&str> {
                l.iter().map(String::as_str).collect()
            }
            Arc::new(
                Layer::new(&v(&raw.self_contained), &v(&raw.lookup), &v(&raw.remote))
                    .expect("the built-in classification has valid globs (tested)"),
            )
        });
        Classification {
            layers: vec![layer.clone()],
        }
    }

    /// This classification with another layer on top, which takes precedence.
    pub fn extended(
        mut self,
        self_contained: &[&str],
        lookup: &[&str],
        remote: &[&str],
    ) -> Result<Self, String> {
        self.layers
            .push(Arc::new(Layer::new(self_contained, lookup, remote)?));
        Ok(self)
    }

    pub fn classify(&self, type_: &str) -> Class {
        self.layers
            .iter()
            .rev()
            .find_map(|l| l.classify(type_))
            .unwrap_or(Class::Lookup)
    }
}

/// A data source the plan needs from outside.
#[derive(Debug, Clone, PartialEq)]
pub struct Prerequisite {
    pub node: NodeId,
    pub class: Class,
    /// The identifying arguments (first) and results the plan knows, in that order, an arn
    /// equal to the id left out; a sensitive one is the string `(sensitive)`.
    pub looked_up: Vec<(String, Value)>,
    /// Every node that takes a value from it, directly or transitively, in address order.
    pub dependants: Vec<NodeId>,
    /// Why the read is deferred to apply (`read` action), in words.
    pub deferred: Option<String>,
}

/// The placeholder of a sensitive value in [`Prerequisite::looked_up`].
pub use crate::graph::values::SENSITIVE;

impl Prerequisite {
    /// The report's shape (`extras.prerequisites[]`), for the plan file `plan`.
    pub fn to_report(&self, g: &Graph, plan: &str) -> extras::Prerequisite {
        let node = g.node(self.node);
        // The report's contract is `redacted` ⇒ no `value`: what can be shown is, with
        // "(sensitive)" in place of the sensitive parts; only when nothing can is it redacted.
        let hidden = !self.looked_up.is_empty()
            && self
                .looked_up
                .iter()
                .all(|(_, v)| v.as_str() == Some(SENSITIVE));
        let shown: Map<String, Value> = self.looked_up.iter().cloned().collect();
        extras::Prerequisite {
            address: node.address.clone(),
            plan: plan.to_string(),
            data_type: node.type_.clone(),
            classification: self.class.as_str().to_string(),
            value: (!shown.is_empty() && !hidden).then_some(Value::Object(shown)),
            unknown: node.action == Action::Read,
            redacted: hidden,
            dependants: self
                .dependants
                .iter()
                .map(|&d| g.node(d).address.clone())
                .collect(),
            deferred: self.deferred.clone(),
        }
    }

    /// The looked-up values as `key = value` pairs, arguments first.
    pub fn describe(&self) -> String {
        self.looked_up
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) if s == SENSITIVE => format!("{k} = {s}"),
                other => format!("{k} = {other}"),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Arguments (first) and results worth showing to say *what* is looked up; a later one equal
/// to an earlier one is left out.
const IDENTIFYING: [&str; 21] = [
    "name",
    "secret_id",
    "domain",
    "bucket",
    "key_id",
    "filter",
    "tags",
    "most_recent",
    "owners",
    "backend",
    "config",
    "workspace",
    "organization",
    "url",
    "program",
    "zone_id",
    "vpc_id",
    "cidr_block",
    "id",
    "arn",
    "ids",
];

/// Every prerequisite of the plan: data sources of the lookup or remote class that nothing in
/// the plan feeds, in address order.
pub fn inventory(g: &Graph, c: &Classification) -> Vec<Prerequisite> {
    let mut out: Vec<Prerequisite> = (0..g.nodes.len())
        .filter_map(|id| prerequisite(g, id, c))
        .collect();
    out.sort_by(|a, b| g.node(a.node).address.cmp(&g.node(b.node).address));
    out
}

/// The prerequisite a data source is, or `None` when it is self-contained or internal.
pub fn prerequisite(g: &Graph, id: NodeId, c: &Classification) -> Option<Prerequisite> {
    let node = g.node(id);
    if node.mode != Mode::Data || node.deposed.is_some() {
        return None;
    }
    let class = c.classify(&node.type_);
    if class == Class::SelfContained || internal(g, id) {
        return None;
    }
    Some(Prerequisite {
        node: id,
        class,
        looked_up: identifying(g, id),
        dependants: dependants(g, id),
        deferred: deferred_reason(g, id),
    })
}

/// True when an argument of the data source comes from a resource managed in this plan
/// (directly, or through another data source that does): it reads what the plan creates.
pub fn internal(g: &Graph, id: NodeId) -> bool {
    // A set, not a list: a linear `contains` made this quadratic in the data sources.
    let mut seen = HashSet::from([id]);
    let mut queue = VecDeque::from([id]);
    while let Some(n) = queue.pop_front() {
        for e in g.outgoing(n) {
            let to = g.node(e.to);
            if to.mode == Mode::Managed && !to.from_prior_state {
                return true;
            }
            if to.mode == Mode::Data && seen.insert(e.to) {
                queue.push_back(e.to);
            }
        }
    }
    false
}

fn identifying(g: &Graph, id: NodeId) -> Vec<(String, Value)> {
    let node = g.node(id);
    let mut out: Vec<(String, Value)> = Vec::new();
    // Parsed for this and not kept (see `links::string`).
    let values = node.values_lazy().get_once();
    let Some(values) = values.as_object() else {
        return out;
    };
    for k in IDENTIFYING {
        let Some(v) = values.get(k) else { continue };
        if v.is_null() || v == &Value::Array(vec![]) || v == &Value::Object(Map::new()) {
            continue;
        }
        let mut path = vec![Seg::Key(k.to_string())];
        if marked(node.sensitive(), &path) || secret_named(&path) {
            out.push((k.to_string(), Value::String(SENSITIVE.into())));
            continue;
        }
        // Sensitive inside (`tags.Name`, one `filter` block, a `config.secret_key`): shown
        // with those parts masked.
        let markers = crate::graph::values::get(node.sensitive(), &path).unwrap_or(&Value::Null);
        let v = &shown_at(v, markers, &Value::Null, &mut path);
        // `arn` is often the `id` again.
        if out.iter().any(|(_, seen)| seen == v) {
            continue;
        }
        out.push((k.to_string(), v.clone()));
    }
    out
}

/// Every node that takes a value from `id`, transitively, in address order.
///
/// A value join (a known string equal to an id) counts from a managed resource — a literal id
/// in its configuration is a real dependency — but not from a data source, whose known values
/// are mostly *results* of its own read: that another data source returns the same id (a
/// remote state output, a region name) does not make it depend on this one.
pub fn dependants(g: &Graph, id: NodeId) -> Vec<NodeId> {
    // A set, not a `Vec<bool>` of every node: this runs once per prerequisite.
    let mut seen = HashSet::from([id]);
    let mut queue = VecDeque::from([id]);
    let mut out = Vec::new();
    while let Some(n) = queue.pop_front() {
        for e in g.incoming(n) {
            let joined_result =
                e.provenance == Provenance::Value && g.node(e.from).mode == Mode::Data;
            if !joined_result && seen.insert(e.from) {
                out.push(e.from);
                queue.push_back(e.from);
            }
        }
    }
    out.sort_by(|a, b| g.node(*a).address.cmp(&g.node(*b).address));
    out
}

/// Why Terraform reads the data source during apply (its `read` action), in words, with the
/// pending resources its arguments come from; `None` when it is read while planning.
pub fn deferred_reason(g: &Graph, id: NodeId) -> Option<String> {
    let node = g.node(id);
    if node.action != Action::Read {
        return None;
    }
    let why = match node.action_reason.as_deref() {
        Some("read_because_config_unknown") => "its arguments are known only after apply",
        Some("read_because_dependency_pending") => "a resource it depends on has changes pending",
        Some("read_because_check_nested") => "it is nested in a check block",
        Some(other) => other,
        None => "Terraform gave no reason",
    };
    // (pending node, its state, the attributes that come from it), in edge order.
    let mut from: Vec<(NodeId, String, Vec<String>)> = Vec::new();
    for e in g.outgoing(id) {
        let t = g.node(e.to);
        let pending = match (t.mode, t.action) {
            (Mode::Managed, Action::Create | Action::Replace | Action::Update) => {
                format!("{}d in this plan", t.action.as_str())
            }
            (Mode::Data, Action::Read) => "itself read during apply".to_string(),
            _ => continue,
        };
        let attr = format!("`{}`", e.attribute);
        match from.iter_mut().find(|(n, _, _)| *n == e.to) {
            Some((_, _, attrs)) if !attrs.contains(&attr) => attrs.push(attr),
            Some(_) => {}
            None => from.push((e.to, pending, vec![attr])),
        }
    }
    let parts: Vec<String> = from
        .iter()
        .map(|(n, pending, attrs)| {
            let verb = if attrs.len() == 1 { "comes" } else { "come" };
            format!(
                "{} {verb} from {} ({pending})",
                attrs.join(", "),
                g.node(*n).address
            )
        })
        .collect();
    Some(match parts.is_empty() {
        true => why.to_string(),
        false => format!("{why}: {}", parts.join("; ")),
    })
}
