//! What the generated plan is made of: deterministic randomness, the stacks and their shape,
//! and resource instances with every marker tree Terraform writes for a change.
//!
//! Every random choice is a pure function of (seed, stack, salt), so the sections written in
//! separate passes (`resource_changes`, `planned_values`, `prior_state`, `configuration`)
//! agree without keeping anything in memory.

use serde_json::{Map, Value};

pub const PROVIDER: &str = "registry.terraform.io/hashicorp/aws";
pub const ACCOUNT: &str = "111122223333";
pub const REGION: &str = "eu-west-1";
pub const ENVIRONMENT: &str = "test";
pub const AZS: [&str; 3] = ["eu-west-1a", "eu-west-1b", "eu-west-1c"];
pub const DB_PASSWORD: &str = "generated-not-a-secret-7f3a";
pub const DB_CLASSES: [&str; 3] = ["db.t4g.medium", "db.r6g.large", "db.m6i.xlarge"];

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A 64-bit hash of (seed, uid, salt).
pub fn hash(seed: u64, uid: u64, salt: &str) -> u64 {
    let mut x = splitmix(seed ^ splitmix(uid));
    for b in salt.bytes() {
        x = (x ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3);
    }
    splitmix(x)
}

/// An IPv4 address as dotted text.
pub fn ip(a: u32) -> String {
    format!(
        "{}.{}.{}.{}",
        a >> 24,
        (a >> 16) & 255,
        (a >> 8) & 255,
        a & 255
    )
}

/// Where a stack lives: `module.stack["s3"]` (for_each) or `module.edge[0]` (count).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Call {
    Stack,
    Edge,
    /// The root module's own network (not a module instance).
    Hub,
}

/// One VPC stack: a module instance and everything in it.
pub struct Stack {
    pub call: Call,
    /// Position within its call (stack number or count index).
    pub n: usize,
    /// Stream of randomness for this stack.
    pub uid: u64,
    pub seed: u64,
    /// `module.stack["s3"]`
    pub module: String,
    /// The for_each key (`s3`) or the count index as text.
    pub key: String,
    /// Resource name prefix (`s3-test`).
    pub name: String,
    /// First address of the VPC's /22.
    pub base: u32,
    /// The stack exists already (no-op / update / delete / replace); else it is being created.
    pub existing: bool,
    pub with_db: bool,
    pub db_class: &'static str,
    /// Route to a peering made outside this configuration, known only by its literal id.
    pub legacy: bool,
    /// The legacy route is being removed (count 1 → 0).
    pub legacy_delete: bool,
    /// The stack routes back to the hub (when false, the hub peering is one-sided).
    pub return_route: bool,
    /// The database is being replaced (identifier changed).
    pub db_replace: bool,
    /// The bucket policy is new in an existing stack.
    pub new_bucket_policy: bool,
    /// The bucket was renamed in configuration (`moved` block): `previous_address`.
    pub moved_bucket: bool,
}

impl Stack {
    pub fn new(seed: u64, call: Call, n: usize) -> Stack {
        let uid = match call {
            Call::Stack => n as u64,
            Call::Edge => 1_000_000 + n as u64,
            Call::Hub => u64::MAX - 1,
        };
        let r = |salt: &str, pct: u64| hash(seed, uid, salt) % 100 < pct;
        let (module, key) = match call {
            Call::Stack => (format!("module.stack[\"s{n}\"]"), format!("s{n}")),
            Call::Edge => (format!("module.edge[{n}]"), n.to_string()),
            Call::Hub => (String::new(), "hub".to_string()),
        };
        let name = match call {
            Call::Stack => format!("s{n}-{ENVIRONMENT}"),
            Call::Edge => format!("edge{n}-{ENVIRONMENT}"),
            Call::Hub => format!("hub-{ENVIRONMENT}"),
        };
        // The first stacks cover every case, so that even a tiny plan has all of them.
        let forced = |k: usize| call == Call::Stack && n == k;
        let existing = call != Call::Stack || forced(0) || (!forced(1) && r("existing", 75));
        let with_db = call == Call::Stack && (forced(0) || forced(1) || r("db", 40));
        let legacy = call == Call::Stack && existing && (forced(0) || r("legacy", 15));
        let slot = match call {
            Call::Stack => n % 16_000,
            Call::Edge => 16_000 + n % 383,
            Call::Hub => 16_383,
        } as u32;
        Stack {
            call,
            n,
            uid,
            seed,
            module,
            key,
            name,
            base: (10 << 24) | (slot << 10),
            existing,
            with_db,
            db_class: DB_CLASSES[(hash(seed, uid, "class") % 3) as usize],
            legacy,
            legacy_delete: legacy && existing && (forced(2) || r("legacy-delete", 20)),
            return_route: call == Call::Stack && !forced(2) && r("return", 90),
            db_replace: with_db && existing && (forced(0) || r("db-replace", 10)),
            new_bucket_policy: existing && r("bucket-policy", 10),
            moved_bucket: existing && (forced(0) || r("moved", 2)),
        }
    }

    /// A random-looking but stable number for this stack.
    pub fn h(&self, salt: &str) -> u64 {
        hash(self.seed, self.uid, salt)
    }

    /// An AWS-style id: `vpc-0` followed by 16 hex digits.
    pub fn id(&self, prefix: &str, salt: &str) -> String {
        aws_id(prefix, self.h(salt))
    }

    /// The VPC's CIDR block (/22).
    pub fn cidr(&self) -> String {
        format!("{}/22", ip(self.base))
    }

    /// The `k`-th /25 of the VPC (private subnets 0–2, public 3–5).
    pub fn subnet_cidr(&self, k: u32) -> String {
        format!("{}/25", ip(self.base + k * 128))
    }

    /// The literal id of the legacy peering this stack routes through.
    pub fn legacy_pcx(&self) -> String {
        self.id("pcx", "legacy-pcx")
    }

    /// The CIDR on the far side of the legacy peering.
    pub fn legacy_cidr(&self) -> String {
        format!(
            "{}/24",
            ip((172 << 24) | (16 << 16) | ((self.n as u32 % 4096) << 8))
        )
    }
}

pub fn aws_id(prefix: &str, h: u64) -> String {
    format!("{prefix}-0{h:016x}")
}

/// An instance key: count index or for_each key.
#[derive(Clone)]
pub enum Idx {
    Num(usize),
    Key(String),
}

impl Idx {
    pub fn json(&self) -> Value {
        match self {
            Idx::Num(n) => Value::from(*n),
            Idx::Key(k) => Value::from(k.as_str()),
        }
    }

    fn suffix(&self) -> String {
        match self {
            Idx::Num(n) => format!("[{n}]"),
            Idx::Key(k) => format!("[{}]", Value::from(k.as_str())),
        }
    }
}

/// What happens to an instance.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Act {
    Create,
    NoOp,
    Update,
    Replace,
    Delete,
    /// A data source read during apply (its configuration is not known yet).
    DeferredRead,
    /// A data source read while planning: it appears only in `prior_state`.
    PlanRead,
}

impl Act {
    fn actions(self) -> &'static [&'static str] {
        match self {
            Act::Create => &["create"],
            Act::NoOp => &["no-op"],
            Act::Update => &["update"],
            Act::Replace => &["delete", "create"],
            Act::Delete => &["delete"],
            Act::DeferredRead | Act::PlanRead => &["read"],
        }
    }
}

/// What a resource's values look like, before the plan decides what is known.
pub struct Shape {
    /// Every attribute with the value it has (or will have) in AWS.
    pub values: Value,
    /// Attributes computed by the provider: unknown until apply when the object is created.
    pub computed: &'static [&'static str],
    /// Attributes taken from other objects of the same stack: unknown when those are new.
    pub links: &'static [&'static str],
    /// Attributes Terraform marks sensitive.
    pub sensitive: &'static [&'static str],
}

/// One resource instance with everything the plan says about it.
pub struct Inst {
    /// Module instance address; empty for the root module.
    pub module: String,
    /// Module path without instance keys (`module.stack.module.flow_logs`), for `depends_on`.
    pub module_config: String,
    pub data: bool,
    pub type_: &'static str,
    pub name: String,
    pub index: Option<Idx>,
    pub schema_version: u32,
    pub act: Act,
    pub reason: Option<&'static str>,
    pub previous_address: Option<String>,
    pub before: Value,
    pub after: Value,
    pub after_unknown: Value,
    pub before_sensitive: Value,
    pub after_sensitive: Value,
    pub replace_paths: Option<Value>,
    /// Config addresses (module-relative) this one depends on, as the state records them.
    pub depends_on: Vec<&'static str>,
}

/// How an instance is placed.
pub struct At<'a> {
    pub module: &'a str,
    pub module_config: &'a str,
    pub data: bool,
    pub type_: &'static str,
    pub name: String,
    pub index: Option<Idx>,
    pub schema_version: u32,
}

impl Inst {
    /// Build an instance from its shape and what the plan does to it. `links_known` says
    /// whether the objects it links to already exist.
    pub fn new(at: At<'_>, shape: Shape, act: Act, links_known: bool) -> Inst {
        let Shape {
            values,
            computed,
            links,
            sensitive,
        } = shape;
        let markers_s = markers(&values, sensitive);
        let mut inst = Inst {
            module: at.module.to_string(),
            module_config: at.module_config.to_string(),
            data: at.data,
            type_: at.type_,
            name: at.name,
            index: at.index,
            schema_version: at.schema_version,
            act,
            reason: None,
            previous_address: None,
            before: Value::Null,
            after: Value::Null,
            after_unknown: Value::Object(Map::new()),
            before_sensitive: Value::Bool(false),
            after_sensitive: Value::Bool(false),
            replace_paths: None,
            depends_on: Vec::new(),
        };
        let unknown = |v: &Value| -> (Value, Value) {
            let mut known = v.clone();
            let mut unk = markers(v, &[]);
            let obj = known.as_object_mut().expect("values are objects");
            let um = unk.as_object_mut().expect("markers are objects");
            let dropped = computed
                .iter()
                .chain(if links_known { &[][..] } else { links });
            for k in dropped {
                obj.remove(*k);
                um.insert((*k).to_string(), Value::Bool(true));
            }
            (known, unk)
        };
        match act {
            Act::Create | Act::DeferredRead => {
                let (known, unk) = unknown(&values);
                inst.after = known;
                inst.after_unknown = unk;
                inst.after_sensitive = markers_s;
            }
            Act::NoOp | Act::PlanRead => {
                inst.before = values.clone();
                inst.after = values;
                inst.before_sensitive = markers_s.clone();
                inst.after_sensitive = markers_s;
            }
            Act::Update => {
                let mut after = values.clone();
                for k in ["tags", "tags_all"] {
                    if let Some(Value::Object(t)) = after.get_mut(k) {
                        t.insert("CostCenter".into(), Value::from("cc-4711"));
                    }
                }
                inst.before = values;
                inst.after = after;
                inst.before_sensitive = markers_s.clone();
                inst.after_sensitive = markers_s;
            }
            Act::Replace => {
                let mut new = values.clone();
                if let Some(Value::String(s)) = new.get_mut("identifier") {
                    s.push_str("-v2");
                }
                let (known, unk) = unknown(&new);
                inst.before = values;
                inst.after = known;
                inst.after_unknown = unk;
                inst.before_sensitive = markers_s.clone();
                inst.after_sensitive = markers_s;
                inst.reason = Some("replace_because_cannot_update");
                inst.replace_paths = Some(serde_json::json!([["identifier"]]));
            }
            Act::Delete => {
                inst.before = values;
                inst.before_sensitive = markers_s;
                inst.reason = Some("delete_because_count_index");
            }
        }
        inst
    }

    pub fn address(&self) -> String {
        let mut s = String::new();
        if !self.module.is_empty() {
            s.push_str(&self.module);
            s.push('.');
        }
        if self.data {
            s.push_str("data.");
        }
        s.push_str(self.type_);
        s.push('.');
        s.push_str(&self.name);
        if let Some(i) = &self.index {
            s.push_str(&i.suffix());
        }
        s
    }

    pub fn actions(&self) -> &'static [&'static str] {
        self.act.actions()
    }

    /// In `resource_changes` (everything but data sources read while planning).
    pub fn in_changes(&self) -> bool {
        self.act != Act::PlanRead
    }

    /// In `planned_values`: what exists after the apply, data sources read during apply.
    pub fn in_planned(&self) -> bool {
        !matches!(self.act, Act::Delete | Act::PlanRead)
    }

    /// In `prior_state`: what exists now, and data sources read while planning.
    pub fn in_prior(&self) -> bool {
        !matches!(self.act, Act::Create | Act::DeferredRead)
    }

    /// Values as `prior_state` holds them.
    pub fn prior_values(&self) -> &Value {
        &self.before
    }
}

/// The marker tree Terraform writes beside values (`sensitive_values`, the skeleton of
/// `after_unknown`): nested collections kept (empty for maps of scalars), scalars in lists as
/// `false`, and `true` for each marked top-level attribute.
pub fn markers(v: &Value, marked: &[&str]) -> Value {
    let mut m = match inner(v) {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    };
    for k in marked {
        m.insert((*k).to_string(), Value::Bool(true));
    }
    Value::Object(m)
}

fn inner(v: &Value) -> Option<Value> {
    match v {
        Value::Object(o) => Some(Value::Object(
            o.iter()
                .filter_map(|(k, x)| inner(x).map(|m| (k.clone(), m)))
                .collect(),
        )),
        Value::Array(a) => Some(Value::Array(
            a.iter()
                .map(|x| inner(x).unwrap_or(Value::Bool(false)))
                .collect(),
        )),
        _ => None,
    }
}
