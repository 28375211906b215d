//! Security groups across a VPC peering: does a security group of one side admit traffic from
//! a CIDR of the other? Routes make the peer reachable; without an admitting ingress rule every
//! connection still times out.
//!
//! Rules come from inline `ingress`, `aws_security_group_rule` (type ingress) and
//! `aws_vpc_security_group_ingress_rule`. "At least one group admits" is an existential
//! question: a VPC that already exists may have admitting groups outside this plan, so there
//! a missing rule is *unknown*; only for a VPC created here is it a failure.

use super::index::Index;
use super::links::{edges_on, referrers, unknown};
use super::peering::created;
use crate::graph::{Graph, NodeId};
use ipnet::IpNet;
use serde_json::Value;

const GROUPS: [&str; 2] = ["aws_security_group", "aws_default_security_group"];

/// Whether a VPC admits a peer CIDR.
#[derive(Debug, Clone, PartialEq)]
pub enum Admission {
    /// By this security group.
    Admitted(NodeId),
    Unknown(String),
    /// No group does (the groups of the VPC in this plan).
    Missing(Vec<NodeId>),
}

/// One ingress rule, normalised: CIDRs, protocol and port range.
pub(super) struct Rule {
    cidrs: Vec<IpNet>,
    all_protocols: bool,
    ports: Option<(i64, i64)>,
}

impl Rule {
    fn from_value(v: &Value, cidr_keys: &[&str], protocol_key: &str) -> Rule {
        let cidrs = cidr_keys
            .iter()
            .filter_map(|k| v.get(*k))
            .flat_map(|c| match c {
                Value::Array(a) => a.iter().filter_map(Value::as_str).collect::<Vec<_>>(),
                Value::String(s) => vec![s.as_str()],
                _ => Vec::new(),
            })
            .filter_map(|s| s.parse::<IpNet>().ok())
            .map(|n| n.trunc())
            .collect();
        let num = |k: &str| v.get(k).and_then(Value::as_i64);
        Rule {
            cidrs,
            all_protocols: matches!(
                v.get(protocol_key).and_then(Value::as_str),
                Some("-1" | "all")
            ),
            ports: num("from_port").zip(num("to_port")),
        }
    }

    fn admits(&self, peer: IpNet, ports: &[u16]) -> bool {
        if !self.cidrs.iter().any(|n| n.contains(&peer)) {
            return false;
        }
        if ports.is_empty() || self.all_protocols {
            return true;
        }
        self.ports
            .is_some_and(|(f, t)| ports.iter().any(|&p| (f..=t).contains(&i64::from(p))))
    }
}

/// The ingress rules of a security group, with the reasons some are not known.
/// The ingress rules of a security group and the doubts about them.
pub(super) type Rules = (Vec<Rule>, Vec<String>);

fn rules(g: &Graph, sg: NodeId) -> Rules {
    let mut out = Vec::new();
    let mut doubts = Vec::new();
    let addr = &g.node(sg).address;
    // Attributes and values read here are parsed for this and not kept (see
    // `links::string`).
    match g.node(sg).value_of("ingress").as_deref() {
        Some(Value::Array(ing)) => {
            for r in ing {
                if r.get("cidr_blocks").is_none() {
                    doubts.push(format!(
                        "the CIDRs of an inline ingress rule of {addr} are known only after apply"
                    ));
                }
                out.push(Rule::from_value(r, &["cidr_blocks"], "protocol"));
            }
        }
        _ if unknown(g, sg, "ingress") && !edges_on(g, sg, "ingress").is_empty() => {
            doubts.push(format!(
                "the inline ingress of {addr} is known only after apply"
            ));
        }
        _ => {}
    }
    for r in referrers(g, sg, &["aws_security_group_rule"], "security_group_id") {
        let v = g.node(r).values_lazy().get_once();
        let v: &Value = &v;
        if v.get("type").and_then(Value::as_str) != Some("ingress") {
            continue;
        }
        if unknown(g, r, "cidr_blocks") {
            doubts.push(format!(
                "`cidr_blocks` of {} is known only after apply",
                g.node(r).address
            ));
        }
        out.push(Rule::from_value(v, &["cidr_blocks"], "protocol"));
    }
    for r in referrers(
        g,
        sg,
        &["aws_vpc_security_group_ingress_rule"],
        "security_group_id",
    ) {
        if unknown(g, r, "cidr_ipv4") {
            doubts.push(format!(
                "`cidr_ipv4` of {} is known only after apply",
                g.node(r).address
            ));
        }
        out.push(Rule::from_value(
            &g.node(r).values_lazy().get_once(),
            &["cidr_ipv4"],
            "ip_protocol",
        ));
    }
    (out, doubts)
}

/// Does a security group of `vpc` admit `peer` on one of `ports` (empty: any port)?
pub fn admission(g: &Graph, vpc: NodeId, peer: IpNet, ports: &[u16]) -> Admission {
    let groups: Vec<NodeId> = GROUPS
        .iter()
        .flat_map(|t| referrers(g, vpc, &[t], "vpc_id"))
        .collect();
    let mut doubts = Vec::new();
    // A group's rules are read once per graph: a hub VPC's groups are asked once per peering.
    let ix = Index::of(g);
    for &sg in &groups {
        let (rules, d) = ix.sg_rules(sg, || rules(g, sg));
        if rules.iter().any(|r| r.admits(peer, ports)) {
            return Admission::Admitted(sg);
        }
        doubts.extend(d.iter().cloned());
    }
    if !doubts.is_empty() {
        return Admission::Unknown(doubts.join("; "));
    }
    if !created(g, vpc) {
        let vpc = &g.node(vpc).address;
        return Admission::Unknown(match groups.len() {
            0 => format!("{vpc} is not created by this plan and none of its security groups is in it; one outside the plan may admit {peer}"),
            n => format!("{vpc} is not created by this plan; none of its {n} security group(s) in the plan admits {peer}, but one outside the plan may"),
        });
    }
    Admission::Missing(groups)
}
