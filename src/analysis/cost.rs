//! Monthly cost estimate from the offline price table in `policies/cost/_prices.toml`.
//! An estimate for sizing decisions, not a bill: on-demand prices, no discounts, no data
//! transfer. Instances whose size is unknown until apply, or missing from the table, are
//! listed without a price, so the total is then a lower bound and says so.

use crate::graph::values::{sensitive_at, Seg};
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
    /// The built-in table, parsed once per process (it was parsed again for every
    /// evaluation of the budget rule and every cost section).
    pub fn builtin() -> Prices {
        static BUILTIN: std::sync::OnceLock<Prices> = std::sync::OnceLock::new();
        BUILTIN
            .get_or_init(|| {
                toml::from_str(BUILTIN_PRICES).expect("the built-in price table is valid (tested)")
            })
            .clone()
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
    /// True when part of the resource could not be priced (storage known only after apply):
    /// `monthly` is then a lower bound.
    pub partial: bool,
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
    let all: Vec<NodeId> = (0..g.nodes.len()).collect();
    estimate_nodes(g, &all, prices)
}

/// Estimate the covered resources among `nodes` that exist after apply (a policy's
/// selection: `cost.environment-budget` prices what its `[select]` names).
pub fn estimate_nodes(g: &Graph, nodes: &[NodeId], prices: &Prices) -> Estimate {
    let (region, region_source) = region(g);
    let factor = prices.factor(&region);
    let mut lines = Vec::new();
    for &id in nodes {
        let node = g.node(id);
        if node.mode != Mode::Managed
            || node.deposed.is_some()
            || matches!(node.action, Action::Delete | Action::Forget)
        {
            continue;
        }
        if let Some(p) = price(g, id, prices) {
            lines.push(Line {
                node: id,
                monthly: p.monthly.map(|m| round2(m * factor)),
                detail: p.detail,
                partial: p.partial,
            });
        }
    }
    let total = round2(lines.iter().filter_map(|l| l.monthly).sum());
    let partial = lines.iter().any(|l| l.monthly.is_none() || l.partial);
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

/// The price of one resource before the region factor.
struct Priced {
    monthly: Option<f64>,
    detail: String,
    partial: bool,
}

impl Priced {
    fn some(monthly: f64, detail: String) -> Priced {
        Priced {
            monthly: Some(monthly),
            detail,
            partial: false,
        }
    }

    fn none(detail: String) -> Priced {
        Priced {
            monthly: None,
            detail,
            partial: false,
        }
    }
}

/// `class` or `class × count`.
fn times(class: &str, count: f64) -> String {
    if count == 1.0 {
        class.to_string()
    } else {
        format!("{class} × {count}")
    }
}

/// Attributes whose numbers (sizes, counts, flags) a price's description shows.
const SIZES: [&str; 8] = [
    "multi_az",
    "allocated_storage",
    "iops",
    "num_cache_nodes",
    "num_cache_clusters",
    "scaling_config",
    "cluster_config",
    "instance_types",
];

/// The monthly price of one resource before the region factor, or `None` if not covered. A
/// description that would show a sensitive size or count says so instead.
fn price(g: &Graph, id: NodeId, p: &Prices) -> Option<Priced> {
    let mut out = price_shown(g, id, p)?;
    let node = g.node(id);
    if out.monthly.is_some()
        && SIZES
            .iter()
            .any(|k| sensitive_at(node.sensitive(), &[Seg::Key(k.to_string())]))
    {
        out.detail = "(sensitive sizes: not shown)".to_string();
    }
    Some(out)
}

/// [`price`], with class names masked but sizes as they are.
/// The types [`price_shown`] prices from their attributes; any other type is priced only by
/// the flat tables.
const SIZED: [&str; 7] = [
    "aws_db_instance",
    "aws_rds_cluster_instance",
    "aws_instance",
    "aws_elasticache_cluster",
    "aws_elasticache_replication_group",
    "aws_eks_node_group",
    "aws_opensearch_domain",
];

fn price_shown(g: &Graph, id: NodeId, p: &Prices) -> Option<Priced> {
    let node = g.node(id);
    let t = node.type_.as_str();
    // Decide from the type first: parsing the value of every node in the plan only to find
    // that its type has no price was the estimate's largest cost in memory.
    if !SIZED.contains(&t) && !p.flat_hourly.contains_key(t) && !p.monthly.contains_key(t) {
        return None;
    }
    // Parsed for this estimate and not kept: kept, the values of every priced resource
    // stayed parsed for the rest of the run (~13 MB of a check on a 100 MB plan).
    let v = node.values_lazy().get_once();
    let v: &Value = &v;
    let unknown = |k: &str| {
        node.unknown()
            .get(k)
            .is_some_and(|u| u == &Value::Bool(true))
    };
    let s = |k: &str| v.get(k).and_then(Value::as_str);
    let n = |k: &str| v.get(k).and_then(Value::as_f64);
    // A value as the estimate may print it: a sensitive one is priced, never shown.
    let show = |path: &[Seg], x: &str| -> String {
        if sensitive_at(node.sensitive(), path) {
            "(sensitive)".to_string()
        } else {
            x.to_string()
        }
    };
    let key = |k: &str| [Seg::Key(k.to_string())];
    let h = p.hours_per_month;
    let hourly = |table: &BTreeMap<String, f64>, attr: &str, what: &str, count: f64| -> Priced {
        match s(attr) {
            Some(class) => {
                let shown = show(&key(attr), class);
                match table.get(class) {
                    Some(rate) => Priced::some(rate * h * count, times(&shown, count)),
                    None => Priced::none(format!("no price for {what} {shown} in the price table")),
                }
            }
            None => Priced::none(format!("`{attr}` is known only after apply")),
        }
    };
    // Every type matched by name below is in `SIZED`.
    Some(match t {
        "aws_db_instance" => {
            let multi = v.get("multi_az").and_then(Value::as_bool).unwrap_or(false);
            let copies = if multi { 2.0 } else { 1.0 };
            let base = hourly(
                &p.rds_instance_hourly,
                "instance_class",
                "instance class",
                copies,
            );
            let Some(mut total) = base.monthly else {
                return Some(base);
            };
            let mut detail = base.detail;
            let mut partial = false;
            if multi {
                detail.push_str(" (Multi-AZ)");
            }
            // A read replica's storage is inherited from its source: known only after apply.
            if unknown("allocated_storage") || unknown("storage_type") {
                detail.push_str(" + storage known only after apply (not priced)");
                partial = true;
            } else {
                let storage_type = s("storage_type").unwrap_or("gp2");
                let gb = n("allocated_storage").unwrap_or(0.0);
                if let Some(rate) = p.rds_storage_gb_month.get(storage_type) {
                    total += rate * gb * copies;
                    let shown = show(&key("storage_type"), storage_type);
                    detail.push_str(&format!(" + {gb} GB {shown}"));
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
            }
            Priced {
                monthly: Some(total),
                detail,
                partial,
            }
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
            // Unset instance_types is known (null): EKS then launches t3.medium nodes.
            let (t, default) = match v.get("instance_types") {
                Some(Value::Null) => (Some("t3.medium"), " (the EKS default)"),
                _ => (v.pointer("/instance_types/0").and_then(Value::as_str), ""),
            };
            let path = [Seg::Key("instance_types".into()), Seg::Idx(0)];
            match t {
                Some(t) => match p.ec2_instance_hourly.get(t) {
                    Some(rate) => Priced::some(
                        rate * h * desired,
                        format!("{}{default}", times(&show(&path, t), desired)),
                    ),
                    None => Priced::none(format!(
                        "no price for instance type {} in the price table",
                        show(&path, t)
                    )),
                },
                None => Priced::none("`instance_types` is known only after apply".into()),
            }
        }
        "aws_opensearch_domain" => {
            let c = |k: &str| v.pointer(&format!("/cluster_config/0/{k}"));
            let at = |k: &str| {
                [
                    Seg::Key("cluster_config".into()),
                    Seg::Idx(0),
                    Seg::Key(k.to_string()),
                ]
            };
            let t = c("instance_type").and_then(Value::as_str);
            let count = c("instance_count").and_then(Value::as_f64).unwrap_or(1.0);
            let Some((t, rate)) =
                t.and_then(|t| p.opensearch_instance_hourly.get(t).map(|r| (t, r)))
            else {
                return Some(Priced::none(format!(
                    "no price for instance type {} in the price table",
                    t.map_or("(unknown)".to_string(), |t| show(&at("instance_type"), t))
                )));
            };
            let mut out = Priced::some(
                rate * h * count,
                times(&show(&at("instance_type"), t), count),
            );
            if c("dedicated_master_enabled").and_then(Value::as_bool) == Some(true) {
                let mt = c("dedicated_master_type").and_then(Value::as_str);
                let mc = c("dedicated_master_count")
                    .and_then(Value::as_f64)
                    .unwrap_or(3.0);
                match mt.and_then(|m| p.opensearch_instance_hourly.get(m).map(|r| (m, r))) {
                    Some((m, r)) => {
                        out.monthly = out.monthly.map(|x| x + r * h * mc);
                        out.detail.push_str(&format!(
                            " + {} dedicated masters",
                            times(&show(&at("dedicated_master_type"), m), mc)
                        ));
                    }
                    None => {
                        out.detail.push_str(" + dedicated masters (not priced)");
                        out.partial = true;
                    }
                }
            }
            out
        }
        t => {
            if let Some(rate) = p.flat_hourly.get(t) {
                Priced::some(rate * h, format!("{rate} USD/hour"))
            } else if let Some(m) = p.monthly.get(t) {
                Priced::some(*m, format!("{m} USD/month"))
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
