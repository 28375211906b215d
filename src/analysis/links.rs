//! Small graph queries shared by the analyses: "which node does this attribute come from",
//! "which nodes of type T take an attribute from this one", known string/CIDR values.

use super::index::Index;
use crate::graph::values::{marked, Seg};
use crate::graph::{Action, Edge, Graph, NodeId};
use ipnet::IpNet;
use serde_json::Value;
use std::borrow::Cow;

/// A link that may be unknown, with the reason.
#[derive(Debug, Clone, PartialEq)]
pub enum Found<T> {
    Yes(T),
    Unknown(String),
    /// Nothing in the plan provides it (for instance an id known only by value, outside).
    Outside(String),
}

/// Outgoing edges of `from` on exactly `attribute`.
pub fn edges_on<'g>(g: &'g Graph, from: NodeId, attribute: &str) -> Vec<&'g Edge> {
    g.outgoing(from)
        .filter(|e| e.attribute == attribute)
        .collect()
}

/// True when a node is still there after apply (not deleted, not forgotten).
pub fn live(g: &Graph, id: NodeId) -> bool {
    !matches!(g.node(id).action, Action::Delete | Action::Forget) && g.node(id).deposed.is_none()
}

/// Nodes of one of `types` whose `attribute` comes from `to` (incoming edges), live, sorted.
pub fn referrers(g: &Graph, to: NodeId, types: &[&str], attribute: &str) -> Vec<NodeId> {
    Index::of(g).referrers(g, to, types, attribute)
}

/// Like [`referrers`], with whether each link is certain (`false`: the referring instance may
/// mean another instance than `to`: an ambiguous edge).
pub fn referrers_certain(
    g: &Graph,
    to: NodeId,
    types: &[&str],
    attribute: &str,
) -> Vec<(NodeId, bool)> {
    Index::of(g).referrers_certain(g, to, types, attribute)
}

/// The one node of one of `types` that `attribute` of `from` comes from.
pub fn target(g: &Graph, from: NodeId, attribute: &str, types: &[&str]) -> Found<NodeId> {
    let node = g.node(from);
    let edges: Vec<&Edge> = edges_on(g, from, attribute)
        .into_iter()
        .filter(|e| types.contains(&g.node(e.to).type_.as_str()))
        .collect();
    // The same target may come twice (a reference and a value join, two module paths). One
    // candidate of the wanted types is the answer even through an ambiguous edge: the
    // ambiguity was then between module outputs of other types (Terraform drops the output
    // name of `module.m[each.value.k].out`), and the attribute can only name that one.
    let mut targets: Vec<NodeId> = edges.iter().map(|e| e.to).collect();
    targets.sort_unstable();
    targets.dedup();
    match targets.as_slice() {
        [t] => return Found::Yes(*t),
        [] => {}
        many => {
            let names: Vec<&str> = many.iter().map(|&t| g.node(t).address.as_str()).collect();
            return Found::Unknown(format!(
                "`{attribute}` of {} could come from any of {}",
                node.address,
                names.join(", ")
            ));
        }
    }
    if let Some(u) = g.unresolved_of(from).find(|u| u.attribute == attribute) {
        return Found::Unknown(format!(
            "`{attribute}` of {} refers to `{}`, which cannot be followed: {}",
            node.address, u.reference, u.reason
        ));
    }
    let path = [Seg::Key(attribute.to_string())];
    match node.value_of(attribute).as_deref() {
        // Providers store an unset string as "" in state.
        Some(Value::String(s)) if !s.is_empty() => Found::Outside(format!(
            "`{attribute}` of {} is {s}, which is not in this plan",
            node.address
        )),
        _ if marked(node.unknown(), &path) => Found::Unknown(format!(
            "`{attribute}` of {} is known only after apply and no reference to it could be followed",
            node.address
        )),
        _ => Found::Outside(format!("{} has no `{attribute}`", node.address)),
    }
}

/// A known string attribute. Read alone (see [`crate::graph::Node::value_of`]): the
/// analyses read a few attributes of every network resource, and keeping each whole value
/// parsed for that was ~20 MB of a check on a 100 MB plan.
pub fn string<'g>(g: &'g Graph, id: NodeId, attribute: &str) -> Option<Cow<'g, str>> {
    match g.node(id).value_of(attribute)? {
        Cow::Borrowed(v) => v.as_str().map(Cow::Borrowed),
        Cow::Owned(Value::String(s)) => Some(Cow::Owned(s)),
        Cow::Owned(_) => None,
    }
}

/// True when `attribute` of the node is known only after apply.
pub fn unknown(g: &Graph, id: NodeId, attribute: &str) -> bool {
    marked(g.node(id).unknown(), &[Seg::Key(attribute.to_string())])
}

/// A CIDR attribute: parsed, unknown (with reason), or absent (null, or "" as providers
/// store an unset string in state).
pub fn cidr(g: &Graph, id: NodeId, attribute: &str) -> Option<Found<IpNet>> {
    match string(g, id, attribute).filter(|s| !s.is_empty()) {
        Some(s) => Some(match s.parse::<IpNet>() {
            Ok(n) => Found::Yes(n.trunc()),
            Err(_) => Found::Unknown(format!(
                "`{attribute}` of {} is {s:?}, which is not a CIDR",
                g.node(id).address
            )),
        }),
        None if unknown(g, id, attribute) => Some(Found::Unknown(format!(
            "`{attribute}` of {} is known only after apply",
            g.node(id).address
        ))),
        None => None,
    }
}
