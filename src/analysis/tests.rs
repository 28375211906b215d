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
        let Found::Yes(_) = other.vpc else {
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
                let c = match coverage(g, &p, t, (cidr, src)) {
                    Coverage::Covered(r) => format!("covered by {}", g.node(r).address),
                    Coverage::Partial(r) => format!("partly covered by {}", g.node(r[0].0).address),
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
    assert!(
        p.looked_up.iter().any(|(k, _)| k == "name"),
        "{:?}",
        p.looked_up
    );
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

#[test]
fn route_destinations_are_judged_against_the_peer_vpc() {
    use super::route_destination::{route_destination, Verdict};
    let g = load("peering-route-destinations.json");
    let verdict = |route: &str| route_destination(&g, g.find(route).unwrap()).verdict;
    let kind = |v: &Verdict| match v {
        Verdict::Peer { .. } => "peer",
        Verdict::TooWide { .. } => "too wide",
        Verdict::Own { .. } => "own",
        Verdict::Wrong { .. } => "wrong",
        Verdict::NotASide { .. } => "not a side",
        Verdict::Unknown(_) => "unknown",
    };
    let got: Vec<(&str, &str)> = [
        "aws_route.app_to_data",
        "aws_route.app_to_data_secondary",
        "aws_route.app_to_itself",
        "aws_route.data_to_app_subnet",
        "aws_route.data_to_everything",
        "aws_route.data_to_office",
    ]
    .iter()
    .map(|r| (*r, kind(&verdict(r))))
    .collect();
    assert_eq!(
        got,
        vec![
            ("aws_route.app_to_data", "peer"),
            ("aws_route.app_to_data_secondary", "peer"),
            ("aws_route.app_to_itself", "own"),
            ("aws_route.data_to_app_subnet", "peer"),
            ("aws_route.data_to_everything", "too wide"),
            ("aws_route.data_to_office", "wrong"),
        ]
    );
    match verdict("aws_route.data_to_everything") {
        Verdict::TooWide { covers, .. } => {
            assert_eq!(
                covers,
                vec![(
                    "10.90.0.0/16".parse().unwrap(),
                    "aws_vpc.app.cidr_block".into()
                )]
            );
        }
        other => panic!("{other:?}"),
    }
    // Through the accepter of a cross-account peering.
    let g = load("peering-cross-account.json");
    let r = route_destination(&g, g.find("aws_route.accepter_to_requester").unwrap());
    assert!(matches!(r.verdict, Verdict::Peer { .. }), "{r:?}");
    assert_eq!(r.peering, g.find("aws_vpc_peering_connection.requester"));
}

#[test]
fn a_wider_route_through_the_peering_covers_the_cidr() {
    let g = load("peering-route-destinations.json");
    let p = Peering::resolve(&g, g.find("aws_vpc_peering_connection.app_data").unwrap());
    let table = super::peering::Table::Resource(g.find("aws_route_table.data").unwrap());
    let c = coverage(
        &g,
        &p,
        table,
        ("10.90.0.0/16".parse().unwrap(), "aws_vpc.app.cidr_block"),
    );
    assert_eq!(
        c,
        Coverage::Covered(g.find("aws_route.data_to_everything").unwrap())
    );
}

#[test]
fn security_groups_of_existing_vpcs_are_unknown_not_missing() {
    use super::peering_sg::{admission, Admission};
    let cidr = |s: &str| s.parse().unwrap();
    let g = load("peering-two-sides.json");
    let accepter = g.find("aws_vpc.accepter").unwrap();
    let sg = g.find("aws_security_group.accepter").unwrap();
    assert_eq!(
        admission(&g, accepter, cidr("10.10.0.0/16"), &[]),
        Admission::Admitted(sg)
    );
    assert_eq!(
        admission(&g, accepter, cidr("10.10.0.0/16"), &[5432]),
        Admission::Admitted(sg)
    );
    assert_eq!(
        admission(&g, accepter, cidr("10.10.0.0/16"), &[443]),
        Admission::Missing(vec![sg])
    );
    let g = load("peering-one-side-missing.json");
    let accepter = g.find("aws_vpc.accepter").unwrap();
    assert!(matches!(
        admission(&g, accepter, cidr("10.10.0.0/16"), &[]),
        Admission::Missing(_)
    ));
    let g = load("peering-existing-literal.json");
    let shared = g.find("aws_vpc.shared").unwrap();
    match admission(&g, shared, cidr("10.70.0.0/16"), &[]) {
        Admission::Unknown(why) => assert!(why.contains("not created by this plan"), "{why}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn reverse_peerings_are_found_or_missing() {
    use super::reverse_peering::reverse;
    for (plan, t) in [
        ("azure-vnet-peering", "azurerm_virtual_network_peering"),
        ("gcp-network-peering", "google_compute_network_peering"),
    ] {
        let g = load(&format!("{plan}.json"));
        let there = g.find(&format!("{t}.hub_to_spoke")).unwrap();
        let back = g.find(&format!("{t}.spoke_to_hub")).unwrap();
        assert_eq!(reverse(&g, there), Found::Yes(back));
        let g = load(&format!("{plan}-one-way.json"));
        let there = g.find(&format!("{t}.hub_to_spoke")).unwrap();
        assert!(matches!(reverse(&g, there), Found::Outside(_)), "{plan}");
    }
}

#[test]
fn builtin_classification_is_valid_and_params_override_it() {
    use super::external::{Class, Classification};
    let c = Classification::builtin();
    assert_eq!(c.classify("aws_region"), Class::SelfContained);
    assert_eq!(c.classify("aws_iam_policy_document"), Class::SelfContained);
    assert_eq!(c.classify("terraform_remote_state"), Class::Remote);
    assert_eq!(c.classify("aws_vpc"), Class::Lookup);
    assert_eq!(c.classify("somecloud_anything"), Class::Lookup);
    let c = Classification::new(&["mycorp_*"], &["aws_region"], &["aws_vpc"]).unwrap();
    assert_eq!(c.classify("mycorp_settings"), Class::SelfContained);
    assert_eq!(c.classify("aws_region"), Class::Lookup);
    assert_eq!(c.classify("aws_vpc"), Class::Remote);
    assert_eq!(c.classify("aws_caller_identity"), Class::SelfContained);
    assert!(Classification::new(&["["], &[], &[]).is_err());
}

#[test]
fn inventory_lists_external_prerequisites_in_the_report_shape() {
    use super::external::{inventory, Classification};
    let g = load("external-lookups.json");
    let inv = inventory(&g, &Classification::builtin());
    let addresses: Vec<&str> = inv
        .iter()
        .map(|p| g.node(p.node).address.as_str())
        .collect();
    assert_eq!(
        addresses,
        vec![
            "data.aws_acm_certificate.web",
            "data.aws_iam_role.deployer",
            "data.aws_kms_alias.shared",
            "data.aws_route53_zone.corp",
            "data.aws_secretsmanager_secret_version.db",
            "data.aws_ssm_parameter.ami",
            "data.aws_subnets.shared",
            "data.aws_vpc.shared",
            "data.terraform_remote_state.network",
        ]
    );
    let remote = inv.last().unwrap().to_report(&g, "plan.json");
    assert_eq!(remote.classification, "remote");
    assert_eq!(
        remote.dependants,
        [
            "aws_db_instance.app",
            "aws_lb.app",
            "aws_lb_listener.https",
            "aws_route53_record.app"
        ]
    );
    let secret = inv[4].to_report(&g, "plan.json");
    assert_eq!(
        secret.value.as_ref().unwrap()["secret_id"],
        "shared/test/app-db"
    );
    assert!(secret.deferred.is_none() && !secret.unknown);
}

#[test]
fn deferred_reads_name_what_is_pending() {
    use super::external::deferred_reason;
    let g = load("external-lookups.json");
    let bucket = g.find("data.aws_s3_bucket.created").unwrap();
    assert_eq!(
        deferred_reason(&g, bucket).as_deref(),
        Some("its arguments are known only after apply: `bucket` comes from aws_s3_bucket.new (created in this plan)")
    );
    let zone = g.find("data.aws_route53_zone.corp").unwrap();
    assert_eq!(deferred_reason(&g, zone), None);
}
