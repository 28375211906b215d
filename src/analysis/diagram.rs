//! Network diagrams for the report: for each peering connection with a failing or unknown
//! `peering.*` finding, its two VPCs (with CIDRs), the route tables that serve subnets, and
//! the routes through it — present, or missing where the finding asks for one.

use super::links::Found;
use super::peering::{coverage, known_cidrs, serving_tables, Coverage, Peering, PEERING};
use crate::graph::Graph;
use crate::report::extras::{
    NetworkDiagram, Peering as PeeringBox, Route, RouteState, RouteTable, Vpc,
};
use crate::report::{Finding, Status};

/// The peering findings a diagram is drawn for: (resource, rule) of every failed or unknown
/// `peering.*` finding, in findings order. Taken apart from [`diagrams_for`] so that the
/// findings can be sorted for the report while the diagrams are drawn.
pub fn subjects<F: std::borrow::Borrow<Finding>>(findings: &[F]) -> Vec<(String, String)> {
    findings
        .iter()
        .map(|f| f.borrow())
        .filter(|f| {
            f.rule.starts_with("peering.") && matches!(f.status, Status::Fail | Status::Unknown)
        })
        .map(|f| (f.resource.to_string(), f.rule.to_string()))
        .collect()
}

/// One diagram per peering connection among the [`subjects`] of the findings, for its first
/// finding.
pub fn diagrams_for(g: &Graph, plan: &str, subjects: &[(String, String)]) -> Vec<NetworkDiagram> {
    let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
    let mut out = Vec::new();
    for (resource, rule) in subjects {
        let Some(id) = g.find(resource) else {
            continue;
        };
        if g.node(id).type_ != PEERING || !seen.insert(resource) {
            continue;
        }
        out.push(diagram(g, plan, id, rule));
    }
    out
}

fn diagram(g: &Graph, plan: &str, id: usize, rule: &str) -> NetworkDiagram {
    let p = Peering::resolve(g, id);
    let key = |side: &super::peering::Side| match &side.vpc {
        Found::Yes(v) => g.node(*v).address.clone(),
        Found::Unknown(_) | Found::Outside(_) => {
            format!("{} VPC (outside the plan)", side.role.as_str())
        }
    };
    let mut d = NetworkDiagram {
        title: format!("peering {}", g.node(id).address),
        plan: plan.to_string(),
        rule: Some(rule.to_string()),
        vpcs: Vec::new(),
        peerings: vec![PeeringBox {
            address: g.node(id).address.clone(),
            requester: key(&p.requester),
            accepter: key(&p.accepter),
        }],
        route_tables: Vec::new(),
        routes: Vec::new(),
    };
    for (side, other) in p.sides() {
        d.vpcs.push(Vpc {
            key: key(side),
            cidrs: known_cidrs(side)
                .iter()
                .map(|(c, _)| c.to_string())
                .collect(),
            external: !matches!(side.vpc, Found::Yes(_)),
        });
        let (Found::Yes(vpc), Found::Yes(_)) = (&side.vpc, &other.vpc) else {
            continue;
        };
        let Found::Yes(tables) = serving_tables(g, *vpc) else {
            continue;
        };
        for t in tables {
            d.route_tables.push(RouteTable {
                address: t.address(g),
                vpc: key(side),
            });
            for (cidr, src) in known_cidrs(other) {
                let state = match coverage(g, &p, t, (cidr, src)) {
                    Coverage::Covered(_) | Coverage::Partial(_) => RouteState::Present,
                    Coverage::Missing => RouteState::Missing,
                    Coverage::Unknown(_) => continue,
                };
                d.routes.push(Route {
                    route_table: t.address(g),
                    destination: cidr.to_string(),
                    peering: g.node(id).address.clone(),
                    state,
                });
            }
        }
    }
    d
}
