//! Azure and GCP network peerings are one-directional resources: a peering from A to B works
//! only when B has a peering back to A. This finds the reverse peering of one, through the
//! graph (references to the networks) or known values (network names, ids, self links).

use super::links::{edges_on, live, string, Found};
use crate::graph::{Graph, NodeId};

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
        let name = string(g, e.to, "name").map(str::to_ascii_lowercase);
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
            name: Some(last_segment(s)),
        }),
        None => Found::Unknown(format!(
            "`{attribute}` of {} is known only after apply and no reference to it could be followed",
            g.node(peering).address
        )),
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
    let mut doubts = Vec::new();
    for &q in g.of_type(&node.type_) {
        if q == peering || !live(g, q) {
            continue;
        }
        match (network(g, q, local_attr), network(g, q, remote_attr)) {
            (Found::Yes(ql), Found::Yes(qr)) if ql.same(&remote) && qr.same(&local) => {
                return Found::Yes(q);
            }
            (Found::Yes(_), Found::Yes(_)) => {}
            (Found::Unknown(w), _) | (_, Found::Unknown(w)) => doubts.push(w),
            _ => {}
        }
    }
    if !doubts.is_empty() {
        return Found::Unknown(doubts.join("; "));
    }
    // A remote network this plan does not manage belongs to another state (often another
    // team's project or subscription), where its peering back would live.
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
