//! Per-graph indexes for the analyses, built lazily and once per graph: the incoming edges of
//! a node grouped by (attribute, type of the referring node), the routes of each route table
//! with where each goes, and the serving route tables of each VPC.
//!
//! Built-in checks are called once per instance with only the graph, so the index is kept in
//! the graph itself (`Graph::analysis`): built on first use, dropped with the graph. Without
//! it, a hub VPC (or route table) that thousands of peerings (or routes) refer to was scanned
//! once per peering: quadratic in the stacks of a hub-and-spoke network.

use super::links::{live, Found};
use super::peering::Table;
use super::peering_sg::Rules;
use super::reverse_peering::Peers;
use crate::graph::{Graph, NodeId};
use ipnet::IpNet;
use std::collections::HashMap;
use std::sync::OnceLock as OnceCell;

/// One incoming edge, as the queries need it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Ref {
    pub from: NodeId,
    pub ambiguous: bool,
    /// The edge came through the VPC's `main_route_table_id` / `default_route_table_id`.
    pub main_via: bool,
}

/// Incoming edges of one (attribute, referrer type), in the graph's incoming order.
struct Group {
    attribute: Box<str>,
    type_: Box<str>,
    refs: Vec<Ref>,
}

/// The routes of one route table (as `coverage` walks them) and where they go.
pub(super) struct TableRoutes {
    /// (route, certain), in the order coverage considers them.
    pub list: Vec<(NodeId, bool)>,
    /// Positions in `list` of each route.
    pub at: HashMap<NodeId, Vec<u32>>,
    /// Positions of routes with no `vpc_peering_connection_id` edge (told by value or unknown).
    pub unlinked: Vec<u32>,
}

/// A VPC's CIDR with the attribute it comes from, or why it is not known.
pub(super) type Cidr = Found<(IpNet, String)>;

/// The lazily built indexes of one graph.
pub(super) struct Index {
    // Boxed: one pointer per node and kind, most of them never filled.
    incoming: Vec<OnceCell<Box<[Group]>>>,
    resource_routes: Vec<OnceCell<Box<TableRoutes>>>,
    main_routes: Vec<OnceCell<Box<TableRoutes>>>,
    serving: Vec<OnceCell<Box<Found<Vec<Table>>>>>,
    sg_rules: Vec<OnceCell<Box<Rules>>>,
    /// Per peering type (Azure, GCP): its peerings by local network.
    peers: [OnceCell<Box<Peers>>; 2],
    /// Per VPC: its IPv4 and IPv6 CIDRs (`peering::cidrs_of`).
    cidrs: [Vec<OnceCell<Box<[Cidr]>>>; 2],
}

fn cells<T>(n: usize) -> Vec<OnceCell<T>> {
    (0..n).map(|_| OnceCell::new()).collect()
}

impl Index {
    fn new(g: &Graph) -> Index {
        let n = g.nodes.len();
        Index {
            incoming: cells(n),
            resource_routes: cells(n),
            main_routes: cells(n),
            serving: cells(n),
            sg_rules: cells(n),
            peers: [OnceCell::new(), OnceCell::new()],
            cidrs: [cells(n), cells(n)],
        }
    }

    /// The index of `g`, built on first use and kept in the graph.
    pub fn of(g: &Graph) -> &Index {
        g.analysis
            .get_or_init(|| Index::new(g))
            .expect("a graph's analysis extension holds only the analysis index")
    }

    /// The CIDRs of a VPC (IPv6 ones if `v6`), read by `read` the first time.
    pub(super) fn cidrs(&self, vpc: NodeId, v6: bool, read: impl FnOnce() -> Vec<Cidr>) -> &[Cidr] {
        self.cidrs[usize::from(v6)][vpc].get_or_init(|| read().into_boxed_slice())
    }

    fn groups(&self, g: &Graph, to: NodeId) -> &[Group] {
        self.incoming[to].get_or_init(|| {
            let mut all: Vec<(&str, &str, Ref)> = g
                .incoming(to)
                .map(|e| {
                    let main_via = e.via.iter().any(|v| {
                        v.contains("main_route_table_id") || v.contains("default_route_table_id")
                    });
                    let r = Ref {
                        from: e.from,
                        ambiguous: e.ambiguous,
                        main_via,
                    };
                    (e.attribute.as_str(), g.node(e.from).type_.as_str(), r)
                })
                .collect();
            // Stable: each group keeps the incoming order.
            all.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
            let mut out: Vec<Group> = Vec::new();
            for (attribute, type_, r) in all {
                match out.last_mut() {
                    Some(last) if &*last.attribute == attribute && &*last.type_ == type_ => {
                        last.refs.push(r)
                    }
                    _ => out.push(Group {
                        attribute: attribute.into(),
                        type_: type_.into(),
                        refs: vec![r],
                    }),
                }
            }
            out.into_boxed_slice()
        })
    }

    /// Incoming edges of `to` on `attribute` from nodes of type `type_`, in incoming order.
    pub fn refs(&self, g: &Graph, to: NodeId, attribute: &str, type_: &str) -> &[Ref] {
        let groups = self.groups(g, to);
        match groups.binary_search_by(|gr| (&*gr.attribute, &*gr.type_).cmp(&(attribute, type_))) {
            Ok(i) => &groups[i].refs,
            Err(_) => &[],
        }
    }

    /// The routes of a route table, with their positions by route and the unlinked ones.
    pub fn table_routes(&self, g: &Graph, table: Table) -> &TableRoutes {
        let cell = match table {
            Table::Resource(t) => &self.resource_routes[t],
            Table::Main(vpc) => &self.main_routes[vpc],
        };
        cell.get_or_init(|| {
            let list: Vec<(NodeId, bool)> = match table {
                Table::Resource(t) => {
                    self.referrers_certain(g, t, &["aws_route"], "route_table_id")
                }
                // Routes into the implicit main table name the VPC's `main_route_table_id`.
                Table::Main(vpc) => self
                    .refs(g, vpc, "route_table_id", "aws_route")
                    .iter()
                    .filter(|r| r.main_via)
                    .map(|r| (r.from, !r.ambiguous))
                    .filter(|&(r, _)| live(g, r))
                    .collect(),
            };
            let mut at: HashMap<NodeId, Vec<u32>> = HashMap::new();
            let mut unlinked = Vec::new();
            for (i, &(r, _)) in list.iter().enumerate() {
                at.entry(r).or_default().push(i as u32);
                if !g
                    .outgoing(r)
                    .any(|e| e.attribute == "vpc_peering_connection_id")
                {
                    unlinked.push(i as u32);
                }
            }
            Box::new(TableRoutes { list, at, unlinked })
        })
    }

    /// The serving route tables of a VPC, computed once.
    pub fn serving(
        &self,
        vpc: NodeId,
        compute: impl FnOnce() -> Found<Vec<Table>>,
    ) -> &Found<Vec<Table>> {
        self.serving[vpc].get_or_init(|| Box::new(compute()))
    }

    /// The ingress rules of a security group, read once.
    pub fn sg_rules(&self, sg: NodeId, compute: impl FnOnce() -> Rules) -> &Rules {
        self.sg_rules[sg].get_or_init(|| Box::new(compute()))
    }

    /// The peerings of a one-directional peering type, indexed once.
    pub fn peers(&self, type_: &str, compute: impl FnOnce() -> Peers) -> &Peers {
        let i = usize::from(type_ != "azurerm_virtual_network_peering");
        self.peers[i].get_or_init(|| Box::new(compute()))
    }

    /// See [`super::links::referrers`].
    pub fn referrers(&self, g: &Graph, to: NodeId, types: &[&str], attribute: &str) -> Vec<NodeId> {
        let mut v: Vec<NodeId> = Vec::new();
        for (i, t) in types.iter().enumerate() {
            if types[..i].contains(t) {
                continue;
            }
            v.extend(
                self.refs(g, to, attribute, t)
                    .iter()
                    .map(|r| r.from)
                    .filter(|&id| live(g, id)),
            );
        }
        v.sort_unstable();
        v.dedup();
        v
    }

    /// See [`super::links::referrers_certain`].
    pub fn referrers_certain(
        &self,
        g: &Graph,
        to: NodeId,
        types: &[&str],
        attribute: &str,
    ) -> Vec<(NodeId, bool)> {
        let mut v: Vec<(NodeId, bool)> = Vec::new();
        for (i, t) in types.iter().enumerate() {
            if types[..i].contains(t) {
                continue;
            }
            v.extend(
                self.refs(g, to, attribute, t)
                    .iter()
                    .filter(|r| live(g, r.from))
                    .map(|r| (r.from, !r.ambiguous)),
            );
        }
        // Sorted, a node's certain edge (true) comes after its ambiguous ones: keep the last.
        v.sort_unstable();
        v.dedup_by(|later, earlier| {
            if later.0 == earlier.0 {
                earlier.1 |= later.1;
                true
            } else {
                false
            }
        });
        v
    }
}
