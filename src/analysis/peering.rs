//! AWS VPC peering: both sides of a peering connection, their CIDRs, the route tables that
//! serve subnets, the routes through *this* peering, and the security groups that admit the
//! peer. A peering that `terraform apply` creates without routes on both sides is a broken
//! network; this module finds which route table lacks which route.
//!
//! The peering id is usually unknown at plan time, so a route is tied to a peering through the
//! graph: a reference (`vpc_peering_connection_id = aws_vpc_peering_connection.p.id`), a
//! reference to its `aws_vpc_peering_connection_accepter`, or a value join for existing ones.

use super::links::{cidr, edges_on, live, referrers, string, target, Found};
use crate::graph::{Graph, NodeId};
use ipnet::IpNet;
use serde_json::Value;

pub const PEERING: &str = "aws_vpc_peering_connection";
pub const ACCEPTER: &str = "aws_vpc_peering_connection_accepter";
const VPC: [&str; 1] = ["aws_vpc"];
const ROUTE_TABLE: &str = "aws_route_table";
const DEFAULT_ROUTE_TABLE: &str = "aws_default_route_table";

/// Which end of the peering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Requester,
    Accepter,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Requester => "requester",
            Role::Accepter => "accepter",
        }
    }
}

/// One end: its VPC and that VPC's CIDRs.
#[derive(Debug)]
pub struct Side {
    pub role: Role,
    pub vpc: Found<NodeId>,
    /// Each CIDR with the resource it comes from (the VPC or a CIDR association).
    pub cidrs: Vec<Found<(IpNet, String)>>,
}

/// A peering connection with both sides resolved.
#[derive(Debug)]
pub struct Peering {
    pub node: NodeId,
    pub requester: Side,
    pub accepter: Side,
    /// `aws_vpc_peering_connection_accepter` resources of this peering.
    pub accepters: Vec<NodeId>,
}

impl Peering {
    pub fn resolve(g: &Graph, node: NodeId) -> Peering {
        Peering {
            node,
            requester: side(g, node, "vpc_id", Role::Requester),
            accepter: side(g, node, "peer_vpc_id", Role::Accepter),
            accepters: referrers(g, node, &[ACCEPTER], "vpc_peering_connection_id"),
        }
    }

    pub fn sides(&self) -> [(&Side, &Side); 2] {
        [
            (&self.requester, &self.accepter),
            (&self.accepter, &self.requester),
        ]
    }

    /// True when `id` is this peering or one of its accepter resources.
    fn is_this(&self, id: NodeId) -> bool {
        id == self.node || self.accepters.contains(&id)
    }
}

fn side(g: &Graph, peering: NodeId, attribute: &str, role: Role) -> Side {
    let vpc = target(g, peering, attribute, &VPC);
    let cidrs = match &vpc {
        Found::Yes(v) => vpc_cidrs(g, *v),
        _ => Vec::new(),
    };
    Side { role, vpc, cidrs }
}

/// The VPC's primary CIDR and the secondary ones from `aws_vpc_ipv4_cidr_block_association`.
pub fn vpc_cidrs(g: &Graph, vpc: NodeId) -> Vec<Found<(IpNet, String)>> {
    let mut out = Vec::new();
    let mut from = |id: NodeId| {
        let source = format!("{}.cidr_block", g.node(id).address);
        match cidr(g, id, "cidr_block") {
            Some(Found::Yes(n)) => out.push(Found::Yes((n, source))),
            Some(Found::Unknown(r)) => out.push(Found::Unknown(r)),
            Some(Found::Outside(r)) => out.push(Found::Outside(r)),
            None => {}
        }
    };
    from(vpc);
    for a in referrers(g, vpc, &["aws_vpc_ipv4_cidr_block_association"], "vpc_id") {
        from(a);
    }
    out
}

/// A route table that must carry the route: a resource, or the VPC's implicit main table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    Resource(NodeId),
    /// The main route table AWS creates with the VPC, serving subnets with no association.
    Main(NodeId),
}

impl Table {
    pub fn describe(self, g: &Graph) -> String {
        match self {
            Table::Resource(id) => g.node(id).address.clone(),
            Table::Main(vpc) => format!("the main route table of {}", g.node(vpc).address),
        }
    }

    pub fn address(self, g: &Graph) -> String {
        match self {
            Table::Resource(id) | Table::Main(id) => g.node(id).address.clone(),
        }
    }
}

/// The route tables of a VPC that serve subnets, or why that cannot be told.
pub fn serving_tables(g: &Graph, vpc: NodeId) -> Found<Vec<Table>> {
    let tables = referrers(g, vpc, &[ROUTE_TABLE], "vpc_id");
    let defaults = referrers(g, vpc, &[DEFAULT_ROUTE_TABLE], "default_route_table_id");
    let subnets = referrers(g, vpc, &["aws_subnet"], "vpc_id");
    let mains: Vec<NodeId> = referrers(g, vpc, &["aws_main_route_table_association"], "vpc_id")
        .into_iter()
        .filter_map(|a| match target(g, a, "route_table_id", &[ROUTE_TABLE]) {
            Found::Yes(t) => Some(t),
            _ => None,
        })
        .collect();
    let mut need: Vec<Table> = tables
        .iter()
        .copied()
        .filter(|&t| {
            mains.contains(&t)
                || !referrers(g, t, &["aws_route_table_association"], "route_table_id").is_empty()
        })
        .map(Table::Resource)
        .collect();
    need.extend(defaults.iter().copied().map(Table::Resource));
    let unassociated = subnets
        .iter()
        .any(|&s| referrers(g, s, &["aws_route_table_association"], "subnet_id").is_empty());
    if unassociated && mains.is_empty() && defaults.is_empty() {
        need.push(Table::Main(vpc));
    }
    if need.is_empty() {
        if !tables.is_empty() {
            // Tables without associations in this plan: associations may live elsewhere, so
            // every table of the VPC is taken to serve subnets.
            return Found::Yes(tables.into_iter().map(Table::Resource).collect());
        }
        let node = g.node(vpc);
        if node.from_prior_state || node.action == crate::graph::Action::NoOp {
            return Found::Unknown(format!(
                "neither route tables nor subnets of {} are in this plan, so the tables that need a route cannot be told",
                node.address
            ));
        }
        return Found::Yes(Vec::new());
    }
    need.sort_by_key(|t| t.address(g));
    need.dedup();
    Found::Yes(need)
}

/// Whether a table carries a route to a CIDR through this peering.
#[derive(Debug, Clone, PartialEq)]
pub enum Coverage {
    /// By this route (an `aws_route`, or the table itself for an inline route).
    Covered(NodeId),
    Unknown(String),
    Missing,
}

/// A destination CIDR that may be known only through a reference.
enum Dest {
    Known(IpNet),
    /// Unknown value, but the reference proves it is this node's `cidr_block`.
    CidrOf(NodeId),
    Unknown(String),
}

fn route_dest(g: &Graph, route: NodeId, attribute: &str) -> Dest {
    match cidr(g, route, attribute) {
        Some(Found::Yes(n)) => return Dest::Known(n),
        Some(Found::Unknown(r)) => {
            let edges = edges_on(g, route, attribute);
            if let [e] = edges.as_slice() {
                if !e.ambiguous && e.via.last().is_some_and(|v| v.ends_with(".cidr_block")) {
                    return Dest::CidrOf(e.to);
                }
            }
            return Dest::Unknown(r);
        }
        _ => {}
    }
    Dest::Unknown(format!("{} has no `{attribute}`", g.node(route).address))
}

/// Does the route go through this peering? Some(true/false) or None with a reason.
fn through(g: &Graph, p: &Peering, route: NodeId) -> Result<bool, String> {
    let edges = edges_on(g, route, "vpc_peering_connection_id");
    if edges.iter().any(|e| p.is_this(e.to) && !e.ambiguous) {
        return Ok(true);
    }
    if edges.iter().any(|e| p.is_this(e.to)) {
        return Err(format!(
            "{} may route through {} (the reference is ambiguous)",
            g.node(route).address,
            g.node(p.node).address
        ));
    }
    if !edges.is_empty() {
        return Ok(false);
    }
    match (string(g, route, "vpc_peering_connection_id"), string(g, p.node, "id")) {
        (Some(a), Some(b)) => Ok(a == b),
        (Some(_), None) | (None, _) if super::links::unknown(g, route, "vpc_peering_connection_id") => {
            Err(format!(
                "`vpc_peering_connection_id` of {} is known only after apply and its reference could not be followed",
                g.node(route).address
            ))
        }
        _ => Ok(false),
    }
}

/// Coverage of `table` for traffic to `peer` (one CIDR of the other side) through `p`.
pub fn coverage(
    g: &Graph,
    p: &Peering,
    table: Table,
    peer: (IpNet, &str),
    peer_vpc: NodeId,
) -> Coverage {
    let routes: Vec<NodeId> = match table {
        Table::Resource(t) => referrers(g, t, &["aws_route"], "route_table_id"),
        // Routes into the implicit main table name the VPC's `main_route_table_id`.
        Table::Main(vpc) => g
            .incoming(vpc)
            .filter(|e| {
                e.attribute == "route_table_id"
                    && g.node(e.from).type_ == "aws_route"
                    && e.via.iter().any(|v| {
                        v.contains("main_route_table_id") || v.contains("default_route_table_id")
                    })
            })
            .map(|e| e.from)
            .filter(|&r| live(g, r))
            .collect(),
    };
    let mut doubts = Vec::new();
    for r in routes {
        let via = match through(g, p, r) {
            Ok(v) => v,
            Err(why) => {
                doubts.push(why);
                continue;
            }
        };
        if !via {
            continue;
        }
        match route_dest(g, r, "destination_cidr_block") {
            Dest::Known(d) if d.contains(&peer.0) => return Coverage::Covered(r),
            Dest::Known(_) => {}
            Dest::CidrOf(n) if n == peer_vpc && peer.1.starts_with(&g.node(n).address) => {
                return Coverage::Covered(r)
            }
            Dest::CidrOf(_) => {}
            Dest::Unknown(why) => doubts.push(why),
        }
    }
    if let Table::Resource(t) = table {
        match inline(g, p, t, peer.0) {
            Coverage::Missing => {}
            c => return c,
        }
    }
    match doubts.is_empty() {
        true => Coverage::Missing,
        false => Coverage::Unknown(doubts.join("; ")),
    }
}

/// Inline `route` entries of an `aws_route_table` / `aws_default_route_table`.
fn inline(g: &Graph, p: &Peering, table: NodeId, peer: IpNet) -> Coverage {
    let refers_to_peering = edges_on(g, table, "route").iter().any(|e| p.is_this(e.to));
    let Some(Value::Array(routes)) = g.node(table).values().get("route") else {
        return Coverage::Missing;
    };
    let pid = string(g, p.node, "id");
    for r in routes {
        let dest = r
            .get("cidr_block")
            .and_then(Value::as_str)
            .and_then(|s| s.parse::<IpNet>().ok());
        let via = r.get("vpc_peering_connection_id").and_then(Value::as_str);
        let through = match (via, pid) {
            (Some(v), Some(id)) => v == id,
            (None, _) => refers_to_peering,
            (Some(_), None) => false,
        };
        if through && dest.is_some_and(|d| d.trunc().contains(&peer)) {
            return Coverage::Covered(table);
        }
    }
    Coverage::Missing
}

/// Security groups of a VPC that admit traffic from `peer` on one of `ports` (empty: any).
pub fn admitting_groups(
    g: &Graph,
    vpc: NodeId,
    peer: IpNet,
    ports: &[u16],
) -> (Vec<NodeId>, Vec<String>) {
    let mut yes = Vec::new();
    let mut doubts = Vec::new();
    for sg in referrers(g, vpc, &["aws_security_group"], "vpc_id") {
        let mut rules: Vec<(Value, String)> = Vec::new();
        if let Some(Value::Array(ing)) = g.node(sg).values().get("ingress") {
            rules.extend(ing.iter().map(|r| (r.clone(), g.node(sg).address.clone())));
        } else if super::links::unknown(g, sg, "ingress") && !edges_on(g, sg, "ingress").is_empty()
        {
            doubts.push(format!(
                "the inline ingress of {} is known only after apply",
                g.node(sg).address
            ));
        }
        for r in referrers(g, sg, &["aws_security_group_rule"], "security_group_id") {
            let v = g.node(r).values();
            if v.get("type").and_then(Value::as_str) == Some("ingress") {
                rules.push((v.clone(), g.node(r).address.clone()));
            }
        }
        for r in referrers(
            g,
            sg,
            &["aws_vpc_security_group_ingress_rule"],
            "security_group_id",
        ) {
            let v = g.node(r).values();
            let mut rule = v.clone();
            if let Some(c) = v.get("cidr_ipv4") {
                rule["cidr_blocks"] = Value::Array(vec![c.clone()]);
            }
            if v.get("ip_protocol").is_some() {
                rule["protocol"] = v["ip_protocol"].clone();
            }
            rules.push((rule, g.node(r).address.clone()));
        }
        if rules.iter().any(|(r, _)| admits(r, peer, ports)) {
            yes.push(sg);
        }
    }
    (yes, doubts)
}

fn admits(rule: &Value, peer: IpNet, ports: &[u16]) -> bool {
    let cidrs = rule.get("cidr_blocks").and_then(Value::as_array);
    let from_peer = cidrs.is_some_and(|c| {
        c.iter()
            .filter_map(Value::as_str)
            .filter_map(|s| s.parse::<IpNet>().ok())
            .any(|n| n.trunc().contains(&peer))
    });
    if !from_peer {
        return false;
    }
    let all = matches!(
        rule.get("protocol").and_then(Value::as_str),
        Some("-1" | "all")
    );
    if ports.is_empty() || all {
        return true;
    }
    let num = |k: &str| rule.get(k).and_then(Value::as_i64);
    match (num("from_port"), num("to_port")) {
        (Some(f), Some(t)) => ports.iter().any(|&p| (f..=t).contains(&i64::from(p))),
        _ => false,
    }
}

/// The known CIDRs of a side.
pub fn known_cidrs(side: &Side) -> Vec<(IpNet, &str)> {
    side.cidrs
        .iter()
        .filter_map(|c| match c {
            Found::Yes((n, s)) => Some((*n, s.as_str())),
            _ => None,
        })
        .collect()
}

/// Why a side's CIDRs are not all known.
pub fn cidr_doubts(side: &Side) -> Vec<String> {
    side.cidrs
        .iter()
        .filter_map(|c| match c {
            Found::Unknown(r) | Found::Outside(r) => Some(r.clone()),
            Found::Yes(_) => None,
        })
        .collect()
}
