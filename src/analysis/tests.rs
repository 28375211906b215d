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

#[test]
fn hosted_zone_lookup_is_a_prerequisite_with_its_dependants() {
    use super::external::{prerequisite, Class, Classification};
    let g = load("rds-test-env.json");
    let c = Classification::new(
        &["aws_iam_policy_document", "aws_caller_identity"],
        &[],
        &["terraform_remote_state"],
    )
    .unwrap();
    let zone = g.find("data.aws_route53_zone.primary").unwrap();
    let p = prerequisite(&g, zone, &c).expect("external");
    assert_eq!(p.class, Class::Lookup);
    let deps: Vec<&str> = p
        .dependants
        .iter()
        .map(|&d| g.node(d).address.as_str())
        .collect();
    assert_eq!(deps, vec!["aws_route53_record.db"]);
    assert!(p.looked_up.contains_key("name"), "{:?}", p.looked_up);
    let g = load("peering-cross-account.json");
    let me = g.find("data.aws_caller_identity.peer").unwrap();
    assert!(prerequisite(&g, me, &c).is_none(), "self-contained");
}

#[test]
fn prod_sized_test_database_costs_more_than_the_fixed_one() {
    use super::cost::{estimate, Prices};
    let prices = Prices::builtin();
    let big = estimate(&load("rds-test-env.json"), &prices);
    let small = estimate(&load("rds-test-env-fixed.json"), &prices);
    let g = load("rds-test-env.json");
    let db = big
        .lines
        .iter()
        .find(|l| g.node(l.node).address == "aws_db_instance.main")
        .unwrap();
    assert_eq!(
        db.detail,
        "db.r6g.large × 2 (Multi-AZ) + 100 GB io1 + 3000 IOPS"
    );
    // 0.225 × 730 × 2 + 0.125 × 100 × 2 + 0.10 × 3000 × 2, scaled by the region factor.
    let base = 0.225 * 730.0 * 2.0 + 0.125 * 100.0 * 2.0 + 0.10 * 3000.0 * 2.0;
    let factor = prices
        .region_factor
        .get(&big.region)
        .copied()
        .unwrap_or(prices.region_factor["default"]);
    assert!(
        (db.monthly.unwrap() - (base * factor * 100.0).round() / 100.0).abs() < 0.01,
        "{db:?} {}",
        big.region
    );
    assert!(
        big.total > 5.0 * small.total,
        "{} vs {}",
        big.total,
        small.total
    );
    assert!(!big.partial);
}
