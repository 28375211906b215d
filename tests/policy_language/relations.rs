//! Relations over the resolved graph: counts in both directions and over several hops,
//! filters, quantifiers, cross-edge comparisons, nested relations with names, ambiguous edges
//! and hop modes.

use super::*;

#[test]
fn relation_counts_outgoing_and_incoming() {
    // Outgoing: the key is in this plan for small; large names an existing key by ARN.
    let text = with_head("[select]\ntypes = [\"aws_db_instance\"]\naddress = [\"aws_db_instance.small\", \"aws_db_instance.large\"]\n[[relation]]\ntype = \"aws_kms_key\"\nattribute = \"kms_key_id\"\n");
    let s = statuses("constructs.json", "test", &text);
    assert_eq!(
        (s["aws_db_instance.small"], s["aws_db_instance.large"]),
        ("pass", "fail")
    );
    let f = one("constructs.json", "test", &text, "aws_db_instance.small");
    assert_eq!(f.related, ["aws_kms_key.db"]);
    // Two hops, incoming: at most one NAT gateway per VPC.
    let text = with_head("[select]\ntypes = [\"aws_vpc\"]\n[[relation]]\npath = [\n  { type = \"aws_subnet\", attribute = \"vpc_id\", direction = \"incoming\" },\n  { type = \"aws_nat_gateway\", attribute = \"subnet_id\", direction = \"incoming\" },\n]\nmax = 1\nmessage = \"{address} has NAT gateways {related}\"\n");
    let s = statuses("constructs.json", "test", &text);
    assert_eq!((s["aws_vpc.main"], s["aws_vpc.other"]), ("fail", "pass"));
    let f = one("constructs.json", "test", &text, "aws_vpc.main");
    assert_eq!(
        f.message,
        "aws_vpc.main has NAT gateways aws_nat_gateway.a, aws_nat_gateway.b"
    );
    // `max = 0`: has no related instance.
    let text = with_head("[select]\ntypes = [\"aws_vpc\"]\n[[relation]]\ntype = \"aws_security_group\"\nattribute = \"vpc_id\"\ndirection = \"incoming\"\nmax = 0\n");
    let s = statuses("constructs.json", "test", &text);
    assert_eq!((s["aws_vpc.main"], s["aws_vpc.other"]), ("fail", "pass"));
}

#[test]
fn relation_filters_quantifiers_and_cross_edge_comparisons() {
    // Every subnet of the VPC lies within the VPC's CIDR (cross-edge, via `self:`).
    let run = |quantifier: &str, op: &str| {
        statuses("constructs.json", "test", &with_head(&format!(
            "[select]\ntypes = [\"aws_vpc\"]\nmode = \"managed\"\n[[relation]]\ntype = \"aws_subnet\"\nattribute = \"vpc_id\"\ndirection = \"incoming\"\nwhere = {{ path = \"$.cidr_block\", op = \"{op}\", value = \"10.0.10.0/24\" }}\nquantifier = \"{quantifier}\"\nmin = 0\n[[relation.assert]]\npath = \"$.cidr_block\"\nop = \"cidr_within\"\nvalue_path = \"self:$.cidr_block\"\n"
        )))
    };
    // Without multi[0]: multi[1] (10.5.0.0/24) lies outside 10.0.0.0/16.
    let s = run("all", "not_equals");
    assert_eq!((s["aws_vpc.main"], s["aws_vpc.other"]), ("fail", "pass"));
    let s = run("any", "not_equals");
    assert_eq!((s["aws_vpc.main"], s["aws_vpc.other"]), ("pass", "pass"));
    let s = run("none", "not_equals");
    assert_eq!((s["aws_vpc.main"], s["aws_vpc.other"]), ("fail", "fail"));
    // `where` keeps only multi[0], which lies inside.
    let s = run("all", "equals");
    assert_eq!(s["aws_vpc.main"], "pass");
}

#[test]
fn nested_relations_bind_names() {
    // nat → subnet → vpc: the subnet (bound as `subnet`) lies within its VPC.
    let text = with_head("[select]\ntypes = [\"aws_nat_gateway\"]\n[[relation]]\nname = \"subnet\"\ntype = \"aws_subnet\"\nattribute = \"subnet_id\"\n  [[relation.relation]]\n  type = \"aws_vpc\"\n  attribute = \"vpc_id\"\n  [[relation.relation.assert]]\n  path = \"$.cidr_block\"\n  op = \"cidr_contains\"\n  value_path = \"subnet:$.cidr_block\"\n");
    let s = statuses("constructs.json", "test", &text);
    assert_eq!(
        s.values().copied().collect::<Vec<_>>(),
        ["pass", "pass", "pass"]
    );
    let text = text.replace("cidr_contains", "cidr_equals");
    let f = one("constructs.json", "test", &text, "aws_nat_gateway.a");
    assert_eq!(f.status, Status::Fail);
    assert!(f.message.contains("`cidr_block` of aws_vpc.main is \"10.0.0.0/16\", which is not the same network as `cidr_block` of aws_subnet.a (10.0.1.0/24)"), "{}", f.message);
}

#[test]
fn ambiguous_edges_and_hop_modes() {
    let text = with_head("[select]\ntypes = [\"aws_route_table_association\"]\n[[relation]]\ntype = \"aws_subnet\"\nattribute = \"subnet_id\"\n[[relation.assert]]\npath = \"$.cidr_block\"\nop = \"cidr_within\"\nvalue = \"10.0.0.0/16\"\n");
    let f = one(
        "constructs.json",
        "test",
        &text,
        "aws_route_table_association.pick",
    );
    assert_eq!(f.status, Status::Unknown);
    assert!(
        f.message
            .contains("may refer to any of 2 instances (aws_subnet.multi[0], aws_subnet.multi[1]): the index could not be lined up"),
        "{}",
        f.message
    );
    let text = with_head("[select]\ntypes = [\"aws_subnet\"]\naddress = [\"aws_subnet.shared\", \"aws_subnet.a\"]\n[[relation]]\ntype = \"aws_vpc\"\nattribute = \"vpc_id\"\nmode = \"data\"\n");
    let s = statuses("constructs.json", "test", &text);
    assert_eq!(
        (s["aws_subnet.shared"], s["aws_subnet.a"]),
        ("pass", "fail")
    );
}

#[test]
fn one_candidate_of_an_ambiguous_reference_is_real() {
    let run = |quantifier: &str, cidr: &str| {
        let text = with_head(&format!("[select]\ntypes = [\"aws_route_table_association\"]\n[[relation]]\ntype = \"aws_subnet\"\nattribute = \"subnet_id\"\nquantifier = \"{quantifier}\"\n[[relation.assert]]\npath = \"$.cidr_block\"\nop = \"cidr_within\"\nvalue = \"{cidr}\"\n"));
        one(
            "constructs.json",
            "test",
            &text,
            "aws_route_table_association.pick",
        )
        .status
    };
    // Every candidate passes / fails: whichever is real decides.
    assert_eq!(run("all", "10.0.0.0/8"), Status::Pass);
    assert_eq!(run("all", "192.168.0.0/16"), Status::Fail);
    assert_eq!(run("any", "192.168.0.0/16"), Status::Fail);
    assert_eq!(run("none", "10.0.0.0/8"), Status::Fail);
    // Candidates disagree: unknown.
    assert_eq!(run("all", "10.0.0.0/16"), Status::Unknown);
    assert_eq!(run("any", "10.0.0.0/16"), Status::Unknown);
    // A count: the reference names at least one subnet.
    let text = with_head("[select]\ntypes = [\"aws_route_table_association\"]\n[[relation]]\ntype = \"aws_subnet\"\nattribute = \"subnet_id\"\n");
    assert_eq!(
        one(
            "constructs.json",
            "test",
            &text,
            "aws_route_table_association.pick"
        )
        .status,
        Status::Pass
    );
    let text = text.replace(
        "attribute = \"subnet_id\"\n",
        "attribute = \"subnet_id\"\nmax = 1\n",
    );
    assert_eq!(
        one(
            "constructs.json",
            "test",
            &text,
            "aws_route_table_association.pick"
        )
        .status,
        Status::Unknown
    );
}
