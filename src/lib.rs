//! plangate: gate Terraform plans. Read a `terraform show -json` plan, resolve the planned
//! resource graph, evaluate declarative policies, and report.
//!
//! The pipeline is `plan` (bytes → `Plan`) → `graph` (`Plan` → `Graph`) → `policy`
//! (`Graph` → `Report`) → `report` (`Report` → text); each stage hands the next an
//! immutable value.

pub mod analysis;
pub mod app;
pub mod config;
pub mod error;
pub mod graph;
pub mod par;
pub mod plan;
pub mod policy;
pub mod report;
pub mod source_map;
