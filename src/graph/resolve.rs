//! Edges: follow every configuration reference of every instance to the instances it names,
//! across module inputs and outputs, lining up count/for_each indexes; then join known values
//! to known ids/arns; then `depends_on`. What cannot be followed is kept, with the reason.

use super::address::{
    module_config_string, module_instance_string, Index, IndexRef, InstanceAddress, ModuleStep,
    Reference,
};
use super::values::{render, Seg};
use super::{Edge, Node, NodeId, Provenance, Unresolved};
use crate::plan::{ConfigModule, ConfigResource, Configuration};
use serde_json::Value;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

/// foldhash instead of SipHash: the keys are plangate's own (addresses, node ids), hashed
/// millions of times on a large plan; SipHash's flood resistance buys nothing here and was
/// 7 % of the graph build. (A crafted plan cannot choose collisions without knowing the
/// per-process seed foldhash still uses.)
type HashMap<K, V> = foldhash::HashMap<K, V>;
type HashSet<T> = foldhash::HashSet<T>;

/// Module calls nest; a reference chain deeper than this is a cycle in practice.
const MAX_DEPTH: usize = 64;

/// Edges a real plan has: a few per instance. Their number is instances × references of the
/// instance's block × instances each reference names, which a crafted plan (or two large
/// counts joined by a splat) makes quadratic in its size: 8,000 instances gave 16 million
/// edges and 5 GB. Past `max(MIN_EDGES, EDGES_PER_NODE × nodes)` edges plangate stops
/// following references, and each instance that lost some says so once, as an unresolved
/// reference, so that policies needing its edges answer unknown rather than pass.
const EDGES_PER_NODE: usize = 64;
const MIN_EDGES: usize = 100_000;

pub fn resolve(
    nodes: &[Node],
    config: &Configuration,
    variables: &BTreeMap<String, Value>,
) -> (Vec<Edge>, Vec<Unresolved>) {
    let ctx = Ctx::new(nodes, config, variables);
    let mut out = Out::new(nodes.len());
    // Following references reads the plan and the configuration only: chunks of nodes are
    // followed on every core into lists of what they found, which are then applied to `out`
    // in node order, as one pass over the nodes would. Past the edge budget (a crafted
    // plan) the lists would hold what one pass stops following: they are dropped, and the
    // nodes followed in one pass that stops at the budget.
    let recorded = AtomicUsize::new(0);
    let found = in_chunks(nodes.len(), |ids| {
        let mut rec = Recorder {
            ops: Vec::new(),
            recorded: &recorded,
            limit: out.max_edges,
        };
        for id in ids {
            if nodes[id].deposed.is_none() {
                ctx.resolve_node(id, &mut rec);
            }
        }
        rec.ops
    });
    if recorded.into_inner() < out.max_edges {
        for ops in found {
            replay(ops, &mut out);
        }
    } else {
        drop(found);
        for (id, node) in nodes.iter().enumerate() {
            if node.deposed.is_none() {
                ctx.resolve_node(id, &mut out);
            }
        }
    }
    value_joins(nodes, &mut out);
    out.finish()
}

/// Where [`Ctx::resolve_node`] puts what it finds.
trait Sink {
    /// Before following a reference of `from`'s `attribute`: true to follow no more of them.
    fn stop(&mut self, from: NodeId, attribute: &std::sync::Arc<str>) -> bool;
    fn edge(&mut self, from: NodeId, attribute: &str, target: Target, provenance: Provenance);
    fn unresolved(&mut self, from: NodeId, attribute: &str, reference: String, reason: String);
}

/// One pass: straight into the graph's edges, stopping at the edge budget.
impl Sink for Out {
    fn stop(&mut self, from: NodeId, attribute: &std::sync::Arc<str>) -> bool {
        if self.full() {
            self.cut_short(from, attribute);
        }
        self.full()
    }

    fn edge(&mut self, from: NodeId, attribute: &str, t: Target, provenance: Provenance) {
        Out::edge(
            self,
            from,
            t.node,
            attribute,
            provenance,
            t.ambiguous,
            t.via,
        );
    }

    fn unresolved(&mut self, from: NodeId, attribute: &str, reference: String, reason: String) {
        Out::unresolved(self, from, attribute, &reference, reason);
    }
}

/// A chunk of nodes on one core: recorded, to be [`replay`]ed in node order. Gives up once
/// all chunks together found as many edges as the budget allows (see [`resolve`]).
struct Recorder<'a> {
    ops: Vec<Op>,
    recorded: &'a AtomicUsize,
    limit: usize,
}

impl Sink for Recorder<'_> {
    fn stop(&mut self, from: NodeId, attribute: &std::sync::Arc<str>) -> bool {
        self.ops.push(Op::Reference {
            from,
            attribute: attribute.clone(),
        });
        self.recorded.load(Ordering::Relaxed) >= self.limit
    }

    fn edge(&mut self, _: NodeId, _: &str, t: Target, provenance: Provenance) {
        self.recorded.fetch_add(1, Ordering::Relaxed);
        self.ops.push(Op::Edge {
            to: t.node,
            provenance,
            ambiguous: t.ambiguous,
            via: t.via,
        });
    }

    fn unresolved(&mut self, _: NodeId, _: &str, reference: String, reason: String) {
        self.ops.push(Op::Unresolved { reference, reason });
    }
}

/// Nodes per chunk in [`in_chunks`]: small enough to keep both cores busy to the end, large
/// enough that taking a chunk costs nothing.
const CHUNK: usize = 256;

/// `f` over `0..n` in chunks of [`CHUNK`], on every core the process may use (a thread takes
/// the next chunk when it is done with one); the results in chunk order, whatever thread
/// computed them, so that what follows does not depend on the scheduling.
fn in_chunks<T: Send>(n: usize, f: impl Fn(std::ops::Range<usize>) -> T + Sync) -> Vec<T> {
    crate::par::map_ranges(n, CHUNK, f)
}

/// What following a node's references found, in the order one pass finds it: applied to
/// [`Out`] by [`replay`].
enum Op {
    /// About to follow a reference of `from`'s `attribute` (where one pass checks the edge
    /// budget); the edges and failures after it are this attribute's.
    Reference {
        from: NodeId,
        attribute: std::sync::Arc<str>,
    },
    Edge {
        to: NodeId,
        provenance: Provenance,
        ambiguous: bool,
        via: Vec<String>,
    },
    Unresolved {
        reference: String,
        reason: String,
    },
}

/// Apply the findings of [`Ctx::resolve_node`]. Once the edge budget is spent, the rest of an
/// attribute's references is not followed ([`Out::cut_short`]), as in one pass: the budget
/// only grows fuller, so every later reference is cut short too.
fn replay(ops: Vec<Op>, out: &mut Out) {
    let mut at: Option<(NodeId, std::sync::Arc<str>)> = None;
    let mut skip = false;
    for op in ops {
        match op {
            Op::Reference { from, attribute } => {
                skip = out.full();
                if skip {
                    out.cut_short(from, &attribute);
                }
                at = Some((from, attribute));
            }
            _ if skip => {}
            Op::Edge {
                to,
                provenance,
                ambiguous,
                via,
            } => {
                if let Some((from, attribute)) = &at {
                    out.edge(*from, to, attribute, provenance, ambiguous, via);
                }
            }
            Op::Unresolved { reference, reason } => {
                if let Some((from, attribute)) = &at {
                    out.unresolved(*from, attribute, &reference, reason);
                }
            }
        }
    }
}

/// A state has no configuration: `depends_on` (config addresses in the same module) and values.
pub fn resolve_state(nodes: &[Node], depends: &[Vec<String>]) -> (Vec<Edge>, Vec<Unresolved>) {
    let mut by_key: HashMap<(String, String), Vec<NodeId>> = HashMap::default();
    for (id, n) in nodes.iter().enumerate() {
        by_key
            .entry((n.module.clone(), n.resource_key.clone()))
            .or_default()
            .push(id);
    }
    let mut out = Out::new(nodes.len());
    for (id, deps) in depends.iter().enumerate() {
        for d in deps {
            // State writes depends_on as config addresses, possibly module-qualified.
            let (module, key) = match InstanceAddress::parse(d) {
                Some(a) => (a.module_config(), a.resource_key()),
                None => continue,
            };
            let module = if module.is_empty() {
                nodes[id].module.clone()
            } else {
                module
            };
            for &to in by_key.get(&(module, key)).into_iter().flatten() {
                out.edge(
                    id,
                    to,
                    "depends_on",
                    Provenance::DependsOn,
                    false,
                    vec![d.clone()],
                );
            }
        }
    }
    value_joins(nodes, &mut out);
    out.finish()
}

struct Out {
    edges: Vec<Edge>,
    /// (from, to) → the last edge between them; `same_pair[i]` the one before edge `i`
    /// (`usize::MAX`: none). Edges differ by attribute, so a new one is checked against the
    /// few of its pair, without a key string per candidate.
    pairs: HashMap<(NodeId, NodeId), usize>,
    same_pair: Vec<usize>,
    unresolved: Vec<Unresolved>,
    unresolved_seen: HashSet<(NodeId, String, String)>,
    /// See [`EDGES_PER_NODE`].
    max_edges: usize,
    /// Nodes already told that their references were not all followed.
    cut: HashSet<NodeId>,
}

impl Out {
    fn new(nodes: usize) -> Out {
        Out {
            edges: Vec::new(),
            pairs: HashMap::default(),
            same_pair: Vec::new(),
            unresolved: Vec::new(),
            unresolved_seen: HashSet::default(),
            max_edges: MIN_EDGES.max(nodes.saturating_mul(EDGES_PER_NODE)),
            cut: HashSet::default(),
        }
    }

    /// True once the edge budget is spent: callers stop following references.
    fn full(&self) -> bool {
        self.edges.len() >= self.max_edges
    }

    /// Record, once per node, that the budget stopped its references from being followed.
    fn cut_short(&mut self, from: NodeId, attribute: &str) {
        if self.cut.insert(from) {
            self.unresolved.push(Unresolved {
                from,
                attribute: attribute.to_string(),
                reference: "*".to_string(),
                reason: format!(
                    "not followed: the graph reached plangate's limit of {} edges ({EDGES_PER_NODE} per resource instance), which bounds memory on a crafted plan",
                    self.max_edges
                ),
            });
        }
    }

    fn edge(
        &mut self,
        from: NodeId,
        to: NodeId,
        attribute: &str,
        provenance: Provenance,
        ambiguous: bool,
        via: Vec<String>,
    ) {
        if from == to {
            return;
        }
        if self.full() {
            self.cut_short(from, attribute);
            return;
        }
        let head = self.pairs.get(&(from, to)).copied().unwrap_or(usize::MAX);
        let mut i = head;
        while i != usize::MAX {
            if self.edges[i].attribute == attribute {
                return;
            }
            i = self.same_pair[i];
        }
        self.pairs.insert((from, to), self.edges.len());
        self.same_pair.push(head);
        self.edges.push(Edge {
            from,
            to,
            attribute: attribute.to_string(),
            provenance,
            ambiguous,
            via,
        });
    }

    fn unresolved(&mut self, from: NodeId, attribute: &str, reference: &str, reason: String) {
        if self
            .unresolved_seen
            .insert((from, attribute.to_string(), reference.to_string()))
        {
            self.unresolved.push(Unresolved {
                from,
                attribute: attribute.to_string(),
                reference: reference.to_string(),
                reason,
            });
        }
    }

    fn finish(self) -> (Vec<Edge>, Vec<Unresolved>) {
        // A reference that could not be followed but whose attribute was joined by value is
        // resolved after all: drop it from the unresolved list.
        let joined: HashSet<(NodeId, &str)> = self
            .edges
            .iter()
            .filter(|e| e.provenance == Provenance::Value)
            .map(|e| (e.from, e.attribute.as_str()))
            .collect();
        let unresolved = self
            .unresolved
            .iter()
            .filter(|u| !joined.contains(&(u.from, u.attribute.as_str())))
            .cloned()
            .collect();
        (self.edges, unresolved)
    }
}

/// A target found by following a reference.
struct Target {
    node: NodeId,
    provenance: Provenance,
    ambiguous: bool,
    via: Vec<String>,
}

/// What a reference leads to: targets, or reasons it could not be followed.
#[derive(Default)]
struct Found {
    targets: Vec<Target>,
    failures: Vec<(String, String)>,
    /// Steps (module instance, reference, index hint) already followed for this reference.
    /// A step reached again by another path finds nothing new: without this, outputs and
    /// inputs that name each other twice made the walk exponential (2^32 steps at depth 64).
    visited: HashSet<Visit>,
    /// The steps of the chain being followed (at most `MAX_DEPTH`): reaching one of them
    /// again is a cycle.
    chain: Vec<Visit>,
}

type Visit = (String, String, Option<Index>);

/// A module instance references are followed in: its steps, and its instance and
/// configuration strings (`module.net["a"]`, `module.net`), made once for all its references.
#[derive(Clone, Copy)]
struct Scope<'s> {
    steps: &'s [ModuleStep],
    inst: &'s str,
    conf: &'s str,
}

type Nested<V> = HashMap<String, HashMap<String, V>>;

fn nested_get<'m, V>(m: &'m Nested<V>, a: &str, b: &str) -> Option<&'m V> {
    m.get(a)?.get(b)
}

struct Ctx<'a> {
    nodes: &'a [Node],
    /// Module config path (`module.a.module.b`) → its configuration.
    modules: HashMap<String, &'a ConfigModule>,
    /// Module config path → resource key → the resource block. (Maps of maps, so that a
    /// lookup borrows its two strings instead of building a key.)
    resources: Nested<Block<'a>>,
    /// Module instance → resource key → instances.
    instances: Nested<Listed<NodeId>>,
    /// Parent module instance → call name → the child module instances.
    children: Nested<Listed<Vec<ModuleStep>>>,
    /// Node id → its module instance steps.
    node_modules: Vec<Vec<ModuleStep>>,
    /// Root variables' values, to evaluate `for_each = var.x` for `each.value`.
    root_vars: &'a BTreeMap<String, Value>,
}

impl<'a> Ctx<'a> {
    fn new(
        nodes: &'a [Node],
        config: &'a Configuration,
        root_vars: &'a BTreeMap<String, Value>,
    ) -> Ctx<'a> {
        let mut modules = HashMap::default();
        let mut resources: Nested<Block> = HashMap::default();
        let mut stack = vec![(String::new(), &config.root_module)];
        while let Some((path, m)) = stack.pop() {
            for r in &m.resources {
                resources
                    .entry(path.clone())
                    .or_default()
                    .insert(r.address.clone(), Block::new(r));
            }
            for (name, call) in &m.module_calls {
                let child = if path.is_empty() {
                    format!("module.{name}")
                } else {
                    format!("{path}.module.{name}")
                };
                stack.push((child, &call.module));
            }
            modules.insert(path, m);
        }
        // The module steps of every node, parsed from its address on every core.
        let node_modules: Vec<Vec<ModuleStep>> = in_chunks(nodes.len(), |ids| {
            ids.map(|id| {
                InstanceAddress::parse(&nodes[id].address)
                    .map(|a| a.module)
                    .unwrap_or_default()
            })
            .collect::<Vec<_>>()
        })
        .into_iter()
        .flatten()
        .collect();
        let mut instances: Nested<Listed<NodeId>> = HashMap::default();
        let mut children: Nested<Listed<Vec<ModuleStep>>> = HashMap::default();
        // Module instances already listed (their instance string): many nodes share one.
        let mut listed: HashSet<String> = HashSet::default();
        for (id, (n, steps)) in nodes.iter().zip(&node_modules).enumerate() {
            if n.deposed.is_some() {
                continue;
            }
            // Keys are copied only for a new entry: most nodes share their module's.
            let by_key = match instances.get_mut(n.module.as_str()) {
                Some(m) => m,
                None => instances.entry(n.module.clone()).or_default(),
            };
            match by_key.get_mut(n.resource_key.as_str()) {
                Some(list) => list.items.push(id),
                None => {
                    by_key.insert(n.resource_key.clone(), Listed::of(id));
                }
            }
            // `n.module` is the instance string of `steps` (both from the address).
            if !steps.is_empty() && !listed.contains(n.module.as_str()) {
                for depth in 0..steps.len() {
                    if !listed.insert(module_instance_string(&steps[..=depth])) {
                        continue;
                    }
                    let parent = module_instance_string(&steps[..depth]);
                    children
                        .entry(parent)
                        .or_default()
                        .entry(steps[depth].name.clone())
                        .or_default()
                        .items
                        .push(steps[..=depth].to_vec());
                }
            }
        }
        Ctx {
            nodes,
            modules,
            resources,
            instances,
            children,
            node_modules,
            root_vars,
        }
    }

    fn resolve_node(&self, id: NodeId, out: &mut dyn Sink) {
        let node = &self.nodes[id];
        let Some(block) = nested_get(&self.resources, &node.module_config, &node.resource_key)
        else {
            return; // Deleted because its block is gone, or a plan without configuration.
        };
        let module = &self.node_modules[id];
        let repetition = Repetition::of_node(node, block.res);
        for leaf in &block.leaves {
            self.follow_refs(id, leaf, module, &repetition, Provenance::Reference, out);
        }
        if let Some(depends_on) = &block.depends_on {
            self.follow_refs(
                id,
                depends_on,
                module,
                &Repetition::None,
                Provenance::DependsOn,
                out,
            );
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn follow_refs(
        &self,
        id: NodeId,
        expr: &Leaf,
        module: &[ModuleStep],
        repetition: &Repetition<'a>,
        provenance: Provenance,
        out: &mut dyn Sink,
    ) {
        let hint = repetition.hint(self, &expr.refs);
        let leaf = &*expr.leaf;
        let node = &self.nodes[id];
        for (r, direct) in expr.significant.iter().zip(&expr.direct) {
            if out.stop(id, &expr.attribute) {
                return;
            }
            let mut found = Found::default();
            // The node's module strings are those of `module`.
            let scope = Scope {
                steps: module,
                inst: &node.module,
                conf: &node.module_config,
            };
            match direct {
                // The first step of a resource reference: nothing was visited yet and the
                // step leads nowhere further, so the cycle bookkeeping of `follow` has
                // nothing to do.
                Some((key, index)) => self.follow_resource(
                    r,
                    scope,
                    key,
                    index.as_ref(),
                    &hint,
                    vec![r.clone()],
                    &mut found,
                ),
                None => self.follow(r, scope, &hint, leaf, vec![r.clone()], 0, &mut found),
            }
            if found.targets.is_empty() && found.failures.is_empty() {
                continue; // a root variable or a constant: nothing to link
            }
            for t in found.targets {
                let prov = if provenance == Provenance::DependsOn {
                    provenance
                } else {
                    t.provenance
                };
                out.edge(id, &expr.attribute, t, prov);
            }
            for (reference, reason) in found.failures {
                out.unresolved(id, &expr.attribute, reference, reason);
            }
        }
    }

    /// Follow one reference in the context of a module instance, once per step: a step seen
    /// before by another path is skipped, one on the current chain is reported as a cycle.
    #[allow(clippy::too_many_arguments)]
    fn follow(
        &self,
        r: &str,
        scope: Scope<'_>,
        hint: &Hint,
        leaf: &str,
        via: Vec<String>,
        depth: usize,
        found: &mut Found,
    ) {
        let hint_index = match hint {
            Hint::None => None,
            Hint::Index(i) => Some(i.clone()),
        };
        let step: Visit = (scope.inst.to_string(), r.to_string(), hint_index);
        if found.chain.contains(&step) {
            // Terraform refuses such a configuration, so this plan was not written by it.
            found.failures.push((
                r.to_string(),
                format!("the references form a cycle ({}); Terraform refuses cyclic configurations, so the plan's configuration did not come from `terraform plan`", via.join(" → ")),
            ));
            return;
        }
        if !found.visited.insert(step.clone()) {
            return;
        }
        found.chain.push(step);
        self.follow_step(r, scope, hint, leaf, via, depth, found);
        found.chain.pop();
    }

    /// One step of [`Ctx::follow`].
    #[allow(clippy::too_many_arguments)]
    fn follow_step(
        &self,
        r: &str,
        scope: Scope<'_>,
        hint: &Hint,
        leaf: &str,
        via: Vec<String>,
        depth: usize,
        found: &mut Found,
    ) {
        if depth > MAX_DEPTH {
            found.failures.push((
                r.to_string(),
                "the reference chain is too deep (a cycle between modules?)".to_string(),
            ));
            return;
        }
        let Some(parsed) = Reference::parse(r) else {
            found.failures.push((
                r.to_string(),
                "the reference string is not well formed".into(),
            ));
            return;
        };
        let (module, minst, mconf) = (scope.steps, scope.inst, scope.conf);
        match parsed {
            Reference::Resource {
                data,
                type_,
                name,
                index,
            } => {
                let key = super::address::resource_key(data, &type_, &name);
                self.follow_resource(r, scope, &key, index.as_ref(), hint, via, found);
            }
            Reference::Var(name) => {
                let Some((last, parent)) = module.split_last() else {
                    return; // a root variable: an input value, not a resource
                };
                let pconf = module_config_string(parent.iter().map(|m| m.name.as_str()));
                let pinst = module_instance_string(parent);
                let pscope = Scope {
                    steps: parent,
                    inst: &pinst,
                    conf: &pconf,
                };
                let Some(call) = self
                    .modules
                    .get(&pconf)
                    .and_then(|m| m.module_calls.get(&last.name))
                else {
                    return;
                };
                let Some(expr) = call.expressions.get(&name) else {
                    return; // not set by the caller: the variable's default
                };
                let mut leaves = Vec::new();
                expression_leaves(expr, &mut Vec::new(), &mut leaves);
                let call_hint = match &last.index {
                    Some(index) => Repetition::Resource {
                        index,
                        for_each: call.for_each_expression.as_ref(),
                    }
                    .hint(self, leaves.iter().flat_map(|(_, r)| r)),
                    None => Hint::None,
                };
                for (_, refs) in leaves {
                    for pr in significant(&refs) {
                        let mut v = via.clone();
                        v.push(pr.clone());
                        let before = found.targets.len();
                        self.follow(pr, pscope, &call_hint, leaf, v, depth + 1, found);
                        for t in &mut found.targets[before..] {
                            if t.provenance == Provenance::Reference {
                                t.provenance = Provenance::ModuleInput;
                            }
                        }
                    }
                }
            }
            Reference::Module {
                name,
                index,
                output,
            } => {
                let Some(call) = self
                    .modules
                    .get(mconf)
                    .and_then(|m| m.module_calls.get(&name))
                else {
                    found.failures.push((
                        r.to_string(),
                        format!("module `{name}` is not called from this module in the plan's configuration"),
                    ));
                    return;
                };
                let Some(listed) =
                    nested_get(&self.children, minst, &name).filter(|l| !l.items.is_empty())
                else {
                    return; // the module has no resource instances: nothing to link
                };
                let kids = &listed.items;
                // Which outputs: the named one; else, an output named like the attribute
                // (`route_table_id = module.vpc[each.key].route_table_id`); else all.
                let (outputs, guessed): (Vec<&String>, bool) = match &output {
                    Some(o) => (
                        call.module
                            .outputs
                            .get_key_value(o)
                            .map(|(k, _)| k)
                            .into_iter()
                            .collect(),
                        false,
                    ),
                    None => match named_like(&call.module.outputs, leaf) {
                        Some(k) => (vec![k], true),
                        None => (call.module.outputs.keys().collect(), true),
                    },
                };
                if let Some(o) = &output {
                    if outputs.is_empty() {
                        found.failures.push((
                            r.to_string(),
                            format!(
                                "module `{name}` has no output `{o}` in the plan's configuration"
                            ),
                        ));
                        return;
                    }
                }
                let mut chosen = Found::default();
                self.pick(
                    Choice {
                        len: kids.len(),
                        id_of: &|p| p,
                        index_of: &|p| kids[p].last().and_then(|s| s.index.as_ref()),
                        by_index: &listed.by_index,
                    },
                    index.as_ref(),
                    hint,
                    via.clone(),
                    &mut chosen,
                    r,
                );
                found.failures.extend(chosen.failures);
                let cconf = module_config_string(
                    module
                        .iter()
                        .map(|m| m.name.as_str())
                        .chain([name.as_str()]),
                );
                for choice in chosen.targets {
                    let child = &kids[choice.node];
                    let cinst = module_instance_string(child);
                    let cscope = Scope {
                        steps: child,
                        inst: &cinst,
                        conf: &cconf,
                    };
                    for o in &outputs {
                        let expr = &call.module.outputs[*o].expression;
                        let mut leaves = Vec::new();
                        expression_leaves(expr, &mut Vec::new(), &mut leaves);
                        // Name the output taken, and say when it was chosen by name only.
                        let step = match (&output, guessed && outputs.len() == 1) {
                            (Some(_), _) => None,
                            (None, true) => Some(format!("output {o} (named like the attribute)")),
                            (None, false) => Some(format!("output {o}")),
                        };
                        for (_, refs) in leaves {
                            for cr in significant(&refs) {
                                let mut v = choice.via.clone();
                                v.extend(step.clone());
                                v.push(cr.clone());
                                let before = found.targets.len();
                                self.follow(cr, cscope, &Hint::None, leaf, v, depth + 1, found);
                                for t in &mut found.targets[before..] {
                                    t.ambiguous |=
                                        choice.ambiguous || (guessed && outputs.len() > 1);
                                    if matches!(
                                        t.provenance,
                                        Provenance::Reference | Provenance::Index
                                    ) {
                                        t.provenance = Provenance::ModuleOutput;
                                    }
                                }
                            }
                        }
                    }
                }
            }
            Reference::Local(name) => found.failures.push((
                r.to_string(),
                format!("`local.{name}` cannot be followed: locals are not in the plan JSON"),
            )),
            Reference::Repetition | Reference::Other => {}
        }
    }

    /// A reference to resource `key` of the module instance of `scope`.
    #[allow(clippy::too_many_arguments)]
    fn follow_resource(
        &self,
        r: &str,
        scope: Scope<'_>,
        key: &str,
        index: Option<&IndexRef>,
        hint: &Hint,
        via: Vec<String>,
        found: &mut Found,
    ) {
        let (mconf, minst) = (scope.conf, scope.inst);
        if nested_get(&self.resources, mconf, key).is_none() {
            let place = if mconf.is_empty() {
                "the root module"
            } else {
                mconf
            };
            found.failures.push((
                r.to_string(),
                format!("`{key}` is not declared in {place} of the plan's configuration"),
            ));
            return;
        }
        let Some(list) = nested_get(&self.instances, minst, key).filter(|l| !l.items.is_empty())
        else {
            // count = 0 or an empty for_each: the reference is followed, and it leads
            // to nothing (typically the unused branch of a conditional).
            return;
        };
        let ids = &list.items;
        self.pick(
            Choice {
                len: ids.len(),
                id_of: &|p| ids[p],
                index_of: &|p| self.nodes[ids[p]].index.as_ref(),
                by_index: &list.by_index,
            },
            index,
            hint,
            via,
            found,
            r,
        );
    }

    /// Choose among instances by an explicit index, a repetition hint, or all (ambiguous).
    #[allow(clippy::too_many_arguments)]
    fn pick(
        &self,
        list: Choice<'_>,
        index: Option<&IndexRef>,
        hint: &Hint,
        via: Vec<String>,
        found: &mut Found,
        r: &str,
    ) {
        let target = |node, provenance, ambiguous| Target {
            node,
            provenance,
            ambiguous,
            via: via.clone(),
        };
        match index {
            Some(IndexRef::Known(ix)) => {
                match list.find(ix) {
                    Some(i) => found.targets.push(target(i, Provenance::Reference, false)),
                    None => found.failures.push((
                        r.to_string(),
                        format!("no instance with index {ix} exists in this plan"),
                    )),
                }
                return;
            }
            Some(IndexRef::Dynamic) | None => {}
        }
        if list.len == 1 && (list.index_of)(0).is_none() {
            found
                .targets
                .push(target((list.id_of)(0), Provenance::Reference, false));
            return;
        }
        if let Hint::Index(h) = hint {
            if let Some(i) = list.find(h) {
                found.targets.push(target(i, Provenance::Index, false));
                return;
            }
        }
        let ambiguous = list.len > 1;
        for p in 0..list.len {
            found
                .targets
                .push(target((list.id_of)(p), Provenance::Reference, ambiguous));
        }
    }
}

/// Instances (or module instances) of one name, in plan order, and where each index is.
#[derive(Default)]
struct Listed<T> {
    items: Vec<T>,
    by_index: ByIndex,
}

impl<T> Listed<T> {
    fn of(item: T) -> Listed<T> {
        Listed {
            items: vec![item],
            by_index: ByIndex::default(),
        }
    }
}

/// Lists up to this long are scanned for an index; longer ones get a map.
const SCAN_MAX: usize = 16;

/// The position of the first item with each index, built on first use for a long list:
/// scanning it for every reference was quadratic in the instances of a `for_each` whose
/// instances name each other by `each.key` (a hub's route per stack naming its peering).
#[derive(Default)]
struct ByIndex(std::sync::OnceLock<HashMap<Index, usize>>);

/// What [`Ctx::pick`] chooses from: `len` items; an item's target (`id_of`: a node, or a
/// position among child modules) and index (`index_of`), by position.
struct Choice<'c> {
    len: usize,
    id_of: &'c dyn Fn(usize) -> usize,
    index_of: &'c dyn Fn(usize) -> Option<&'c Index>,
    by_index: &'c ByIndex,
}

impl Choice<'_> {
    /// The target of the first item with index `ix`.
    fn find(&self, ix: &Index) -> Option<usize> {
        let at = if self.len <= SCAN_MAX {
            (0..self.len).find(|&p| (self.index_of)(p) == Some(ix))
        } else {
            let map = self.by_index.0.get_or_init(|| {
                let mut m: HashMap<Index, usize> = HashMap::default();
                for p in 0..self.len {
                    if let Some(i) = (self.index_of)(p) {
                        m.entry(i.clone()).or_insert(p);
                    }
                }
                m
            });
            map.get(ix).copied()
        };
        at.map(|p| (self.id_of)(p))
    }
}

/// A resource block with its expressions' references, read once for all its instances.
struct Block<'a> {
    res: &'a ConfigResource,
    leaves: Vec<Leaf>,
    depends_on: Option<Leaf>,
}

/// One expression of a block: the attribute it sets and the references it makes.
struct Leaf {
    /// The attribute's path as edges show it.
    attribute: std::sync::Arc<str>,
    /// Its last name (`route_table_id`), to guess which output of a module is meant.
    leaf: String,
    refs: Vec<String>,
    /// The references worth following ([`significant`]).
    significant: Vec<String>,
    /// For each of `significant`: a reference to a resource, parsed once for every instance
    /// of the block (its resource key and index).
    direct: Vec<Option<(String, Option<IndexRef>)>>,
}

impl Block<'_> {
    fn new(res: &ConfigResource) -> Block<'_> {
        let mut leaves = Vec::new();
        for (k, v) in &res.expressions {
            expression_leaves(v, &mut vec![Seg::Key(k.clone())], &mut leaves);
        }
        let leaves = leaves
            .into_iter()
            .map(|(path, refs)| Leaf::new(render(&path), refs))
            .collect();
        let depends_on = (!res.depends_on.is_empty())
            .then(|| Leaf::new("depends_on".to_string(), res.depends_on.clone()));
        Block {
            res,
            leaves,
            depends_on,
        }
    }
}

impl Leaf {
    fn new(attribute: String, refs: Vec<String>) -> Leaf {
        let leaf = attribute
            .rsplit(['.', ']'])
            .next()
            .unwrap_or(&attribute)
            .to_string();
        let significant: Vec<String> = significant(&refs).cloned().collect();
        let direct = significant
            .iter()
            .map(|r| match Reference::parse(r)? {
                Reference::Resource {
                    data,
                    type_,
                    name,
                    index,
                } => Some((super::address::resource_key(data, &type_, &name), index)),
                _ => None,
            })
            .collect();
        Leaf {
            significant,
            direct,
            attribute: attribute.into(),
            leaf,
            refs,
        }
    }
}

/// What the referring instance's own repetition tells about the index it means.
enum Repetition<'a> {
    None,
    /// A resource or module instance: its index, and the for_each expression whose
    /// `each.value` is read (when a reference needs it) if the collection is a constant or a
    /// root variable.
    Resource {
        index: &'a Index,
        for_each: Option<&'a Value>,
    },
}

/// The index a dynamic reference (`aws_x.y[each.key]`, `module.m[count.index]`) most likely means.
enum Hint {
    None,
    Index(Index),
}

impl<'a> Repetition<'a> {
    fn of_node(node: &'a Node, res: &'a ConfigResource) -> Repetition<'a> {
        match &node.index {
            Some(index) => Repetition::Resource {
                index,
                for_each: res.for_each_expression.as_ref(),
            },
            None => Repetition::None,
        }
    }

    /// The one index the expression's repetition references name: `each.key` /
    /// `count.index` give the instance's own index; `each.value` (a string) or
    /// `each.value.ATTR` (Terraform writes `module.vpc[each.value.vpc]` as
    /// `["module.vpc", "each.value.vpc", "each.value"]`) give that value. Several different
    /// candidates, or none, give no hint: the reference then goes to every instance,
    /// marked ambiguous.
    fn hint<'r>(&self, ctx: &Ctx<'a>, refs: impl IntoIterator<Item = &'r String>) -> Hint {
        let Repetition::Resource { index, for_each } = self else {
            return Hint::None;
        };
        // `each.value`, found once and only if a reference reads it.
        let mut each: Option<Option<Cow<'a, Value>>> = None;
        let mut each_value = || {
            each.get_or_insert_with(|| match (index, for_each) {
                (Index::Key(k), Some(e)) => each_value(ctx, e, k),
                _ => None,
            })
            .clone()
        };
        let mut candidates: Vec<Index> = Vec::new();
        let mut add = |i: Index| {
            if !candidates.contains(&i) {
                candidates.push(i);
            }
        };
        for r in refs {
            if r == "each.key" || r == "count.index" {
                add((*index).clone());
            } else if r == "each.value" {
                if let Some(i) = each_value().as_deref().and_then(as_index) {
                    add(i);
                }
            } else if let Some(attr) = r.strip_prefix("each.value.") {
                // Only the first step: `each.value.a.b` names a deeper value.
                let attr = attr.split(['.', '[']).next().unwrap_or(attr);
                if let Some(i) = each_value()
                    .as_deref()
                    .and_then(|v| v.get(attr))
                    .and_then(as_index)
                {
                    add(i);
                }
            }
        }
        match candidates.as_slice() {
            [one] => Hint::Index(one.clone()),
            _ => Hint::None,
        }
    }
}

/// A value usable as an instance key: a string (for_each key) or an integer (count index).
fn as_index(v: &Value) -> Option<Index> {
    match v {
        Value::String(s) => Some(Index::Key(s.clone())),
        Value::Number(n) => n.as_i64().map(Index::Num),
        _ => None,
    }
}

/// `each.value` for key `k` when the for_each collection is a constant or a root variable.
fn each_value<'a>(ctx: &Ctx<'a>, expr: &'a Value, k: &str) -> Option<Cow<'a, Value>> {
    let map = if let Some(c) = expr.get("constant_value") {
        c
    } else {
        let refs = expr.get("references")?.as_array()?;
        let var = refs.iter().find_map(|r| r.as_str()?.strip_prefix("var."))?;
        ctx.root_vars.get(var)?
    };
    match map {
        Value::Object(m) => m.get(k).map(Cow::Borrowed),
        // A set of strings: each.value is the key itself.
        Value::Array(a) => a
            .iter()
            .any(|x| x.as_str() == Some(k))
            .then(|| Cow::Owned(Value::String(k.into()))),
        _ => None,
    }
}

/// The output a reference without an output name most likely meant: the one named like the
/// attribute (`route_table_id`), else the longest whose name ends the attribute's name at a
/// `_` (`peer_vpc_id` → `vpc_id`, `destination_cidr_block` → `cidr_block`).
fn named_like<'o, V>(outputs: &'o BTreeMap<String, V>, leaf: &str) -> Option<&'o String> {
    if let Some((k, _)) = outputs.get_key_value(leaf) {
        return Some(k);
    }
    outputs
        .keys()
        .filter(|o| {
            leaf.len() > o.len()
                && leaf.ends_with(o.as_str())
                && leaf.as_bytes()[leaf.len() - o.len() - 1] == b'_'
        })
        .max_by_key(|o| o.len())
}

/// Drop references that only name the object of another, more specific one in the same
/// list (Terraform ≥ 1.0 lists `aws_vpc.main.id` and then `aws_vpc.main`).
///
/// A binary search in the sorted list finds a longer reference: comparing every pair was
/// quadratic, and one expression with 50,000 references took 37 seconds.
pub(super) fn significant(refs: &[String]) -> impl Iterator<Item = &String> {
    let mut sorted: Vec<&str> = refs.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    // Is there a reference starting with `r` then `sep`? The first one not below `r + sep`
    // (compared without building that string) tells.
    let longer = move |r: &str, sep: u8| {
        let i = sorted.partition_point(|o| below_joined(o, r, sep));
        sorted
            .get(i)
            .is_some_and(|o| o.len() > r.len() && o.starts_with(r) && o.as_bytes()[r.len()] == sep)
    };
    refs.iter()
        .filter(move |r| !longer(r, b'.') && !longer(r, b'['))
}

/// `o < r + sep` (as byte strings), without concatenating.
fn below_joined(o: &str, r: &str, sep: u8) -> bool {
    let (o, r) = (o.as_bytes(), r.as_bytes());
    let n = o.len().min(r.len());
    match o[..n].cmp(&r[..n]) {
        std::cmp::Ordering::Less => return true,
        std::cmp::Ordering::Greater => return false,
        std::cmp::Ordering::Equal => {}
    }
    match o.get(r.len()) {
        // `o` is `r` or a prefix of it: shorter than `r + sep`.
        None => true,
        Some(&c) => c < sep,
    }
}

/// Every expression in a resource's `expressions` tree, with its attribute path and references.
///
/// `{"constant_value": …}` and `{"references": […]}` are expressions; an array is a nested
/// block list; any other object is a nested block or object attribute.
fn expression_leaves(v: &Value, path: &mut Vec<Seg>, out: &mut Vec<(Vec<Seg>, Vec<String>)>) {
    match v {
        Value::Object(m) if m.contains_key("references") || m.contains_key("constant_value") => {
            if let Some(Value::Array(refs)) = m.get("references") {
                let refs: Vec<String> = refs
                    .iter()
                    .filter_map(|r| r.as_str().map(str::to_string))
                    .collect();
                if !refs.is_empty() {
                    out.push((path.clone(), refs));
                }
            }
        }
        Value::Object(m) => {
            for (k, x) in m {
                path.push(Seg::Key(k.clone()));
                expression_leaves(x, path, out);
                path.pop();
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                path.push(Seg::Idx(i));
                expression_leaves(x, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

/// Attributes whose values are labels, not links: a tag equal to a bucket name is no edge.
const NOT_LINKS: [&str; 3] = ["tags", "tags_all", "id"];

/// Join known string values to other nodes' known `id` / `arn` (prior state, literals).
/// Values are scanned as text, without building `Value` trees.
/// An id worth joining on: long enough, and not a value many unrelated attributes share —
/// a region (`eu-west-1`, the id of `data.aws_region`), an account number (the id of
/// `data.aws_caller_identity`), a partition.
fn looks_like_an_id(s: &str) -> bool {
    let region = s.split('-').count() >= 3
        && s.rsplit('-')
            .next()
            .is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()))
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    s.len() >= 6 && !region && !s.chars().all(|c| c.is_ascii_digit())
}

/// Attributes that hold links by name: `*_id`, `*_ids`, `*_arn`, `*_arns`, `id`, `arn`, and
/// the few AWS arguments that take another resource's name or id without saying so.
fn link_attribute(path: &[Seg]) -> bool {
    const BY_NAME: [&str; 10] = [
        "bucket",
        "role",
        "roles",
        "security_groups",
        "subnets",
        "cluster",
        "policy",
        "function_name",
        "repository",
        "peer_network",
    ];
    let Some(leaf) = path.iter().rev().find_map(|s| match s {
        Seg::Key(k) => Some(k.as_str()),
        Seg::Idx(_) => None,
    }) else {
        return false;
    };
    ["_id", "_ids", "_arn", "_arns"]
        .iter()
        .any(|x| leaf.ends_with(x))
        || leaf == "id"
        || leaf == "arn"
        || BY_NAME.contains(&leaf)
        || leaf.ends_with("_network")
}

/// See `value_joins`.
const MAX_ID_HOLDERS: usize = 2;

fn value_joins(nodes: &[Node], out: &mut Out) {
    // Reading every node's id and arn, then scanning its strings, parses its values: done
    // in chunks on every core, the results used in node order as in one pass.
    let held = in_chunks(nodes.len(), |ids| {
        ids.map(|id| nodes[id].values_lazy().id_and_arn())
            .collect::<Vec<_>>()
    });
    let mut ids: HashMap<String, Vec<NodeId>> = HashMap::default();
    for (id, (i, a)) in held.into_iter().flatten().enumerate() {
        for s in [i, a].into_iter().flatten() {
            if looks_like_an_id(&s) {
                let holders = ids.entry(s).or_default();
                if holders.last() != Some(&id) {
                    holders.push(id);
                }
            }
        }
    }
    // An id many nodes hold (every stack looking up the same hosted zone) identifies none
    // of them, and joining on it is quadratic: keep ids held by at most two nodes (a
    // resource and a data source reading the same object).
    ids.retain(|_, holders| holders.len() <= MAX_ID_HOLDERS);
    if ids.is_empty() {
        return;
    }
    // A pair already linked by a reference needs no value edge; `depends_on` says nothing
    // about attributes, so it does not count.
    let linked: HashSet<(NodeId, NodeId)> = out
        .edges
        .iter()
        .filter(|e| e.provenance != Provenance::DependsOn)
        .map(|e| (e.from, e.to))
        .collect();
    // A node's joins: (target, attribute, value shown).
    let joins_of = |from: NodeId| {
        let n = &nodes[from];
        let mut edges = Vec::new();
        if n.deposed.is_some() {
            return edges;
        }
        // Each candidate becomes an edge or is cut short by the edge budget (`Out::edge`).
        // A node's candidates are at most its strings × MAX_ID_HOLDERS.
        let mut joins = Joins {
            ids: &ids,
            linked: &linked,
            from,
            found: Vec::new(),
        };
        n.values_lazy().scan_strings(&mut joins);
        for (path, to, value) in joins.found {
            // `via` shows the joined value, unless either side marks it sensitive.
            let secret = super::values::sensitive_at(n.sensitive(), &path)
                || ["id", "arn"].iter().any(|k| {
                    super::values::marked(nodes[to].sensitive(), &[Seg::Key(k.to_string())])
                });
            let shown = if secret {
                "(sensitive value)".to_string()
            } else {
                value
            };
            edges.push((to, render(&path), shown));
        }
        edges
    };
    // On every core, the joins kept until all are found; more of them than the edge budget
    // (a crafted plan) are not kept: the nodes are then joined in one pass, each node's
    // joins added (or cut short) before the next node's are found.
    let room = out.max_edges.saturating_sub(out.edges.len());
    let recorded = AtomicUsize::new(0);
    let found = in_chunks(nodes.len(), |chunk| {
        let mut edges = Vec::new();
        for from in chunk {
            if recorded.load(Ordering::Relaxed) > room {
                break;
            }
            let joins = joins_of(from);
            recorded.fetch_add(joins.len(), Ordering::Relaxed);
            edges.push((from, joins));
        }
        edges
    });
    let add = |out: &mut Out, from, joins: Vec<(NodeId, String, String)>| {
        for (to, attribute, shown) in joins {
            out.edge(from, to, &attribute, Provenance::Value, false, vec![shown]);
        }
    };
    if recorded.into_inner() <= room {
        for (from, joins) in found.into_iter().flatten() {
            add(out, from, joins);
        }
    } else {
        drop(found);
        for from in 0..nodes.len() {
            add(out, from, joins_of(from));
        }
    }
}

/// The value joins of one node, as its strings are scanned.
struct Joins<'a> {
    ids: &'a HashMap<String, Vec<NodeId>>,
    linked: &'a HashSet<(NodeId, NodeId)>,
    from: NodeId,
    found: Vec<(Vec<Seg>, NodeId, String)>,
}

impl super::lazy::StringSink for Joins<'_> {
    fn string(&mut self, path: &[Seg], s: &str) {
        if path.is_empty()
            || matches!(&path[0], Seg::Key(k) if NOT_LINKS.contains(&k.as_str()) || k == "arn")
            || !link_attribute(path)
        {
            return;
        }
        if let Some(targets) = self.ids.get(s) {
            for &to in targets {
                if to != self.from && !self.linked.contains(&(self.from, to)) {
                    self.found.push((path.to_vec(), to, s.to_string()));
                }
            }
        }
    }

    /// A repeated key: its earlier value does not count (the parsed value keeps the last).
    fn retract(&mut self, path: &[Seg]) {
        self.found.retain(|(p, _, _)| !p.starts_with(path));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A long list finds through its map what a scan finds: the first item with the index,
    /// items without one skipped, nothing for an index absent.
    #[test]
    fn long_lists_find_by_index_as_a_scan_does() {
        for len in [1, SCAN_MAX, SCAN_MAX + 1, 100] {
            // Keys repeat every 7 items; every 5th item has no index; the targets are not
            // the positions.
            let indexes: Vec<Option<Index>> = (0..len)
                .map(|p| (p % 5 != 4).then(|| Index::Key(format!("k{}", p % 7))))
                .collect();
            let listed = Listed {
                items: (0..len).map(|p| 1000 + p).collect(),
                by_index: ByIndex::default(),
            };
            let choice = Choice {
                len,
                id_of: &|p| listed.items[p],
                index_of: &|p| indexes[p].as_ref(),
                by_index: &listed.by_index,
            };
            for k in 0..9 {
                let ix = Index::Key(format!("k{k}"));
                let scanned = (0..len)
                    .find(|&p| indexes[p].as_ref() == Some(&ix))
                    .map(|p| 1000 + p);
                assert_eq!(choice.find(&ix), scanned, "len {len}, k{k}");
            }
            assert_eq!(choice.find(&Index::Num(0)), None);
        }
    }
}
