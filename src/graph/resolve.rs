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
use std::collections::{BTreeMap, HashMap, HashSet};

/// Module calls nest; a reference chain deeper than this is a cycle in practice.
const MAX_DEPTH: usize = 64;

pub fn resolve(
    nodes: &[Node],
    config: &Configuration,
    variables: &BTreeMap<String, Value>,
) -> (Vec<Edge>, Vec<Unresolved>) {
    let ctx = Ctx::new(nodes, config, variables);
    let mut out = Out::default();
    for (id, node) in nodes.iter().enumerate() {
        if node.deposed.is_some() {
            continue;
        }
        ctx.resolve_node(id, &mut out);
    }
    value_joins(nodes, &mut out);
    out.finish()
}

/// A state has no configuration: `depends_on` (config addresses in the same module) and values.
pub fn resolve_state(nodes: &[Node], depends: &[Vec<String>]) -> (Vec<Edge>, Vec<Unresolved>) {
    let mut by_key: HashMap<(String, String), Vec<NodeId>> = HashMap::new();
    for (id, n) in nodes.iter().enumerate() {
        by_key
            .entry((n.module.clone(), n.resource_key.clone()))
            .or_default()
            .push(id);
    }
    let mut out = Out::default();
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

#[derive(Default)]
struct Out {
    edges: Vec<Edge>,
    seen: HashSet<(NodeId, NodeId, String)>,
    unresolved: Vec<Unresolved>,
    unresolved_seen: HashSet<(NodeId, String, String)>,
}

impl Out {
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
        if self.seen.insert((from, to, attribute.to_string())) {
            self.edges.push(Edge {
                from,
                to,
                attribute: attribute.to_string(),
                provenance,
                ambiguous,
                via,
            });
        }
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
}

struct Ctx<'a> {
    nodes: &'a [Node],
    /// Module config path (`module.a.module.b`) → its configuration.
    modules: HashMap<String, &'a ConfigModule>,
    /// (module config path, resource key) → the resource block.
    resources: HashMap<(String, String), &'a ConfigResource>,
    /// (module instance, resource key) → instances.
    instances: HashMap<(String, String), Vec<NodeId>>,
    /// (parent module instance, call name) → the child module instances.
    children: HashMap<(String, String), Vec<Vec<ModuleStep>>>,
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
        let mut modules = HashMap::new();
        let mut resources = HashMap::new();
        let mut stack = vec![(String::new(), &config.root_module)];
        while let Some((path, m)) = stack.pop() {
            for r in &m.resources {
                resources.insert((path.clone(), r.address.clone()), r);
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
        let mut instances: HashMap<(String, String), Vec<NodeId>> = HashMap::new();
        let mut children: HashMap<(String, String), Vec<Vec<ModuleStep>>> = HashMap::new();
        let mut node_modules = Vec::with_capacity(nodes.len());
        for (id, n) in nodes.iter().enumerate() {
            let steps = InstanceAddress::parse(&n.address)
                .map(|a| a.module)
                .unwrap_or_default();
            if n.deposed.is_none() {
                instances
                    .entry((n.module.clone(), n.resource_key.clone()))
                    .or_default()
                    .push(id);
                for depth in 0..steps.len() {
                    let parent = module_instance_string(&steps[..depth]);
                    let list = children
                        .entry((parent, steps[depth].name.clone()))
                        .or_default();
                    let child = steps[..=depth].to_vec();
                    if !list.contains(&child) {
                        list.push(child);
                    }
                }
            }
            node_modules.push(steps);
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

    fn resolve_node(&self, id: NodeId, out: &mut Out) {
        let node = &self.nodes[id];
        let key = (node.module_config.clone(), node.resource_key.clone());
        let Some(res) = self.resources.get(&key) else {
            return; // Deleted because its block is gone, or a plan without configuration.
        };
        let module = &self.node_modules[id];
        let repetition = Repetition::of_node(self, node, res);
        let mut leaves = Vec::new();
        for (k, v) in &res.expressions {
            expression_leaves(v, &mut vec![Seg::Key(k.clone())], &mut leaves);
        }
        for (path, refs) in leaves {
            let attribute = render(&path);
            self.follow_refs(
                id,
                &attribute,
                &refs,
                module,
                &repetition,
                Provenance::Reference,
                out,
            );
        }
        if !res.depends_on.is_empty() {
            self.follow_refs(
                id,
                "depends_on",
                &res.depends_on,
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
        attribute: &str,
        refs: &[String],
        module: &[ModuleStep],
        repetition: &Repetition,
        provenance: Provenance,
        out: &mut Out,
    ) {
        let hint = repetition.hint(refs);
        let leaf = attribute
            .rsplit(['.', ']'])
            .next()
            .unwrap_or(attribute)
            .to_string();
        for r in significant(refs) {
            let mut found = Found::default();
            self.follow(r, module, &hint, &leaf, vec![r.clone()], 0, &mut found);
            if found.targets.is_empty() && found.failures.is_empty() {
                continue; // a root variable or a constant: nothing to link
            }
            for t in found.targets {
                let prov = if provenance == Provenance::DependsOn {
                    provenance
                } else {
                    t.provenance
                };
                out.edge(id, t.node, attribute, prov, t.ambiguous, t.via);
            }
            for (reference, reason) in found.failures {
                out.unresolved(id, attribute, &reference, reason);
            }
        }
    }

    /// Follow one reference in the context of a module instance.
    #[allow(clippy::too_many_arguments)]
    fn follow(
        &self,
        r: &str,
        module: &[ModuleStep],
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
        let minst = module_instance_string(module);
        let mconf = module_config_string(module.iter().map(|m| m.name.as_str()));
        match parsed {
            Reference::Resource {
                data,
                type_,
                name,
                index,
            } => {
                let key = super::address::resource_key(data, &type_, &name);
                if !self.resources.contains_key(&(mconf.clone(), key.clone())) {
                    let place = if mconf.is_empty() {
                        "the root module".to_string()
                    } else {
                        mconf.clone()
                    };
                    found.failures.push((
                        r.to_string(),
                        format!("`{key}` is not declared in {place} of the plan's configuration"),
                    ));
                    return;
                }
                let list = self
                    .instances
                    .get(&(minst.clone(), key.clone()))
                    .map(Vec::as_slice)
                    .unwrap_or(&[]);
                if list.is_empty() {
                    // count = 0 or an empty for_each: the reference is followed, and it leads
                    // to nothing (typically the unused branch of a conditional).
                    return;
                }
                self.pick(
                    list,
                    index.as_ref(),
                    hint,
                    via,
                    found,
                    |id| self.nodes[id].index.as_ref(),
                    r,
                );
            }
            Reference::Var(name) => {
                let Some((last, parent)) = module.split_last() else {
                    return; // a root variable: an input value, not a resource
                };
                let pconf = module_config_string(parent.iter().map(|m| m.name.as_str()));
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
                    Some(i) => Repetition::Module(i.clone()).hint(
                        &leaves
                            .iter()
                            .flat_map(|(_, r)| r.clone())
                            .collect::<Vec<_>>(),
                    ),
                    None => Hint::None,
                };
                for (_, refs) in leaves {
                    for pr in significant(&refs) {
                        let mut v = via.clone();
                        v.push(pr.clone());
                        let before = found.targets.len();
                        self.follow(pr, parent, &call_hint, leaf, v, depth + 1, found);
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
                    .get(&mconf)
                    .and_then(|m| m.module_calls.get(&name))
                else {
                    found.failures.push((
                        r.to_string(),
                        format!("module `{name}` is not called from this module in the plan's configuration"),
                    ));
                    return;
                };
                let kids = self
                    .children
                    .get(&(minst.clone(), name.clone()))
                    .cloned()
                    .unwrap_or_default();
                if kids.is_empty() {
                    return; // the module has no resource instances: nothing to link
                }
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
                    None => match call.module.outputs.get_key_value(leaf) {
                        Some((k, _)) => (vec![k], true),
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
                let ids: Vec<usize> = (0..kids.len()).collect();
                self.pick(
                    &ids,
                    index.as_ref(),
                    hint,
                    via.clone(),
                    &mut chosen,
                    |i| kids[i].last().and_then(|s| s.index.as_ref()),
                    r,
                );
                found.failures.extend(chosen.failures);
                for choice in chosen.targets {
                    let child = &kids[choice.node];
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
                                self.follow(cr, child, &Hint::None, leaf, v, depth + 1, found);
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

    /// Choose among instances by an explicit index, a repetition hint, or all (ambiguous).
    #[allow(clippy::too_many_arguments)]
    fn pick<'i>(
        &self,
        list: &[usize],
        index: Option<&IndexRef>,
        hint: &Hint,
        via: Vec<String>,
        found: &mut Found,
        index_of: impl Fn(usize) -> Option<&'i Index>,
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
                match list.iter().find(|&&i| index_of(i) == Some(ix)) {
                    Some(&i) => found.targets.push(target(i, Provenance::Reference, false)),
                    None => found.failures.push((
                        r.to_string(),
                        format!("no instance with index {ix} exists in this plan"),
                    )),
                }
                return;
            }
            Some(IndexRef::Dynamic) | None => {}
        }
        if list.len() == 1 && index_of(list[0]).is_none() {
            found
                .targets
                .push(target(list[0], Provenance::Reference, false));
            return;
        }
        if let Hint::Index(h) = hint {
            if let Some(&i) = list.iter().find(|&&i| index_of(i) == Some(h)) {
                found.targets.push(target(i, Provenance::Index, false));
                return;
            }
        }
        let ambiguous = list.len() > 1;
        for &i in list {
            found
                .targets
                .push(target(i, Provenance::Reference, ambiguous));
        }
    }
}

/// What the referring instance's own repetition tells about the index it means.
enum Repetition {
    None,
    /// A resource instance: its index, and `each.value` when the for_each map is known.
    Resource {
        index: Index,
        each_value: Option<Index>,
    },
    /// A module instance (for references in a module call's arguments).
    Module(Index),
}

/// The index a dynamic reference (`aws_x.y[each.key]`, `module.m[count.index]`) most likely means.
enum Hint {
    None,
    Index(Index),
}

impl Repetition {
    fn of_node(ctx: &Ctx<'_>, node: &Node, res: &ConfigResource) -> Repetition {
        let Some(index) = node.index.clone() else {
            return Repetition::None;
        };
        let each_value = match (&index, &res.for_each_expression) {
            (Index::Key(k), Some(expr)) => each_value(ctx, expr, k),
            _ => None,
        };
        Repetition::Resource { index, each_value }
    }

    fn hint(&self, refs: &[String]) -> Hint {
        let has = |s: &str| {
            refs.iter().any(|r| {
                r == s || r.starts_with(&format!("{s}.")) || r.starts_with(&format!("{s}["))
            })
        };
        let by_key = has("each.key") || has("count.index");
        let by_value = has("each.value");
        match self {
            Repetition::None => Hint::None,
            Repetition::Module(i) if by_key && !by_value => Hint::Index(i.clone()),
            Repetition::Module(_) => Hint::None,
            Repetition::Resource { index, each_value } => match (by_key, by_value) {
                (true, false) => Hint::Index(index.clone()),
                (false, true) => match each_value {
                    Some(v) => Hint::Index(v.clone()),
                    None => Hint::None,
                },
                _ => Hint::None,
            },
        }
    }
}

/// `each.value` for key `k` when the for_each map is a constant or a root variable.
fn each_value(ctx: &Ctx<'_>, expr: &Value, k: &str) -> Option<Index> {
    let map = if let Some(c) = expr.get("constant_value") {
        c
    } else {
        let refs = expr.get("references")?.as_array()?;
        let var = refs.iter().find_map(|r| r.as_str()?.strip_prefix("var."))?;
        ctx.root_vars.get(var)?
    };
    match map.get(k)? {
        Value::String(s) => Some(Index::Key(s.clone())),
        _ => None,
    }
}

/// Drop references that only name the object of another, more specific one in the same
/// list (Terraform ≥ 1.0 lists `aws_vpc.main.id` and then `aws_vpc.main`).
fn significant(refs: &[String]) -> impl Iterator<Item = &String> {
    refs.iter().filter(move |r| {
        !refs.iter().any(|o| {
            o.len() > r.len()
                && o.starts_with(r.as_str())
                && matches!(o.as_bytes()[r.len()], b'.' | b'[')
        })
    })
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
fn value_joins(nodes: &[Node], out: &mut Out) {
    let mut ids: HashMap<String, Vec<NodeId>> = HashMap::new();
    for (id, n) in nodes.iter().enumerate() {
        let v = n.values_lazy();
        for key in ["id", "arn"] {
            if let Some(s) = v.top_string(key) {
                if s.len() >= 6 {
                    ids.entry(s).or_default().push(id);
                }
            }
        }
    }
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
    for (from, n) in nodes.iter().enumerate() {
        if n.deposed.is_some() {
            continue;
        }
        let mut found: Vec<(String, NodeId, String)> = Vec::new();
        n.values_lazy().scan_strings(&mut |path, s| {
            if path.is_empty()
                || matches!(&path[0], Seg::Key(k) if NOT_LINKS.contains(&k.as_str()) || k == "arn")
            {
                return;
            }
            if let Some(targets) = ids.get(s) {
                for &to in targets {
                    if to != from && !linked.contains(&(from, to)) {
                        found.push((render(path), to, s.to_string()));
                    }
                }
            }
        });
        for (attribute, to, value) in found {
            out.edge(from, to, &attribute, Provenance::Value, false, vec![value]);
        }
    }
}
