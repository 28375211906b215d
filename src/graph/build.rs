//! Nodes: one per resource instance, from `resource_changes`, then `planned_values` and
//! `prior_state` for instances that have no change entry (data sources read while planning,
//! resources of a refresh-only plan).

use super::address::{Index, InstanceAddress};
use super::lazy::LazyValue;
use super::{resolve, Action, Graph, Meta, Node, SourceKind};
use crate::plan::{
    Change, Configuration, ListedResource, Module, Plan, RawText, Resource, ResourceChange,
    StateDoc, Str,
};
use serde_json::Value;
/// Address sets: foldhash is several times faster than SipHash on short strings, and the
/// addresses come from the plan being checked, not from a peer that could pick collisions.
type HashSet<T> = foldhash::HashSet<T>;

/// The graph of a plan before its references are resolved, and the configuration to
/// resolve them with ([`Graph::link`]).
pub fn unlinked(mut plan: Plan) -> (Graph, Configuration) {
    let changes = std::mem::take(&mut plan.resource_changes);
    let planned = plan.planned_values.take();
    let prior = plan.prior_state.as_mut().and_then(|s| s.values.take());
    // The instances without a change entry are found on a thread of their own while the
    // address parts of the changes are parsed on every core. They are found before any node
    // is made, so that the node list is allocated once at its final size: grown by doubling
    // (a node is over 500 bytes) it held up to twice the nodes' memory, and both blocks
    // while it grew.
    let (extra, change_parts) = std::thread::scope(|s| {
        let changes = &changes;
        let extra = s.spawn(move || {
            // Borrowed from the changes; the few instances found without one are kept by
            // `unseen`.
            let changed: HashSet<&str> = changes
                .iter()
                .filter(|rc| rc.deposed.is_none())
                .map(|rc| rc.address.as_str())
                .collect();
            let mut seen = Seen {
                changed,
                more: HashSet::default(),
            };
            let mut extra = Vec::new();
            if let Some(pv) = planned {
                unseen(&mut extra, &mut seen, pv.root_module, false);
            }
            if let Some(values) = prior {
                unseen(&mut extra, &mut seen, values.root_module, true);
            }
            extra
        });
        // Address parts (a parse and three strings per instance) on every core.
        let parts = crate::par::map_ranges(changes.len(), PARTS_CHUNK, |range| {
            changes[range]
                .iter()
                .map(|rc| {
                    let data = rc.mode == crate::plan::Mode::Data;
                    parts(&rc.address, &rc.type_, &rc.name, data)
                })
                .collect::<Vec<_>>()
        });
        match extra.join() {
            Ok(extra) => (extra, parts),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    });
    // The instances without a change entry become nodes now: their strings are then their own,
    // not spans of the plan's text.
    let mut extra: Vec<Node> = extra
        .into_iter()
        .map(|(r, prior)| node_from_resource(r, prior))
        .collect();
    let mut changes = changes;
    let meta = Meta {
        kind: SourceKind::Plan,
        format_version: std::mem::take(&mut plan.format_version),
        terraform_version: plan.terraform_version.take(),
        errored: plan.errored,
        has_configuration: plan.configuration.is_some(),
        has_prior_state: plan.prior_state.is_some(),
    };
    let variables = std::mem::take(&mut plan.variables)
        .into_iter()
        .map(|(k, v)| (k, v.value))
        .collect();
    let config = plan.configuration.take().unwrap_or_default();
    let sensitive_variables = config
        .root_module
        .variables
        .iter()
        .filter(|(_, v)| v.sensitive)
        .map(|(k, _)| k.clone())
        .collect();
    let provider_expressions = config
        .provider_config
        .iter()
        .map(|(k, p)| (k.clone(), p.expressions.clone().into_iter().collect()))
        .collect();
    drop(plan);
    // The graph outlives the plan's text only with what its nodes keep of it, moved to its
    // front (`RawText::keep_only`): done before the node list is allocated, so that the rest
    // of the text is given back first (the text, the changes and the nodes together were the
    // peak of a ~10 MB check).
    RawText::keep_only(
        changes
            .iter_mut()
            .flat_map(|rc| change_texts(&mut rc.change))
            .chain(extra.iter_mut().flat_map(Node::kept_texts)),
    );
    let mut change_parts = change_parts.into_iter().flatten();
    let mut nodes = Vec::with_capacity(changes.len() + extra.len());
    nodes.extend(changes.into_iter().map(|rc| {
        let parts = change_parts.next().unwrap_or_default();
        node_from_change(rc, parts)
    }));
    nodes.append(&mut extra);
    let mut graph = empty(nodes, meta, variables, provider_expressions);
    graph.sensitive_variables = sensitive_variables;
    graph.index_nodes();
    (graph, config)
}

pub fn from_state(mut state: StateDoc) -> Graph {
    let mut nodes = Vec::new();
    let mut seen: HashSet<String> = HashSet::default();
    let mut depends = Vec::new();
    if let Some(values) = state.values.take() {
        for r in into_resources(values.root_module) {
            if seen.insert(r.address.as_str().to_string()) {
                let r = r.parse();
                depends.push(r.depends_on.iter().map(String::from).collect());
                nodes.push(node_from_resource(r, true));
            }
        }
    }
    let meta = Meta {
        kind: SourceKind::State,
        format_version: state.format_version,
        terraform_version: state.terraform_version,
        errored: false,
        has_configuration: false,
        has_prior_state: true,
    };
    RawText::keep_only(nodes.iter_mut().flat_map(Node::kept_texts));
    let mut graph = empty(nodes, meta, Default::default(), Default::default());
    graph.index_nodes();
    let (edges, unresolved) = resolve::resolve_state(&graph.nodes, &depends);
    graph.set_links(edges, unresolved);
    graph
}

fn empty(
    nodes: Vec<Node>,
    meta: Meta,
    variables: std::collections::BTreeMap<String, Value>,
    provider_expressions: std::collections::BTreeMap<String, serde_json::Map<String, Value>>,
) -> Graph {
    Graph {
        nodes,
        meta,
        variables,
        sensitive_variables: Default::default(),
        provider_expressions,
        by_address: Default::default(),
        addresses: Default::default(),
        by_type: Default::default(),
        links: Default::default(),
        analysis: Default::default(),
        #[cfg(test)]
        waits: Default::default(),
    }
}

/// The resources of a module tree that no earlier section had (`seen`), with `prior`.
/// Instances for which a node is made already: those with a change entry, and those found
/// without one so far.
struct Seen<'a> {
    changed: HashSet<&'a str>,
    more: HashSet<String>,
}

/// Changes per task in [`unlinked`]'s parallel address parsing.
const PARTS_CHUNK: usize = 1024;

fn unseen(out: &mut Vec<(Resource, bool)>, seen: &mut Seen<'_>, root: Module, prior: bool) {
    for r in into_resources(root) {
        let a = r.address.as_str();
        if !r.deposed && !seen.changed.contains(a) && !seen.more.contains(a) {
            seen.more.insert(a.to_string());
            out.push((r.parse(), prior));
        }
    }
}

/// Move every resource out of a module tree, depth first (no clones of large values). One
/// module at a time rather than into one list of them all: that list (~15 MB at 100 MB, for
/// the few resources kept) was the largest block at the end of the read.
fn into_resources(root: Module) -> impl Iterator<Item = ListedResource> {
    let mut stack = vec![root];
    let mut module = Vec::new().into_iter();
    std::iter::from_fn(move || loop {
        if let Some(r) = module.next() {
            return Some(r);
        }
        let m = stack.pop()?;
        module = m.resources.into_iter();
        stack.extend(m.child_modules.into_iter().rev());
    })
}

/// The texts of a change that its node keeps: its values and their markers. Those of
/// `before` are dropped here, unread, unless they are the node's values
/// ([`Node::keeps_before`]), as [`Node::kept_texts`] does for a node.
fn change_texts(c: &mut Change) -> impl Iterator<Item = &mut RawText> {
    if !Node::keeps_before(Action::from_actions(&c.actions), c.after.is_none()) {
        c.before = None;
        c.before_sensitive = None;
    }
    [
        &mut c.before,
        &mut c.after,
        &mut c.after_unknown,
        &mut c.before_sensitive,
        &mut c.after_sensitive,
    ]
    .into_iter()
    .filter_map(Option::as_mut)
}

/// Address parts; a malformed address still yields a node, in the root module.
fn parts(address: &str, type_: &str, name: &str, data: bool) -> (String, String, String) {
    match InstanceAddress::parse(address) {
        Some(a) => (a.module_instance(), a.module_config(), a.resource_key()),
        None => (
            String::new(),
            String::new(),
            super::address::resource_key(data, type_, name),
        ),
    }
}

/// The node of a change entry, with its address [`parts`].
fn node_from_change(rc: ResourceChange, parts: (String, String, String)) -> Node {
    let (module, module_config, resource_key) = parts;
    let c = rc.change;
    Node {
        module,
        module_config,
        resource_key,
        mode: rc.mode,
        index: rc.index.as_ref().and_then(Index::from_json),
        provider: rc.provider_name,
        action: Action::from_actions(&c.actions),
        actions: c.actions,
        action_reason: rc.action_reason,
        deposed: rc.deposed,
        previous_address: rc.previous_address,
        before: LazyValue::new(c.before),
        after: LazyValue::new(c.after),
        after_unknown: LazyValue::new(c.after_unknown),
        before_sensitive: LazyValue::new(c.before_sensitive),
        after_sensitive: LazyValue::new(c.after_sensitive),
        replace_paths: c.replace_paths,
        from_prior_state: false,
        address: rc.address,
        type_: rc.type_,
        name: rc.name,
    }
}

fn node_from_resource(r: Resource, prior: bool) -> Node {
    let data = r.mode == crate::plan::Mode::Data;
    let (module, module_config, resource_key) = parts(&r.address, &r.type_, &r.name, data);
    Node {
        module,
        module_config,
        resource_key,
        mode: r.mode,
        index: r.index.as_ref().and_then(Index::from_json),
        provider: r.provider_name.into_string(),
        action: Action::NoOp,
        actions: vec!["no-op".to_string()],
        action_reason: None,
        deposed: r.deposed_key.map(Str::into_string),
        previous_address: None,
        before: LazyValue::default(),
        after: LazyValue::new(r.values),
        after_unknown: LazyValue::from_value(Value::Object(Default::default())),
        before_sensitive: LazyValue::from_value(Value::Bool(false)),
        after_sensitive: LazyValue::new(r.sensitive_values),
        replace_paths: Vec::new(),
        from_prior_state: prior,
        address: r.address.into_string(),
        type_: r.type_.into_string(),
        name: r.name.into_string(),
    }
}
