//! The validated policy: what a policy file becomes once every name is checked, every
//! JSONPath, regex, glob and CIDR compiled, and every parameter resolved for every
//! environment. Nothing here can fail at evaluation time for a reason the loader could have
//! caught.

use super::builtin::Check;
use super::ops::{Op, Prepared};
use super::path::JsonPath;
use super::template::Template;
use crate::graph::Action;
use crate::plan::Mode;
use crate::report::Severity;
use globset::GlobSet;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// A loaded, validated policy.
#[derive(Debug)]
pub struct Policy {
    /// `<pack>.<kebab-name>`.
    pub id: String,
    /// The part of the id before the first dot.
    pub pack: String,
    pub title: String,
    pub severity: Severity,
    pub description: Option<String>,
    pub remediation: Option<String>,
    /// A link to more documentation.
    pub docs: Option<String>,
    pub tags: Vec<String>,
    pub on_unknown: OnUnknown,
    /// Default message of failing assertions that have none.
    pub message: Option<Template>,
    pub select: Select,
    pub when: When,
    pub params: Params,
    pub assertions: Vec<Assertion>,
    pub check: Option<CheckCall>,
    /// Where the policy came from.
    pub source: Source,
    /// The Markdown page beside the policy file (`<rule>.md`), when there is one.
    pub page: Option<String>,
    /// Number of operand slots prepared once per run (operands with placeholders).
    pub(crate) operand_slots: usize,
    /// Number of relation hops (each caches its incoming unresolved references per run).
    pub(crate) hop_slots: usize,
}

/// Where a policy file came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// `policies/cost/oversized-database-class.toml` for built-ins, the path for user files.
    pub file: String,
    pub builtin: bool,
}

/// What an *unknown* verdict means for the gate. The finding's status stays `unknown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnUnknown {
    /// Unknown fails the gate, like a failure of the policy's severity.
    Fail,
    /// Unknown is reported as a warning and does not fail the gate (the default).
    #[default]
    Warn,
    /// Unknown is accepted: reported, but neither a warning nor a failure.
    Pass,
}

impl OnUnknown {
    pub fn as_str(self) -> &'static str {
        match self {
            OnUnknown::Fail => "fail",
            OnUnknown::Warn => "warn",
            OnUnknown::Pass => "pass",
        }
    }
}

/// Which instances a policy looks at.
#[derive(Debug)]
pub struct Select {
    pub types: GlobSet,
    pub type_patterns: Vec<String>,
    /// `None`: managed resources and data sources alike.
    pub mode: Option<Mode>,
    pub address: Option<GlobSet>,
    pub module: Option<GlobSet>,
    pub actions: Vec<Action>,
    pub filter: Option<Condition>,
}

/// Which environments a policy applies to.
#[derive(Debug, Default)]
pub struct When {
    pub env: Option<GlobSet>,
    pub not_env: Option<GlobSet>,
}

impl When {
    pub fn applies(&self, env: &str) -> bool {
        self.env.as_ref().is_none_or(|g| g.is_match(env))
            && !self.not_env.as_ref().is_some_and(|g| g.is_match(env))
    }
}

/// Parameters per environment; `default` is the fallback of every environment.
#[derive(Debug, Default, Clone)]
pub struct Params {
    pub by_env: BTreeMap<String, Map<String, Value>>,
}

impl Params {
    /// The value of `name` in `env`, falling back to `default`.
    pub fn get(&self, env: &str, name: &str) -> Option<&Value> {
        self.by_env
            .get(env)
            .and_then(|t| t.get(name))
            .or_else(|| self.by_env.get("default").and_then(|t| t.get(name)))
    }

    /// The merged table of `env` (default ← env), for built-in checks.
    pub fn merged(&self, env: &str) -> Map<String, Value> {
        let mut m = self.by_env.get("default").cloned().unwrap_or_default();
        if let Some(t) = self.by_env.get(env) {
            for (k, v) in t {
                m.insert(k.clone(), v.clone());
            }
        }
        m
    }
}

/// A top-level `[[assert]]` or `[[relation]]`.
#[derive(Debug)]
pub struct Assertion {
    pub condition: Condition,
    pub message: Option<Template>,
}

/// A condition: a value test, a relation, or a combination.
#[derive(Debug)]
pub enum Condition {
    All(Vec<Condition>),
    Any(Vec<Condition>),
    Not(Box<Condition>),
    Test(Box<Test>),
    Relation(Box<Relation>),
}

/// How the results of a multi-valued path (or the members of a relation) combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Quantifier {
    #[default]
    All,
    Any,
    None,
}

/// `path op value`.
#[derive(Debug)]
pub struct Test {
    pub path: ScopedPath,
    /// `json`: the values at `path` are JSON documents in strings; this path selects inside.
    pub json: Option<JsonPath>,
    pub op: Op,
    pub operand: Operand,
    pub quantifier: Quantifier,
}

/// What a test compares with.
#[derive(Debug)]
pub enum Operand {
    /// `exists` / `absent`.
    None,
    /// A literal, prepared at load.
    Literal { raw: Value, prepared: Prepared },
    /// A value with `{params.x}`, `{var.x}` or `{env}`: filled and prepared once per run.
    Template { raw: Value, slot: usize },
    /// `value_path`: values read at evaluation.
    Path(ScopedPath),
    /// `value_path` with `value_json`: JSON documents in strings read at evaluation; the
    /// operand is the list of the values the inner path selects in them.
    PathJson(ScopedPath, JsonPath),
}

/// A JSONPath and the node it reads.
#[derive(Debug)]
pub struct ScopedPath {
    pub scope: Scope,
    /// The path. When its text uses `{params.NAME}`: as filled for environments without a
    /// `[params.<env>]` table of their own.
    pub path: JsonPath,
    /// When the text uses `{params.NAME}`: the path as filled for each environment that has its
    /// own `[params.<env>]` table.
    pub by_env: Vec<(String, JsonPath)>,
}

impl ScopedPath {
    /// The path in an environment.
    pub fn at(&self, env: &str) -> &JsonPath {
        self.by_env
            .iter()
            .find(|(e, _)| e == env)
            .map_or(&self.path, |(_, p)| p)
    }
}

/// The node (or document) a path reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// `$…`: the instance under test (the related instance inside a relation).
    Subject,
    /// `self:$…`: the selected instance, from anywhere.
    SelfNode,
    /// `var:$…` or `$var…`: the plan's root variables.
    Var,
    /// `meta:$…`: facts about an instance that are not its values (`address`, `type`, `name`,
    /// `mode`, `module`, `index`, `provider`, `action`, `actions`, `action_reason`,
    /// `replace_paths`, `previous_address`) — of the instance under test (`meta:`), of the
    /// selected one (`self.meta:`) or of a named related one (`NAME.meta:`).
    Meta(MetaOf),
    /// `NAME:$…`: the instance bound by the enclosing relation called NAME.
    Named(String),
}

/// Whose metadata a `meta:` path reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetaOf {
    /// `meta:`: the instance under test.
    Subject,
    /// `self.meta:`: the selected instance.
    SelfNode,
    /// `NAME.meta:`: the instance bound by the enclosing relation called NAME.
    Named(String),
}

/// "Has related instances …" over the resolved graph.
#[derive(Debug)]
pub struct Relation {
    pub name: Option<String>,
    pub hops: Vec<Hop>,
    /// Only related instances where this holds count.
    pub filter: Option<Condition>,
    pub min: usize,
    pub max: Option<usize>,
    pub quantifier: Quantifier,
    /// Conditions on each related instance (nested relations included).
    pub assert: Vec<Condition>,
}

/// Which way an edge is followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// This instance's attribute refers to the related one.
    Outgoing,
    /// The related instance's attribute refers to this one.
    Incoming,
    /// No edge: the other instances of the hop's types in the same module instance.
    Sibling,
}

/// One step through the graph.
#[derive(Debug)]
pub struct Hop {
    pub types: GlobSet,
    pub type_patterns: Vec<String>,
    /// Globs over the edge attribute with indexes removed (`route.gateway_id`); `None`: any
    /// attribute but `depends_on`.
    pub attributes: Option<GlobSet>,
    pub attribute_patterns: Vec<String>,
    pub direction: Direction,
    pub mode: Option<Mode>,
    pub slot: usize,
}

/// `check = "name"`: a built-in analysis.
#[derive(Clone)]
pub struct CheckCall {
    pub name: String,
    pub check: &'static dyn Check,
}

impl std::fmt::Debug for CheckCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CheckCall({})", self.name)
    }
}
