//! Azure and GCP network peerings are one-directional resources: a peering from A to B works
//! only when B has a peering back to A. This finds the reverse peering of one, through the
//! graph (references to the networks) or known values (network names, ids, self links).

use super::index::Index;
use super::links::{edges_on, live, string, Found};
use crate::graph::{Graph, NodeId};
use std::collections::HashMap;

/// The attributes naming the local and the remote network, per peering type.
pub fn endpoints_of(type_: &str) -> Option<(&'static str, &'static str)> {
    match type_ {
        "azurerm_virtual_network_peering" => {
            Some(("virtual_network_name", "remote_virtual_network_id"))
        }
        "google_compute_network_peering" => Some(("network", "peer_network")),
        _ => None,
    }
}

/// A network, as a node of the plan or as a known name.
#[derive(Debug, Clone, PartialEq)]
pub struct Network {
    pub node: Option<NodeId>,
    /// Lower-cased network name (last path segment of an id or self link).
    pub name: Option<String>,
}

impl Network {
    fn same(&self, other: &Network) -> bool {
        match (self.node, other.node) {
            (Some(a), Some(b)) if a == b => return true,
            _ => {}
        }
        matches!((&self.name, &other.name), (Some(a), Some(b)) if a == b)
    }
}

fn last_segment(s: &str) -> String {
    s.rsplit('/').next().unwrap_or(s).to_ascii_lowercase()
}

/// The network `attribute` of a peering names.
pub fn network(g: &Graph, peering: NodeId, attribute: &str) -> Found<Network> {
    let edges = edges_on(g, peering, attribute);
    if let Some(e) = edges.iter().find(|e| !e.ambiguous) {
        let name = string(g, e.to, "name")
            .as_deref()
            .map(str::to_ascii_lowercase);
        return Found::Yes(Network {
            node: Some(e.to),
            name,
        });
    }
    if !edges.is_empty() {
        return Found::Unknown(format!(
            "`{attribute}` of {} could refer to several networks",
            g.node(peering).address
        ));
    }
    match string(g, peering, attribute) {
        Some(s) => Found::Yes(Network {
            node: None,
            name: Some(last_segment(&s)),
        }),
        None => Found::Unknown(format!(
            "`{attribute}` of {} is known only after apply and no reference to it could be followed",
            g.node(peering).address
        )),
    }
}

/// The live peerings of one type, indexed by their local network (once per graph: each
/// peering looks for its reverse among all of them).
pub(super) struct Peers {
    /// (peering, local, remote) of those whose networks are both known, in plan order.
    known: Vec<(NodeId, Network, Network)>,
    /// Positions in `known` by local network node and by local network name.
    by_node: HashMap<NodeId, Vec<u32>>,
    by_name: HashMap<String, Vec<u32>>,
    /// (peering, why) of those with a network not known, in plan order.
    unknown: Vec<(NodeId, String)>,
}

impl Peers {
    fn of(g: &Graph, type_: &str, local_attr: &str, remote_attr: &str) -> Peers {
        let mut p = Peers {
            known: Vec::new(),
            by_node: HashMap::new(),
            by_name: HashMap::new(),
            unknown: Vec::new(),
        };
        for &q in g.of_type(type_) {
            if !live(g, q) {
                continue;
            }
            match (network(g, q, local_attr), network(g, q, remote_attr)) {
                (Found::Yes(ql), Found::Yes(qr)) => {
                    let at = p.known.len() as u32;
                    if let Some(n) = ql.node {
                        p.by_node.entry(n).or_default().push(at);
                    }
                    if let Some(name) = &ql.name {
                        p.by_name.entry(name.clone()).or_default().push(at);
                    }
                    p.known.push((q, ql, qr));
                }
                (Found::Unknown(w), _) | (_, Found::Unknown(w)) => p.unknown.push((q, w)),
                _ => {}
            }
        }
        p
    }
}

/// The reverse peering of `peering`: Yes(node), Unknown(reason), or Outside when none.
pub fn reverse(g: &Graph, peering: NodeId) -> Found<NodeId> {
    let node = g.node(peering);
    let Some((local_attr, remote_attr)) = endpoints_of(&node.type_) else {
        return Found::Unknown(format!("{} is not a known peering type", node.type_));
    };
    let (local, remote) = match (
        network(g, peering, local_attr),
        network(g, peering, remote_attr),
    ) {
        (Found::Yes(l), Found::Yes(r)) => (l, r),
        (Found::Unknown(w), _) | (_, Found::Unknown(w)) => return Found::Unknown(w),
        (Found::Outside(w), _) | (_, Found::Outside(w)) => return Found::Unknown(w),
    };
    let ix = Index::of(g);
    let peers = ix.peers(&node.type_, || {
        Peers::of(g, &node.type_, local_attr, remote_attr)
    });
    // The first peering of the type, in plan order, from the remote network back to the local.
    let mut candidates: Vec<u32> = Vec::new();
    if let Some(n) = remote.node {
        candidates.extend(peers.by_node.get(&n).into_iter().flatten());
    }
    if let Some(name) = &remote.name {
        candidates.extend(peers.by_name.get(name).into_iter().flatten());
    }
    candidates.sort_unstable();
    for &i in &candidates {
        let (q, _, qr) = &peers.known[i as usize];
        if *q != peering && qr.same(&local) {
            return Found::Yes(*q);
        }
    }
    let doubts: Vec<&str> = peers
        .unknown
        .iter()
        .filter(|(q, _)| *q != peering)
        .map(|(_, w)| w.as_str())
        .collect();
    if !doubts.is_empty() {
        return Found::Unknown(doubts.join("; "));
    }
    let managed = remote
        .node
        .is_some_and(|n| g.node(n).mode == crate::plan::Mode::Managed);
    if !managed {
        return Found::Unknown(format!(
            "the remote network {} is not managed in this plan, so its peering back to {} would be in another state",
            describe(g, &remote),
            describe(g, &local)
        ));
    }
    Found::Outside(format!(
        "no {} in this plan peers {} back to {}",
        node.type_,
        describe(g, &remote),
        describe(g, &local)
    ))
}

pub fn describe(g: &Graph, n: &Network) -> String {
    match (n.node, &n.name) {
        (Some(id), _) => g.node(id).address.clone(),
        (None, Some(name)) => format!("network {name:?}"),
        (None, None) => "an unknown network".into(),
    }
}
