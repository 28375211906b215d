//! `check = "peering-routes"`, `"peering-overlap"`, `"peering-security-groups"` on
//! `aws_vpc_peering_connection`, and `"peering-route-destination"` on `aws_route`: the
//! two-sided analyses of `analysis::peering`, `peering_sg` and `route_destination`, as
//! verdicts. A side outside the plan is always *unknown* with the reason, never a pass.

use super::{Check, CheckInput};
use crate::analysis::links::Found;
use crate::analysis::peering::{
    cidr_doubts, coverage, known_cidrs, serving_tables, Coverage, Peering, Side, Table,
};
use crate::analysis::peering_sg::{admission, Admission};
use crate::analysis::route_destination::{route_destination, Cidr, Verdict as Dest};
use crate::graph::{Graph, NodeId};
use crate::policy::tri::{Fact, Tri, Verdict};
use ipnet::IpNet;
use serde_json::{Map, Value};

fn fact(text: String, related: Vec<String>) -> Fact {
    Fact {
        text,
        evidence: Vec::new(),
        related,
    }
}

/// Failures win over unknowns, unknowns over passes.
fn verdict(fails: Vec<Fact>, unknowns: Vec<Fact>, passes: Vec<Fact>) -> Verdict {
    if !fails.is_empty() {
        Verdict::new(Tri::False, fails)
    } else if !unknowns.is_empty() {
        Verdict::new(Tri::Unknown, unknowns)
    } else {
        Verdict::new(Tri::True, passes)
    }
}

/// The side's VPC, or an unknown fact saying why it cannot be analysed.
fn vpc_or_doubt(g: &Graph, p: &Peering, side: &Side, unknowns: &mut Vec<Fact>) -> Option<NodeId> {
    match &side.vpc {
        Found::Yes(v) => Some(*v),
        Found::Unknown(why) | Found::Outside(why) => {
            let text = format!(
                "the {} side of {} cannot be checked: {why}",
                side.role.as_str(),
                g.node(p.node).address
            );
            if !unknowns.iter().any(|f| f.text == text) {
                unknowns.push(Fact::text(text));
            }
            None
        }
    }
}

/// Routes on both sides: every route table that serves subnets reaches every CIDR of the
/// other side through this peering.
pub struct PeeringRoutes;

/// Facts about one side's route tables.
#[derive(Default)]
struct Facts {
    fails: Vec<Fact>,
    unknowns: Vec<Fact>,
    passes: Vec<Fact>,
}

fn side_routes(g: &Graph, p: &Peering, side: &Side, other: &Side, out: &mut Facts) {
    let Some(vpc) = vpc_or_doubt(g, p, side, &mut out.unknowns) else {
        return;
    };
    if vpc_or_doubt(g, p, other, &mut out.unknowns).is_none() {
        return;
    }
    let role = side.role.as_str();
    for why in cidr_doubts(other) {
        let text = format!(
            "the {} VPC's CIDRs are not all known: {why}",
            other.role.as_str()
        );
        out.unknowns.push(Fact::text(text));
    }
    let tables = match serving_tables(g, vpc) {
        Found::Yes(t) => t,
        Found::Unknown(why) | Found::Outside(why) => {
            out.unknowns.push(Fact::text(format!("{role} side: {why}")));
            return;
        }
    };
    let peering = &g.node(p.node).address;
    for table in tables {
        for (cidr, source) in known_cidrs(other) {
            let what = format!("{role} side: {} to {cidr} ({source})", table.describe(g));
            let related = vec![table.address(g)];
            match coverage(g, p, table, (cidr, source)) {
                Coverage::Covered(r) => out.passes.push(fact(
                    format!("{what}: routed by {}", g.node(r).address),
                    related,
                )),
                Coverage::Partial(routes) => {
                    let parts: Vec<String> = routes
                        .iter()
                        .map(|(r, d)| format!("{d} by {}", g.node(*r).address))
                        .collect();
                    let text = format!("{what}: only part of it is routed ({})", parts.join(", "));
                    out.passes.push(fact(text, related));
                }
                Coverage::Unknown(why) => {
                    out.unknowns
                        .push(fact(format!("{what}: undecided, {why}"), related));
                }
                Coverage::Missing => out.fails.push(fact(
                    missing_route(g, table, side, other, (cidr, source), peering),
                    related,
                )),
            }
        }
    }
}

fn missing_route(
    g: &Graph,
    table: Table,
    side: &Side,
    other: &Side,
    (cidr, source): (IpNet, &str),
    peering: &str,
) -> String {
    let target = match table {
        Table::Resource(_) => format!("{}.id", table.address(g)),
        Table::Main(_) => format!("{}.main_route_table_id", table.address(g)),
    };
    format!(
        "{} side: {} has no route to {cidr} (the {} VPC's {source}) through {peering}; add an aws_route with route_table_id = {target}, destination_cidr_block = \"{cidr}\", vpc_peering_connection_id = {peering}.id",
        side.role.as_str(),
        table.describe(g),
        other.role.as_str(),
    )
}

impl Check for PeeringRoutes {
    fn name(&self) -> &'static str {
        "peering-routes"
    }

    fn summary(&self) -> &'static str {
        "on aws_vpc_peering_connection: fails when a route table serving subnets on either side has no route to the other side's CIDR (primary and secondary) through this peering or its accepter; unknown when a side, its CIDRs or its route tables are outside the plan"
    }

    fn evaluate(&self, input: &CheckInput<'_>) -> Verdict {
        let g = input.graph;
        let p = Peering::resolve(g, input.node);
        let mut facts = Facts::default();
        for (side, other) in p.sides() {
            side_routes(g, &p, side, other, &mut facts);
        }
        verdict(facts.fails, facts.unknowns, facts.passes)
    }
}

/// The two VPCs' CIDRs must not overlap: AWS refuses such a peering.
pub struct PeeringOverlap;

impl Check for PeeringOverlap {
    fn name(&self) -> &'static str {
        "peering-overlap"
    }

    fn summary(&self) -> &'static str {
        "on aws_vpc_peering_connection: fails when a CIDR of the requester VPC overlaps a CIDR of the accepter VPC (AWS refuses the peering); unknown when a side or a CIDR is not known"
    }

    fn evaluate(&self, input: &CheckInput<'_>) -> Verdict {
        let g = input.graph;
        let p = Peering::resolve(g, input.node);
        let (mut fails, mut unknowns) = (Vec::new(), Vec::new());
        for side in [&p.requester, &p.accepter] {
            vpc_or_doubt(g, &p, side, &mut unknowns);
            unknowns.extend(cidr_doubts(side).into_iter().map(Fact::text));
        }
        let vpcs: Vec<String> = [&p.requester, &p.accepter]
            .iter()
            .filter_map(|s| match s.vpc {
                Found::Yes(v) => Some(g.node(v).address.clone()),
                _ => None,
            })
            .collect();
        let (req, acc) = (known_cidrs(&p.requester), known_cidrs(&p.accepter));
        for &(a, sa) in &req {
            for &(b, sb) in &acc {
                if a.contains(&b) || b.contains(&a) {
                    fails.push(fact(
                        format!("the requester's {a} ({sa}) overlaps the accepter's {b} ({sb}); AWS refuses to peer VPCs with overlapping CIDRs: re-address one of them"),
                        vpcs.clone(),
                    ));
                }
            }
        }
        let all = |v: &[(IpNet, &str)]| {
            v.iter()
                .map(|(n, _)| n.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let pass = Fact::text(format!(
            "the requester's {} and the accepter's {} do not overlap",
            all(&req),
            all(&acc)
        ));
        verdict(fails, unknowns, vec![pass])
    }
}

/// Each side has a security group admitting the other side's CIDR (on the given ports).
pub struct PeeringSecurityGroups;

fn ports(params: &Map<String, Value>) -> Vec<u16> {
    params
        .get("ports")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_u64)
                .filter_map(|p| u16::try_from(p).ok())
                .collect()
        })
        .unwrap_or_default()
}

impl Check for PeeringSecurityGroups {
    fn name(&self) -> &'static str {
        "peering-security-groups"
    }

    fn summary(&self) -> &'static str {
        "on aws_vpc_peering_connection: fails when no security group in a side's VPC admits the other side's CIDR (inline ingress, aws_security_group_rule, aws_vpc_security_group_ingress_rule); unknown when the VPC exists outside this plan's changes; params: ports = [numbers] (empty: any port)"
    }

    fn validate(&self, params: &Map<String, Value>) -> Vec<String> {
        match params.get("ports") {
            None => Vec::new(),
            Some(Value::Array(a)) if a.iter().all(|p| p.as_u64().is_some_and(|n| n <= 65535)) => {
                Vec::new()
            }
            Some(_) => vec!["parameter `ports` of check `peering-security-groups` must be a list of port numbers, e.g. ports = [443, 5432]".into()],
        }
    }

    fn evaluate(&self, input: &CheckInput<'_>) -> Verdict {
        let g = input.graph;
        let ports = ports(input.params);
        let on = if ports.is_empty() {
            String::new()
        } else {
            let list: Vec<String> = ports.iter().map(u16::to_string).collect();
            format!(" on port {}", list.join(" or "))
        };
        let p = Peering::resolve(g, input.node);
        let (mut fails, mut unknowns, mut passes) = (Vec::new(), Vec::new(), Vec::new());
        for (side, other) in p.sides() {
            let Some(vpc) = vpc_or_doubt(g, &p, side, &mut unknowns) else {
                continue;
            };
            vpc_or_doubt(g, &p, other, &mut unknowns);
            let role = side.role.as_str();
            for why in cidr_doubts(other) {
                unknowns.push(Fact::text(format!(
                    "{role} side: the peer's CIDRs are not all known: {why}"
                )));
            }
            let vpc_addr = &g.node(vpc).address;
            for (cidr, source) in known_cidrs(other) {
                match admission(g, vpc, cidr, &ports) {
                    Admission::Admitted(sg) => passes.push(Fact::text(format!(
                        "{role} side: {} admits {cidr}{on}",
                        g.node(sg).address
                    ))),
                    Admission::Unknown(why) => unknowns.push(fact(
                        format!(
                            "{role} side: whether {vpc_addr} admits {cidr}{on} is not known: {why}"
                        ),
                        vec![vpc_addr.clone()],
                    )),
                    Admission::Missing(groups) => {
                        let mut related = vec![vpc_addr.clone()];
                        related.extend(groups.iter().map(|&s| g.node(s).address.clone()));
                        let have = match groups.len() {
                            0 => "it has no security group in this plan".to_string(),
                            _ => format!(
                                "none of {} does",
                                groups
                                    .iter()
                                    .map(|&s| g.node(s).address.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        };
                        fails.push(fact(
                            format!(
                                "{role} side: no security group in {vpc_addr} admits {cidr} (the {} VPC's {source}){on} ({have}); add an ingress rule for {cidr} to the security group of the service the peer calls",
                                other.role.as_str()
                            ),
                            related,
                        ));
                    }
                }
            }
        }
        verdict(fails, unknowns, passes)
    }
}

/// An `aws_route` through a peering must point at the peer VPC's CIDR (or part of it).
pub struct PeeringRouteDestination;

fn cidrs(list: &[Cidr]) -> String {
    let v: Vec<String> = list.iter().map(|(n, s)| format!("{n} ({s})")).collect();
    v.join(", ")
}

impl Check for PeeringRouteDestination {
    fn name(&self) -> &'static str {
        "peering-route-destination"
    }

    fn summary(&self) -> &'static str {
        "on aws_route through a VPC peering (directly or through its accepter): fails when the destination is not within a CIDR of the peer VPC (primary or secondary) — too wide, the route's own VPC, or another network; narrower is fine; unknown when the peering, a side or a CIDR is outside the plan"
    }

    fn evaluate(&self, input: &CheckInput<'_>) -> Verdict {
        let g = input.graph;
        let route = &g.node(input.node).address;
        let r = route_destination(g, input.node);
        let peering = r.peering.map_or_else(
            || "its peering connection".to_string(),
            |p| g.node(p).address.clone(),
        );
        let mut related: Vec<String> = r
            .peering
            .iter()
            .map(|&p| g.node(p).address.clone())
            .collect();
        let (peer_role, peer_vpc) = match r.peer {
            Some((role, vpc)) => {
                related.push(g.node(vpc).address.clone());
                (role.as_str(), g.node(vpc).address.clone())
            }
            None => ("peer", "the peer VPC".to_string()),
        };
        let (tri, text) = match r.verdict {
            Dest::Peer { dest, cidr } => (
                Tri::True,
                format!("{route} sends {dest} through {peering} to the {peer_role} VPC's {cidr}"),
            ),
            Dest::TooWide { dest, covers } => {
                let narrow: Vec<String> = covers.iter().map(|(n, _)| n.to_string()).collect();
                (Tri::False, format!(
                    "{route} sends {dest} through {peering}: too wide, the {peer_role} VPC {peer_vpc} has only {}; traffic for every other network in {dest} without a more specific route goes into the peering and is dropped there; set destination_cidr_block to {} (one route per CIDR)",
                    cidrs(&covers),
                    narrow.join(" and ")
                ))
            }
            Dest::Own { dest, own } => (Tri::False, format!(
                "{route} sends {dest} through {peering}, but that is its own VPC's {} ({}); AWS refuses a route as specific as the VPC's local route — route the {peer_role} VPC {peer_vpc}'s CIDR instead",
                own.0, own.1
            )),
            Dest::Wrong { dest, peer } => (Tri::False, format!(
                "{route} sends {dest} through {peering}, but the {peer_role} VPC {peer_vpc} has {}: traffic to {dest} is dropped at the peering; point the route at the {peer_role} VPC's CIDR, or send {dest} where it lives",
                cidrs(&peer)
            )),
            Dest::NotASide { vpc } => (Tri::False, format!(
                "{route} is in a route table of {}, which is neither side of {peering}; AWS refuses it — use the peering connection of that VPC",
                g.node(vpc).address
            )),
            Dest::Unknown(why) => (Tri::Unknown, why),
        };
        Verdict::fact(tri, fact(text, related))
    }
}
