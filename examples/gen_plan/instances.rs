//! The resource instances of the plan: those of each stack's module instance (and its nested
//! `flow_logs` module), and those of the root module (the hub, its peerings and routes, the
//! peerings between stacks, legacy peerings read by id). Rebuilt on demand from the seed, one
//! stack at a time.

use super::model::{Act, At, Call, Idx, Inst, Shape, Stack};
use super::values as v;

/// Peerings between neighbouring stacks: every third stack peers with the next one; some
/// pairs have a route on one side only.
pub struct Pair {
    pub a: usize,
    pub b: usize,
    pub one_sided: bool,
}

impl Pair {
    pub fn of(seed: u64, stacks: usize, a: usize) -> Option<Pair> {
        if !a.is_multiple_of(3) || a + 1 >= stacks {
            return None;
        }
        let one_sided = a == 0 || super::model::hash(seed, a as u64, "one-sided") % 100 < 15;
        Some(Pair {
            a,
            b: a + 1,
            one_sided,
        })
    }

    /// The resource name of the peering (`p_s3_s4`); routes add `_fwd` / `_back`.
    pub fn name(&self) -> String {
        format!("p_s{}_s{}", self.a, self.b)
    }
}

/// How many `module.edge` instances (count) a plan of `stacks` stacks has.
pub fn edge_count(stacks: usize) -> usize {
    (stacks / 25).max(1)
}

/// Builds instances in one module instance.
struct Placer<'a> {
    s: &'a Stack,
    module: &'a str,
    module_config: &'a str,
    out: Vec<Inst>,
}

impl Placer<'_> {
    fn at(
        &self,
        data: bool,
        type_: &'static str,
        name: &str,
        index: Option<Idx>,
        schema: u32,
    ) -> At<'_> {
        At {
            module: self.module,
            module_config: self.module_config,
            data,
            type_,
            name: name.to_string(),
            index,
            schema_version: schema,
        }
    }

    /// A managed resource: created with a new stack, else unchanged or (sometimes) updated.
    fn managed(
        &mut self,
        type_: &'static str,
        name: &str,
        index: Option<Idx>,
        schema: u32,
        shape: Shape,
        depends_on: &[&'static str],
    ) -> &mut Inst {
        let salt = format!("update {}{type_}.{name}{}", self.module, index.is_some());
        let act = if !self.s.existing {
            Act::Create
        } else if shape.values.get("tags").is_some() && self.s.h(&salt) % 100 < 8 {
            Act::Update
        } else {
            Act::NoOp
        };
        self.with_act(type_, name, index, schema, shape, act, depends_on)
    }

    #[allow(clippy::too_many_arguments)]
    fn with_act(
        &mut self,
        type_: &'static str,
        name: &str,
        index: Option<Idx>,
        schema: u32,
        shape: Shape,
        act: Act,
        depends_on: &[&'static str],
    ) -> &mut Inst {
        let mut inst = Inst::new(
            self.at(false, type_, name, index, schema),
            shape,
            act,
            self.s.existing,
        );
        inst.depends_on = depends_on.to_vec();
        self.out.push(inst);
        self.out.last_mut().expect("just pushed")
    }

    /// A data source: read while planning, or during apply when its configuration is unknown.
    fn data(
        &mut self,
        type_: &'static str,
        name: &str,
        index: Option<Idx>,
        shape: Shape,
        deferred: bool,
    ) {
        let act = if deferred {
            Act::DeferredRead
        } else {
            Act::PlanRead
        };
        let mut inst = Inst::new(self.at(true, type_, name, index, 0), shape, act, false);
        if deferred {
            inst.reason = Some("read_because_config_unknown");
        }
        self.out.push(inst);
    }
}

/// The instances of one stack: its own module instance and its nested `flow_logs` module.
pub struct StackInsts {
    pub module: String,
    pub own: Vec<Inst>,
    pub nested_module: String,
    pub nested: Vec<Inst>,
}

pub fn stack(s: &Stack, central_logs_arn: &str) -> StackInsts {
    let mconf = match s.call {
        Call::Edge => "module.edge",
        _ => "module.stack",
    };
    let mut p = Placer {
        s,
        module: &s.module,
        module_config: mconf,
        out: Vec::new(),
    };
    let n = |k: usize| Some(Idx::Num(k));
    const ON_VPC: &[&str] = &["aws_vpc.this"];
    p.managed("aws_vpc", "this", None, 1, v::vpc(s), &[]);
    for public in [false, true] {
        let name = if public { "public" } else { "private" };
        for k in 0..3 {
            p.managed("aws_subnet", name, n(k), 1, v::subnet(s, public, k), ON_VPC);
        }
    }
    p.managed(
        "aws_internet_gateway",
        "this",
        None,
        0,
        v::internet_gateway(s),
        ON_VPC,
    );
    for which in ["private", "public"] {
        p.managed(
            "aws_route_table",
            which,
            None,
            0,
            v::route_table(s, which),
            ON_VPC,
        );
    }
    let public_rtb = v::rtb_id(s, "public");
    p.managed(
        "aws_route",
        "public_internet",
        None,
        0,
        v::route(
            s.h("route-igw"),
            &public_rtb,
            "0.0.0.0/0",
            "gateway_id",
            &v::igw_id(s),
            &["route_table_id", "gateway_id"],
        ),
        &[
            "aws_internet_gateway.this",
            "aws_route_table.public",
            "aws_vpc.this",
        ],
    );
    for public in [false, true] {
        let name = if public { "public" } else { "private" };
        for k in 0..3 {
            p.managed(
                "aws_route_table_association",
                name,
                n(k),
                0,
                v::route_table_association(s, public, k),
                if public {
                    &[
                        "aws_route_table.public",
                        "aws_subnet.public",
                        "aws_vpc.this",
                    ]
                } else {
                    &[
                        "aws_route_table.private",
                        "aws_subnet.private",
                        "aws_vpc.this",
                    ]
                },
            );
        }
    }
    for which in ["lb", "app"] {
        p.managed(
            "aws_security_group",
            which,
            None,
            1,
            v::security_group(s, which),
            ON_VPC,
        );
    }
    p.managed(
        "aws_kms_key",
        "this",
        None,
        0,
        v::kms_key(s),
        &["data.aws_iam_policy_document.kms"],
    );
    let bucket = p.managed(
        "aws_s3_bucket",
        "logs",
        None,
        0,
        v::s3_bucket(s, "logs"),
        &[],
    );
    if s.moved_bucket {
        bucket.previous_address = Some(format!("{}.aws_s3_bucket.log", s.module));
    }
    let policy_act = if !s.existing || s.new_bucket_policy {
        Act::Create
    } else {
        Act::NoOp
    };
    p.with_act(
        "aws_s3_bucket_policy",
        "logs",
        None,
        0,
        v::s3_bucket_policy(s),
        policy_act,
        &["aws_s3_bucket.logs", "data.aws_iam_policy_document.bucket"],
    );
    p.managed(
        "aws_secretsmanager_secret",
        "db",
        None,
        0,
        v::secret(s),
        &["aws_kms_key.this"],
    );
    if s.with_db {
        p.managed(
            "aws_secretsmanager_secret_version",
            "db",
            n(0),
            0,
            v::secret_version(s),
            &["aws_secretsmanager_secret.db"],
        );
        p.managed(
            "aws_db_subnet_group",
            "this",
            n(0),
            0,
            v::db_subnet_group(s),
            &["aws_subnet.private"],
        );
        let act = if s.db_replace {
            Act::Replace
        } else if s.existing {
            Act::NoOp
        } else {
            Act::Create
        };
        p.with_act(
            "aws_db_instance",
            "this",
            n(0),
            2,
            v::db_instance(s),
            act,
            &[
                "aws_db_subnet_group.this",
                "aws_kms_key.this",
                "aws_security_group.app",
            ],
        );
        p.managed(
            "aws_route53_record",
            "db",
            n(0),
            2,
            v::route53_record(s),
            &["aws_db_instance.this", "data.aws_route53_zone.internal"],
        );
    }
    if s.legacy {
        let act = if s.legacy_delete {
            Act::Delete
        } else {
            Act::NoOp
        };
        p.with_act(
            "aws_route",
            "legacy",
            n(0),
            0,
            v::route(
                s.h("route-legacy"),
                &v::rtb_id(s, "private"),
                &s.legacy_cidr(),
                "vpc_peering_connection_id",
                &s.legacy_pcx(),
                &["route_table_id"],
            ),
            act,
            &["aws_route_table.private"],
        );
    }
    p.data(
        "aws_caller_identity",
        "current",
        None,
        v::caller_identity(s),
        false,
    );
    p.data(
        "aws_iam_policy_document",
        "kms",
        None,
        v::kms_policy_document(),
        false,
    );
    p.data(
        "aws_iam_policy_document",
        "bucket",
        None,
        v::bucket_policy_document(s),
        !s.existing,
    );
    p.data(
        "aws_route53_zone",
        "internal",
        None,
        v::route53_zone(s.seed),
        false,
    );
    let own = p.out;

    let nested_module = format!("{}.module.flow_logs", s.module);
    let nested_conf = format!("{mconf}.module.flow_logs");
    let mut q = Placer {
        s,
        module: &nested_module,
        module_config: &nested_conf,
        out: Vec::new(),
    };
    q.managed(
        "aws_flow_log",
        "this",
        None,
        0,
        v::flow_log(s, central_logs_arn),
        &[],
    );
    q.managed(
        "aws_cloudwatch_log_group",
        "this",
        None,
        0,
        v::log_group(s),
        &[],
    );
    let nested = q.out;
    StackInsts {
        module: s.module.clone(),
        own,
        nested_module,
        nested,
    }
}

/// Root instances that exist once: the hub VPC, its route table, the central log bucket.
pub fn hub(hub: &Stack) -> Vec<Inst> {
    let mut p = Placer {
        s: hub,
        module: "",
        module_config: "",
        out: Vec::new(),
    };
    p.managed("aws_vpc", "hub", None, 1, v::vpc(hub), &[]);
    p.managed(
        "aws_route_table",
        "hub",
        None,
        0,
        v::route_table(hub, "hub"),
        &["aws_vpc.hub"],
    );
    p.managed(
        "aws_s3_bucket",
        "central_logs",
        None,
        0,
        v::s3_bucket(hub, "central-logs"),
        &[],
    );
    p.out
}

/// Root instances that belong to stack `s`: the hub peering and its routes, the peering with
/// the next stack, the legacy peering read by id.
pub fn root_of_stack(hub: &Stack, s: &Stack, stacks: usize) -> Vec<Inst> {
    let mut out = Vec::new();
    let key = || Some(Idx::Key(s.key.clone()));
    let at = |type_: &'static str, name: &str, data: bool, index: Option<Idx>| At {
        module: "",
        module_config: "",
        data,
        type_,
        name: name.to_string(),
        index,
        schema_version: 0,
    };
    let act = if s.existing { Act::NoOp } else { Act::Create };
    let hub_vpc = v::vpc_id(hub);
    let pcx_hash = s.h("hub-pcx");
    let pcx = super::model::aws_id("pcx", pcx_hash);
    let mut peering = Inst::new(
        at("aws_vpc_peering_connection", "hub", false, key()),
        v::peering(
            pcx_hash,
            &hub_vpc,
            &v::vpc_id(s),
            &format!("hub-{}", s.key),
            &["peer_vpc_id"],
        ),
        act,
        s.existing,
    );
    peering.depends_on = vec!["aws_vpc.hub", "module.stack.aws_vpc.this"];
    out.push(peering);
    out.push(Inst::new(
        at("aws_route", "hub_to_stack", false, key()),
        v::route(
            s.h("route-hub-to-stack"),
            &v::rtb_id(hub, "hub"),
            &s.cidr(),
            "vpc_peering_connection_id",
            &pcx,
            &["vpc_peering_connection_id"],
        ),
        act,
        s.existing,
    ));
    if s.return_route {
        out.push(Inst::new(
            at("aws_route", "stack_to_hub", false, key()),
            v::route(
                s.h("route-stack-to-hub"),
                &v::rtb_id(s, "private"),
                &hub.cidr(),
                "vpc_peering_connection_id",
                &pcx,
                &["route_table_id", "vpc_peering_connection_id"],
            ),
            act,
            s.existing,
        ));
    }
    if let Some(pair) = Pair::of(s.seed, stacks, s.n) {
        let b = Stack::new(s.seed, Call::Stack, pair.b);
        let known = s.existing && b.existing;
        let act = if known { Act::NoOp } else { Act::Create };
        let name = pair.name();
        let h = s.h("pair-pcx");
        let pcx = super::model::aws_id("pcx", h);
        out.push(Inst::new(
            at("aws_vpc_peering_connection", &name, false, None),
            v::peering(
                h,
                &v::vpc_id(s),
                &v::vpc_id(&b),
                &name,
                &["vpc_id", "peer_vpc_id"],
            ),
            act,
            known,
        ));
        let links: &'static [&'static str] = &["route_table_id", "vpc_peering_connection_id"];
        let sides: &[(&Stack, &Stack, &str)] = if pair.one_sided {
            &[(s, &b, "fwd")]
        } else {
            &[(s, &b, "fwd"), (&b, s, "back")]
        };
        for (from, to, dir) in sides {
            out.push(Inst::new(
                at("aws_route", &format!("{name}_{dir}"), false, None),
                v::route(
                    s.h(&format!("pair-route-{dir}")),
                    &v::rtb_id(from, "private"),
                    &to.cidr(),
                    "vpc_peering_connection_id",
                    &pcx,
                    links,
                ),
                act,
                known,
            ));
        }
    }
    if s.legacy {
        out.push(Inst::new(
            at("aws_vpc_peering_connection", "legacy", true, key()),
            v::legacy_peering(s),
            Act::PlanRead,
            true,
        ));
    }
    out
}

/// The hub's peering with edge stack `e` (`aws_vpc_peering_connection.edge[count.index]`).
pub fn root_of_edge(hub: &Stack, e: &Stack) -> Inst {
    let h = e.h("edge-pcx");
    let mut inst = Inst::new(
        At {
            module: "",
            module_config: "",
            data: false,
            type_: "aws_vpc_peering_connection",
            name: "edge".to_string(),
            index: Some(Idx::Num(e.n)),
            schema_version: 0,
        },
        v::peering(
            h,
            &v::vpc_id(hub),
            &v::vpc_id(e),
            &format!("hub-edge{}", e.n),
            &["peer_vpc_id"],
        ),
        Act::NoOp,
        true,
    );
    inst.depends_on = vec!["aws_vpc.hub", "module.edge.aws_vpc.this"];
    inst
}
