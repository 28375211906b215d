//! The destination of one `aws_route` through a VPC peering, judged against the VPC on the
//! other side: within one of its CIDRs (primary or secondary, or narrower) is right; wider
//! than it sends traffic for other networks into the peering, where it is dropped; the
//! route's own VPC's CIDR is refused by AWS; anything else is the wrong network.
//!
//! The peering is reached from the route directly or through its
//! `aws_vpc_peering_connection_accepter`; the route's own VPC through its route table (or the
//! VPC's `main_route_table_id`). Whatever of that lies outside the plan makes the answer
//! unknown, with the reason.

use super::links::{string, target, unknown, Found};
use super::peering::{
    cidrs_of, doubts, known, route_dest, Dest, Family, Peering, Role, Side, ACCEPTER, IPV4, IPV6,
    PEERING, VPC,
};
use crate::graph::{Graph, NodeId};
use ipnet::IpNet;

/// A CIDR and the attribute it comes from (`aws_vpc.data.cidr_block`).
pub type Cidr = (IpNet, String);

/// What the destination is, relative to the peer VPC.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Within (or exactly) a CIDR of the peer VPC, or covered exactly by several.
    Peer {
        dest: String,
        cidr: String,
    },
    /// Wider than the peer's CIDRs it covers (the route's own VPC CIDRs it may cover too are
    /// still reached through the more specific local route).
    TooWide {
        dest: IpNet,
        covers: Vec<Cidr>,
    },
    /// Inside (or covering) the route's own VPC's CIDR, and none of the peer's.
    Own {
        dest: IpNet,
        own: Cidr,
    },
    /// None of the peer's CIDRs, which are listed.
    Wrong {
        dest: IpNet,
        peer: Vec<Cidr>,
    },
    /// The route's table belongs to a VPC that is neither side of the peering.
    NotASide {
        vpc: NodeId,
    },
    Unknown(String),
}

/// A route through a peering, with what is known of the peering and the peer VPC.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteDestination {
    pub peering: Option<NodeId>,
    /// The side the traffic goes to, and its VPC.
    pub peer: Option<(Role, NodeId)>,
    pub verdict: Verdict,
}

impl RouteDestination {
    fn unknown(peering: Option<NodeId>, why: String) -> Self {
        RouteDestination {
            peering,
            peer: None,
            verdict: Verdict::Unknown(why),
        }
    }
}

/// The peering connection a route goes through (directly or through its accepter).
pub fn route_peering(g: &Graph, route: NodeId) -> Found<NodeId> {
    match target(g, route, "vpc_peering_connection_id", &[PEERING, ACCEPTER]) {
        Found::Yes(n) if g.node(n).type_ == ACCEPTER => {
            target(g, n, "vpc_peering_connection_id", &[PEERING])
        }
        Found::Outside(why) if string(g, route, "vpc_peering_connection_id").is_some() => {
            Found::Outside(format!("{why}: the peer VPC and its CIDRs cannot be told"))
        }
        other => other,
    }
}

/// The VPC whose route table holds the route.
pub fn route_vpc(g: &Graph, route: NodeId) -> Found<NodeId> {
    let tables = ["aws_route_table", "aws_default_route_table", "aws_vpc"];
    match target(g, route, "route_table_id", &tables) {
        Found::Yes(t) if g.node(t).type_ == "aws_vpc" => Found::Yes(t),
        Found::Yes(t) if g.node(t).type_ == "aws_default_route_table" => {
            target(g, t, "default_route_table_id", &VPC)
        }
        Found::Yes(t) => target(g, t, "vpc_id", &VPC),
        other => other,
    }
}

/// The destination attribute's family, or why there is none to judge.
fn family(g: &Graph, route: NodeId) -> Result<Family, String> {
    let set = |a: &str| string(g, route, a).is_some_and(|s| !s.is_empty()) || unknown(g, route, a);
    if set(IPV4.route_attr) {
        Ok(IPV4)
    } else if set(IPV6.route_attr) {
        Ok(IPV6)
    } else if set("destination_prefix_list_id") {
        Err(format!(
            "{} sends a managed prefix list through the peering; its CIDRs are not in the plan",
            g.node(route).address
        ))
    } else {
        Err(format!("{} has no destination", g.node(route).address))
    }
}

/// Judge the destination of `route` (an `aws_route` through a peering).
pub fn route_destination(g: &Graph, route: NodeId) -> RouteDestination {
    let peering = match route_peering(g, route) {
        Found::Yes(p) => p,
        Found::Unknown(why) | Found::Outside(why) => return RouteDestination::unknown(None, why),
    };
    let at = Some(peering);
    let p = Peering::resolve(g, peering);
    let own = match route_vpc(g, route) {
        Found::Yes(v) => v,
        Found::Unknown(why) | Found::Outside(why) => {
            let why = format!("the VPC of its route table cannot be told: {why}");
            return RouteDestination::unknown(at, why);
        }
    };
    let (mine, peer) = match (&p.requester.vpc, &p.accepter.vpc) {
        (Found::Yes(a), _) if *a == own => (&p.requester, &p.accepter),
        (_, Found::Yes(b)) if *b == own => (&p.accepter, &p.requester),
        (Found::Yes(_), Found::Yes(_)) => {
            return RouteDestination {
                peering: at,
                peer: None,
                verdict: Verdict::NotASide { vpc: own },
            }
        }
        (Found::Unknown(why) | Found::Outside(why), _)
        | (_, Found::Unknown(why) | Found::Outside(why)) => {
            let why = format!(
                "a side of {} cannot be told: {why}",
                g.node(peering).address
            );
            return RouteDestination::unknown(at, why);
        }
    };
    let peer_vpc = match &peer.vpc {
        Found::Yes(v) => *v,
        Found::Unknown(why) | Found::Outside(why) => {
            let why = format!("the {} side cannot be told: {why}", peer.role.as_str());
            return RouteDestination::unknown(at, why);
        }
    };
    let family = match family(g, route) {
        Ok(f) => f,
        Err(why) => return RouteDestination::unknown(at, why),
    };
    RouteDestination {
        peering: at,
        peer: Some((peer.role, peer_vpc)),
        verdict: judge(g, route, family, mine, peer),
    }
}

fn judge(g: &Graph, route: NodeId, family: Family, mine: &Side, peer: &Side) -> Verdict {
    let (Found::Yes(own_vpc), Found::Yes(peer_vpc)) = (&mine.vpc, &peer.vpc) else {
        return Verdict::Unknown("a side of the peering cannot be told".into());
    };
    let peer_cidrs = cidrs_of(g, *peer_vpc, family);
    let own_cidrs = cidrs_of(g, *own_vpc, family);
    let owned = |v: &[(IpNet, &str)]| -> Vec<Cidr> {
        v.iter().map(|(n, s)| (*n, (*s).to_string())).collect()
    };
    let (pk, ok) = (known(&peer_cidrs), known(&own_cidrs));
    let dest = match route_dest(g, route, family.route_attr) {
        Dest::Known(d) => d,
        Dest::Of(source) => {
            if let Some((n, s)) = pk.iter().find(|(_, s)| *s == source) {
                return Verdict::Peer {
                    dest: format!("{n}"),
                    cidr: format!("{n} ({s})"),
                };
            }
            if let Some(o) = ok.iter().find(|(_, s)| *s == source) {
                return Verdict::Own {
                    dest: o.0,
                    own: (o.0, o.1.to_string()),
                };
            }
            return Verdict::Unknown(format!(
                "`{}` of {} comes from {source}, known only after apply",
                family.route_attr,
                g.node(route).address
            ));
        }
        Dest::Unknown(why) => return Verdict::Unknown(why),
        Dest::Absent => {
            return Verdict::Unknown(format!("{} has no destination", g.node(route).address))
        }
    };
    if let Some((n, s)) = pk.iter().find(|(n, _)| n.contains(&dest)) {
        return Verdict::Peer {
            dest: dest.to_string(),
            cidr: format!("{n} ({s})"),
        };
    }
    let covers: Vec<(IpNet, &str)> = pk
        .iter()
        .copied()
        .filter(|(n, _)| dest.contains(n))
        .collect();
    if !covers.is_empty() {
        if exactly_covered(dest, &covers) {
            let list: Vec<String> = covers.iter().map(|(n, s)| format!("{n} ({s})")).collect();
            return Verdict::Peer {
                dest: dest.to_string(),
                cidr: list.join(" and "),
            };
        }
        return Verdict::TooWide {
            dest,
            covers: owned(&covers),
        };
    }
    if let Some((n, s)) = ok
        .iter()
        .find(|(n, _)| n.contains(&dest) || dest.contains(n))
    {
        return Verdict::Own {
            dest,
            own: (*n, (*s).to_string()),
        };
    }
    let unsure = doubts(&peer_cidrs);
    if !unsure.is_empty() {
        return Verdict::Unknown(format!(
            "{dest} is none of the peer VPC's known CIDRs, and some are not known: {}",
            unsure.join("; ")
        ));
    }
    Verdict::Wrong {
        dest,
        peer: owned(&pk),
    }
}

/// True when the peer CIDRs inside `dest` add up to all of it (adjacent blocks that aggregate
/// exactly, such as 10.2.0.0/16 and 10.3.0.0/16 for 10.2.0.0/15).
fn exactly_covered(dest: IpNet, inside: &[(IpNet, &str)]) -> bool {
    let size = |n: &IpNet| -> u128 {
        let bits = u32::from(n.max_prefix_len() - n.prefix_len());
        1u128.checked_shl(bits).unwrap_or(u128::MAX)
    };
    // Drop blocks nested in another before adding sizes.
    let outer: Vec<&IpNet> = inside
        .iter()
        .map(|(n, _)| n)
        .filter(|n| !inside.iter().any(|(m, _)| m != *n && m.contains(*n)))
        .collect();
    let mut distinct: Vec<&IpNet> = Vec::new();
    for n in outer {
        if !distinct.contains(&n) {
            distinct.push(n);
        }
    }
    distinct
        .iter()
        .fold(0u128, |acc, n| acc.saturating_add(size(n)))
        >= size(&dest)
}
