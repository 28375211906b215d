//! Redaction as a property: whatever Terraform marks sensitive never appears in anything
//! plangate prints — every `check` format (table with `-v`, JSON, SARIF, JUnit, Markdown,
//! GitHub annotations), `graph` in every format, `prerequisites` (text and JSON) and
//! `explain` — wherever the marker sits: on an attribute, a map entry, a nested block, one
//! element of a list, or an ancestor of any of them; before and after a change (create,
//! update, no-op, replace, delete); in a data source read at plan time (`prior_state`) or at
//! apply (`read`); in sensitive outputs and sensitive root variables; in test and in prod.
//!
//! The plans are generated in the shape `terraform show -json` writes (format 1.2, Terraform
//! 1.11.4): resources of the types the built-in packs select, each secret a distinct random
//! string (`S3CR3T` + 20 random letters and digits) at a place a rule reads and prints in its
//! message (names, identifiers, instance classes and types, tag values, an RDS endpoint, the
//! filter of a looked-up VPC), plus random nested attributes that only `explain` shows; each
//! secret is marked sensitive at a random depth of its path in `after_sensitive` /
//! `before_sensitive` and in the `sensitive_values` of `planned_values` and `prior_state`.
//! A leak is any `S3CR3T` in any output, so a secret cut short in a table cell counts too.
//!
//! The same plan with no markers shows every secret that a report or `explain` can show
//! (`unmarked_secrets_are_printed`): the property can fail, and each place is really read.
//!
//! It found four leaks (the cost estimate's descriptions, prerequisites marked below a
//! looked-up attribute, the `via` of a value edge, the environment from a sensitive tag or
//! variable); all are fixed, and each keeps a test with the smallest plan that showed it.

#![allow(clippy::print_stderr)]

mod common;

use proptest::prelude::*;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Every secret starts with this; nothing else in a generated plan contains it.
const MARK: &str = "S3CR3T";

/// Cases of the property; `PROPTEST_CASES` overrides. Each runs plangate about ten times.
const CASES: u32 = 16;

// ---------------------------------------------------------------------------------------------
// Paths and marker trees

#[derive(Debug, Clone, PartialEq)]
enum Seg {
    K(String),
    I(usize),
}

/// `"cluster_config.0.instance_type"` → key, index, key.
fn path(p: &str) -> Vec<Seg> {
    p.split('.')
        .map(|s| match s.parse::<usize>() {
            Ok(i) => Seg::I(i),
            Err(_) => Seg::K(s.to_string()),
        })
        .collect()
}

/// Set the value at `segs`, creating objects and lists (padded with nulls) on the way.
fn set(root: &mut Value, segs: &[Seg], v: Value) {
    let mut cur = root;
    for s in segs {
        cur = match s {
            Seg::K(k) => {
                if !cur.is_object() {
                    *cur = Value::Object(Map::new());
                }
                cur.as_object_mut()
                    .expect("object")
                    .entry(k.clone())
                    .or_insert(Value::Null)
            }
            Seg::I(i) => {
                if !cur.is_array() {
                    *cur = Value::Array(Vec::new());
                }
                let a = cur.as_array_mut().expect("array");
                while a.len() <= *i {
                    a.push(Value::Null);
                }
                &mut a[*i]
            }
        };
    }
    *cur = v;
}

/// The marker tree Terraform writes for `values` with nothing sensitive: objects keep their
/// nested containers (`"tags": {}`), lists one entry per element (`false` for a scalar).
fn skeleton(v: &Value) -> Value {
    let nested = |x: &Value| x.is_object() || x.is_array();
    match v {
        Value::Object(o) => Value::Object(
            o.iter()
                .filter(|(_, x)| nested(x))
                .map(|(k, x)| (k.clone(), skeleton(x)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(
            a.iter()
                .map(|x| {
                    if nested(x) {
                        skeleton(x)
                    } else {
                        Value::Bool(false)
                    }
                })
                .collect(),
        ),
        _ => Value::Bool(false),
    }
}

/// `true` at `segs` in a marker tree (nothing to do under an ancestor already `true`).
fn mark(m: &mut Value, segs: &[Seg]) {
    let mut cur = m;
    for s in segs {
        if *cur == Value::Bool(true) {
            return;
        }
        cur = match s {
            Seg::K(k) => {
                if !cur.is_object() {
                    *cur = Value::Object(Map::new());
                }
                cur.as_object_mut()
                    .expect("object")
                    .entry(k.clone())
                    .or_insert(Value::Bool(false))
            }
            Seg::I(i) => {
                if !cur.is_array() {
                    *cur = Value::Array(Vec::new());
                }
                let a = cur.as_array_mut().expect("array");
                while a.len() <= *i {
                    a.push(Value::Bool(false));
                }
                &mut a[*i]
            }
        };
    }
    *cur = Value::Bool(true);
}

fn markers(values: &Value, marks: &[Vec<Seg>]) -> Value {
    let mut m = skeleton(values);
    for p in marks {
        mark(&mut m, p);
    }
    m
}

// ---------------------------------------------------------------------------------------------
// What the generator chooses

#[derive(Debug, Clone, Copy, PartialEq)]
enum Action {
    Create,
    Update,
    NoOp,
    Replace,
    Delete,
    /// A data source read while planning: only in `prior_state`.
    ReadNow,
    /// A data source read during apply: a `read` change.
    ReadLater,
}

impl Action {
    /// The object exists before the change (known id, a `prior_state` entry).
    fn before(self) -> bool {
        matches!(
            self,
            Action::Update | Action::NoOp | Action::Replace | Action::Delete | Action::ReadNow
        )
    }

    /// The object exists after the change.
    fn after(self) -> bool {
        !matches!(self, Action::Delete)
    }

    /// Its id is known after the change.
    fn id_known_after(self) -> bool {
        matches!(self, Action::Update | Action::NoOp | Action::ReadNow)
    }

    fn actions(self) -> Vec<&'static str> {
        match self {
            Action::Create => vec!["create"],
            Action::Update => vec!["update"],
            Action::NoOp => vec!["no-op"],
            Action::Replace => vec!["delete", "create"],
            Action::Delete => vec!["delete"],
            Action::ReadNow | Action::ReadLater => vec!["read"],
        }
    }
}

/// The choices for one kind of resource.
#[derive(Debug, Clone)]
struct KindChoice {
    include: bool,
    /// Index into the kind's actions (the first is the one whose rules print the most).
    action: usize,
    /// Marker depths, used in turn by the secrets of the kind: `d % len + 1` segments of the
    /// secret's path are marked (0: the top-level attribute, the coarsest marker).
    depths: Vec<usize>,
    /// A random nested attribute holding one more secret (only `explain` shows it).
    extra: Option<Vec<Seg>>,
    /// Run `plangate explain` on the kind's resources.
    explain: bool,
}

/// Where plangate finds the plan's environment.
#[derive(Debug, Clone, Copy, PartialEq)]
enum EnvFrom {
    /// The root variable `environment`: `test` or `prod`.
    Variable,
    /// A sensitive `environment` variable (a secret), which the `Environment` tags repeat,
    /// marked.
    SensitiveVariable,
    /// No variable: the `Environment` tag of the resources, a secret, marked.
    SensitiveTag,
}

#[derive(Debug, Clone)]
struct Params {
    /// The random part of the secrets.
    seed: u64,
    prod: bool,
    env_from: EnvFrom,
    kinds: Vec<KindChoice>,
}

/// How many kinds `generate` knows (resources, data sources, outputs).
const KINDS: usize = 12;

fn extra_path() -> impl Strategy<Value = Vec<Seg>> {
    (
        "[a-z]{3,8}",
        prop::collection::vec(
            prop_oneof!["[a-z]{1,6}".prop_map(Seg::K), (0usize..3).prop_map(Seg::I)],
            0..4,
        ),
    )
        .prop_map(|(first, rest)| {
            let mut v = vec![Seg::K(format!("x_{first}"))];
            v.extend(rest);
            v
        })
}

fn kind_choice() -> impl Strategy<Value = KindChoice> {
    (
        prop::bool::weighted(0.8),
        0usize..5,
        prop::collection::vec(0usize..6, 8),
        prop::option::weighted(0.5, extra_path()),
        prop::bool::weighted(0.3),
    )
        .prop_map(|(include, action, depths, extra, explain)| KindChoice {
            include,
            action,
            depths,
            extra,
            explain,
        })
}

fn params() -> impl Strategy<Value = Params> {
    (
        any::<u64>(),
        any::<bool>(),
        prop_oneof![
            4 => Just(EnvFrom::Variable),
            1 => Just(EnvFrom::SensitiveVariable),
            1 => Just(EnvFrom::SensitiveTag),
        ],
        prop::collection::vec(kind_choice(), KINDS),
    )
        .prop_map(|(seed, prod, env_from, kinds)| Params {
            seed,
            prod,
            env_from,
            kinds,
        })
}

/// Every kind, with the action whose rules print the most, a nested extra, explained; in a
/// test environment (where most rules that print values run).
fn everything() -> Params {
    Params {
        seed: 0x5eed_1234_abcd_0007,
        prod: false,
        env_from: EnvFrom::Variable,
        kinds: (0..KINDS)
            .map(|i| KindChoice {
                include: true,
                action: 0,
                depths: vec![i % 3, (i + 1) % 4, (i + 2) % 5, 0, 1, 2, 3, 4],
                extra: Some(vec![
                    Seg::K(format!("x_extra{i}")),
                    Seg::I(1),
                    Seg::K("inner".into()),
                ]),
                explain: true,
            })
            .collect(),
    }
}

// ---------------------------------------------------------------------------------------------
// The generated plan

/// Where a secret can be seen when it is *not* marked sensitive.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Shown {
    /// A `check` report (a finding's message or evidence, the cost estimate, the
    /// prerequisites section) prints it.
    Report,
    /// Only `explain` (which prints every value) shows it.
    Explain,
    /// Nothing prints it even unmarked: a secret-named attribute (`password`, `auth_token`),
    /// an output, a root variable.
    Never,
}

#[derive(Debug, Clone)]
struct Slot {
    secret: String,
    what: String,
    shown: Shown,
}

/// One resource instance (or data source) of the plan.
struct Res {
    mode: &'static str,
    type_: &'static str,
    name: &'static str,
    action: Action,
    values: Value,
    /// Attributes known only after the change (`after_unknown`), for creates and replaces.
    unknown: Vec<&'static str>,
    /// The id of an existing object (not a secret).
    id: Option<Value>,
    /// Paths marked sensitive (a secret's path cut at its random depth, or always-sensitive
    /// attributes such as `secret_string`).
    marks: Vec<Vec<Seg>>,
    /// Top-level attributes that hold a secret: their configuration is a reference to a
    /// sensitive variable, as when the secret comes from one.
    from_secret: BTreeSet<String>,
    replace_paths: Option<Value>,
    action_reason: Option<&'static str>,
    explain: bool,
}

impl Res {
    fn new(type_: &'static str, name: &'static str, action: Action, values: Value) -> Res {
        Res {
            mode: if matches!(action, Action::ReadNow | Action::ReadLater) {
                "data"
            } else {
                "managed"
            },
            type_,
            name,
            action,
            values,
            unknown: vec!["id", "arn"],
            id: None,
            marks: Vec::new(),
            from_secret: BTreeSet::new(),
            replace_paths: None,
            action_reason: None,
            explain: false,
        }
    }

    fn address(&self) -> String {
        if self.mode == "data" {
            format!("data.{}.{}", self.type_, self.name)
        } else {
            format!("{}.{}", self.type_, self.name)
        }
    }
}

struct Gen<'a> {
    rng: u64,
    /// False: write no markers at all (the sanity check that the property can fail).
    marked: bool,
    slots: Vec<Slot>,
    choice: &'a KindChoice,
    next_depth: usize,
}

impl Gen<'_> {
    fn next(&mut self) -> u64 {
        // splitmix64
        self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A new secret: `S3CR3T` and 20 random letters and digits.
    fn secret(&mut self, what: &str, shown: Shown) -> String {
        const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let mut s = String::from(MARK);
        for _ in 0..20 {
            s.push(ALNUM[(self.next() % ALNUM.len() as u64) as usize] as char);
        }
        self.slots.push(Slot {
            secret: s.clone(),
            what: what.to_string(),
            shown,
        });
        s
    }

    /// Put `v` (which holds a secret) at `p` in `r` and mark it at the next random depth.
    fn put(&mut self, r: &mut Res, p: &str, v: Value) {
        let segs = path(p);
        self.put_at(r, segs, v);
    }

    fn put_at(&mut self, r: &mut Res, segs: Vec<Seg>, v: Value) {
        set(&mut r.values, &segs, v);
        if let Some(Seg::K(top)) = segs.first() {
            r.from_secret.insert(top.clone());
        }
        if self.marked {
            let d = self.choice.depths[self.next_depth % self.choice.depths.len()];
            self.next_depth += 1;
            let depth = d % segs.len() + 1;
            r.marks.push(segs[..depth].to_vec());
        }
    }

    /// The kind's random nested attribute, if it has one.
    fn extra(&mut self, r: &mut Res) {
        if let Some(segs) = self.choice.extra.clone() {
            let s = self.secret(&format!("{} nested attribute", r.address()), Shown::Explain);
            self.put_at(r, segs, json!(s));
        }
    }

    fn action(&self, actions: &[Action]) -> Action {
        actions[self.choice.action % actions.len()]
    }
}

fn tags(env: &str, name: &str) -> Value {
    json!({"Environment": env, "Name": name})
}

/// Attach `tags` and `tags_all` (without Project/Owner/ManagedBy: missing-required-tags
/// fails and prints `tags_all`).
fn tagged(mut v: Value, env: &str, name: &str) -> Value {
    v["tags"] = tags(env, name);
    v["tags_all"] = tags(env, name);
    v
}

/// The resources of one kind.
fn kind(i: usize, g: &mut Gen<'_>, env: &str) -> Vec<Res> {
    use Action::*;
    match i {
        0 => {
            let action = g.action(&[Create, Update, NoOp, Replace, Delete]);
            let mut r = Res::new(
                "aws_db_instance",
                "main",
                action,
                tagged(
                    json!({
                        "allocated_storage": 20, "engine": "postgres", "engine_version": "16.3",
                        "storage_type": "gp3", "multi_az": false, "skip_final_snapshot": false,
                        "deletion_protection": true, "publicly_accessible": false,
                        "storage_encrypted": true, "monitoring_interval": 0,
                        "performance_insights_enabled": false, "replicate_source_db": null,
                        "iops": null, "max_allocated_storage": null,
                    }),
                    env,
                    "app-db",
                ),
            );
            r.id = Some(json!("db-7QHGT2CX4VNSOM3ZL5YJKAPEBQ"));
            r.unknown = vec!["id", "arn", "address", "endpoint", "resource_id"];
            // name-without-environment-suffix prints it
            let s = g.secret("aws_db_instance identifier", Shown::Report);
            g.put(&mut r, "identifier", json!(s));
            // oversized-database-class and the cost estimate print it
            let s = g.secret("aws_db_instance instance_class", Shown::Report);
            g.put(&mut r, "instance_class", json!(s));
            // database-final-snapshot-kept-in-ephemeral-env prints it
            let s = g.secret("aws_db_instance final_snapshot_identifier", Shown::Report);
            g.put(&mut r, "final_snapshot_identifier", json!(s));
            let s = g.secret("aws_db_instance username", Shown::Explain);
            g.put(&mut r, "username", json!(s));
            let s = g.secret("aws_db_instance password", Shown::Never);
            g.put(&mut r, "password", json!(s));
            // missing-required-tags prints tags_all
            let s = g.secret("aws_db_instance tag Name", Shown::Report);
            g.put(&mut r, "tags.Name", json!(s));
            g.put(&mut r, "tags_all.Name", json!(s));
            g.extra(&mut r);
            vec![r]
        }
        1 => {
            // A bucket and its public access block, which names it by its id (a value join when
            // the bucket exists, and the configuration has no reference to follow).
            let action = g.action(&[Update, Create, NoOp, Delete]);
            let mut r = Res::new(
                "aws_s3_bucket",
                "logs",
                action,
                tagged(json!({"force_destroy": false}), env, "logs"),
            );
            r.unknown = vec!["id", "arn", "bucket_domain_name"];
            // name-without-environment-suffix prints it
            let s = g.secret("aws_s3_bucket bucket", Shown::Report);
            g.put(&mut r, "bucket", json!(s));
            if action.id_known_after() || action == Delete {
                g.put(&mut r, "id", json!(s));
                g.put(&mut r, "arn", json!(format!("arn:aws:s3:::{s}")));
            }
            g.extra(&mut r);
            let mut pab = Res::new(
                "aws_s3_bucket_public_access_block",
                "logs",
                Create,
                json!({"block_public_acls": true, "block_public_policy": true,
                       "ignore_public_acls": true, "restrict_public_buckets": true}),
            );
            pab.unknown = vec!["id"];
            g.put(&mut pab, "bucket", json!(s));
            if action == Delete {
                vec![r]
            } else {
                vec![r, pab]
            }
        }
        2 => {
            let action = g.action(&[Create, Update, Replace]);
            let mut r = Res::new(
                "aws_cloudwatch_log_group",
                "app",
                action,
                tagged(
                    json!({"skip_destroy": true, "retention_in_days": 7, "kms_key_id": null,
                           "log_group_class": "STANDARD"}),
                    env,
                    "app-logs",
                ),
            );
            r.id = Some(json!("app-log-group"));
            // log-group-skip-destroy-in-ephemeral-env and name-without-environment-suffix
            let s = g.secret("aws_cloudwatch_log_group name", Shown::Report);
            g.put(&mut r, "name", json!(s));
            g.extra(&mut r);
            vec![r]
        }
        3 => {
            let action = g.action(&[Create, Update]);
            let mut r = Res::new(
                "aws_route53_health_check",
                "db",
                action,
                json!({"type": "HTTPS", "port": 443, "resource_path": "/health",
                       "failure_threshold": 3, "request_interval": 30}),
            );
            r.id = Some(json!("a1b2c3d4-5678-90ab-cdef-1234567890ab"));
            // health-check-on-rds-endpoint prints it
            let s = g.secret("aws_route53_health_check fqdn", Shown::Report);
            g.put(
                &mut r,
                "fqdn",
                json!(format!("{s}.eu-west-1.rds.amazonaws.com")),
            );
            g.extra(&mut r);
            vec![r]
        }
        4 => {
            let action = g.action(&[Replace, Create, Update]);
            let mut r = Res::new(
                "aws_security_group",
                "db",
                action,
                tagged(
                    json!({
                        "vpc_id": "vpc-0a1b2c3d4e5f60718", "egress": [],
                        "revoke_rules_on_delete": false,
                        "ingress": [{
                            "cidr_blocks": ["0.0.0.0/0"], "from_port": 5432, "to_port": 5432,
                            "protocol": "tcp", "ipv6_cidr_blocks": [], "prefix_list_ids": [],
                            "security_groups": [], "self": false,
                        }],
                    }),
                    env,
                    "db",
                ),
            );
            r.id = Some(json!("sg-0123456789abcdef0"));
            r.unknown = vec!["id", "arn", "owner_id"];
            if action == Replace {
                r.replace_paths = Some(json!([["name"]]));
                r.action_reason = Some("replace_because_cannot_update");
            }
            // security-group-fixed-name-replaced and name-without-environment-suffix
            let s = g.secret("aws_security_group name", Shown::Report);
            g.put(&mut r, "name", json!(s));
            let s = g.secret("aws_security_group description", Shown::Explain);
            g.put(&mut r, "description", json!(s));
            let s = g.secret("aws_security_group ingress[0].description", Shown::Report);
            g.put(&mut r, "ingress.0.description", json!(s));
            g.extra(&mut r);
            vec![r]
        }
        5 => {
            let action = g.action(&[Create, Update, NoOp]);
            let mut r = Res::new(
                "aws_instance",
                "runner",
                action,
                tagged(
                    json!({"ami": "ami-0123456789abcdef0", "disable_api_termination": true,
                           "subnet_id": "subnet-0123456789abcdef0"}),
                    env,
                    "runner",
                ),
            );
            r.id = Some(json!("i-0123456789abcdef0"));
            r.unknown = vec!["id", "arn", "private_ip", "public_ip"];
            // oversized-instance-type and the cost estimate print it
            let s = g.secret("aws_instance instance_type", Shown::Report);
            g.put(&mut r, "instance_type", json!(s));
            let s = g.secret("aws_instance user_data", Shown::Explain);
            g.put(&mut r, "user_data", json!(s));
            g.extra(&mut r);
            vec![r]
        }
        6 => {
            let action = g.action(&[Create, Update]);
            let mut r = Res::new(
                "aws_eks_node_group",
                "ci",
                action,
                tagged(
                    json!({"cluster_name": "ci", "capacity_type": "ON_DEMAND",
                           "scaling_config": [{"desired_size": 1, "max_size": 2, "min_size": 1}]}),
                    env,
                    "ci-nodes",
                ),
            );
            r.id = Some(json!("ci:ci-nodes"));
            // oversized-node-group and the cost estimate print it
            let s = g.secret("aws_eks_node_group instance_types[0]", Shown::Report);
            g.put(&mut r, "instance_types.0", json!(s));
            let s = g.secret("aws_eks_node_group node_group_name", Shown::Explain);
            g.put(&mut r, "node_group_name", json!(s));
            g.extra(&mut r);
            vec![r]
        }
        7 => {
            let action = g.action(&[Create, Update]);
            let mut r = Res::new(
                "aws_opensearch_domain",
                "search",
                action,
                tagged(
                    json!({
                        "engine_version": "OpenSearch_2.13",
                        "cluster_config": [{"instance_count": 1, "dedicated_master_enabled": false,
                                            "warm_enabled": false, "zone_awareness_enabled": false}],
                        "ebs_options": [{"ebs_enabled": true, "volume_size": 10}],
                    }),
                    env,
                    "search",
                ),
            );
            r.id = Some(json!("arn:aws:es:eu-west-1:111122223333:domain/search"));
            r.unknown = vec!["id", "arn", "endpoint", "domain_id"];
            // name-without-environment-suffix prints it
            let s = g.secret("aws_opensearch_domain domain_name", Shown::Report);
            g.put(&mut r, "domain_name", json!(s));
            // oversized-search-domain and the cost estimate print it
            let s = g.secret(
                "aws_opensearch_domain cluster_config[0].instance_type",
                Shown::Report,
            );
            g.put(&mut r, "cluster_config.0.instance_type", json!(s));
            g.extra(&mut r);
            vec![r]
        }
        8 => {
            let action = g.action(&[Create, Update]);
            let mut r = Res::new(
                "aws_elasticache_replication_group",
                "cache",
                action,
                tagged(
                    json!({"description": "cache", "num_cache_clusters": 1, "engine": "redis",
                           "transit_encryption_enabled": true}),
                    env,
                    "cache",
                ),
            );
            r.id = Some(json!("cache-rg"));
            r.unknown = vec!["id", "arn", "primary_endpoint_address"];
            // name-without-environment-suffix prints it
            let s = g.secret(
                "aws_elasticache_replication_group replication_group_id",
                Shown::Report,
            );
            g.put(&mut r, "replication_group_id", json!(s));
            // oversized-cache-node and the cost estimate print it
            let s = g.secret("aws_elasticache_replication_group node_type", Shown::Report);
            g.put(&mut r, "node_type", json!(s));
            let s = g.secret("aws_elasticache_replication_group auth_token", Shown::Never);
            g.put(&mut r, "auth_token", json!(s));
            g.extra(&mut r);
            vec![r]
        }
        9 => {
            // A VPC looked up while planning: the prerequisites inventory and
            // external.infrastructure-lookup print what it looked up.
            let mut r = Res::new(
                "aws_vpc",
                "shared",
                Action::ReadNow,
                json!({"id": "vpc-0fedcba9876543210", "cidr_block": "10.20.0.0/16",
                       "state": "available", "default": false,
                       "arn": "arn:aws:ec2:eu-west-1:111122223333:vpc/vpc-0fedcba9876543210",
                       "filter": [{"name": "tag:Name"}]}),
            );
            let s = g.secret("data.aws_vpc tags.Name", Shown::Report);
            g.put(&mut r, "tags.Name", json!(s));
            let s = g.secret("data.aws_vpc filter[0].values[0]", Shown::Report);
            g.put(&mut r, "filter.0.values.0", json!(s));
            g.extra(&mut r);
            vec![r]
        }
        10 => {
            // A secret read during apply.
            let mut r = Res::new(
                "aws_secretsmanager_secret_version",
                "db",
                Action::ReadLater,
                json!({"version_stage": "AWSCURRENT"}),
            );
            r.unknown = vec![
                "arn",
                "id",
                "secret_string",
                "secret_binary",
                "version_id",
                "created_date",
            ];
            r.marks.push(path("secret_string"));
            r.marks.push(path("secret_binary"));
            r.action_reason = Some("read_because_config_unknown");
            let s = g.secret(
                "data.aws_secretsmanager_secret_version secret_id",
                Shown::Report,
            );
            g.put(&mut r, "secret_id", json!(s));
            vec![r]
        }
        _ => Vec::new(), // 11: the outputs, written by `generate`
    }
}

struct Case {
    plan: Value,
    slots: Vec<Slot>,
    /// Addresses to run `explain` on.
    explain: Vec<String>,
}

fn generate(p: &Params, marked: bool) -> Case {
    let fixed = KindChoice {
        include: true,
        action: 0,
        depths: vec![0],
        extra: None,
        explain: false,
    };
    let env_from = p.env_from;
    let mut g = Gen {
        rng: p.seed,
        marked,
        slots: Vec::new(),
        choice: &fixed,
        next_depth: 0,
    };
    let env_secret = match env_from {
        EnvFrom::Variable => None,
        EnvFrom::SensitiveVariable => {
            Some(g.secret("variable environment (sensitive)", Shown::Report))
        }
        EnvFrom::SensitiveTag => Some(g.secret("tag Environment (sensitive)", Shown::Report)),
    };
    let env = env_secret
        .clone()
        .unwrap_or_else(|| if p.prod { "prod" } else { "test" }.to_string());
    let env = env.as_str();
    let mut rng = g.next();
    let mut slots = g.slots;
    let mut resources: Vec<Res> = Vec::new();
    let mut outputs = false;
    for (i, choice) in p.kinds.iter().enumerate() {
        if !choice.include {
            continue;
        }
        let mut g = Gen {
            rng,
            marked,
            slots: Vec::new(),
            choice,
            next_depth: 0,
        };
        if i == KINDS - 1 {
            outputs = true;
        }
        for mut r in kind(i, &mut g, env) {
            r.explain = choice.explain;
            if let Some(s) = &env_secret {
                if r.values.get("tags").is_some() {
                    g.put(&mut r, "tags.Environment", json!(s));
                    g.put(&mut r, "tags_all.Environment", json!(s));
                }
            }
            resources.push(r);
        }
        rng = g.next();
        slots.extend(g.slots);
    }
    let mut g = Gen {
        rng,
        marked,
        slots: Vec::new(),
        choice: &fixed,
        next_depth: 0,
    };
    let db_password = g.secret("variable db_password (sensitive)", Shown::Never);
    let secret_input = g.secret("variable secret_input (sensitive)", Shown::Never);
    let (out_password, out_host) = if outputs {
        (
            Some(g.secret("output db_password (sensitive)", Shown::Never)),
            Some(g.secret("output connection.host (sensitive)", Shown::Never)),
        )
    } else {
        (None, None)
    };
    slots.extend(g.slots);

    let mut changes = Vec::new();
    let mut planned = Vec::new();
    let mut prior = Vec::new();
    let mut config = Vec::new();
    let mut explain = Vec::new();
    for r in &resources {
        let address = r.address();
        if r.explain {
            explain.push(address.clone());
        }
        let m = markers(&r.values, &r.marks);
        let mut before = r.values.clone();
        if let Some(id) = &r.id {
            before["id"] = id.clone();
        }
        let mut after = r.values.clone();
        if r.action.id_known_after() {
            if let Some(id) = &r.id {
                after["id"] = id.clone();
            }
        }
        let unknown: Map<String, Value> = if r.action.id_known_after() {
            Map::new()
        } else {
            r.unknown
                .iter()
                .map(|k| (k.to_string(), Value::Bool(true)))
                .collect()
        };
        let instance = |values: &Value| {
            json!({
                "address": address, "mode": r.mode, "type": r.type_, "name": r.name,
                "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0,
                "values": values, "sensitive_values": m,
            })
        };
        if r.action != Action::ReadNow {
            let mut change = json!({
                "actions": r.action.actions(),
                "before": if r.action.before() { before.clone() } else { Value::Null },
                "after": if r.action.after() { after.clone() } else { Value::Null },
                "after_unknown": if r.action.after() { Value::Object(unknown) } else { json!(false) },
                "before_sensitive": if r.action.before() { m.clone() } else { json!(false) },
                "after_sensitive": if r.action.after() { m.clone() } else { json!(false) },
            });
            if let Some(rp) = &r.replace_paths {
                change["replace_paths"] = rp.clone();
            }
            let mut rc = json!({
                "address": address, "mode": r.mode, "type": r.type_, "name": r.name,
                "provider_name": "registry.terraform.io/hashicorp/aws", "change": change,
            });
            if let Some(reason) = r.action_reason {
                rc["action_reason"] = json!(reason);
            }
            if r.action == Action::Delete {
                rc["action_reason"] = json!("delete_because_no_resource_config");
            }
            changes.push(rc);
        }
        if r.action.after() && r.action != Action::ReadNow {
            planned.push(instance(&after));
        }
        if r.action.before() {
            prior.push(instance(&before));
        }
        if r.action != Action::Delete {
            let mut exprs = Map::new();
            for (k, v) in r.values.as_object().expect("object") {
                if r.from_secret.contains(k) {
                    exprs.insert(k.clone(), json!({"references": ["var.secret_input"]}));
                } else if !v.is_array()
                    || v.as_array()
                        .is_some_and(|a| a.iter().all(|x| !x.is_object()))
                {
                    exprs.insert(k.clone(), json!({"constant_value": v}));
                }
            }
            config.push(json!({
                "address": address, "mode": r.mode, "type": r.type_, "name": r.name,
                "provider_config_key": "aws", "expressions": exprs, "schema_version": 0,
            }));
        }
    }

    let mut output_changes = Map::new();
    let mut planned_outputs = Map::new();
    let mut config_outputs = Map::new();
    if let (Some(pw), Some(host)) = (&out_password, &out_host) {
        let conn = json!({"host": host, "port": 5432});
        for (name, v, ty) in [
            ("db_password", json!(pw), json!("string")),
            (
                "connection",
                conn,
                json!(["object", {"host": "string", "port": "number"}]),
            ),
        ] {
            output_changes.insert(
                name.into(),
                json!({"actions": ["create"], "before": null, "after": v, "after_unknown": false,
                       "before_sensitive": false, "after_sensitive": true}),
            );
            planned_outputs.insert(
                name.into(),
                json!({"sensitive": true, "type": ty, "value": v}),
            );
            config_outputs.insert(
                name.into(),
                json!({"expression": {"references": ["var.db_password"]}, "sensitive": true}),
            );
        }
    }

    let mut variables = json!({
        "environment_suffix": {"value": "pr-7"},
        "db_password": {"value": db_password},
        "secret_input": {"value": secret_input},
    });
    let mut config_variables = json!({
        "environment_suffix": {"description": "Suffix of this deployment's names"},
        "db_password": {"description": "Database password", "sensitive": true},
        "secret_input": {"description": "Where the secrets come from", "sensitive": true},
    });
    if env_from != EnvFrom::SensitiveTag {
        variables["environment"] = json!({"value": env});
        config_variables["environment"] = json!({
            "description": "Deployment environment name",
            "sensitive": env_from == EnvFrom::SensitiveVariable,
        });
    }
    let plan = json!({
        "format_version": "1.2",
        "terraform_version": "1.11.4",
        "variables": variables,
        "planned_values": {"outputs": planned_outputs, "root_module": {"resources": planned}},
        "resource_changes": changes,
        "output_changes": output_changes,
        "prior_state": {
            "format_version": "1.0",
            "terraform_version": "1.11.4",
            "values": {"outputs": {}, "root_module": {"resources": prior}},
        },
        "configuration": {
            "provider_config": {"aws": {
                "name": "aws", "full_name": "registry.terraform.io/hashicorp/aws",
                "expressions": {"region": {"constant_value": "eu-west-1"}},
            }},
            "root_module": {
                "outputs": config_outputs,
                "resources": config,
                "variables": config_variables,
            },
        },
        "timestamp": "2026-11-23T12:00:00Z",
        "applyable": true,
        "complete": true,
        "errored": false,
    });
    Case {
        plan,
        slots,
        explain,
    }
}

// ---------------------------------------------------------------------------------------------
// Running plangate and looking for secrets

/// One thing plangate printed: `check --format json` (file), `graph --format dot` (stdout), …
struct Output {
    name: String,
    text: String,
}

const REPORTS: [(&str, &str); 6] = [
    ("table", "report.txt"),
    ("json", "report.json"),
    ("sarif", "report.sarif"),
    ("junit", "report.xml"),
    ("markdown", "report.md"),
    ("github", "report.github"),
];

fn case_dir() -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("redaction_props")
        .join(format!("{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("case directory");
    dir
}

/// Write the plan into `dir` and run every command that prints values on it, two at a time;
/// every output, with the report files `check` wrote.
fn run_all(case: &Case, dir: &Path) -> Vec<Output> {
    let plan = dir.join("plan.json");
    std::fs::write(&plan, serde_json::to_vec_pretty(&case.plan).expect("json")).expect("plan");
    let plan = plan.display().to_string();
    let mut jobs: Vec<(String, Vec<String>)> = Vec::new();
    let mut check = vec!["check", "-v", "--fail-on", "never"]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>();
    for (format, file) in REPORTS {
        check.extend([
            "--format".into(),
            format.into(),
            "--output".into(),
            dir.join(file).display().to_string(),
        ]);
    }
    check.push(plan.clone());
    jobs.push(("check".into(), check));
    for format in ["summary", "dot", "mermaid", "json"] {
        jobs.push((
            format!("graph --format {format}"),
            vec![
                "graph".into(),
                "--format".into(),
                format.into(),
                plan.clone(),
            ],
        ));
    }
    jobs.push((
        "prerequisites".into(),
        vec!["prerequisites".into(), plan.clone()],
    ));
    jobs.push((
        "prerequisites --json".into(),
        vec!["prerequisites".into(), "--json".into(), plan.clone()],
    ));
    for a in &case.explain {
        jobs.push((
            format!("explain {a}"),
            vec!["explain".into(), plan.clone(), a.clone()],
        ));
    }

    let next = AtomicUsize::new(0);
    let results = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((name, args)) = jobs.get(i) else {
                    break;
                };
                let out = common::plangate()
                    .args(args)
                    .output()
                    .expect("run plangate");
                results
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push((name.clone(), out));
            });
        }
    });
    let mut outputs = Vec::new();
    for (name, out) in results.into_inner().unwrap_or_else(|e| e.into_inner()) {
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        // A refused plan would make the property vacuous: every command must succeed.
        assert_eq!(
            out.status.code(),
            Some(0),
            "`plangate {name}` on {plan} failed:\n{stderr}"
        );
        outputs.push(Output {
            name: format!("{name} (stdout)"),
            text: stdout,
        });
        outputs.push(Output {
            name: format!("{name} (stderr)"),
            text: stderr,
        });
    }
    for (format, file) in REPORTS {
        let text = std::fs::read_to_string(dir.join(file))
            .unwrap_or_else(|e| panic!("check --format {format} wrote no {file}: {e}"));
        outputs.push(Output {
            name: format!("check --format {format} (file)"),
            text,
        });
    }
    outputs
}

/// Every place an output shows a secret (or a piece of one: anything with `S3CR3T`), by
/// (output, secret), with the text around the first occurrence.
fn leaks(outputs: &[Output], slots: &[Slot]) -> BTreeMap<(String, String), String> {
    let mark = MARK.to_ascii_lowercase();
    let mut found = BTreeMap::new();
    for o in outputs {
        let lower = o.text.to_ascii_lowercase();
        let mut from = 0;
        while let Some(at) = lower[from..].find(&mark).map(|i| i + from) {
            from = at + mark.len();
            let rest = &o.text[at..];
            // The secret it starts with (a piece of one: the longest common prefix wins).
            let common = |s: &Slot| {
                s.secret
                    .bytes()
                    .zip(rest.bytes())
                    .take_while(|(a, b)| a.eq_ignore_ascii_case(b))
                    .count()
            };
            let what = slots
                .iter()
                .max_by_key(|s| common(s))
                .filter(|s| common(s) >= MARK.len() + 4)
                .map_or_else(|| "a piece of a secret".into(), |s| s.what.clone());
            let start = o.text[..at]
                .char_indices()
                .rev()
                .nth(60)
                .map_or(0, |(i, _)| i);
            let end = o.text[at..]
                .char_indices()
                .nth(80)
                .map_or(o.text.len(), |(i, _)| at + i);
            found
                .entry((o.name.clone(), what))
                .or_insert_with(|| o.text[start..end].replace('\n', "⏎"));
        }
    }
    found
}

/// Generate the plan, run everything on it, and fail with every leak (the case directory,
/// with the plan and the report files, is kept then and removed otherwise).
fn check_case(p: &Params) -> Result<(), String> {
    let case = generate(p, true);
    let dir = case_dir();
    let outputs = run_all(&case, &dir);
    let found = leaks(&outputs, &case.slots);
    if found.is_empty() {
        let _ = std::fs::remove_dir_all(&dir);
        return Ok(());
    }
    Err(format!(
        "sensitive values printed (plan and reports kept in {}):\n{}",
        dir.display(),
        found
            .iter()
            .map(|((output, what), context)| format!("  {output}: {what}\n      …{context}…"))
            .collect::<Vec<_>>()
            .join("\n")
    ))
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(CASES),
        // Each case runs plangate about ten times: shrink a little, and keep no regression
        // file in the source tree (a failure prints where its plan is kept).
        max_shrink_iters: 48,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn sensitive_values_are_never_printed(p in params()) {
        if let Err(e) = check_case(&p) {
            return Err(TestCaseError::fail(e));
        }
    }
}

/// The detector works: with no markers at all, each secret a report can show is shown by a
/// `check` report, each one `explain` can show is shown by `explain`, and the ones nothing
/// shows (secret-named attributes, outputs, variables) are still not shown.
#[test]
fn unmarked_secrets_are_printed() {
    let case = generate(&everything(), false);
    let dir = case_dir();
    let outputs = run_all(&case, &dir);
    let mut wrong = Vec::new();
    for slot in &case.slots {
        let seen: Vec<&str> = outputs
            .iter()
            .filter(|o| o.text.contains(&slot.secret))
            .map(|o| o.name.as_str())
            .collect();
        let ok = match slot.shown {
            Shown::Report => seen.iter().any(|n| n.starts_with("check ")),
            Shown::Explain => seen.iter().any(|n| n.starts_with("explain ")),
            Shown::Never => seen.is_empty(),
        };
        if !ok {
            wrong.push(format!(
                "  {} ({:?}): seen in {seen:?}",
                slot.what, slot.shown
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "unmarked secrets not shown where expected (plan in {}):\n{}",
        dir.display(),
        wrong.join("\n")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Only the given kinds, each with (action index, marker depth), explained.
fn only(kinds: &[(usize, usize, usize)]) -> Params {
    let mut p = everything();
    for (i, k) in p.kinds.iter_mut().enumerate() {
        k.extra = None;
        k.include = false;
        if let Some(&(_, action, depth)) = kinds.iter().find(|c| c.0 == i) {
            k.include = true;
            k.action = action;
            k.depths = vec![depth];
        }
    }
    p
}

#[test]
fn no_sensitive_class_in_the_cost_estimate() {
    // aws_db_instance, aws_instance, aws_eks_node_group, aws_opensearch_domain and
    // aws_elasticache_replication_group, created, each secret marked on its top-level attribute.
    let p = only(&[(0, 0, 0), (5, 0, 0), (6, 0, 0), (7, 0, 0), (8, 0, 0)]);
    if let Err(e) = check_case(&p) {
        panic!("{e}");
    }
}

#[test]
fn prerequisites_mask_what_is_marked_below_a_looked_up_attribute() {
    // data.aws_vpc.shared read while planning, with sensitive_values
    // {"tags": {"Name": true}, "filter": [true]}.
    let p = only(&[(9, 0, 1)]);
    if let Err(e) = check_case(&p) {
        panic!("{e}");
    }
}

#[test]
fn no_leak_in_value_join_via() {
    // An existing aws_s3_bucket (update) whose bucket, id and arn are sensitive, and a new
    // aws_s3_bucket_public_access_block whose sensitive `bucket` equals that id.
    let p = only(&[(1, 0, 0)]);
    if let Err(e) = check_case(&p) {
        panic!("{e}");
    }
}

#[test]
fn no_environment_from_a_sensitive_value() {
    // A bucket, its `Environment` tags a secret marked sensitive: once with no `environment`
    // variable (found from the tag), once from a root variable declared sensitive.
    let errors: Vec<String> = [EnvFrom::SensitiveTag, EnvFrom::SensitiveVariable]
        .into_iter()
        .filter_map(|env_from| {
            let mut p = only(&[(1, 1, 1)]);
            p.env_from = env_from;
            check_case(&p).err().map(|e| format!("{env_from:?}: {e}"))
        })
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}
