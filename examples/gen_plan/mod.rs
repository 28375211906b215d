//! Generator of realistic Terraform 1.x plans (`terraform show -json`, format 1.2) of any
//! size, written as a stream: many VPC stacks in `module.stack["sN"]` (for_each) and
//! `module.edge[N]` (count), each with subnets, route tables and associations, security
//! groups, a KMS key, buckets, a secret, sometimes a database, data sources read while
//! planning, and a nested module; peerings and routes between the stacks and a hub, some
//! one-sided, some through existing peerings known only by their literal id.
//!
//! Shared by `examples/gen-plan.rs` (the command) and `benches/pipeline.rs`.

mod config;
mod instances;
mod json;
mod model;
mod values;

use instances::{edge_count, StackInsts};
use json::JsonOut;
use model::{Act, Call, Inst, Stack, AZS, DB_PASSWORD, ENVIRONMENT, PROVIDER, REGION};
use serde_json::{json, Value};
use std::io::{self, Write};

/// What to generate.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Number of `module.stack` instances; the plan grows linearly with it.
    pub stacks: usize,
    /// Seed of every random choice: the same options give the same bytes.
    pub seed: u64,
}

/// What was generated.
#[derive(Clone, Copy, Debug, Default)]
pub struct Stats {
    pub bytes: u64,
    /// Resource instances (managed and data), as nodes of the plan's graph.
    pub instances: u64,
    pub stacks: usize,
}

struct Gen {
    opts: Options,
    hub: Stack,
    central_logs_arn: String,
}

impl Gen {
    fn new(opts: Options) -> Gen {
        let hub = Stack::new(opts.seed, Call::Hub, 0);
        let central_logs_arn = values::bucket_arn(&hub, "central-logs");
        Gen {
            opts,
            hub,
            central_logs_arn,
        }
    }

    fn stacks(&self) -> impl Iterator<Item = Stack> + '_ {
        (0..self.opts.stacks).map(|n| Stack::new(self.opts.seed, Call::Stack, n))
    }

    fn edges(&self) -> impl Iterator<Item = Stack> + '_ {
        (0..edge_count(self.opts.stacks)).map(|n| Stack::new(self.opts.seed, Call::Edge, n))
    }

    /// Root-module instances, one group at a time.
    fn for_each_root(&self, f: &mut dyn FnMut(&Inst) -> io::Result<()>) -> io::Result<()> {
        for i in instances::hub(&self.hub) {
            f(&i)?;
        }
        for s in self.stacks() {
            for i in instances::root_of_stack(&self.hub, &s, self.opts.stacks) {
                f(&i)?;
            }
        }
        for e in self.edges() {
            f(&instances::root_of_edge(&self.hub, &e))?;
        }
        Ok(())
    }

    /// Module instances, one stack at a time.
    fn for_each_module(&self, f: &mut dyn FnMut(&StackInsts) -> io::Result<()>) -> io::Result<()> {
        for s in self.stacks().chain(self.edges()) {
            f(&instances::stack(&s, &self.central_logs_arn))?;
        }
        Ok(())
    }
}

/// Write a plan; returns the writer and what was written.
pub fn write_plan<W: Write>(opts: Options, w: W) -> io::Result<(W, Stats)> {
    let g = Gen::new(opts);
    let mut j = JsonOut::new(w);
    let mut stats = Stats {
        stacks: opts.stacks,
        ..Stats::default()
    };
    j.begin_object()?;
    j.field("format_version", "1.2")?;
    j.field("terraform_version", "1.11.4")?;
    write_variables(&mut j, &g)?;
    let drift = write_state_values(&mut j, &g, "planned_values", Section::Planned)?;
    j.array_field("resource_drift")?;
    for d in &drift {
        j.value(d)?;
    }
    j.end_array()?;
    stats.instances = write_changes(&mut j, &g)?;
    write_output_changes(&mut j, &g)?;
    j.object_field("prior_state")?;
    j.field("format_version", "1.0")?;
    j.field("terraform_version", "1.11.4")?;
    write_state_values(&mut j, &g, "values", Section::Prior)?;
    j.end_object()?;
    config::write(&mut j, opts.seed, opts.stacks)?;
    j.array_field("relevant_attributes")?;
    j.value(&json!({"resource": "aws_vpc.hub", "attribute": ["cidr_block"]}))?;
    for d in &drift {
        j.value(&json!({"resource": d["address"], "attribute": ["tags"]}))?;
    }
    j.end_array()?;
    let minute = opts.seed % 60;
    j.field("timestamp", &format!("2026-01-15T09:{minute:02}:00Z"))?;
    j.field("applyable", &true)?;
    j.field("complete", &true)?;
    j.field("errored", &false)?;
    j.end_object()?;
    stats.bytes = j.bytes();
    Ok((j.finish()?, stats))
}

/// The number of stacks whose plan is closest to `target` bytes. The size is linear in the
/// number of stacks: two probes give the slope; small plans, where the stacks' own variety
/// shows, are then corrected with a few exact measurements (cheap at that size).
pub fn stacks_for_bytes(target: u64, seed: u64) -> io::Result<usize> {
    let probe = |stacks: usize| -> io::Result<f64> {
        let (_, st) = write_plan(Options { stacks, seed }, io::sink())?;
        Ok(st.bytes as f64)
    };
    let target = target as f64;
    let (n1, n2) = (50.0, 250.0);
    let (b1, b2) = (probe(n1 as usize)?, probe(n2 as usize)?);
    let per_stack = (b2 - b1) / (n2 - n1);
    let fixed = b1 - per_stack * n1;
    let mut n = ((target - fixed) / per_stack).round().max(1.0) as usize;
    for _ in 0..4 {
        if n > 400 {
            break;
        }
        let step = ((target - probe(n)?) / per_stack).round() as i64;
        if step == 0 {
            break;
        }
        n = (n as i64 + step).max(1) as usize;
    }
    Ok(n)
}

fn write_variables<W: Write>(j: &mut JsonOut<W>, g: &Gen) -> io::Result<()> {
    j.object_field("variables")?;
    j.field("azs", &json!({"value": AZS}))?;
    j.field("db_password", &json!({"value": DB_PASSWORD}))?;
    let edges: Vec<Stack> = g.edges().collect();
    j.field("edge_count", &json!({"value": edges.len()}))?;
    let cidrs: Vec<String> = edges.iter().map(Stack::cidr).collect();
    j.field("edge_cidrs", &json!({"value": cidrs}))?;
    j.field("environment", &json!({"value": ENVIRONMENT}))?;
    j.object_field("legacy_peerings")?;
    j.object_field("value")?;
    for s in g.stacks().filter(|s| s.legacy) {
        j.field(&s.key, &s.legacy_pcx())?;
    }
    j.end_object()?;
    j.end_object()?;
    j.field("region", &json!({"value": REGION}))?;
    j.object_field("stacks")?;
    j.object_field("value")?;
    for s in g.stacks() {
        let legacy = s.legacy && !s.legacy_delete;
        j.field(
            &s.key,
            &json!({
                "cidr": s.cidr(),
                "db_class": s.db_class,
                "legacy_cidr": if legacy { s.legacy_cidr() } else { String::new() },
                "legacy_pcx": if legacy { s.legacy_pcx() } else { String::new() },
                "return_route": s.return_route,
                "with_db": s.with_db,
            }),
        )?;
    }
    j.end_object()?;
    j.end_object()?;
    j.end_object()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    Planned,
    Prior,
}

/// One resource as `planned_values` / `prior_state` hold it.
fn state_resource<W: Write>(j: &mut JsonOut<W>, i: &Inst, section: Section) -> io::Result<()> {
    j.begin_object()?;
    j.field("address", &i.address())?;
    j.field("mode", if i.data { "data" } else { "managed" })?;
    j.field("type", i.type_)?;
    j.field("name", &i.name)?;
    if let Some(ix) = &i.index {
        j.field("index", &ix.json())?;
    }
    j.field("provider_name", PROVIDER)?;
    j.field("schema_version", &i.schema_version)?;
    let (values, sensitive) = match section {
        Section::Planned => (&i.after, &i.after_sensitive),
        Section::Prior => (i.prior_values(), &i.before_sensitive),
    };
    j.field("values", values)?;
    j.field("sensitive_values", sensitive)?;
    if section == Section::Prior && !i.depends_on.is_empty() {
        let deps: Vec<String> = i
            .depends_on
            .iter()
            .map(|d| {
                if i.module_config.is_empty() {
                    (*d).to_string()
                } else {
                    format!("{}.{d}", i.module_config)
                }
            })
            .collect();
        j.field("depends_on", &deps)?;
    }
    j.end_object()
}

fn included(i: &Inst, section: Section) -> bool {
    match section {
        Section::Planned => i.in_planned(),
        Section::Prior => i.in_prior(),
    }
}

/// `planned_values` or `prior_state.values`: outputs, root resources, child modules. Returns
/// the `resource_drift` entries met on the way (planned values only).
fn write_state_values<W: Write>(
    j: &mut JsonOut<W>,
    g: &Gen,
    key: &str,
    section: Section,
) -> io::Result<Vec<Value>> {
    let mut drift = Vec::new();
    j.object_field(key)?;
    write_outputs(j, g, section)?;
    j.object_field("root_module")?;
    j.array_field("resources")?;
    g.for_each_root(&mut |i| {
        if included(i, section) {
            state_resource(j, i, section)?;
        }
        Ok(())
    })?;
    j.end_array()?;
    j.array_field("child_modules")?;
    g.for_each_module(&mut |st| {
        j.begin_object()?;
        j.array_field("resources")?;
        for i in st.own.iter().filter(|i| included(i, section)) {
            state_resource(j, i, section)?;
            if section == Section::Planned && i.act == Act::Update && i.name.len() % 3 == 1 {
                drift.push(drift_entry(i));
            }
        }
        j.end_array()?;
        j.field("address", &st.module)?;
        let nested: Vec<&Inst> = st.nested.iter().filter(|i| included(i, section)).collect();
        if !nested.is_empty() {
            j.array_field("child_modules")?;
            j.begin_object()?;
            j.array_field("resources")?;
            for i in nested {
                state_resource(j, i, section)?;
            }
            j.end_array()?;
            j.field("address", &st.nested_module)?;
            j.end_object()?;
            j.end_array()?;
        }
        j.end_object()
    })?;
    j.end_array()?;
    j.end_object()?;
    j.end_object()?;
    Ok(drift)
}

/// A change made outside Terraform, found while refreshing: someone edited the tags.
fn drift_entry(i: &Inst) -> Value {
    let mut before = i.before.clone();
    if let Some(Value::Object(t)) = before.get_mut("tags") {
        t.insert("Owner".into(), Value::from("console-edit"));
    }
    let mut e = change_entry(i);
    e["change"] = json!({
        "actions": ["update"],
        "before": before,
        "after": i.before,
        "after_unknown": {},
        "before_sensitive": i.before_sensitive,
        "after_sensitive": i.before_sensitive,
    });
    e
}

/// The identifying part of a `resource_changes` entry.
fn change_entry(i: &Inst) -> Value {
    let mut e = serde_json::Map::new();
    e.insert("address".into(), Value::from(i.address()));
    if !i.module.is_empty() {
        e.insert("module_address".into(), Value::from(i.module.as_str()));
    }
    e.insert(
        "mode".into(),
        Value::from(if i.data { "data" } else { "managed" }),
    );
    e.insert("type".into(), Value::from(i.type_));
    e.insert("name".into(), Value::from(i.name.as_str()));
    if let Some(ix) = &i.index {
        e.insert("index".into(), ix.json());
    }
    if let Some(p) = &i.previous_address {
        e.insert("previous_address".into(), Value::from(p.as_str()));
    }
    e.insert("provider_name".into(), Value::from(PROVIDER));
    Value::Object(e)
}

fn write_change<W: Write>(j: &mut JsonOut<W>, i: &Inst) -> io::Result<()> {
    let mut e = change_entry(i);
    let mut change = json!({
        "actions": i.actions(),
        "before": i.before,
        "after": i.after,
        "after_unknown": i.after_unknown,
        "before_sensitive": i.before_sensitive,
        "after_sensitive": i.after_sensitive,
    });
    if let Some(p) = &i.replace_paths {
        change["replace_paths"] = p.clone();
    }
    e["change"] = change;
    if let Some(r) = i.reason {
        e["action_reason"] = Value::from(r);
    }
    j.value(&e)
}

/// `resource_changes`; returns the number of instances in the plan.
fn write_changes<W: Write>(j: &mut JsonOut<W>, g: &Gen) -> io::Result<u64> {
    let mut count = 0u64;
    j.array_field("resource_changes")?;
    g.for_each_root(&mut |i| {
        count += 1;
        if i.in_changes() {
            write_change(j, i)?;
        }
        Ok(())
    })?;
    g.for_each_module(&mut |st| {
        for i in st.own.iter().chain(&st.nested) {
            count += 1;
            if i.in_changes() {
                write_change(j, i)?;
            }
        }
        Ok(())
    })?;
    j.end_array()?;
    Ok(count)
}

/// The `stack_vpc_ids` output: known ids of existing stacks, or the unknown markers of new ones.
fn write_vpc_ids<W: Write>(
    j: &mut JsonOut<W>,
    g: &Gen,
    key: &str,
    unknown: bool,
) -> io::Result<()> {
    j.object_field(key)?;
    for s in g.stacks().filter(|s| s.existing != unknown) {
        if unknown {
            j.field(&s.key, &true)?;
        } else {
            j.field(&s.key, &values::vpc_id(&s))?;
        }
    }
    j.end_object()
}

fn write_outputs<W: Write>(j: &mut JsonOut<W>, g: &Gen, section: Section) -> io::Result<()> {
    let all_known = g.stacks().all(|s| s.existing);
    j.object_field("outputs")?;
    j.field(
        "db_password",
        &json!({"sensitive": true, "type": "string", "value": DB_PASSWORD}),
    )?;
    j.field(
        "hub_vpc_id",
        &json!({"sensitive": false, "type": "string", "value": values::vpc_id(&g.hub)}),
    )?;
    j.object_field("stack_vpc_ids")?;
    j.field("sensitive", &false)?;
    if section == Section::Prior || all_known {
        j.field("type", &json!(["map", "string"]))?;
        write_vpc_ids(j, g, "value", false)?;
    }
    j.end_object()?;
    j.end_object()
}

fn write_output_changes<W: Write>(j: &mut JsonOut<W>, g: &Gen) -> io::Result<()> {
    j.object_field("output_changes")?;
    j.field(
        "db_password",
        &json!({"actions": ["no-op"], "before": DB_PASSWORD, "after": DB_PASSWORD,
            "after_unknown": false, "before_sensitive": true, "after_sensitive": true}),
    )?;
    let hub = values::vpc_id(&g.hub);
    j.field(
        "hub_vpc_id",
        &json!({"actions": ["no-op"], "before": hub, "after": hub,
            "after_unknown": false, "before_sensitive": false, "after_sensitive": false}),
    )?;
    j.object_field("stack_vpc_ids")?;
    let all_known = g.stacks().all(|s| s.existing);
    j.field("actions", &[if all_known { "no-op" } else { "update" }])?;
    write_vpc_ids(j, g, "before", false)?;
    write_vpc_ids(j, g, "after", false)?;
    write_vpc_ids(j, g, "after_unknown", true)?;
    j.field("before_sensitive", &false)?;
    j.field("after_sensitive", &false)?;
    j.end_object()?;
    j.end_object()
}
