//! Resolver unit tests on small inline plans: each reference form, and each reason a
//! reference is left unresolved.

use super::*;
use crate::plan::{parse, Document};
use serde_json::{json, Value};

fn graph(plan: Value) -> Graph {
    match parse("t.json", plan.to_string().as_bytes()).unwrap() {
        Document::Plan(p) => Graph::from_plan(*p),
        Document::State(_) => panic!("state"),
    }
}

fn rc(address: &str, type_: &str, name: &str, index: Option<Value>, after: Value) -> Value {
    let mut v = json!({
        "address": address, "mode": "managed", "type": type_, "name": name,
        "provider_name": "registry.terraform.io/hashicorp/aws",
        "change": {"actions": ["create"], "before": null, "after": after,
                   "after_unknown": {"id": true}, "before_sensitive": false, "after_sensitive": {}}
    });
    if let Some(i) = index {
        v["index"] = i;
    }
    v
}

fn edges(g: &Graph) -> Vec<String> {
    let mut v: Vec<String> = g
        .edges()
        .iter()
        .map(|e| {
            format!(
                "{} {} -> {} {}{}",
                g.node(e.from).address,
                e.attribute,
                g.node(e.to).address,
                e.provenance.as_str(),
                if e.ambiguous { " ambiguous" } else { "" }
            )
        })
        .collect();
    v.sort();
    v
}

fn unresolved(g: &Graph) -> Vec<String> {
    g.unresolved()
        .iter()
        .map(|u| {
            format!(
                "{} {} {}: {}",
                g.node(u.from).address,
                u.attribute,
                u.reference,
                u.reason
            )
        })
        .collect()
}

#[test]
fn count_index_lines_up_and_object_only_refs_of_old_plans_resolve() {
    let g = graph(json!({
        "format_version": "0.1",
        "resource_changes": [
            rc("aws_subnet.a[0]", "aws_subnet", "a", Some(json!(0)), json!({})),
            rc("aws_subnet.a[1]", "aws_subnet", "a", Some(json!(1)), json!({})),
            rc("aws_route_table_association.a[0]", "aws_route_table_association", "a", Some(json!(0)), json!({})),
            rc("aws_route_table_association.a[1]", "aws_route_table_association", "a", Some(json!(1)), json!({})),
            rc("aws_flow_log.all", "aws_flow_log", "all", None, json!({}))
        ],
        "configuration": {"root_module": {"resources": [
            {"address": "aws_subnet.a", "mode": "managed", "type": "aws_subnet", "name": "a",
             "count_expression": {"constant_value": 2}, "expressions": {}},
            {"address": "aws_route_table_association.a", "mode": "managed",
             "type": "aws_route_table_association", "name": "a",
             "count_expression": {"constant_value": 2},
             "expressions": {"subnet_id": {"references": ["aws_subnet.a", "count.index"]}}},
            {"address": "aws_flow_log.all", "mode": "managed", "type": "aws_flow_log", "name": "all",
             "expressions": {"subnet_ids": {"references": ["aws_subnet.a"]}},
             "depends_on": ["aws_route_table_association.a[0]"]}
        ]}}
    }));
    assert_eq!(
        edges(&g),
        vec![
            "aws_flow_log.all depends_on -> aws_route_table_association.a[0] depends-on",
            "aws_flow_log.all subnet_ids -> aws_subnet.a[0] reference ambiguous",
            "aws_flow_log.all subnet_ids -> aws_subnet.a[1] reference ambiguous",
            "aws_route_table_association.a[0] subnet_id -> aws_subnet.a[0] index",
            "aws_route_table_association.a[1] subnet_id -> aws_subnet.a[1] index",
        ]
    );
}

#[test]
fn module_inputs_are_followed_two_levels_up() {
    let g = graph(json!({
        "format_version": "1.2",
        "resource_changes": [
            rc("aws_vpc.main", "aws_vpc", "main", None, json!({"cidr_block": "10.0.0.0/16"})),
            rc("module.net.module.rt.aws_route_table.this", "aws_route_table", "this", None, json!({}))
        ],
        "configuration": {"root_module": {
            "resources": [{"address": "aws_vpc.main", "mode": "managed", "type": "aws_vpc", "name": "main", "expressions": {}}],
            "module_calls": {"net": {"source": "./net",
                "expressions": {"vpc_id": {"references": ["aws_vpc.main.id", "aws_vpc.main"]}},
                "module": {"module_calls": {"rt": {"source": "./rt",
                    "expressions": {"vpc": {"references": ["var.vpc_id"]}},
                    "module": {"resources": [{"address": "aws_route_table.this", "mode": "managed",
                        "type": "aws_route_table", "name": "this",
                        "expressions": {"vpc_id": {"references": ["var.vpc"]}}}]}}}}}}
        }}
    }));
    assert_eq!(
        edges(&g),
        vec!["module.net.module.rt.aws_route_table.this vpc_id -> aws_vpc.main module-input"]
    );
    assert_eq!(
        g.edges()[0].via,
        vec!["var.vpc", "var.vpc_id", "aws_vpc.main.id"]
    );
}

#[test]
fn unfollowable_references_are_kept_with_the_reason() {
    let g = graph(json!({
        "format_version": "1.2",
        "resource_changes": [
            rc("aws_route.r", "aws_route", "r", None, json!({"gateway_id": "igw-1"})),
            rc("aws_subnet.s[0]", "aws_subnet", "s", Some(json!(0)), json!({}))
        ],
        "configuration": {"root_module": {"resources": [
            {"address": "aws_route.r", "mode": "managed", "type": "aws_route", "name": "r",
             "expressions": {
                "route_table_id": {"references": ["local.rt_id"]},
                "gateway_id": {"references": ["aws_internet_gateway.gw.id", "aws_internet_gateway.gw"]},
                "destination_cidr_block": {"references": ["aws_subnet.s[3].cidr_block", "aws_subnet.s[3]"]},
                "carrier_gateway_id": {"references": ["module.nope.id"]}
             }},
            {"address": "aws_subnet.s", "mode": "managed", "type": "aws_subnet", "name": "s",
             "count_expression": {"constant_value": 1}, "expressions": {}}
        ]}}
    }));
    let mut u = unresolved(&g);
    u.sort();
    assert_eq!(
        u,
        vec![
            "aws_route.r carrier_gateway_id module.nope.id: module `nope` is not called from this module in the plan's configuration",
            "aws_route.r destination_cidr_block aws_subnet.s[3].cidr_block: no instance with index [3] exists in this plan",
            "aws_route.r gateway_id aws_internet_gateway.gw.id: `aws_internet_gateway.gw` is not declared in the root module of the plan's configuration",
            "aws_route.r route_table_id local.rt_id: `local.rt_id` cannot be followed: locals are not in the plan JSON",
        ]
    );
    assert!(g.edges().is_empty());
}

#[test]
fn a_module_calling_itself_through_its_input_stops() {
    // A malformed configuration whose module input refers to itself must end, not recurse.
    let g = graph(json!({
        "format_version": "1.2",
        "resource_changes": [rc("module.m.aws_vpc.v", "aws_vpc", "v", None, json!({}))],
        "configuration": {"root_module": {"module_calls": {"m": {"source": "./m",
            "expressions": {"x": {"references": ["module.m.out"]}},
            "module": {
                "outputs": {"out": {"expression": {"references": ["var.x"]}}},
                "resources": [{"address": "aws_vpc.v", "mode": "managed", "type": "aws_vpc", "name": "v",
                    "expressions": {"tags": {"references": ["var.x"]}}}]}}}}}
    }));
    assert_eq!(
        unresolved(&g),
        vec!["module.m.aws_vpc.v tags var.x: the references form a cycle (var.x → module.m.out → var.x); Terraform refuses cyclic configurations, so the plan's configuration did not come from `terraform plan`"]
    );
}

#[test]
fn a_cycle_through_two_outputs_ends_at_once() {
    // Each turn of this cycle doubles the paths: followed naively to the depth limit (64) it
    // took 2^32 steps. Every step is followed once per reference, so it ends at once.
    let g = graph(json!({
        "format_version": "1.2",
        "resource_changes": [rc("module.m.aws_vpc.v", "aws_vpc", "v", None, json!({}))],
        "configuration": {"root_module": {"module_calls": {"m": {"source": "./m",
            "expressions": {"x": {"references": ["module.m.a", "module.m.b"]}},
            "module": {
                "outputs": {"a": {"expression": {"references": ["var.x"]}},
                            "b": {"expression": {"references": ["var.x"]}}},
                "resources": [{"address": "aws_vpc.v", "mode": "managed", "type": "aws_vpc", "name": "v",
                    "expressions": {"tags": {"references": ["var.x"]}}}]}}}}}
    }));
    let u = unresolved(&g);
    assert!(
        !u.is_empty() && u.iter().all(|u| u.contains("form a cycle")),
        "{u:?}"
    );
}

#[test]
fn object_only_references_are_dropped_in_any_order() {
    let refs: Vec<String> = [
        "aws_vpc.main",
        "aws_vpc.main.id",
        "aws_s3_bucket.b[0]",
        "aws_s3_bucket.b",
        "aws_vpc.mainx",
    ]
    .map(String::from)
    .to_vec();
    let kept: Vec<&String> = super::resolve::significant(&refs).collect();
    assert_eq!(
        kept,
        ["aws_vpc.main.id", "aws_s3_bucket.b[0]", "aws_vpc.mainx"]
    );
}

#[test]
fn edges_stop_at_the_budget_and_say_so() {
    // 400 × 400 instances joined by a splat: 160,000 edges, past the budget of 100,000.
    let n = 400;
    let mut changes = Vec::new();
    for t in ["a", "b"] {
        for i in 0..n {
            let address = format!("aws_{t}.r[{i}]");
            changes.push(rc(
                &address,
                &format!("aws_{t}"),
                "r",
                Some(json!(i)),
                json!({}),
            ));
        }
    }
    let g = graph(json!({
        "format_version": "1.2",
        "resource_changes": changes,
        "configuration": {"root_module": {"resources": [
            {"address": "aws_a.r", "mode": "managed", "type": "aws_a", "name": "r",
             "count_expression": {"constant_value": n}, "expressions": {"v": {"references": ["aws_b.r"]}}},
            {"address": "aws_b.r", "mode": "managed", "type": "aws_b", "name": "r",
             "count_expression": {"constant_value": n}, "expressions": {}}]}}
    }));
    assert_eq!(g.edges().len(), 100_000);
    let cut = g
        .unresolved()
        .iter()
        .filter(|u| u.reason.contains("limit of 100000 edges"))
        .count();
    assert_eq!(
        cut,
        n - 100_000 / n,
        "one note per instance that lost edges"
    );
}

#[test]
fn value_join_links_a_literal_id_to_prior_state() {
    let g = graph(json!({
        "format_version": "1.2",
        "resource_changes": [rc("aws_route.r", "aws_route", "r", None,
            json!({"vpc_peering_connection_id": "pcx-0a1b2c3d", "tags": {"peer": "pcx-0a1b2c3d"}}))],
        "prior_state": {"format_version": "1.0", "values": {"root_module": {"resources": [
            {"address": "aws_vpc_peering_connection.old", "mode": "managed",
             "type": "aws_vpc_peering_connection", "name": "old",
             "provider_name": "registry.terraform.io/hashicorp/aws",
             "values": {"id": "pcx-0a1b2c3d"}, "sensitive_values": {}}]}}},
        "configuration": {"root_module": {"resources": [
            {"address": "aws_route.r", "mode": "managed", "type": "aws_route", "name": "r",
             "expressions": {"vpc_peering_connection_id": {"constant_value": "pcx-0a1b2c3d"}}}]}}
    }));
    assert_eq!(
        edges(&g),
        vec!["aws_route.r vpc_peering_connection_id -> aws_vpc_peering_connection.old value"]
    );
    let old = g.find("aws_vpc_peering_connection.old").unwrap();
    assert!(g.node(old).from_prior_state);
    assert_eq!(g.incoming(old).count(), 1);
}

/// A plan's graph keeps what its nodes keep of the plan's text, and nothing else of it: the
/// text is theirs alone once the graph is built (`RawText::keep_only` moved them in place),
/// for a plan read from a file and for a state.
#[test]
fn nodes_keep_only_their_values_of_the_plan_text() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/plans");
    for name in [
        "peering-modules-foreach.json",
        "external-lookups.json",
        "state.json",
    ] {
        let mut g =
            Graph::from_document(crate::plan::read(&dir.join(name).display().to_string()).unwrap());
        let mut kept = 0;
        let mut sources = std::collections::HashSet::new();
        for n in &mut g.nodes {
            for t in n.kept_texts() {
                kept += t.get().len();
                let (len, capacity, source) = t.source_of().expect("a span");
                sources.insert((len, capacity, source));
            }
        }
        assert!(kept > 0, "{name}");
        assert_eq!(sources.len(), 1, "{name}: one text");
        let (len, capacity, _) = *sources.iter().next().unwrap();
        assert_eq!(len, kept, "{name}: no more than the nodes keep");
        if cfg!(target_os = "linux") {
            assert!(
                capacity > len,
                "{name}: kept in place, in the plan's own buffer"
            );
        }
    }
}
