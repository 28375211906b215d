//! Monthly cost estimate from the offline price table in `policies/cost/_prices.toml`.
//! An estimate for sizing decisions, not a bill: on-demand prices, no discounts, no data
//! transfer. Instances whose size is unknown until apply, or missing from the table, are
//! listed without a price, so the total is then a lower bound and says so.

use crate::graph::{Action, Graph, NodeId};
use crate::plan::Mode;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// The built-in price table.
pub const BUILTIN_PRICES: &str = include_str!("../../policies/cost/_prices.toml");

/// A price table (see `policies/cost/_prices.toml` for the shape).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Prices {
    pub source: String,
    pub date: String,
    pub currency: String,
    pub hours_per_month: f64,
    pub region_factor: BTreeMap<String, f64>,
    pub rds_instance_hourly: BTreeMap<String, f64>,
    pub rds_storage_gb_month: BTreeMap<String, f64>,
    pub rds_iops_month: BTreeMap<String, f64>,
    pub ec2_instance_hourly: BTreeMap<String, f64>,
    pub elasticache_node_hourly: BTreeMap<String, f64>,
    pub opensearch_instance_hourly: BTreeMap<String, f64>,
    pub flat_hourly: BTreeMap<String, f64>,
    pub monthly: BTreeMap<String, f64>,
}

impl Prices {
    pub fn builtin() -> Prices {
        toml::from_str(BUILTIN_PRICES).expect("the built-in price table is valid (tested)")
    }

    /// Entries of `other` over these (a user's overrides).
    pub fn merge(&mut self, other: Prices) {
        fn m(a: &mut BTreeMap<String, f64>, b: BTreeMap<String, f64>) {
            a.extend(b);
        }
        if !other.source.is_empty() {
            self.source = format!("{}; overrides: {}", self.source, other.source);
        }
        if !other.date.is_empty() {
            self.date = other.date;
        }
        m(&mut self.region_factor, other.region_factor);
        m(&mut self.rds_instance_hourly, other.rds_instance_hourly);
        m(&mut self.rds_storage_gb_month, other.rds_storage_gb_month);
        m(&mut self.rds_iops_month, other.rds_iops_month);
        m(&mut self.ec2_instance_hourly, other.ec2_instance_hourly);
        m(
            &mut self.elasticache_node_hourly,
            other.elasticache_node_hourly,
        );
        m(
            &mut self.opensearch_instance_hourly,
            other.opensearch_instance_hourly,
        );
        m(&mut self.flat_hourly, other.flat_hourly);
        m(&mut self.monthly, other.monthly);
    }

    fn factor(&self, region: &str) -> f64 {
        self.region_factor
            .get(region)
            .or_else(|| self.region_factor.get("default"))
            .copied()
            .unwrap_or(1.0)
    }
}

/// One priced (or unpriceable) resource.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub node: NodeId,
    /// USD per month; `None` when it cannot be priced (see `detail`).
    pub monthly: Option<f64>,
    /// How the figure was made (`db.r6g.large × 2 (Multi-AZ) + 100 GB io1`) or why there is none.
    pub detail: String,
}

/// The estimate of one plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    pub region: String,
    /// Where the region came from (provider configuration, or the default).
    pub region_source: String,
    pub lines: Vec<Line>,
    pub total: f64,
    /// True when some covered resource could not be priced: the total is a lower bound.
    pub partial: bool,
}

/// Estimate every covered resource that exists after apply.
pub fn estimate(g: &Graph, prices: &Prices) -> Estimate {
    let (region, region_source) = region(g);
    let factor = prices.factor(&region);
    let mut lines = Vec::new();
    for (id, node) in g.nodes.iter().enumerate() {
        if node.mode != Mode::Managed
            || node.deposed.is_some()
            || matches!(node.action, Action::Delete | Action::Forget)
        {
            continue;
        }
        if let Some((monthly, detail)) = price(g, id, prices) {
            lines.push(Line {
                node: id,
                monthly: monthly.map(|m| round2(m * factor)),
                detail,
            });
        }
    }
    let total = round2(lines.iter().filter_map(|l| l.monthly).sum());
    let partial = lines.iter().any(|l| l.monthly.is_none());
    Estimate {
        region,
        region_source,
        lines,
        total,
        partial,
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The AWS region of the default provider, when it is a constant.
fn region(g: &Graph) -> (String, String) {
    if let Some(r) = g
        .provider_expressions
        .get("aws")
        .and_then(|p| p.get("region"))
        .and_then(|e| e.get("constant_value"))
        .and_then(Value::as_str)
    {
        return (r.to_string(), "provider \"aws\" region".into());
    }
    (
        "us-east-1".into(),
        "default (the aws provider's region is not a constant in the plan)".into(),
    )
}

type Priced = (Option<f64>, String);

/// The monthly price of one resource before the region factor, or `None` if not covered.
fn price(g: &Graph, id: NodeId, p: &Prices) -> Option<Priced> {
    let node = g.node(id);
    let v = node.values();
    let s = |k: &str| v.get(k).and_then(Value::as_str);
    let n = |k: &str| v.get(k).and_then(Value::as_f64);
    let h = p.hours_per_month;
    let hourly = |table: &BTreeMap<String, f64>, attr: &str, what: &str, count: f64| -> Priced {
        match s(attr) {
            Some(class) => match table.get(class) {
                Some(rate) => (
                    Some(rate * h * count),
                    if count == 1.0 {
                        class.to_string()
                    } else {
                        format!("{class} × {count}")
                    },
                ),
                None => (
                    None,
                    format!("no price for {what} {class} in the price table"),
                ),
            },
            None => (None, format!("`{attr}` is known only after apply")),
        }
    };
    Some(match node.type_.as_str() {
        "aws_db_instance" => {
            let multi = v.get("multi_az").and_then(Value::as_bool).unwrap_or(false);
            let copies = if multi { 2.0 } else { 1.0 };
            let (base, mut detail) = hourly(
                &p.rds_instance_hourly,
                "instance_class",
                "instance class",
                copies,
            );
            let Some(base) = base else {
                return Some((None, detail));
            };
            if multi {
                detail.push_str(" (Multi-AZ)");
            }
            let storage_type = s("storage_type").unwrap_or("gp2");
            let gb = n("allocated_storage").unwrap_or(0.0);
            let mut total = base;
            if let Some(rate) = p.rds_storage_gb_month.get(storage_type) {
                total += rate * gb * copies;
                detail.push_str(&format!(" + {gb} GB {storage_type}"));
            }
            if let (Some(iops), Some(rate)) = (n("iops"), p.rds_iops_month.get(storage_type)) {
                // gp3 includes 3,000 IOPS; io1/io2 pay for every provisioned IOPS.
                let paid = if storage_type == "gp3" {
                    (iops - 3000.0).max(0.0)
                } else {
                    iops
                };
                if paid > 0.0 {
                    total += rate * paid * copies;
                    detail.push_str(&format!(" + {paid} IOPS"));
                }
            }
            (Some(total), detail)
        }
        "aws_rds_cluster_instance" => hourly(
            &p.rds_instance_hourly,
            "instance_class",
            "instance class",
            1.0,
        ),
        "aws_instance" => hourly(
            &p.ec2_instance_hourly,
            "instance_type",
            "instance type",
            1.0,
        ),
        "aws_elasticache_cluster" => {
            let nodes = n("num_cache_nodes").unwrap_or(1.0);
            hourly(&p.elasticache_node_hourly, "node_type", "node type", nodes)
        }
        "aws_elasticache_replication_group" => {
            let nodes = n("num_cache_clusters").unwrap_or(1.0);
            hourly(&p.elasticache_node_hourly, "node_type", "node type", nodes)
        }
        "aws_eks_node_group" => {
            let desired = v
                .pointer("/scaling_config/0/desired_size")
                .and_then(Value::as_f64)
                .unwrap_or(1.0);
            match v.pointer("/instance_types/0").and_then(Value::as_str) {
                Some(t) => match p.ec2_instance_hourly.get(t) {
                    Some(rate) => (Some(rate * h * desired), format!("{t} × {desired}")),
                    None => (
                        None,
                        format!("no price for instance type {t} in the price table"),
                    ),
                },
                None => (
                    None,
                    "`instance_types` is not set or known only after apply".into(),
                ),
            }
        }
        "aws_opensearch_domain" => {
            let t = v
                .pointer("/cluster_config/0/instance_type")
                .and_then(Value::as_str);
            let count = v
                .pointer("/cluster_config/0/instance_count")
                .and_then(Value::as_f64)
                .unwrap_or(1.0);
            match t.and_then(|t| p.opensearch_instance_hourly.get(t).map(|r| (t, r))) {
                Some((t, rate)) => (Some(rate * h * count), format!("{t} × {count}")),
                None => (
                    None,
                    format!(
                        "no price for instance type {} in the price table",
                        t.unwrap_or("(unknown)")
                    ),
                ),
            }
        }
        t => {
            if let Some(rate) = p.flat_hourly.get(t) {
                (Some(rate * h), format!("{rate}/hour"))
            } else if let Some(m) = p.monthly.get(t) {
                (Some(*m), format!("{m}/month"))
            } else {
                return None;
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_table_parses_and_states_its_source() {
        let p = Prices::builtin();
        assert!(p.source.contains("approximate"));
        assert_eq!(p.currency, "USD");
        assert!(p.rds_instance_hourly["db.r6g.large"] > p.rds_instance_hourly["db.t4g.micro"]);
    }
}
