//! The analyses on the real fixtures in `testdata/plans/`.

use super::links::Found;
use super::peering::{coverage, known_cidrs, serving_tables, Coverage, Peering};
use crate::graph::Graph;
use crate::plan::{read, Document};

fn load(name: &str) -> Graph {
    let path = format!("{}/testdata/plans/{name}", env!("CARGO_MANIFEST_DIR"));
    match read(&path).unwrap() {
        Document::Plan(p) => Graph::from_plan(*p),
        Document::State(s) => Graph::from_state(*s),
    }
}

/// (side, table, cidr, coverage) for every table that must carry a route.
fn report(g: &Graph, peering: &str) -> Vec<String> {
    let p = Peering::resolve(g, g.find(peering).unwrap());
    let mut out = Vec::new();
    for (side, other) in p.sides() {
        let Found::Yes(vpc) = side.vpc else {
            out.push(format!("{}: vpc {:?}", side.role.as_str(), side.vpc));
            continue;
        };
        let Found::Yes(peer_vpc) = other.vpc else {
            continue;
        };
        let tables = match serving_tables(g, vpc) {
            Found::Yes(t) => t,
            other => {
                out.push(format!("{}: tables {other:?}", side.role.as_str()));
                continue;
            }
        };
        for t in tables {
            for (cidr, src) in known_cidrs(other) {
                let c = match coverage(g, &p, t, (cidr, src), peer_vpc) {
                    Coverage::Covered(r) => format!("covered by {}", g.node(r).address),
                    Coverage::Missing => "MISSING".to_string(),
                    Coverage::Unknown(w) => format!("unknown: {w}"),
                };
                out.push(format!(
                    "{} {} -> {cidr}: {c}",
                    side.role.as_str(),
                    t.describe(g)
                ));
            }
        }
    }
    out
}

#[test]
fn two_sides_are_covered() {
    let g = load("peering-two-sides.json");
    assert_eq!(
        report(&g, "aws_vpc_peering_connection.main"),
        vec![
            "requester aws_route_table.requester -> 10.20.0.0/16: covered by aws_route.requester_to_accepter",
            "accepter aws_route_table.accepter -> 10.10.0.0/16: covered by aws_route.accepter_to_requester",
        ]
    );
}

#[test]
fn one_side_missing_is_found() {
    let g = load("peering-one-side-missing.json");
    assert_eq!(
        report(&g, "aws_vpc_peering_connection.main"),
        vec![
            "requester aws_route_table.requester -> 10.20.0.0/16: covered by aws_route.requester_to_accepter",
            "accepter aws_route_table.accepter -> 10.10.0.0/16: MISSING",
        ]
    );
}

#[test]
fn modules_and_for_each_are_followed() {
    let g = load("peering-modules-foreach.json");
    assert_eq!(
        report(&g, "aws_vpc_peering_connection.app_data"),
        vec![
            r#"requester module.vpc["app"].aws_route_table.this -> 10.40.0.0/16: covered by aws_route.to_peer["app"]"#,
            r#"accepter module.vpc["data"].aws_route_table.this -> 10.30.0.0/16: covered by aws_route.to_peer["data"]"#,
        ]
    );
}

#[test]
fn cross_account_routes_through_the_accepter_count() {
    let g = load("peering-cross-account.json");
    let r = report(&g, "aws_vpc_peering_connection.requester");
    assert!(r.iter().all(|l| l.contains("covered by")), "{r:#?}");
    assert_eq!(r.len(), 2);
}

#[test]
fn literal_id_of_an_existing_peering_is_joined() {
    let g = load("peering-existing-literal.json");
    let r = report(&g, "aws_vpc_peering_connection.legacy");
    assert!(
        r[0].contains("aws_route_table.app -> 10.80.0.0/16: covered by aws_route.to_legacy"),
        "{r:#?}"
    );
    // The shared VPC's route tables are not in this plan.
    assert!(r[1].starts_with("accepter: tables Unknown("), "{r:#?}");
}
