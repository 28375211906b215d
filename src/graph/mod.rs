//! Graph: `Plan` → resource instance nodes, edges with provenance, unresolved references.
//!
//! An edge `from → to` on `attribute` says "the value of `attribute` of `from` comes from
//! `to`" (a route → its peering connection → the VPC). Indexes by address and by type are
//! built once, so every lookup during evaluation is O(1) or O(edges of the node).

pub mod address;
mod build;
pub mod lazy;
mod resolve;
pub mod values;

pub use address::Index;
pub use lazy::Projection;

use crate::plan::Mode;
use serde::Serialize;
use serde_json::Value;
use std::borrow::Cow;
use std::collections::BTreeMap;

pub type NodeId = usize;

/// Nodes from which a graph's own work (its indexes; the report sections, `app`) is shared
/// out on more threads where that costs memory: on a ~10 MB plan (~3,500 nodes), where the
/// memory target is tight, each such thread cost ~0.2–0.4 MB of peak in a batch of runs (its
/// allocator pages, or what it holds sooner) to save under 1 ms; on a ~100 MB plan (~35,000
/// nodes) they save ~20 ms.
pub(crate) const PARALLEL_NODES: usize = 8192;

/// What the plan does to an instance, folded from Terraform's `actions` list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Create,
    Update,
    /// `["delete","create"]` or `["create","delete"]`.
    Replace,
    Delete,
    Read,
    NoOp,
    Forget,
}

impl Action {
    pub fn from_actions(actions: &[String]) -> Action {
        let has = |a: &str| actions.iter().any(|x| x == a);
        match actions {
            _ if has("create") && has("delete") => Action::Replace,
            _ if has("create") => Action::Create,
            _ if has("delete") => Action::Delete,
            _ if has("update") => Action::Update,
            _ if has("read") => Action::Read,
            _ if has("forget") => Action::Forget,
            _ => Action::NoOp,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Replace => "replace",
            Action::Delete => "delete",
            Action::Read => "read",
            Action::NoOp => "no-op",
            Action::Forget => "forget",
        }
    }

    pub fn parse(s: &str) -> Option<Action> {
        Some(match s {
            "create" => Action::Create,
            "update" => Action::Update,
            "replace" => Action::Replace,
            "delete" => Action::Delete,
            "read" => Action::Read,
            "no-op" | "noop" => Action::NoOp,
            "forget" => Action::Forget,
            _ => return None,
        })
    }

    pub const ALL: [Action; 7] = [
        Action::Create,
        Action::Update,
        Action::Replace,
        Action::Delete,
        Action::Read,
        Action::NoOp,
        Action::Forget,
    ];
}

/// One resource instance (managed or data), including instances being deleted.
#[derive(Debug)]
pub struct Node {
    /// Full instance address exactly as Terraform writes it.
    pub address: String,
    /// Module instance (`module.net["a"]`), empty for the root module.
    pub module: String,
    /// Module path without instance keys (`module.net`), empty for the root module.
    pub module_config: String,
    /// `aws_route.r` / `data.aws_vpc.x`: the resource within its module.
    pub resource_key: String,
    pub mode: Mode,
    pub type_: String,
    pub name: String,
    pub index: Option<Index>,
    pub provider: String,
    pub action: Action,
    /// Terraform's raw `actions` list.
    pub actions: Vec<String>,
    pub action_reason: Option<String>,
    pub deposed: Option<String>,
    pub previous_address: Option<String>,
    /// Values before the change (null for a create); parsed on first use. Kept only when
    /// they are the values (a delete): null in a graph otherwise (see [`Node::kept_texts`]).
    pub before: lazy::LazyValue,
    /// Values after the change (null for a delete; unknown values are absent); parsed on
    /// first use.
    pub after: lazy::LazyValue,
    /// Same shape as `after`, `true` where the value is known only after apply; parsed on
    /// first use, like the sensitivity markers.
    pub after_unknown: lazy::LazyValue,
    pub before_sensitive: lazy::LazyValue,
    pub after_sensitive: lazy::LazyValue,
    pub replace_paths: Vec<Vec<Value>>,
    /// True when the instance appears in the plan only through prior state (a data source read
    /// during planning, or an existing object outside `resource_changes`).
    pub from_prior_state: bool,
}

static NULL: Value = Value::Null;

impl Node {
    /// The values policies look at: `after`, or `before` for a delete.
    pub fn values(&self) -> &Value {
        self.values_lazy().get()
    }

    /// [`Node::values`] before parsing, for scans that need no `Value` tree.
    pub fn values_lazy(&self) -> &lazy::LazyValue {
        if self.values_from_before() {
            &self.before
        } else {
            &self.after
        }
    }

    /// The raw values and markers the node keeps, for [`crate::plan::RawText::keep_only`].
    /// `before` and its markers are read only when they are the values ([`Node::values`]): for
    /// every other node (an update, a no-op) they are dropped here, unread (16 of the 39 MB
    /// of value text a graph kept from a 100 MB plan).
    pub fn kept_texts(&mut self) -> impl Iterator<Item = &mut crate::plan::RawText> {
        if !self.values_from_before() {
            self.before = lazy::LazyValue::default();
            self.before_sensitive = lazy::LazyValue::default();
        }
        [
            &mut self.before,
            &mut self.after,
            &mut self.after_unknown,
            &mut self.before_sensitive,
            &mut self.after_sensitive,
        ]
        .into_iter()
        .filter_map(lazy::LazyValue::raw_mut)
    }

    /// Values before the change, if kept: only when they are [`Node::values`] (a delete, or
    /// no `after`); `None` in a graph otherwise (see [`Node::kept_texts`]).
    pub fn before(&self) -> Option<&Value> {
        (!self.before.is_null()).then(|| self.before.get())
    }

    /// Values after the change, if any.
    pub fn after(&self) -> Option<&Value> {
        (!self.after.is_null()).then(|| self.after.get())
    }

    /// Sensitivity markers matching [`Node::values`].
    pub fn sensitive(&self) -> &Value {
        if self.values_from_before() {
            self.before_sensitive.get()
        } else {
            self.after_sensitive.get()
        }
    }

    /// Unknown markers matching [`Node::values`] (nothing is unknown in a `before`).
    pub fn unknown(&self) -> &Value {
        if self.values_from_before() {
            &NULL
        } else {
            self.after_unknown.get()
        }
    }

    /// The top-level attribute `key` of [`Node::values`], parsed now and not kept (see
    /// [`lazy::LazyValue::get_key`]).
    pub fn value_of(&self, key: &str) -> Option<Cow<'_, Value>> {
        self.values_lazy().get_key(key)
    }

    /// [`Node::values`] as a projection keeps them: only the top-level attributes it names
    /// (see [`lazy::Projection`]), parsed for the caller and not kept.
    pub fn values_in(&self, p: &lazy::Projection) -> Cow<'_, Value> {
        self.values_lazy().get_in(p)
    }

    /// [`Node::sensitive`], projected like [`Node::values_in`].
    pub fn sensitive_in(&self, p: &lazy::Projection) -> Cow<'_, Value> {
        if self.values_from_before() {
            self.before_sensitive.get_in(p)
        } else {
            self.after_sensitive.get_in(p)
        }
    }

    /// [`Node::unknown`], projected like [`Node::values_in`].
    pub fn unknown_in(&self, p: &lazy::Projection) -> Cow<'_, Value> {
        if self.values_from_before() {
            Cow::Borrowed(&NULL)
        } else {
            self.after_unknown.get_in(p)
        }
    }

    /// True when [`Node::values`] are the `before` values (a delete, a forget, no `after`):
    /// the markers must then be `before`'s too.
    fn values_from_before(&self) -> bool {
        Node::keeps_before(self.action, self.after.is_null())
    }

    /// Whether the node of a change with this action, and with or without `after`, keeps
    /// `before` and its markers ([`Node::kept_texts`]).
    pub(crate) fn keeps_before(action: Action, after_absent: bool) -> bool {
        action == Action::Delete || after_absent
    }

    pub fn is_data(&self) -> bool {
        self.mode == Mode::Data
    }
}

/// How an edge was proven.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Provenance {
    /// A configuration reference in the same module.
    Reference,
    /// Followed through a module input (`var.x` → the parent's module call argument).
    ModuleInput,
    /// Followed through a module output (`module.m.out` → the output's expression).
    ModuleOutput,
    /// count/for_each instances lined up by `count.index` / `each.key`.
    Index,
    /// A known value equal to another node's known `id` or `arn`.
    Value,
    /// `depends_on`.
    DependsOn,
}

impl Provenance {
    pub fn as_str(self) -> &'static str {
        match self {
            Provenance::Reference => "reference",
            Provenance::ModuleInput => "module-input",
            Provenance::ModuleOutput => "module-output",
            Provenance::Index => "index",
            Provenance::Value => "value",
            Provenance::DependsOn => "depends-on",
        }
    }
}

/// "The value of `attribute` of `from` comes from `to`."
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    pub from: NodeId,
    pub to: NodeId,
    /// Attribute path in `from`, e.g. `vpc_peering_connection_id` or `route[0].cidr_block`.
    pub attribute: String,
    pub provenance: Provenance,
    /// The reference could mean several instances and the indexes did not line up.
    pub ambiguous: bool,
    /// The references followed, outermost first (`var.vpc_id`, `module.vpc.id`, `aws_vpc.this.id`).
    pub via: Vec<String>,
}

/// A reference that could not be followed to a node, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unresolved {
    pub from: NodeId,
    pub attribute: String,
    pub reference: String,
    pub reason: String,
}

/// Whether the graph came from a plan or from a state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    Plan,
    State,
}

/// Facts about the document the graph was built from.
#[derive(Debug, Clone)]
pub struct Meta {
    pub kind: SourceKind,
    pub format_version: String,
    pub terraform_version: Option<String>,
    pub errored: bool,
    pub has_configuration: bool,
    pub has_prior_state: bool,
}

/// A value computed from a graph once and kept with it (the analyses' index): built on first
/// use, dropped with the graph, so it can never describe another graph.
#[derive(Default)]
pub struct Extension(std::sync::OnceLock<Box<dyn std::any::Any + Send + Sync>>);

impl Extension {
    /// The value, built by `init` on first use. `None` if a value of another type was stored.
    pub fn get_or_init<T: std::any::Any + Send + Sync>(
        &self,
        init: impl FnOnce() -> T,
    ) -> Option<&T> {
        self.0.get_or_init(|| Box::new(init())).downcast_ref::<T>()
    }
}

impl std::fmt::Debug for Extension {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.get().is_some() {
            "Extension(built)"
        } else {
            "Extension(empty)"
        })
    }
}

/// The resolved planned resource graph.
#[derive(Debug)]
pub struct Graph {
    pub nodes: Vec<Node>,
    pub meta: Meta,
    /// Root variables and their values.
    pub variables: BTreeMap<String, Value>,
    /// Root variables the configuration declares `sensitive = true`: their values are used,
    /// never shown.
    pub sensitive_variables: std::collections::BTreeSet<String>,
    /// Provider blocks' constant expressions (for `default_tags`), by provider config key.
    pub provider_expressions: BTreeMap<String, serde_json::Map<String, Value>>,
    by_address: foldhash::HashMap<std::sync::Arc<str>, NodeId>,
    /// Each node's address, shared ([`Graph::shared_address`]): the keys of `by_address`.
    addresses: Vec<std::sync::Arc<str>>,
    by_type: foldhash::HashMap<String, Vec<NodeId>>,
    /// Edges and unresolved references, set once they are resolved ([`Graph::set_links`]):
    /// a check starts evaluating the policies that do not read them while they are.
    links: std::sync::OnceLock<Links>,
    /// The analyses' per-graph index (`analysis::index`).
    pub analysis: Extension,
    /// Calls of [`Graph::wait_linked`], for a test to link only once an evaluation waits.
    #[cfg(test)]
    pub(crate) waits: std::sync::atomic::AtomicUsize,
}

/// What following references found: edges, references that could not be followed, and
/// both indexed by node.
#[derive(Debug, Default)]
struct Links {
    edges: Vec<Edge>,
    unresolved: Vec<Unresolved>,
    out_edges: PerNode,
    in_edges: PerNode,
    unresolved_by_node: PerNode,
}

/// The links of a graph whose references are not resolved yet: none.
static NO_LINKS: Links = Links {
    edges: Vec::new(),
    unresolved: Vec::new(),
    out_edges: PerNode::EMPTY,
    in_edges: PerNode::EMPTY,
    unresolved_by_node: PerNode::EMPTY,
};

impl Graph {
    /// Sections missing from a plan, and what the analysis loses without them.
    pub fn limitations(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.meta.kind != SourceKind::Plan {
            return out;
        }
        if !self.meta.has_configuration {
            out.push("the plan has no `configuration` section, so references cannot be followed: relations rely on known ids only and may answer unknown");
        }
        if !self.meta.has_prior_state {
            out.push("the plan has no `prior_state`: existing resources and data sources read while planning are not in the graph");
        }
        out
    }

    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id]
    }

    /// The node at a full instance address (not a deposed object).
    pub fn find(&self, address: &str) -> Option<NodeId> {
        self.by_address.get(address).copied()
    }

    /// Nodes of one resource type, in plan order.
    pub fn of_type(&self, type_: &str) -> &[NodeId] {
        self.by_type.get(type_).map(Vec::as_slice).unwrap_or(&[])
    }

    /// All resource types present, sorted.
    pub fn types(&self) -> Vec<&str> {
        let mut t: Vec<&str> = self.by_type.keys().map(String::as_str).collect();
        t.sort_unstable();
        t
    }

    fn links(&self) -> &Links {
        self.links.get().unwrap_or(&NO_LINKS)
    }

    /// True once references are resolved: before, the graph has no edges and no unresolved
    /// references (see [`Graph::unlinked`]).
    pub fn linked(&self) -> bool {
        self.links.get().is_some()
    }

    /// Wait until another thread has resolved the references ([`Graph::link`]); after a panic
    /// there, until it has set empty links and let the panic go on.
    pub fn wait_linked(&self) {
        #[cfg(test)]
        self.waits.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.links.wait();
    }

    /// Every edge, in the order found.
    pub fn edges(&self) -> &[Edge] {
        &self.links().edges
    }

    /// Every reference that could not be followed.
    pub fn unresolved(&self) -> &[Unresolved] {
        &self.links().unresolved
    }

    /// Edges leaving a node (what its values come from).
    pub fn outgoing(&self, id: NodeId) -> impl Iterator<Item = &Edge> + '_ {
        let l = self.links();
        l.out_edges.of(id).iter().map(move |&e| &l.edges[e])
    }

    /// Edges arriving at a node (who takes values from it).
    pub fn incoming(&self, id: NodeId) -> impl Iterator<Item = &Edge> + '_ {
        let l = self.links();
        l.in_edges.of(id).iter().map(move |&e| &l.edges[e])
    }

    /// References of a node that could not be followed.
    pub fn unresolved_of(&self, id: NodeId) -> impl Iterator<Item = &Unresolved> + '_ {
        let l = self.links();
        l.unresolved_by_node
            .of(id)
            .iter()
            .map(move |&u| &l.unresolved[u])
    }

    /// Build the graph of a plan.
    pub fn from_plan(plan: crate::plan::Plan) -> Graph {
        let (graph, config) = build::unlinked(plan);
        graph.link(&config);
        graph
    }

    /// The graph of a plan with its instances and their values, before its references are
    /// resolved ([`Graph::link`], with the returned configuration): until then it has no
    /// edges and no unresolved references, and [`Graph::wait_linked`] (so
    /// `policy::evaluate` of a policy that reads them) waits for another thread to link it.
    pub fn unlinked(plan: crate::plan::Plan) -> (Graph, crate::plan::Configuration) {
        build::unlinked(plan)
    }

    /// Resolve the references of a graph from [`Graph::unlinked`]. The links are set once:
    /// a second call resolves again and keeps the first.
    pub fn link(&self, config: &crate::plan::Configuration) {
        let linked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let (edges, unresolved) = resolve::resolve(&self.nodes, config, &self.variables);
            self.set_links(edges, unresolved);
        }));
        if let Err(panic) = linked {
            // Nothing may wait for links that will never come ([`Graph::wait_linked`]): empty
            // ones, made without another thread, before the panic goes on.
            let _ = self.links.set(Links::default());
            std::panic::resume_unwind(panic)
        }
    }

    /// Build the graph of a state: nodes only, joined by values and `depends_on`.
    pub fn from_state(state: crate::plan::StateDoc) -> Graph {
        build::from_state(state)
    }

    /// Build from whichever document was read.
    pub fn from_document(doc: crate::plan::Document) -> Graph {
        match doc {
            crate::plan::Document::Plan(p) => Graph::from_plan(*p),
            crate::plan::Document::State(s) => Graph::from_state(*s),
        }
    }

    /// The node's address, shared rather than copied: what evidence names (a finding has up to
    /// a handful of pieces of evidence, tens of thousands are kept to the report).
    pub fn shared_address(&self, id: NodeId) -> std::sync::Arc<str> {
        match self.addresses.get(id) {
            Some(a) => a.clone(),
            None => std::sync::Arc::from(self.nodes[id].address.as_str()),
        }
    }

    /// Whether the graph is large enough for its work to be shared out on more threads
    /// where that costs memory: see [`PARALLEL_NODES`].
    pub(crate) fn is_large(&self) -> bool {
        self.nodes.len() >= PARALLEL_NODES
    }

    /// Index the nodes by address and by type, and share their addresses.
    fn index_nodes(&mut self) {
        let nodes = &self.nodes;
        let by_type = || {
            let mut by_type: foldhash::HashMap<String, Vec<NodeId>> = Default::default();
            for (id, node) in nodes.iter().enumerate() {
                match by_type.get_mut(node.type_.as_str()) {
                    Some(ids) => ids.push(id),
                    None => {
                        by_type.insert(node.type_.clone(), vec![id]);
                    }
                }
            }
            by_type
        };
        let by_address = || {
            let addresses: Vec<std::sync::Arc<str>> = nodes
                .iter()
                .map(|n| std::sync::Arc::from(n.address.as_str()))
                .collect();
            let mut by_address = foldhash::HashMap::default();
            by_address.reserve(nodes.len());
            for (id, node) in nodes.iter().enumerate() {
                if node.deposed.is_none() {
                    by_address.entry(addresses[id].clone()).or_insert(id);
                }
            }
            (addresses, by_address)
        };
        // On a large plan the type index is built on a second thread, while this one shares
        // out the addresses and indexes them (~10 ms on one core at ~100 MB). On a small one
        // that thread saves nothing worth its memory (its own allocator pages).
        let (by_type, (addresses, by_address)) = if self.is_large() {
            std::thread::scope(|s| {
                let by_type = s.spawn(by_type);
                let by_address = by_address();
                match by_type.join() {
                    Ok(by_type) => (by_type, by_address),
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            })
        } else {
            (by_type(), by_address())
        };
        self.by_type = by_type;
        self.addresses = addresses;
        self.by_address = by_address;
    }

    /// Keep the edges and unresolved references, indexed by node (the incoming edges on a
    /// second thread).
    fn set_links(&self, edges: Vec<Edge>, unresolved: Vec<Unresolved>) {
        let n = self.nodes.len();
        let (in_edges, (out_edges, unresolved_by_node)) = std::thread::scope(|s| {
            let incoming = s.spawn(|| PerNode::new(n, edges.iter().map(|e| e.to)));
            let rest = (
                PerNode::new(n, edges.iter().map(|e| e.from)),
                PerNode::new(n, unresolved.iter().map(|u| u.from)),
            );
            match incoming.join() {
                Ok(i) => (i, rest),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        });
        let _ = self.links.set(Links {
            edges,
            unresolved,
            out_edges,
            in_edges,
            unresolved_by_node,
        });
    }
}

/// For each node, the positions (in order) of the items of a list that belong to it: the
/// node of each item's position is given by `owners`. Stored flat, a node's positions being
/// `items[start[id]..start[id + 1]]`, rather than as a list per node, which cost an
/// allocation for every node with an item (the graph's indexes held 9.2 MB on a 100 MB plan
/// with those lists, 6.0 MB without).
#[derive(Debug, Default)]
struct PerNode {
    start: Vec<usize>,
    items: Vec<usize>,
}

impl PerNode {
    const EMPTY: PerNode = PerNode {
        start: Vec::new(),
        items: Vec::new(),
    };

    fn new(n: usize, owners: impl Iterator<Item = NodeId> + Clone) -> PerNode {
        let mut start = vec![0; n + 1];
        for node in owners.clone() {
            start[node + 1] += 1;
        }
        for i in 0..n {
            start[i + 1] += start[i];
        }
        let mut next = start.clone();
        let mut items = vec![0; start[n]];
        for (i, node) in owners.enumerate() {
            items[next[node]] = i;
            next[node] += 1;
        }
        PerNode { start, items }
    }

    /// Nothing for a node out of range (every node of [`PerNode::EMPTY`]).
    fn of(&self, id: NodeId) -> &[usize] {
        match self.start.get(id..id + 2) {
            Some(&[a, b]) => &self.items[a..b],
            _ => &[],
        }
    }
}

#[cfg(test)]
mod tests;
