//! Optional report sections filled by particular packs: the cost estimate, the inventory of
//! external prerequisites, and network diagrams for peering findings.
//!
//! These are plain data: the packs that compute them fill them, the renderers show them (the
//! JSON report as is, the Markdown comment as tables and Mermaid diagrams). Every section is
//! left out of the JSON when empty, so a run without those packs prints none of these keys.
//! Field names are snake_case and part of the JSON contract (`docs/json-report.md`).

use serde::Serialize;
use serde_json::Value;

/// Sections beyond findings; each is empty when the pack that fills it did not run.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Extras {
    /// Monthly cost of the planned resources (cost pack).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_estimate: Option<CostEstimate>,
    /// Things the plan reads but does not create: data sources and what depends on them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub prerequisites: Vec<Prerequisite>,
    /// VPCs, peerings and route tables around network findings, with the missing routes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub network_diagrams: Vec<NetworkDiagram>,
}

impl Extras {
    /// True when no section is filled.
    pub fn is_empty(&self) -> bool {
        self.cost_estimate.is_none()
            && self.prerequisites.is_empty()
            && self.network_diagrams.is_empty()
    }
}

/// A monthly cost estimate from a static price table: never a bill, always an estimate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostEstimate {
    /// Always `true`: these numbers come from a price table, not from the provider's bill.
    pub estimate: bool,
    /// ISO 4217 code of every amount (`USD`).
    pub currency: String,
    /// Sum of the lines' `monthly_cost` (lines without a price count as 0).
    pub total_monthly_cost: f64,
    /// True when some line has no price: the total is then a lower bound.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub partial: bool,
    /// Where the prices come from (`built-in AWS on-demand price table, us-east-1`).
    pub price_source: String,
    /// The date the price table was taken (`2025-01-15`).
    pub price_date: String,
    /// One line per priced resource instance.
    pub lines: Vec<CostLine>,
    /// Assumptions and gaps (`730 hours a month`, `storage not priced`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// The estimated monthly cost of one resource instance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostLine {
    /// Full instance address.
    pub resource: String,
    /// The plan file the resource is in.
    pub plan: String,
    /// Resource type (`aws_db_instance`).
    #[serde(rename = "type")]
    pub resource_type: String,
    /// What was priced (`db.r6g.large, 730 h`).
    pub description: String,
    /// Estimated monthly cost; absent when the price table has no price for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub monthly_cost: Option<f64>,
    /// Why there is no price, or an assumption made for this line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One external prerequisite: a data source the plan reads, and what depends on it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prerequisite {
    /// Full instance address of the data source (`data.aws_vpc.shared`).
    pub address: String,
    /// The plan file it is in.
    pub plan: String,
    /// Data source type (`aws_vpc`).
    #[serde(rename = "type")]
    pub data_type: String,
    /// How it depends on the world outside the configuration (`lookup`, `remote`, …).
    pub classification: String,
    /// What is looked up (an id, or an object of identifying arguments and results) when known
    /// at plan time and not sensitive.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    /// True when the value is known only after apply.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub unknown: bool,
    /// True when Terraform marks the value sensitive: `value` is then absent.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub redacted: bool,
    /// Addresses of the resources that use it, directly or through others.
    pub dependants: Vec<String>,
    /// Terraform's reason when the read is deferred to apply (`read` action).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deferred: Option<String>,
}

/// The network around one or more network findings, for a diagram.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NetworkDiagram {
    /// Heading of the diagram (`peering aws_vpc_peering_connection.a_b`).
    pub title: String,
    /// The plan file it comes from.
    pub plan: String,
    /// The rule whose findings it illustrates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    pub vpcs: Vec<Vpc>,
    pub peerings: Vec<Peering>,
    pub route_tables: Vec<RouteTable>,
    pub routes: Vec<Route>,
}

/// A VPC: one managed in the plan (by address) or an existing one (by id).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Vpc {
    /// The address when the plan manages it, else the VPC id; peerings and route tables refer
    /// to VPCs by this key.
    pub key: String,
    /// IPv4 and IPv6 CIDR blocks, when known.
    pub cidrs: Vec<String>,
    /// True when the VPC is not managed by this plan (a data source or a literal id).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub external: bool,
}

/// A peering connection between two VPCs (by their `Vpc::key`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Peering {
    /// Full instance address of the peering connection.
    pub address: String,
    /// The requester side's VPC key.
    pub requester: String,
    /// The accepter side's VPC key.
    pub accepter: String,
}

/// A route table and the VPC it belongs to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RouteTable {
    /// Full instance address (or id, when external).
    pub address: String,
    /// The VPC key it belongs to.
    pub vpc: String,
}

/// A route through a peering: present in the plan, or missing (what a finding asks for).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Route {
    /// The route table's address.
    pub route_table: String,
    /// Destination CIDR (the other side's block).
    pub destination: String,
    /// The peering connection the route goes through.
    pub peering: String,
    pub state: RouteState,
}

/// Whether a route exists in the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RouteState {
    Present,
    Missing,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_extras_print_no_keys() {
        let v = serde_json::to_value(Extras::default()).unwrap();
        assert_eq!(v, serde_json::json!({}));
        assert!(Extras::default().is_empty());
    }

    #[test]
    fn redacted_prerequisite_has_no_value_key() {
        let p = Prerequisite {
            address: "data.aws_secretsmanager_secret_version.db".into(),
            plan: "plan.json".into(),
            data_type: "aws_secretsmanager_secret_version".into(),
            classification: "secret".into(),
            value: None,
            unknown: false,
            redacted: true,
            dependants: vec!["aws_db_instance.main".into()],
            deferred: None,
        };
        let v = serde_json::to_value(&p).unwrap();
        assert!(v.get("value").is_none());
        assert_eq!(v["redacted"], true);
        assert_eq!(v["type"], "aws_secretsmanager_secret_version");
    }
}
