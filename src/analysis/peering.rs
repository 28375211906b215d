//! AWS VPC peering: both sides of a peering connection, their CIDRs, the route tables that
//! serve subnets, and the routes through *this* peering. A peering that `terraform apply`
//! creates without routes on both sides is a broken network; this module finds which route
//! table lacks which route. Security groups are in `peering_sg`, the destination of one route
//! in `route_destination`.
//!
//! The peering id is usually unknown at plan time, so a route is tied to a peering through the
//! graph: a reference (`vpc_peering_connection_id = aws_vpc_peering_connection.p.id`), a
//! reference to its `aws_vpc_peering_connection_accepter`, or a value join for existing ones.

use super::index::Index;
use super::links::{cidr, edges_on, referrers, string, target, unknown, Found};
use crate::graph::{Action, Graph, NodeId};
use ipnet::IpNet;
use serde_json::Value;

pub const PEERING: &str = "aws_vpc_peering_connection";
pub const ACCEPTER: &str = "aws_vpc_peering_connection_accepter";
pub(super) const VPC: [&str; 1] = ["aws_vpc"];
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

/// An address family: the VPC (and association) attribute holding its CIDR, the association
/// type, the `aws_route` destination attribute and the inline `route` entry's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Family {
    pub vpc_attr: &'static str,
    pub association: &'static str,
    pub route_attr: &'static str,
    pub inline_attr: &'static str,
}

pub const IPV4: Family = Family {
    vpc_attr: "cidr_block",
    association: "aws_vpc_ipv4_cidr_block_association",
    route_attr: "destination_cidr_block",
    inline_attr: "cidr_block",
};

pub const IPV6: Family = Family {
    vpc_attr: "ipv6_cidr_block",
    association: "aws_vpc_ipv6_cidr_block_association",
    route_attr: "destination_ipv6_cidr_block",
    inline_attr: "ipv6_cidr_block",
};

/// One end: its VPC and that VPC's IPv4 CIDRs.
#[derive(Debug)]
pub struct Side {
    pub role: Role,
    pub vpc: Found<NodeId>,
    /// Each CIDR with the attribute it comes from (`aws_vpc.a.cidr_block`, or a CIDR
    /// association's).
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

    /// (this side, the other side), requester first.
    pub fn sides(&self) -> [(&Side, &Side); 2] {
        [
            (&self.requester, &self.accepter),
            (&self.accepter, &self.requester),
        ]
    }

    /// True when `id` is this peering or one of its accepter resources.
    pub fn is_this(&self, id: NodeId) -> bool {
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
    cidrs_of(g, vpc, IPV4)
}

/// The VPC's CIDRs of one address family, primary first, each with its source attribute.
/// Read once per graph and VPC (`Index::cidrs`): a hub VPC is a side of every peering, and
/// several rules resolve each peering.
pub fn cidrs_of(g: &Graph, vpc: NodeId, family: Family) -> Vec<Found<(IpNet, String)>> {
    super::index::Index::of(g)
        .cidrs(vpc, family.vpc_attr == IPV6.vpc_attr, || {
            read_cidrs(g, vpc, family)
        })
        .to_vec()
}

/// [`cidrs_of`], read from the values.
fn read_cidrs(g: &Graph, vpc: NodeId, family: Family) -> Vec<Found<(IpNet, String)>> {
    let mut out = Vec::new();
    let mut from = |id: NodeId| {
        let source = format!("{}.{}", g.node(id).address, family.vpc_attr);
        match cidr(g, id, family.vpc_attr) {
            Some(Found::Yes(n)) => out.push(Found::Yes((n, source))),
            Some(Found::Unknown(r)) => out.push(Found::Unknown(r)),
            Some(Found::Outside(r)) => out.push(Found::Outside(r)),
            None => {}
        }
    };
    from(vpc);
    for a in referrers(g, vpc, &[family.association], "vpc_id") {
        from(a);
    }
    out
}

/// True when the plan creates the node (it did not exist before this apply).
pub fn created(g: &Graph, id: NodeId) -> bool {
    matches!(g.node(id).action, Action::Create | Action::Replace)
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

/// The route tables of a VPC that serve subnets, or why that cannot be told (computed once
/// per VPC: a hub VPC is asked once per peering).
pub fn serving_tables(g: &Graph, vpc: NodeId) -> Found<Vec<Table>> {
    Index::of(g)
        .serving(vpc, || find_serving_tables(g, vpc))
        .clone()
}

fn find_serving_tables(g: &Graph, vpc: NodeId) -> Found<Vec<Table>> {
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
        // Subnets and route tables are then managed elsewhere (another state, the console):
        // nothing here says which tables need the route, or whether they have it.
        return Found::Unknown(format!(
            "no route table or subnet of {} is in this plan, so the tables that need a route cannot be told",
            g.node(vpc).address
        ));
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
    /// Only narrower routes reach part of the CIDR (a deliberate choice, often: one subnet).
    Partial(Vec<(NodeId, IpNet)>),
    Unknown(String),
    Missing,
}

/// A destination CIDR that may be known only through a reference.
pub(super) enum Dest {
    Known(IpNet),
    /// Unknown value, but a reference proves it is this attribute (`aws_vpc.b.cidr_block`).
    Of(String),
    Unknown(String),
    /// Not set.
    Absent,
}

pub(super) fn route_dest(g: &Graph, route: NodeId, attribute: &str) -> Dest {
    match cidr(g, route, attribute) {
        Some(Found::Yes(n)) => Dest::Known(n),
        Some(Found::Unknown(r)) if unknown(g, route, attribute) => {
            let edges = edges_on(g, route, attribute);
            if let [e] = edges.as_slice() {
                if let (false, Some(last)) = (e.ambiguous, e.via.last()) {
                    // `via` ends with the attribute read (`aws_vpc.this.cidr_block`); the
                    // instance is the edge's target.
                    if let Some((_, attr)) = last.rsplit_once('.') {
                        return Dest::Of(format!("{}.{attr}", g.node(e.to).address));
                    }
                }
            }
            Dest::Unknown(r)
        }
        Some(Found::Unknown(r) | Found::Outside(r)) => Dest::Unknown(r),
        None => Dest::Absent,
    }
}

/// Does the route go through this peering? Ok(true/false) or Err with a reason.
fn through(g: &Graph, p: &Peering, route: NodeId) -> Result<bool, String> {
    let (mut linked, mut this, mut certain) = (false, false, false);
    for e in g
        .outgoing(route)
        .filter(|e| e.attribute == "vpc_peering_connection_id")
    {
        linked = true;
        if p.is_this(e.to) {
            this = true;
            certain |= !e.ambiguous;
        }
    }
    if certain {
        return Ok(true);
    }
    if this {
        return Err(format!(
            "{} may route through {} (the reference is ambiguous)",
            g.node(route).address,
            g.node(p.node).address
        ));
    }
    if linked {
        return Ok(false);
    }
    match (
        string(g, route, "vpc_peering_connection_id"),
        string(g, p.node, "id"),
    ) {
        (Some(a), Some(b)) => Ok(a == b),
        (None, _) if unknown(g, route, "vpc_peering_connection_id") => Err(format!(
            "`vpc_peering_connection_id` of {} is known only after apply and its reference could not be followed",
            g.node(route).address
        )),
        _ => Ok(false),
    }
}

/// What the routes of one table contribute toward one CIDR.
#[derive(Default)]
struct Tally {
    covered: Option<NodeId>,
    partial: Vec<(NodeId, IpNet)>,
    doubts: Vec<String>,
}

impl Tally {
    fn add(&mut self, by: NodeId, dest: Dest, peer: (IpNet, &str)) {
        match dest {
            Dest::Known(d) if d.contains(&peer.0) => self.covered = self.covered.or(Some(by)),
            Dest::Known(d) if peer.0.contains(&d) => self.partial.push((by, d)),
            Dest::Of(source) if source == peer.1 => self.covered = self.covered.or(Some(by)),
            Dest::Known(_) | Dest::Of(_) | Dest::Absent => {}
            Dest::Unknown(why) => self.doubts.push(why),
        }
    }

    fn verdict(self) -> Coverage {
        match (
            self.covered,
            self.doubts.is_empty(),
            self.partial.is_empty(),
        ) {
            (Some(r), _, _) => Coverage::Covered(r),
            (None, false, _) => Coverage::Unknown(self.doubts.join("; ")),
            (None, true, false) => Coverage::Partial(self.partial),
            (None, true, true) => Coverage::Missing,
        }
    }
}

/// Coverage of `table` for traffic to `peer` (one CIDR of the other side, with its source
/// attribute) through `p`.
pub fn coverage(g: &Graph, p: &Peering, table: Table, peer: (IpNet, &str)) -> Coverage {
    let ix = Index::of(g);
    let routes = ix.table_routes(g, table);
    // A route linked by an edge to another peering only does not go through this one: look at
    // the routes linked to this peering (or its accepters) and at the unlinked ones, in the
    // table's order.
    let mut at: Vec<u32> = routes.unlinked.clone();
    for x in std::iter::once(p.node).chain(p.accepters.iter().copied()) {
        for r in ix.refs(g, x, "vpc_peering_connection_id", "aws_route") {
            if let Some(positions) = routes.at.get(&r.from) {
                at.extend_from_slice(positions);
            }
        }
    }
    at.sort_unstable();
    at.dedup();
    let mut tally = Tally::default();
    for i in at {
        let (r, certain) = routes.list[i as usize];
        match through(g, p, r) {
            Ok(true) if certain => tally.add(r, route_dest(g, r, IPV4.route_attr), peer),
            // It may be a route of another table: it cannot cover this one for sure.
            Ok(true) => {
                let mut maybe = Tally::default();
                maybe.add(r, route_dest(g, r, IPV4.route_attr), peer);
                if maybe.covered.is_some() || !maybe.doubts.is_empty() {
                    tally.doubts.push(format!(
                        "{} may be in {} (its `route_table_id` reference is ambiguous)",
                        g.node(r).address,
                        table.describe(g)
                    ));
                }
            }
            Ok(false) => {}
            Err(why) => tally.doubts.push(why),
        }
    }
    if let Table::Resource(t) = table {
        inline(g, p, t, peer, &mut tally);
    }
    tally.verdict()
}

/// A key of an inline `route` entry: known (a string or null) or known only after apply.
fn entry<'v>(r: &'v Value, key: &str) -> Result<Option<&'v str>, ()> {
    match r.get(key) {
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Ok(None),
        None => Err(()),
    }
}

/// Inline `route` entries of an `aws_route_table` / `aws_default_route_table`.
fn inline(g: &Graph, p: &Peering, table: NodeId, peer: (IpNet, &str), tally: &mut Tally) {
    let addr = &g.node(table).address;
    let peerings: Vec<NodeId> = edges_on(g, table, "route")
        .iter()
        .filter(|e| [PEERING, ACCEPTER].contains(&g.node(e.to).type_.as_str()))
        .map(|e| e.to)
        .collect();
    let mine = peerings.iter().any(|&t| p.is_this(t));
    let others = peerings.iter().any(|&t| !p.is_this(t));
    // Read alone, not kept parsed (see `links::string`).
    let route = g.node(table).value_of("route");
    let routes = match route.as_deref() {
        Some(Value::Array(routes)) => routes,
        // `route` is computed from every route of the table when the configuration sets no
        // inline route; it is inline (and undecided) only when the configuration refers to
        // something in it.
        _ if unknown(g, table, "route")
            && (!peerings.is_empty() || g.unresolved_of(table).any(|u| u.attribute == "route")) =>
        {
            tally.doubts.push(format!(
                "the inline routes of {addr} are known only after apply"
            ));
            return;
        }
        _ => return,
    };
    let pid = string(g, p.node, "id");
    for r in routes {
        let via = match (entry(r, "vpc_peering_connection_id"), pid.as_deref()) {
            (Ok(Some(v)), Some(id)) => v == id,
            (Ok(_), _) => false,
            // Known only after apply: the table's `route` refers to this peering (and no
            // other), so this entry goes through it.
            (Err(()), _) if mine && !others => true,
            (Err(()), _) if mine => {
                tally.doubts.push(format!(
                    "the inline routes of {addr} refer to several peering connections, and which entry goes through which is known only after apply"
                ));
                continue;
            }
            (Err(()), _) => false,
        };
        if !via {
            continue;
        }
        let dest = match entry(r, IPV4.inline_attr) {
            Ok(Some(s)) => s
                .parse::<IpNet>()
                .map_or(Dest::Absent, |n| Dest::Known(n.trunc())),
            Ok(None) => Dest::Absent,
            Err(()) => Dest::Unknown(format!(
                "the destination of an inline route of {addr} is known only after apply"
            )),
        };
        tally.add(table, dest, peer);
    }
}

/// The known CIDRs of a side.
pub fn known_cidrs(side: &Side) -> Vec<(IpNet, &str)> {
    known(&side.cidrs)
}

/// The known entries of a CIDR list.
pub fn known(cidrs: &[Found<(IpNet, String)>]) -> Vec<(IpNet, &str)> {
    cidrs
        .iter()
        .filter_map(|c| match c {
            Found::Yes((n, s)) => Some((*n, s.as_str())),
            _ => None,
        })
        .collect()
}

/// Why a side's CIDRs are not all known.
pub fn cidr_doubts(side: &Side) -> Vec<String> {
    doubts(&side.cidrs)
}

/// The reasons of the unknown entries of a CIDR list.
pub fn doubts(cidrs: &[Found<(IpNet, String)>]) -> Vec<String> {
    cidrs
        .iter()
        .filter_map(|c| match c {
            Found::Unknown(r) | Found::Outside(r) => Some(r.clone()),
            Found::Yes(_) => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{Coverage, Dest, Tally};

    #[test]
    fn tally_prefers_cover_then_doubt_then_part() {
        let peer = ("10.2.0.0/16".parse().unwrap(), "aws_vpc.b.cidr_block");
        let known = |s: &str| Dest::Known(s.parse().unwrap());
        let mut t = Tally::default();
        t.add(1, known("10.2.1.0/24"), peer);
        t.add(2, known("10.3.0.0/16"), peer);
        assert_eq!(
            t.verdict(),
            Coverage::Partial(vec![(1, "10.2.1.0/24".parse().unwrap())])
        );
        let mut t = Tally::default();
        t.add(1, known("10.2.1.0/24"), peer);
        t.add(2, Dest::Unknown("why".into()), peer);
        assert_eq!(t.verdict(), Coverage::Unknown("why".into()));
        let mut t = Tally::default();
        t.add(2, Dest::Unknown("why".into()), peer);
        t.add(3, Dest::Of("aws_vpc.b.cidr_block".into()), peer);
        assert_eq!(t.verdict(), Coverage::Covered(3));
        let mut t = Tally::default();
        t.add(4, known("10.0.0.0/8"), peer);
        assert_eq!(t.verdict(), Coverage::Covered(4));
        assert_eq!(Tally::default().verdict(), Coverage::Missing);
    }
}
