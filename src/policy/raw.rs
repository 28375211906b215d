//! The policy file as written: serde structs with spans, rejecting unknown keys (serde's
//! message lists the allowed ones). Everything is checked in `validate`, which turns these
//! into the types of `model`.

use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

pub type S<T> = Spanned<T>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPolicy {
    pub id: S<String>,
    pub title: S<String>,
    pub severity: S<String>,
    pub description: Option<S<String>>,
    pub remediation: Option<S<String>>,
    pub docs: Option<S<String>>,
    #[serde(default)]
    pub tags: Vec<S<String>>,
    pub on_unknown: Option<S<String>>,
    pub message: Option<S<String>>,
    pub select: S<RawSelect>,
    pub when: Option<S<RawWhen>>,
    #[serde(default)]
    pub params: BTreeMap<String, S<toml::Table>>,
    #[serde(default)]
    pub assert: Vec<S<RawCondition>>,
    #[serde(default)]
    pub relation: Vec<S<RawRelation>>,
    pub check: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSelect {
    pub types: S<toml::Value>,
    pub mode: Option<S<String>>,
    pub address: Option<S<toml::Value>>,
    pub module: Option<S<toml::Value>>,
    pub actions: Option<S<toml::Value>>,
    #[serde(rename = "where")]
    pub filter: Option<S<RawCondition>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWhen {
    pub env: Option<S<toml::Value>>,
    pub not_env: Option<S<toml::Value>>,
}

/// A value test (`path`, `op`, `value`/`value_path`, `quantifier`), a combination (`all`,
/// `any`, `not`) or a relation (`relation`); `message` only on a top-level `[[assert]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCondition {
    pub path: Option<S<String>>,
    pub op: Option<S<String>>,
    pub value: Option<S<toml::Value>>,
    pub value_path: Option<S<String>>,
    /// With `value_path`: its values are JSON documents in strings; this JSONPath selects
    /// inside them, and the operand is the list of what it selects.
    pub value_json: Option<S<String>>,
    pub json: Option<S<String>>,
    pub quantifier: Option<S<String>>,
    pub all: Option<Vec<S<RawCondition>>>,
    pub any: Option<Vec<S<RawCondition>>>,
    pub not: Option<Box<S<RawCondition>>>,
    pub relation: Option<Box<S<RawRelation>>>,
    pub message: Option<S<String>>,
}

/// A relation: one hop (`type`, `attribute`, `direction`, `mode`) or several (`path`), a
/// filter (`where`), counts (`min`, `max`), and conditions on each related instance
/// (`assert`, nested `relation`) combined by `quantifier`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRelation {
    pub name: Option<S<String>>,
    #[serde(rename = "type")]
    pub type_: Option<S<toml::Value>>,
    pub attribute: Option<S<toml::Value>>,
    pub direction: Option<S<String>>,
    pub mode: Option<S<String>>,
    pub path: Option<Vec<S<RawHop>>>,
    #[serde(rename = "where")]
    pub filter: Option<S<RawCondition>>,
    pub min: Option<S<i64>>,
    pub max: Option<S<i64>>,
    pub quantifier: Option<S<String>>,
    #[serde(default)]
    pub assert: Vec<S<RawCondition>>,
    #[serde(default)]
    pub relation: Vec<S<RawRelation>>,
    pub message: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHop {
    #[serde(rename = "type")]
    pub type_: S<toml::Value>,
    pub attribute: Option<S<toml::Value>>,
    pub direction: Option<S<String>>,
    pub mode: Option<S<String>>,
}
