//! Evaluation state: the run (graph, environment, variables), one policy's per-run caches
//! (operands with placeholders, incoming unresolved references per relation hop), and the
//! bindings while evaluating one instance (`self`, the subject, named relations).

use super::eval_operand::fill;
use super::model::{MetaOf, Policy, Scope};
use super::ops::{Op, Prepared};
use super::template::Placeholder;
use crate::graph::{Graph, NodeId, Projection};
use crate::report::Environment;
use serde_json::Value;
use std::borrow::Cow;
use std::cell::OnceCell;
use std::sync::{Arc, OnceLock};

static EMPTY: Value = Value::Null;
static NOT_SENSITIVE: Value = Value::Bool(false);

/// One evaluation of a set of policies over one graph.
pub struct Run<'a> {
    pub graph: &'a Graph,
    pub env: &'a Environment,
    /// The plan file, as named in findings: shared by every finding.
    pub plan: Arc<str>,
    /// The root variables as one object, for `var:$…` paths.
    pub vars: Value,
    /// Every resource type in the graph, computed once for all policies.
    pub types: Vec<&'a str>,
    /// `meta:` documents, built when first read.
    metas: Vec<OnceLock<Value>>,
    /// Read whole values rather than each policy's projection (to compare the two).
    pub whole: bool,
    /// Whether a policy whose first pass needs links not resolved yet leaves the rest for
    /// later rather than waiting for them on its thread (`eval`): on a large graph.
    pub(crate) defer_rest: bool,
}

impl<'a> Run<'a> {
    pub fn new(graph: &'a Graph, env: &'a Environment, plan_file: &'a str, whole: bool) -> Run<'a> {
        let vars = Value::Object(
            graph
                .variables
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        );
        Run {
            graph,
            env,
            plan: plan_file.into(),
            vars,
            types: graph.types(),
            metas: (0..graph.nodes.len()).map(|_| OnceLock::new()).collect(),
            defer_rest: graph.is_large(),
            whole,
        }
    }
}

impl Run<'_> {
    /// The `meta:` document of a node.
    pub fn meta(&self, id: NodeId) -> &Value {
        self.metas[id].get_or_init(|| meta(self.graph.node(id)))
    }
}

fn meta(n: &crate::graph::Node) -> Value {
    let index = match &n.index {
        Some(crate::graph::Index::Num(i)) => Value::from(*i),
        Some(crate::graph::Index::Key(k)) => Value::from(k.clone()),
        None => Value::Null,
    };
    let replace: Vec<Value> = n
        .replace_paths
        .iter()
        .map(|p| {
            let segs: Vec<crate::graph::values::Seg> = p
                .iter()
                .filter_map(|s| match s {
                    Value::String(k) => Some(crate::graph::values::Seg::Key(k.clone())),
                    Value::Number(i) => i
                        .as_u64()
                        .map(|i| crate::graph::values::Seg::Idx(i as usize)),
                    _ => None,
                })
                .collect();
            Value::from(crate::graph::values::render(&segs))
        })
        .collect();
    serde_json::json!({
        "address": n.address,
        "type": n.type_,
        "name": n.name,
        "mode": if n.is_data() { "data" } else { "managed" },
        "module": n.module,
        "index": index,
        "provider": n.provider,
        "action": n.action.as_str(),
        "actions": n.actions,
        "action_reason": n.action_reason,
        "replace_paths": replace,
        "previous_address": n.previous_address,
    })
}

/// One policy within a run.
pub struct PolicyRun<'a> {
    pub run: &'a Run<'a>,
    pub policy: &'a Policy,
    /// The policy's id and remediation, shared by all its findings.
    pub rule: Arc<str>,
    pub remediation: Option<Arc<str>>,
    operands: Vec<OnceCell<Result<(Value, Prepared), String>>>,
    /// Per hop: instances of the hop's types with references that could not be followed on a
    /// matching attribute (they might point here).
    pub(crate) incoming_unresolved: Vec<OnceCell<Vec<(NodeId, String)>>>,
    /// The top-level attributes of values this policy reads (`policy::projection`).
    projection: Projection,
    /// Per node: its values and markers as the projection keeps them, parsed when the policy
    /// first reads them and dropped with it (a policy without relations drops each node's as
    /// soon as it is evaluated, [`PolicyRun::forget`]), so that a run keeps the values of the
    /// policies running, not of every policy.
    docs: Vec<OnceCell<Box<NodeDoc>>>,
    /// Set when an unknown value was to be explained before the graph's references were
    /// resolved: the instance's finding is then made again.
    pub(crate) explained_unlinked: std::cell::Cell<bool>,
}

/// A node's values and markers as a policy reads them: each its own parse of the projected
/// part, or `None` for the node's whole value (kept by the graph: the projection keeps all,
/// or the value was parsed whole already).
struct NodeDoc {
    values: Option<Value>,
    unknown: Option<Value>,
    sensitive: Option<Value>,
}

impl<'a> PolicyRun<'a> {
    pub fn new(run: &'a Run<'a>, policy: &'a Policy) -> PolicyRun<'a> {
        PolicyRun {
            run,
            policy,
            rule: policy.id.as_str().into(),
            remediation: policy.remediation.as_deref().map(Arc::from),
            operands: (0..policy.operand_slots).map(|_| OnceCell::new()).collect(),
            incoming_unresolved: (0..policy.hop_slots).map(|_| OnceCell::new()).collect(),
            projection: if run.whole {
                Projection::all()
            } else {
                super::projection::needs(std::slice::from_ref(policy))
            },
            docs: (0..run.graph.nodes.len())
                .map(|_| OnceCell::new())
                .collect(),
            explained_unlinked: std::cell::Cell::new(false),
        }
    }

    /// A node's values, unknown and sensitive markers, as this policy reads them: parsed
    /// when it first reads them, and dropped with it.
    pub fn node_values(&self, id: NodeId) -> (&Value, &Value, &Value) {
        let n = self.run.graph.node(id);
        let d = self.docs[id].get_or_init(|| {
            let own = |c: Cow<'_, Value>| match c {
                Cow::Owned(v) => Some(v),
                Cow::Borrowed(_) => None,
            };
            let p = &self.projection;
            Box::new(NodeDoc {
                values: own(n.values_in(p)),
                unknown: own(n.unknown_in(p)),
                sensitive: own(n.sensitive_in(p)),
            })
        });
        (
            d.values.as_ref().unwrap_or_else(|| n.values()),
            d.unknown.as_ref().unwrap_or_else(|| n.unknown()),
            d.sensitive.as_ref().unwrap_or_else(|| n.sensitive()),
        )
    }

    /// Free what [`PolicyRun::node_values`] parsed of a node.
    pub fn forget(&mut self, id: NodeId) {
        self.docs[id].take();
    }

    /// A template operand, filled and prepared once per run.
    pub fn operand(&self, slot: usize, raw: &Value, op: Op) -> &Result<(Value, Prepared), String> {
        self.operands[slot].get_or_init(|| {
            let v = fill(raw, &|p| self.placeholder(p))?;
            let prepared = op.prepare(&v)?;
            Ok((v, prepared))
        })
    }

    /// The value of a placeholder in a value: parameters, variables, the environment.
    pub fn placeholder(&self, p: &Placeholder) -> Result<Value, String> {
        let env = &self.run.env.name;
        match p {
            Placeholder::Param(n) => self.policy.params.get(env, n).cloned().ok_or_else(|| {
                format!("parameter `{n}` has no value in environment `{env}`")
            }),
            Placeholder::Var(n) => self.run.graph.variables.get(n).cloned().ok_or_else(|| {
                format!("the plan has no root variable `{n}`, so the value `{{var.{n}}}` cannot be known")
            }),
            Placeholder::Env => Ok(Value::String(env.clone())),
            _ => Ok(Value::Null),
        }
    }
}

/// A document a path reads: values, their unknown and sensitive markers, and whose they are.
pub struct Doc<'a> {
    pub values: &'a Value,
    pub unknown: &'a Value,
    pub sensitive: &'a Value,
    /// `None` for the root variables.
    pub node: Option<NodeId>,
    /// The instance's `meta:` document rather than its values.
    pub meta: bool,
}

/// Bindings while evaluating one selected instance.
#[derive(Clone)]
pub struct NodeCx<'a> {
    pub pr: &'a PolicyRun<'a>,
    /// The selected instance.
    pub self_node: NodeId,
    /// The instance plain `$` paths read (the related one inside a relation).
    pub subject: NodeId,
    /// Relation names bound to related instances, innermost last.
    pub names: Vec<(&'a str, NodeId)>,
}

impl<'a> NodeCx<'a> {
    pub fn new(pr: &'a PolicyRun<'a>, node: NodeId) -> NodeCx<'a> {
        NodeCx {
            pr,
            self_node: node,
            subject: node,
            names: Vec::new(),
        }
    }

    pub fn graph(&self) -> &'a Graph {
        self.pr.run.graph
    }

    /// The same bindings with `subject` moved to a related instance (bound to `name`).
    pub fn with_subject(&self, node: NodeId, name: Option<&'a str>) -> NodeCx<'a> {
        let mut c = self.clone();
        c.subject = node;
        if let Some(n) = name {
            c.names.push((n, node));
        }
        c
    }

    /// The instance bound to a relation name (the subject when none is, which validation
    /// rules out).
    fn named(&self, n: &str) -> NodeId {
        self.names
            .iter()
            .rev()
            .find(|(x, _)| *x == n)
            .map_or(self.subject, |(_, id)| *id)
    }

    /// The environment the policy runs in.
    pub fn env(&self) -> &'a str {
        &self.pr.run.env.name
    }

    /// The document a scope reads.
    pub fn doc(&self, scope: &Scope) -> Doc<'a> {
        let id = match scope {
            Scope::Subject => self.subject,
            Scope::SelfNode => self.self_node,
            Scope::Named(n) => self.named(n),
            Scope::Var => {
                return Doc {
                    values: &self.pr.run.vars,
                    unknown: &EMPTY,
                    sensitive: &NOT_SENSITIVE,
                    node: None,
                    meta: false,
                }
            }
            Scope::Meta(of) => {
                let id = match of {
                    MetaOf::Subject => self.subject,
                    MetaOf::SelfNode => self.self_node,
                    MetaOf::Named(n) => self.named(n),
                };
                return Doc {
                    values: self.pr.run.meta(id),
                    unknown: &EMPTY,
                    sensitive: &NOT_SENSITIVE,
                    node: Some(id),
                    meta: true,
                };
            }
        };
        let (values, unknown, sensitive) = self.pr.node_values(id);
        Doc {
            values,
            unknown,
            sensitive,
            node: Some(id),
            meta: false,
        }
    }

    /// How facts name a node: nothing for the selected instance, " of ADDRESS" for others.
    pub fn of(&self, node: Option<NodeId>) -> String {
        match node {
            Some(id) if id == self.self_node => String::new(),
            Some(id) => format!(" of {}", self.graph().node(id).address),
            None => String::new(),
        }
    }
}
