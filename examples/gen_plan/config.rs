//! The `configuration` section: provider blocks, the root module (its resources, the peerings
//! between stacks written out one block per pair, module calls with for_each and count, outputs,
//! variables) and the `vpc-stack` and `flow-logs` modules, with expressions and references in
//! the form Terraform ≥ 1.0 writes them.

use super::instances::Pair;
use super::json::JsonOut;
use serde_json::{json, Map, Value};
use std::io::{self, Write};

/// `{"references": [...]}`
fn r(refs: &[&str]) -> Value {
    json!({ "references": refs })
}

/// `{"constant_value": v}`
fn c(v: Value) -> Value {
    json!({ "constant_value": v })
}

/// A resource block; `extra` adds `count_expression`, `for_each_expression`, `depends_on`.
fn block(
    data: bool,
    type_: &str,
    name: &str,
    schema: u32,
    expressions: Value,
    extra: Value,
) -> Value {
    let mut m = Map::new();
    let address = if data {
        format!("data.{type_}.{name}")
    } else {
        format!("{type_}.{name}")
    };
    m.insert("address".into(), Value::from(address));
    m.insert(
        "mode".into(),
        Value::from(if data { "data" } else { "managed" }),
    );
    m.insert("type".into(), Value::from(type_));
    m.insert("name".into(), Value::from(name));
    m.insert("provider_config_key".into(), Value::from("aws"));
    if expressions.as_object().is_some_and(|e| !e.is_empty()) {
        m.insert("expressions".into(), expressions);
    }
    m.insert("schema_version".into(), Value::from(schema));
    if let Value::Object(e) = extra {
        m.extend(e);
    }
    Value::Object(m)
}

fn managed(type_: &str, name: &str, schema: u32, expressions: Value) -> Value {
    block(false, type_, name, schema, expressions, json!({}))
}

fn tags(extra: &[&str]) -> Value {
    let mut refs = vec!["local.tags", "var.name"];
    refs.extend_from_slice(extra);
    r(&refs)
}

const VPC_ID: [&str; 2] = ["aws_vpc.this.id", "aws_vpc.this"];
const KMS_ARN: [&str; 2] = ["aws_kms_key.this.arn", "aws_kms_key.this"];

fn rule(port: u16) -> Value {
    json!({
        "cidr_blocks": ["0.0.0.0/0"], "description": format!("port {port}"), "from_port": port,
        "ipv6_cidr_blocks": null, "prefix_list_ids": null, "protocol": "tcp",
        "security_groups": null, "self": null, "to_port": port,
    })
}

/// The resources of the `vpc-stack` module.
fn stack_resources() -> Vec<Value> {
    let count_azs = json!({"count_expression": r(&["var.azs"])});
    let count_db = json!({"count_expression": r(&["var.with_db"])});
    let mut out = vec![managed(
        "aws_vpc",
        "this",
        1,
        json!({
            "cidr_block": r(&["var.cidr_block"]),
            "enable_dns_hostnames": c(json!(true)),
            "enable_dns_support": c(json!(true)),
            "tags": tags(&[]),
        }),
    )];
    for kind in ["private", "public"] {
        let mut e = json!({
            "availability_zone": r(&["var.azs", "count.index"]),
            "cidr_block": r(&["var.cidr_block", "count.index"]),
            "tags": tags(&["count.index"]),
            "vpc_id": r(&VPC_ID),
        });
        if kind == "public" {
            e["map_public_ip_on_launch"] = c(json!(false));
        }
        out.push(block(false, "aws_subnet", kind, 1, e, count_azs.clone()));
    }
    out.push(managed(
        "aws_internet_gateway",
        "this",
        0,
        json!({"tags": tags(&[]), "vpc_id": r(&VPC_ID)}),
    ));
    for kind in ["private", "public"] {
        out.push(managed(
            "aws_route_table",
            kind,
            0,
            json!({"tags": tags(&[]), "vpc_id": r(&VPC_ID)}),
        ));
    }
    out.push(managed(
        "aws_route",
        "public_internet",
        0,
        json!({
            "destination_cidr_block": c(json!("0.0.0.0/0")),
            "gateway_id": r(&["aws_internet_gateway.this.id", "aws_internet_gateway.this"]),
            "route_table_id": r(&["aws_route_table.public.id", "aws_route_table.public"]),
        }),
    ));
    for kind in ["private", "public"] {
        let rtb_id = format!("aws_route_table.{kind}.id");
        let rtb = format!("aws_route_table.{kind}");
        let subnet = format!("aws_subnet.{kind}");
        out.push(block(
            false,
            "aws_route_table_association",
            kind,
            0,
            json!({
                "route_table_id": r(&[&rtb_id, &rtb]),
                "subnet_id": r(&[&subnet, "count.index"]),
            }),
            count_azs.clone(),
        ));
    }
    out.push(managed(
        "aws_security_group",
        "lb",
        1,
        json!({
            "description": r(&["var.name"]),
            "egress": c(json!([rule(0)])),
            "ingress": c(json!([rule(443), rule(80)])),
            "name": r(&["var.name"]),
            "tags": tags(&[]),
            "vpc_id": r(&VPC_ID),
        }),
    ));
    out.push(managed(
        "aws_security_group",
        "app",
        1,
        json!({
            "description": r(&["var.name"]),
            "egress": c(json!([rule(0)])),
            "ingress": r(&["aws_security_group.lb.id", "aws_security_group.lb", "var.cidr_block"]),
            "name": r(&["var.name"]),
            "tags": tags(&[]),
            "vpc_id": r(&VPC_ID),
        }),
    ));
    out.push(managed("aws_kms_key", "this", 0, json!({
        "deletion_window_in_days": c(json!(30)),
        "description": r(&["var.name"]),
        "enable_key_rotation": c(json!(true)),
        "policy": r(&["data.aws_iam_policy_document.kms.json", "data.aws_iam_policy_document.kms"]),
        "tags": tags(&[]),
    })));
    out.push(managed(
        "aws_s3_bucket",
        "logs",
        0,
        json!({
            "bucket": r(&["var.name", "var.environment"]),
            "force_destroy": c(json!(false)),
            "tags": tags(&[]),
        }),
    ));
    out.push(managed("aws_s3_bucket_policy", "logs", 0, json!({
        "bucket": r(&["aws_s3_bucket.logs.id", "aws_s3_bucket.logs"]),
        "policy": r(&["data.aws_iam_policy_document.bucket.json", "data.aws_iam_policy_document.bucket"]),
    })));
    out.push(managed(
        "aws_secretsmanager_secret",
        "db",
        0,
        json!({
            "kms_key_id": r(&KMS_ARN),
            "name": r(&["var.name"]),
            "recovery_window_in_days": c(json!(7)),
            "tags": tags(&[]),
        }),
    ));
    out.push(block(
        false,
        "aws_secretsmanager_secret_version",
        "db",
        0,
        json!({
            "secret_id": r(&["aws_secretsmanager_secret.db.id", "aws_secretsmanager_secret.db"]),
            "secret_string": r(&["var.db_password"]),
        }),
        count_db.clone(),
    ));
    out.push(block(
        false,
        "aws_db_subnet_group",
        "this",
        0,
        json!({
            "name": r(&["var.name"]),
            "subnet_ids": r(&["aws_subnet.private"]),
            "tags": tags(&[]),
        }),
        count_db.clone(),
    ));
    let mut db_extra = count_db.clone();
    db_extra["depends_on"] = json!(["aws_secretsmanager_secret_version.db"]);
    out.push(block(false, "aws_db_instance", "this", 2, json!({
        "allocated_storage": c(json!(100)),
        "db_name": c(json!("app")),
        "db_subnet_group_name": r(&["aws_db_subnet_group.this[0].name", "aws_db_subnet_group.this[0]", "aws_db_subnet_group.this"]),
        "deletion_protection": r(&["var.environment"]),
        "engine": c(json!("postgres")),
        "engine_version": c(json!("16.3")),
        "identifier": r(&["var.name"]),
        "instance_class": r(&["var.db_instance_class"]),
        "kms_key_id": r(&KMS_ARN),
        "multi_az": r(&["var.environment"]),
        "password": r(&["var.db_password"]),
        "skip_final_snapshot": c(json!(false)),
        "storage_encrypted": c(json!(true)),
        "storage_type": c(json!("gp3")),
        "tags": tags(&[]),
        "username": c(json!("app_admin")),
        "vpc_security_group_ids": r(&["aws_security_group.app.id", "aws_security_group.app"]),
    }), db_extra));
    out.push(block(false, "aws_route53_record", "db", 2, json!({
        "name": r(&["var.name"]),
        "records": r(&["aws_db_instance.this[0].address", "aws_db_instance.this[0]", "aws_db_instance.this"]),
        "ttl": c(json!(300)),
        "type": c(json!("CNAME")),
        "zone_id": r(&["data.aws_route53_zone.internal.zone_id", "data.aws_route53_zone.internal"]),
    }), count_db));
    out.push(block(
        false,
        "aws_route",
        "legacy",
        0,
        json!({
            "destination_cidr_block": r(&["var.legacy_cidr"]),
            "route_table_id": r(&["aws_route_table.private.id", "aws_route_table.private"]),
            "vpc_peering_connection_id": r(&["var.legacy_peering_id"]),
        }),
        json!({"count_expression": r(&["var.legacy_peering_id"])}),
    ));
    out.push(block(
        true,
        "aws_caller_identity",
        "current",
        0,
        json!({}),
        json!({}),
    ));
    out.push(block(true, "aws_iam_policy_document", "kms", 0, json!({
        "statement": [{
            "actions": c(json!(["kms:*"])),
            "principals": [{
                "identifiers": r(&["data.aws_caller_identity.current.account_id", "data.aws_caller_identity.current"]),
                "type": c(json!("AWS")),
            }],
            "resources": c(json!(["*"])),
            "sid": c(json!("RootAccess")),
        }],
    }), json!({})));
    out.push(block(
        true,
        "aws_iam_policy_document",
        "bucket",
        0,
        json!({
            "statement": [{
                "actions": c(json!(["s3:PutObject"])),
                "principals": [{
                    "identifiers": c(json!(["delivery.logs.amazonaws.com"])),
                    "type": c(json!("Service")),
                }],
                "resources": r(&["aws_s3_bucket.logs.arn", "aws_s3_bucket.logs"]),
                "sid": c(json!("LogDelivery")),
            }],
        }),
        json!({}),
    ));
    out.push(block(
        true,
        "aws_route53_zone",
        "internal",
        0,
        json!({
            "name": c(json!("internal.example.com")),
            "private_zone": c(json!(true)),
        }),
        json!({}),
    ));
    out
}

fn output(refs: &[&str], description: &str) -> Value {
    json!({"expression": r(refs), "description": description})
}

fn variable(description: &str, default: Option<Value>, sensitive: bool) -> Value {
    let mut m = Map::new();
    if let Some(d) = default {
        m.insert("default".into(), d);
    }
    m.insert("description".into(), Value::from(description));
    if sensitive {
        m.insert("sensitive".into(), Value::Bool(true));
    }
    Value::Object(m)
}

/// The `flow-logs` module, called from every stack.
fn flow_logs_call() -> Value {
    json!({
        "source": "./modules/flow-logs",
        "expressions": {
            "kms_key_arn": r(&KMS_ARN),
            "log_destination": r(&["var.log_destination"]),
            "name": r(&["var.name"]),
            "vpc_id": r(&VPC_ID),
        },
        "module": {
            "outputs": {
                "flow_log_id": output(&["aws_flow_log.this.id", "aws_flow_log.this"], "ID of the flow log"),
            },
            "resources": [
                managed("aws_cloudwatch_log_group", "this", 0, json!({
                    "kms_key_id": r(&["var.kms_key_arn"]),
                    "name": r(&["var.name"]),
                    "retention_in_days": c(json!(365)),
                    "tags": r(&["var.name"]),
                })),
                managed("aws_flow_log", "this", 0, json!({
                    "log_destination": r(&["var.log_destination"]),
                    "log_destination_type": c(json!("s3")),
                    "tags": r(&["var.name"]),
                    "traffic_type": c(json!("ALL")),
                    "vpc_id": r(&["var.vpc_id"]),
                })),
            ],
            "variables": {
                "kms_key_arn": variable("KMS key for the log group", None, false),
                "log_destination": variable("ARN of the bucket receiving flow logs", None, false),
                "name": variable("Name prefix", None, false),
                "vpc_id": variable("VPC to log", None, false),
            },
        },
    })
}

/// The `vpc-stack` module body (the same for the for_each and the count call).
fn stack_module() -> Value {
    json!({
        "outputs": {
            "app_security_group_id": output(&["aws_security_group.app.id", "aws_security_group.app"], "Security group of the application"),
            "cidr_block": output(&["aws_vpc.this.cidr_block", "aws_vpc.this"], "IPv4 CIDR block of the VPC"),
            "db_endpoint": output(&["aws_db_instance.this"], "Endpoint of the database, if any"),
            "flow_log_id": output(&["module.flow_logs.flow_log_id", "module.flow_logs"], "ID of the VPC flow log"),
            "kms_key_arn": output(&KMS_ARN, "KMS key of the stack"),
            "private_route_table_id": output(&["aws_route_table.private.id", "aws_route_table.private"], "ID of the private route table"),
            "private_subnet_ids": output(&["aws_subnet.private"], "IDs of the private subnets"),
            "public_route_table_id": output(&["aws_route_table.public.id", "aws_route_table.public"], "ID of the public route table"),
            "vpc_id": output(&VPC_ID, "ID of the VPC"),
        },
        "resources": stack_resources(),
        "module_calls": {"flow_logs": flow_logs_call()},
        "variables": {
            "azs": variable("Availability zones", None, false),
            "cidr_block": variable("IPv4 CIDR block of the VPC", None, false),
            "db_instance_class": variable("Database instance class", Some(json!("db.t4g.medium")), false),
            "db_password": variable("Master password of the database", None, true),
            "environment": variable("Deployment environment", None, false),
            "legacy_cidr": variable("CIDR behind the legacy peering", Some(json!("")), false),
            "legacy_peering_id": variable("Existing peering to route through", Some(json!("")), false),
            "log_destination": variable("ARN of the bucket receiving flow logs", None, false),
            "name": variable("Name prefix", None, false),
            "with_db": variable("Whether the stack has a database", Some(json!(false)), false),
        },
    })
}

const CENTRAL_LOGS: [&str; 2] = [
    "aws_s3_bucket.central_logs.arn",
    "aws_s3_bucket.central_logs",
];

fn module_calls() -> Value {
    json!({
        "edge": {
            "source": "./modules/vpc-stack",
            "expressions": {
                "azs": r(&["var.azs"]),
                "cidr_block": r(&["var.edge_cidrs", "count.index"]),
                "db_password": r(&["var.db_password"]),
                "environment": r(&["var.environment"]),
                "log_destination": r(&CENTRAL_LOGS),
                "name": r(&["count.index", "var.environment"]),
            },
            "count_expression": r(&["var.edge_count"]),
            "module": stack_module(),
        },
        "stack": {
            "source": "./modules/vpc-stack",
            "expressions": {
                "azs": r(&["var.azs"]),
                "cidr_block": r(&["each.value.cidr", "each.value"]),
                "db_instance_class": r(&["each.value.db_class", "each.value"]),
                "db_password": r(&["var.db_password"]),
                "environment": r(&["var.environment"]),
                "legacy_cidr": r(&["each.value.legacy_cidr", "each.value"]),
                "legacy_peering_id": r(&["each.value.legacy_pcx", "each.value"]),
                "log_destination": r(&CENTRAL_LOGS),
                "name": r(&["each.key", "var.environment"]),
                "with_db": r(&["each.value.with_db", "each.value"]),
            },
            "for_each_expression": r(&["var.stacks"]),
            "module": stack_module(),
        },
    })
}

/// Root resources that do not grow with the plan (for_each and count ones included).
fn root_resources() -> Vec<Value> {
    let for_each_stacks = json!({"for_each_expression": r(&["var.stacks"])});
    vec![
        managed(
            "aws_vpc",
            "hub",
            1,
            json!({
                "cidr_block": c(json!("10.255.252.0/22")),
                "enable_dns_hostnames": c(json!(true)),
                "tags": r(&["var.environment"]),
            }),
        ),
        managed(
            "aws_route_table",
            "hub",
            0,
            json!({
                "tags": r(&["var.environment"]),
                "vpc_id": r(&["aws_vpc.hub.id", "aws_vpc.hub"]),
            }),
        ),
        managed(
            "aws_s3_bucket",
            "central_logs",
            0,
            json!({
                "bucket": r(&["var.environment"]),
                "tags": r(&["var.environment"]),
            }),
        ),
        block(
            false,
            "aws_vpc_peering_connection",
            "hub",
            0,
            json!({
                "auto_accept": c(json!(true)),
                "peer_vpc_id": r(&["module.stack", "each.key"]),
                "tags": r(&["each.key", "var.environment"]),
                "vpc_id": r(&["aws_vpc.hub.id", "aws_vpc.hub"]),
            }),
            for_each_stacks.clone(),
        ),
        block(
            false,
            "aws_route",
            "hub_to_stack",
            0,
            json!({
                "destination_cidr_block": r(&["each.value.cidr", "each.value"]),
                "route_table_id": r(&["aws_route_table.hub.id", "aws_route_table.hub"]),
                "vpc_peering_connection_id": r(&["aws_vpc_peering_connection.hub", "each.key"]),
            }),
            for_each_stacks.clone(),
        ),
        // for_each = { for k, v in var.stacks : k => v if v.return_route }
        block(
            false,
            "aws_route",
            "stack_to_hub",
            0,
            json!({
                "destination_cidr_block": r(&["aws_vpc.hub.cidr_block", "aws_vpc.hub"]),
                "route_table_id": r(&["module.stack", "each.key"]),
                "vpc_peering_connection_id": r(&["aws_vpc_peering_connection.hub", "each.key"]),
            }),
            for_each_stacks,
        ),
        block(
            false,
            "aws_vpc_peering_connection",
            "edge",
            0,
            json!({
                "auto_accept": c(json!(true)),
                "peer_vpc_id": r(&["module.edge", "count.index"]),
                "vpc_id": r(&["aws_vpc.hub.id", "aws_vpc.hub"]),
            }),
            json!({"count_expression": r(&["var.edge_count"])}),
        ),
        block(
            true,
            "aws_vpc_peering_connection",
            "legacy",
            0,
            json!({
                "id": r(&["each.value"]),
            }),
            json!({"for_each_expression": r(&["var.legacy_peerings"])}),
        ),
    ]
}

/// The blocks of one peering between two stacks, written with literal module keys.
fn pair_resources(pair: &Pair) -> Vec<Value> {
    let name = pair.name();
    let m = |n: usize| format!("module.stack[\"s{n}\"]");
    let out_of = |n: usize, o: &str| [format!("{}.{o}", m(n)), m(n)];
    let pcx = [
        format!("aws_vpc_peering_connection.{name}.id"),
        format!("aws_vpc_peering_connection.{name}"),
    ];
    let refs = |v: &[String]| r(&v.iter().map(String::as_str).collect::<Vec<_>>());
    let mut out = vec![managed(
        "aws_vpc_peering_connection",
        &name,
        0,
        json!({
            "auto_accept": c(json!(true)),
            "peer_vpc_id": refs(&out_of(pair.b, "vpc_id")),
            "tags": r(&["var.environment"]),
            "vpc_id": refs(&out_of(pair.a, "vpc_id")),
        }),
    )];
    let mut sides = vec![("fwd", pair.a, pair.b)];
    if !pair.one_sided {
        sides.push(("back", pair.b, pair.a));
    }
    for (dir, from, to) in sides {
        out.push(managed(
            "aws_route",
            &format!("{name}_{dir}"),
            0,
            json!({
                "destination_cidr_block": refs(&out_of(to, "cidr_block")),
                "route_table_id": refs(&out_of(from, "private_route_table_id")),
                "vpc_peering_connection_id": refs(&pcx),
            }),
        ));
    }
    out
}

fn root_variables() -> Value {
    json!({
        "azs": variable("Availability zones of every stack", None, false),
        "db_password": variable("Master password of the databases", None, true),
        "edge_count": variable("Number of edge stacks", Some(json!(1)), false),
        "edge_cidrs": variable("CIDR blocks of the edge stacks", None, false),
        "environment": variable("Deployment environment", None, false),
        "legacy_peerings": variable("Peerings made outside Terraform, by stack", Some(json!({})), false),
        "region": variable("AWS region", Some(json!("eu-west-1")), false),
        "stacks": variable("The VPC stacks, by name", None, false),
    })
}

/// Write `"configuration": {...}`.
pub fn write<W: Write>(j: &mut JsonOut<W>, seed: u64, stacks: usize) -> io::Result<()> {
    j.object_field("configuration")?;
    j.field(
        "provider_config",
        &json!({
            "aws": {
                "name": "aws",
                "full_name": "registry.terraform.io/hashicorp/aws",
                "version_constraint": "~> 5.0",
                "expressions": {
                    "default_tags": [{"tags": r(&["var.environment"])}],
                    "region": r(&["var.region"]),
                },
            },
        }),
    )?;
    j.object_field("root_module")?;
    j.field("outputs", &json!({
        "db_password": {"sensitive": true, "expression": r(&["var.db_password"]), "description": "Master password (for the runbook)"},
        "hub_vpc_id": output(&["aws_vpc.hub.id", "aws_vpc.hub"], "ID of the hub VPC"),
        "stack_vpc_ids": output(&["module.stack"], "VPC IDs by stack"),
    }))?;
    j.array_field("resources")?;
    for res in root_resources() {
        j.value(&res)?;
    }
    for a in 0..stacks {
        if let Some(pair) = Pair::of(seed, stacks, a) {
            for res in pair_resources(&pair) {
                j.value(&res)?;
            }
        }
    }
    j.end_array()?;
    j.field("module_calls", &module_calls())?;
    j.field("variables", &root_variables())?;
    j.end_object()?;
    j.end_object()
}
