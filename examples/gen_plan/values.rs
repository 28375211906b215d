//! Attribute values of each resource type, as the AWS provider (v5) reports them, with the
//! attributes the provider computes (unknown when the object is created), those taken from
//! other objects (unknown when those are new) and those marked sensitive.

use super::model::{aws_id, hash, Shape, Stack, ACCOUNT, AZS, DB_PASSWORD, ENVIRONMENT, REGION};
use serde_json::{json, Map, Value};

/// The tags every resource carries (`tags`), and with the provider's default tags (`tags_all`).
fn tagged(mut v: Value, s: &Stack, name: &str) -> Value {
    let tags = json!({"ManagedBy": "terraform", "Name": name, "Stack": s.key});
    let mut all = tags.clone();
    all["Environment"] = Value::from(ENVIRONMENT);
    let o = v.as_object_mut().expect("values are objects");
    o.insert("tags".into(), tags);
    o.insert("tags_all".into(), all);
    v
}

fn ec2_arn(kind: &str, id: &str) -> String {
    format!("arn:aws:ec2:{REGION}:{ACCOUNT}:{kind}/{id}")
}

fn uuid(h: u64, g: u64) -> String {
    format!(
        "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
        h >> 32,
        (h >> 16) & 0xffff,
        h & 0xfff,
        g >> 52,
        g & 0xffff_ffff_ffff
    )
}

pub fn vpc_id(s: &Stack) -> String {
    s.id("vpc", "vpc")
}
pub fn subnet_id(s: &Stack, public: bool, k: usize) -> String {
    s.id("subnet", &format!("subnet-{public}-{k}"))
}
pub fn rtb_id(s: &Stack, which: &str) -> String {
    s.id("rtb", which)
}
pub fn igw_id(s: &Stack) -> String {
    s.id("igw", "igw")
}
pub fn sg_id(s: &Stack, which: &str) -> String {
    s.id("sg", which)
}
pub fn kms_key_id(s: &Stack) -> String {
    uuid(s.h("kms"), s.h("kms2"))
}
pub fn kms_arn(s: &Stack) -> String {
    format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/{}", kms_key_id(s))
}
pub fn bucket_name(s: &Stack, what: &str) -> String {
    format!("{}-{what}-{:08x}", s.name, s.h(what) >> 32)
}
pub fn bucket_arn(s: &Stack, what: &str) -> String {
    format!("arn:aws:s3:::{}", bucket_name(s, what))
}
pub fn secret_arn(s: &Stack) -> String {
    let h = s.h("secret");
    let suffix: String = (0..6)
        .map(|i| (b'A' + ((h >> (i * 5)) % 26) as u8) as char)
        .collect();
    format!(
        "arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{}/db-{suffix}",
        s.name
    )
}
pub fn db_address(s: &Stack) -> String {
    format!(
        "{}.c{:011x}.{REGION}.rds.amazonaws.com",
        s.name,
        s.h("rds") >> 20
    )
}
/// The shared private hosted zone every stack looks up.
pub fn zone_id(seed: u64) -> String {
    format!("Z0{:018X}", hash(seed, u64::MAX, "zone") >> 8)
        .chars()
        .take(21)
        .collect()
}

pub fn vpc(s: &Stack) -> Shape {
    let id = vpc_id(s);
    let main_rtb = rtb_id(s, "main");
    Shape {
        values: tagged(
            json!({
                "arn": ec2_arn("vpc", &id),
                "assign_generated_ipv6_cidr_block": false,
                "cidr_block": s.cidr(),
                "default_network_acl_id": s.id("acl", "acl"),
                "default_route_table_id": main_rtb,
                "default_security_group_id": sg_id(s, "default"),
                "dhcp_options_id": s.id("dopt", "dopt"),
                "enable_dns_hostnames": true,
                "enable_dns_support": true,
                "enable_network_address_usage_metrics": false,
                "id": id,
                "instance_tenancy": "default",
                "ipv4_ipam_pool_id": null,
                "ipv4_netmask_length": null,
                "ipv6_association_id": "",
                "ipv6_cidr_block": "",
                "ipv6_cidr_block_network_border_group": "",
                "ipv6_ipam_pool_id": "",
                "ipv6_netmask_length": 0,
                "main_route_table_id": main_rtb,
                "owner_id": ACCOUNT,
            }),
            s,
            &s.name,
        ),
        computed: &[
            "arn",
            "default_network_acl_id",
            "default_route_table_id",
            "default_security_group_id",
            "dhcp_options_id",
            "enable_network_address_usage_metrics",
            "id",
            "ipv6_association_id",
            "ipv6_cidr_block",
            "ipv6_cidr_block_network_border_group",
            "main_route_table_id",
            "owner_id",
        ],
        links: &[],
        sensitive: &[],
    }
}

pub fn subnet(s: &Stack, public: bool, k: usize) -> Shape {
    let id = subnet_id(s, public, k);
    let slot = if public { 3 + k as u32 } else { k as u32 };
    let kind = if public { "public" } else { "private" };
    Shape {
        values: tagged(
            json!({
                "arn": ec2_arn("subnet", &id),
                "assign_ipv6_address_on_creation": false,
                "availability_zone": AZS[k],
                "availability_zone_id": format!("euw1-az{}", k + 1),
                "cidr_block": s.subnet_cidr(slot),
                "customer_owned_ipv4_pool": "",
                "enable_dns64": false,
                "enable_lni_at_device_index": 0,
                "enable_resource_name_dns_a_record_on_launch": false,
                "enable_resource_name_dns_aaaa_record_on_launch": false,
                "id": id,
                "ipv6_cidr_block": "",
                "ipv6_cidr_block_association_id": "",
                "ipv6_native": false,
                "map_customer_owned_ip_on_launch": false,
                "map_public_ip_on_launch": false,
                "outpost_arn": "",
                "owner_id": ACCOUNT,
                "private_dns_hostname_type_on_launch": "ip-name",
                "timeouts": null,
                "vpc_id": vpc_id(s),
            }),
            s,
            &format!("{}-{kind}-{}", s.name, AZS[k]),
        ),
        computed: &[
            "arn",
            "availability_zone_id",
            "id",
            "ipv6_cidr_block_association_id",
            "owner_id",
            "private_dns_hostname_type_on_launch",
        ],
        links: &["vpc_id"],
        sensitive: &[],
    }
}

pub fn internet_gateway(s: &Stack) -> Shape {
    let id = igw_id(s);
    Shape {
        values: tagged(
            json!({
                "arn": ec2_arn("internet-gateway", &id),
                "id": id,
                "owner_id": ACCOUNT,
                "timeouts": null,
                "vpc_id": vpc_id(s),
            }),
            s,
            &s.name,
        ),
        computed: &["arn", "id", "owner_id"],
        links: &["vpc_id"],
        sensitive: &[],
    }
}

pub fn route_table(s: &Stack, which: &str) -> Shape {
    let id = rtb_id(s, which);
    Shape {
        values: tagged(
            json!({
                "arn": ec2_arn("route-table", &id),
                "id": id,
                "owner_id": ACCOUNT,
                "propagating_vgws": [],
                "route": [],
                "timeouts": null,
                "vpc_id": vpc_id(s),
            }),
            s,
            &format!("{}-{which}", s.name),
        ),
        computed: &["arn", "id", "owner_id", "propagating_vgws", "route"],
        links: &["vpc_id"],
        sensitive: &[],
    }
}

/// A route; `target` names the attribute holding the next hop (`gateway_id`,
/// `vpc_peering_connection_id`); `links` says which of its values come from other objects.
pub fn route(
    h: u64,
    rtb: &str,
    dest: &str,
    target: &str,
    hop: &str,
    links: &'static [&'static str],
) -> Shape {
    let mut v = json!({
        "carrier_gateway_id": null,
        "core_network_arn": null,
        "destination_cidr_block": dest,
        "destination_ipv6_cidr_block": null,
        "destination_prefix_list_id": null,
        "egress_only_gateway_id": null,
        "gateway_id": null,
        "id": format!("r-{rtb}{}", h % 10_000_000_000),
        "instance_id": "",
        "instance_owner_id": "",
        "local_gateway_id": null,
        "nat_gateway_id": null,
        "network_interface_id": "",
        "origin": "CreateRoute",
        "route_table_id": rtb,
        "state": "active",
        "timeouts": null,
        "transit_gateway_id": null,
        "vpc_endpoint_id": null,
        "vpc_peering_connection_id": null,
    });
    v[target] = Value::from(hop);
    Shape {
        values: v,
        computed: &[
            "id",
            "instance_id",
            "instance_owner_id",
            "network_interface_id",
            "origin",
            "state",
        ],
        links,
        sensitive: &[],
    }
}

pub fn route_table_association(s: &Stack, public: bool, k: usize) -> Shape {
    let which = if public { "public" } else { "private" };
    Shape {
        values: json!({
            "gateway_id": null,
            "id": s.id("rtbassoc", &format!("assoc-{which}-{k}")),
            "route_table_id": rtb_id(s, which),
            "subnet_id": subnet_id(s, public, k),
            "timeouts": null,
        }),
        computed: &["id"],
        links: &["route_table_id", "subnet_id"],
        sensitive: &[],
    }
}

fn rule(port: u16, cidrs: &[String], sgs: &[String], description: &str) -> Value {
    json!({
        "cidr_blocks": cidrs,
        "description": description,
        "from_port": port,
        "ipv6_cidr_blocks": [],
        "prefix_list_ids": [],
        "protocol": if port == 0 { "-1" } else { "tcp" },
        "security_groups": sgs,
        "self": false,
        "to_port": port,
    })
}

pub fn security_group(s: &Stack, which: &str) -> Shape {
    let id = sg_id(s, which);
    let anywhere = vec!["0.0.0.0/0".to_string()];
    let ingress = if which == "lb" {
        json!([
            rule(443, &anywhere, &[], "HTTPS from anywhere"),
            rule(80, &anywhere, &[], "HTTP redirect"),
        ])
    } else {
        json!([
            rule(8080, &[], &[sg_id(s, "lb")], "From the load balancer"),
            rule(5432, &[s.cidr()], &[], "PostgreSQL inside the VPC"),
        ])
    };
    Shape {
        values: tagged(
            json!({
                "arn": ec2_arn("security-group", &id),
                "description": format!("{which} of {}", s.name),
                "egress": [rule(0, &anywhere, &[], "")],
                "id": id,
                "ingress": ingress,
                "name": format!("{}-{which}", s.name),
                "name_prefix": "",
                "owner_id": ACCOUNT,
                "revoke_rules_on_delete": false,
                "timeouts": null,
                "vpc_id": vpc_id(s),
            }),
            s,
            &format!("{}-{which}", s.name),
        ),
        computed: &["arn", "id", "name_prefix", "owner_id"],
        links: if which == "lb" {
            &["vpc_id"]
        } else {
            &["vpc_id", "ingress"]
        },
        sensitive: &[],
    }
}

/// The key policy, as `data.aws_iam_policy_document.kms` renders it.
fn kms_policy_json() -> String {
    let doc = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "RootAccess",
            "Effect": "Allow",
            "Action": "kms:*",
            "Resource": "*",
            "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")},
        }],
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

pub fn kms_key(s: &Stack) -> Shape {
    let id = kms_key_id(s);
    Shape {
        values: tagged(
            json!({
                "arn": kms_arn(s),
                "bypass_policy_lockout_safety_check": false,
                "custom_key_store_id": "",
                "customer_master_key_spec": "SYMMETRIC_DEFAULT",
                "deletion_window_in_days": 30,
                "description": format!("Encryption key of {}", s.name),
                "enable_key_rotation": true,
                "id": id,
                "is_enabled": true,
                "key_id": id,
                "key_usage": "ENCRYPT_DECRYPT",
                "multi_region": false,
                "policy": kms_policy_json(),
                "rotation_period_in_days": 365,
                "timeouts": null,
                "xks_key_id": "",
            }),
            s,
            &s.name,
        ),
        computed: &[
            "arn",
            "id",
            "key_id",
            "multi_region",
            "rotation_period_in_days",
        ],
        links: &[],
        sensitive: &[],
    }
}

pub fn s3_bucket(s: &Stack, what: &str) -> Shape {
    let name = bucket_name(s, what);
    Shape {
        values: tagged(
            json!({
                "acceleration_status": "",
                "acl": null,
                "arn": bucket_arn(s, what),
                "bucket": name,
                "bucket_domain_name": format!("{name}.s3.amazonaws.com"),
                "bucket_prefix": "",
                "bucket_regional_domain_name": format!("{name}.s3.{REGION}.amazonaws.com"),
                "cors_rule": [],
                "force_destroy": false,
                "grant": [{
                    "id": format!("{:016x}{:016x}", s.h("canonical"), s.h("canonical2")),
                    "permissions": ["FULL_CONTROL"],
                    "type": "CanonicalUser",
                    "uri": "",
                }],
                "hosted_zone_id": "Z1BKCTXD74EZPE",
                "id": name,
                "lifecycle_rule": [],
                "logging": [],
                "object_lock_configuration": [],
                "object_lock_enabled": false,
                "policy": "",
                "region": REGION,
                "replication_configuration": [],
                "request_payer": "BucketOwner",
                "server_side_encryption_configuration": [{
                    "rule": [{
                        "apply_server_side_encryption_by_default": [{
                            "kms_master_key_id": "",
                            "sse_algorithm": "AES256",
                        }],
                        "bucket_key_enabled": false,
                    }],
                }],
                "timeouts": null,
                "versioning": [{"enabled": false, "mfa_delete": false}],
                "website": [],
                "website_domain": null,
                "website_endpoint": null,
            }),
            s,
            &name,
        ),
        computed: &[
            "acceleration_status",
            "arn",
            "bucket_domain_name",
            "bucket_regional_domain_name",
            "cors_rule",
            "grant",
            "hosted_zone_id",
            "id",
            "lifecycle_rule",
            "logging",
            "object_lock_configuration",
            "object_lock_enabled",
            "policy",
            "region",
            "replication_configuration",
            "request_payer",
            "server_side_encryption_configuration",
            "versioning",
            "website",
            "website_domain",
            "website_endpoint",
        ],
        links: &[],
        sensitive: &[],
    }
}

fn bucket_policy_doc(s: &Stack) -> Value {
    let arn = bucket_arn(s, "logs");
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "LogDelivery",
            "Effect": "Allow",
            "Action": "s3:PutObject",
            "Resource": [arn, format!("{arn}/*")],
            "Principal": {"Service": "delivery.logs.amazonaws.com"},
        }],
    })
}

pub fn s3_bucket_policy(s: &Stack) -> Shape {
    let name = bucket_name(s, "logs");
    Shape {
        values: json!({
            "bucket": name,
            "id": name,
            "policy": serde_json::to_string(&bucket_policy_doc(s)).unwrap_or_default(),
        }),
        computed: &["id"],
        links: &["bucket", "policy"],
        sensitive: &[],
    }
}

pub fn secret(s: &Stack) -> Shape {
    let arn = secret_arn(s);
    Shape {
        values: tagged(
            json!({
                "arn": arn,
                "description": "",
                "force_overwrite_replica_secret": false,
                "id": arn,
                "kms_key_id": kms_arn(s),
                "name": format!("{}/db", s.name),
                "name_prefix": "",
                "policy": "",
                "recovery_window_in_days": 7,
                "replica": [],
            }),
            s,
            &format!("{}/db", s.name),
        ),
        computed: &["arn", "id", "name_prefix", "policy", "replica"],
        links: &["kms_key_id"],
        sensitive: &[],
    }
}

pub fn secret_version(s: &Stack) -> Shape {
    let arn = secret_arn(s);
    let version = uuid(s.h("secret-version"), s.h("secret-version2"));
    Shape {
        values: json!({
            "arn": arn,
            "has_secret_string_wo": null,
            "id": format!("{arn}|{version}"),
            "secret_binary": "",
            "secret_id": arn,
            "secret_string": DB_PASSWORD,
            "secret_string_wo": null,
            "secret_string_wo_version": null,
            "version_id": version,
            "version_stages": ["AWSCURRENT"],
        }),
        computed: &["arn", "id", "version_id", "version_stages"],
        links: &["secret_id"],
        sensitive: &["secret_binary", "secret_string", "secret_string_wo"],
    }
}

pub fn db_subnet_group(s: &Stack) -> Shape {
    Shape {
        values: tagged(
            json!({
                "arn": format!("arn:aws:rds:{REGION}:{ACCOUNT}:subgrp:{}", s.name),
                "description": "Managed by Terraform",
                "id": s.name,
                "name": s.name,
                "name_prefix": "",
                "subnet_ids": (0..3).map(|k| subnet_id(s, false, k)).collect::<Vec<_>>(),
                "supported_network_types": ["IPV4"],
                "vpc_id": vpc_id(s),
            }),
            s,
            &s.name,
        ),
        computed: &[
            "arn",
            "id",
            "name_prefix",
            "supported_network_types",
            "vpc_id",
        ],
        links: &["subnet_ids"],
        sensitive: &[],
    }
}

pub fn db_instance(s: &Stack) -> Shape {
    let address = db_address(s);
    let resource_id = format!("db-{:026X}", s.h("db-resource") as u128 * 7919);
    let mut v = json!({
        "address": address,
        "allocated_storage": 100,
        "allow_major_version_upgrade": null,
        "apply_immediately": false,
        "arn": format!("arn:aws:rds:{REGION}:{ACCOUNT}:db:{}", s.name),
        "auto_minor_version_upgrade": true,
        "availability_zone": AZS[0],
        "backup_retention_period": 7,
        "backup_target": "region",
        "backup_window": "03:00-03:30",
        "blue_green_update": [],
        "ca_cert_identifier": "rds-ca-rsa2048-g1",
        "character_set_name": "",
        "copy_tags_to_snapshot": false,
        "custom_iam_instance_profile": null,
        "customer_owned_ip_enabled": null,
        "database_insights_mode": "standard",
        "db_name": "app",
        "db_subnet_group_name": s.name,
        "dedicated_log_volume": false,
        "delete_automated_backups": true,
        "deletion_protection": false,
        "domain": null,
        "domain_auth_secret_arn": null,
        "domain_dns_ips": null,
        "domain_fqdn": "",
        "domain_iam_role_name": null,
        "domain_ou": null,
        "enabled_cloudwatch_logs_exports": null,
        "endpoint": format!("{address}:5432"),
        "engine": "postgres",
        "engine_lifecycle_support": "open-source-rds-extended-support",
        "engine_version": "16.3",
        "engine_version_actual": "16.3",
        "final_snapshot_identifier": null,
        "hosted_zone_id": "Z29XKXDKYMONMX",
        "iam_database_authentication_enabled": false,
        "id": resource_id,
        "identifier": s.name,
        "identifier_prefix": "",
        "instance_class": s.db_class,
        "iops": 0,
        "kms_key_id": kms_arn(s),
        "latest_restorable_time": "2026-01-14T23:55:00Z",
        "license_model": "postgresql-license",
        "listener_endpoint": [],
        "maintenance_window": "sun:04:00-sun:04:30",
        "manage_master_user_password": null,
        "master_user_secret": [],
        "master_user_secret_kms_key_id": null,
        "max_allocated_storage": 0,
        "monitoring_interval": 0,
        "monitoring_role_arn": "",
        "multi_az": false,
        "nchar_character_set_name": "",
        "network_type": "IPV4",
        "option_group_name": "default:postgres-16",
        "parameter_group_name": "default.postgres16",
        "password": DB_PASSWORD,
        "password_wo": null,
        "password_wo_version": null,
        "performance_insights_enabled": false,
        "performance_insights_kms_key_id": "",
        "performance_insights_retention_period": 0,
        "port": 5432,
        "publicly_accessible": false,
        "replica_mode": "",
        "replicas": [],
        "replicate_source_db": "",
        "resource_id": resource_id,
        "restore_to_point_in_time": [],
        "s3_import": [],
        "skip_final_snapshot": false,
        "snapshot_identifier": null,
        "status": "available",
        "storage_encrypted": true,
        "storage_throughput": 0,
        "storage_type": "gp3",
        "timeouts": null,
        "timezone": "",
        "upgrade_storage_config": null,
        "username": "app_admin",
        "vpc_security_group_ids": [sg_id(s, "app")],
    });
    v = tagged(v, s, &s.name);
    Shape {
        values: v,
        computed: &[
            "address",
            "arn",
            "availability_zone",
            "backup_target",
            "backup_window",
            "ca_cert_identifier",
            "character_set_name",
            "database_insights_mode",
            "domain_fqdn",
            "endpoint",
            "engine_lifecycle_support",
            "engine_version_actual",
            "hosted_zone_id",
            "id",
            "identifier_prefix",
            "latest_restorable_time",
            "license_model",
            "listener_endpoint",
            "maintenance_window",
            "master_user_secret",
            "nchar_character_set_name",
            "network_type",
            "option_group_name",
            "parameter_group_name",
            "performance_insights_kms_key_id",
            "performance_insights_retention_period",
            "replica_mode",
            "replicas",
            "resource_id",
            "status",
            "storage_throughput",
            "timezone",
        ],
        links: &["kms_key_id", "vpc_security_group_ids"],
        sensitive: &["password", "password_wo"],
    }
}

pub fn route53_record(s: &Stack) -> Shape {
    let zone = zone_id(s.seed);
    let name = format!("{}-db.internal.example.com", s.name);
    Shape {
        values: json!({
            "alias": [],
            "allow_overwrite": null,
            "cidr_routing_policy": [],
            "failover_routing_policy": [],
            "fqdn": name,
            "geolocation_routing_policy": [],
            "geoproximity_routing_policy": [],
            "health_check_id": "",
            "id": format!("{zone}_{name}_CNAME"),
            "latency_routing_policy": [],
            "multivalue_answer_routing_policy": false,
            "name": name,
            "records": [db_address(s)],
            "set_identifier": "",
            "timeouts": null,
            "ttl": 300,
            "type": "CNAME",
            "weighted_routing_policy": [],
            "zone_id": zone,
        }),
        computed: &["fqdn", "id"],
        links: &["records"],
        sensitive: &[],
    }
}

pub fn flow_log(s: &Stack, log_destination: &str) -> Shape {
    let id = s.id("fl", "flow-log");
    Shape {
        values: tagged(
            json!({
                "arn": ec2_arn("vpc-flow-log", &id),
                "deliver_cross_account_role": "",
                "destination_options": [],
                "eni_id": null,
                "iam_role_arn": "",
                "id": id,
                "log_destination": log_destination,
                "log_destination_type": "s3",
                "log_format": "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}",
                "log_group_name": "",
                "max_aggregation_interval": 600,
                "subnet_id": null,
                "traffic_type": "ALL",
                "transit_gateway_attachment_id": null,
                "transit_gateway_id": null,
                "vpc_id": vpc_id(s),
            }),
            s,
            &s.name,
        ),
        computed: &["arn", "id", "log_format"],
        links: &["vpc_id"],
        sensitive: &[],
    }
}

pub fn log_group(s: &Stack) -> Shape {
    let name = format!("/vpc/{}", s.name);
    Shape {
        values: tagged(
            json!({
                "arn": format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{name}"),
                "id": name,
                "kms_key_id": kms_arn(s),
                "log_group_class": "STANDARD",
                "name": name,
                "name_prefix": "",
                "retention_in_days": 365,
                "skip_destroy": false,
            }),
            s,
            &name,
        ),
        computed: &["arn", "id", "name_prefix"],
        links: &["kms_key_id"],
        sensitive: &[],
    }
}

/// A peering between two VPCs of this account.
pub fn peering(
    h: u64,
    vpc: &str,
    peer_vpc: &str,
    name: &str,
    links: &'static [&'static str],
) -> Shape {
    let opts = json!([{"allow_remote_vpc_dns_resolution": false}]);
    Shape {
        values: json!({
            "accept_status": "active",
            "accepter": opts,
            "auto_accept": true,
            "id": aws_id("pcx", h),
            "peer_owner_id": ACCOUNT,
            "peer_region": REGION,
            "peer_vpc_id": peer_vpc,
            "requester": opts,
            "tags": {"Name": name},
            "tags_all": {"Environment": ENVIRONMENT, "Name": name},
            "timeouts": null,
            "vpc_id": vpc,
        }),
        computed: &[
            "accept_status",
            "accepter",
            "id",
            "peer_owner_id",
            "peer_region",
            "requester",
        ],
        links,
        sensitive: &[],
    }
}

pub fn caller_identity(s: &Stack) -> Shape {
    Shape {
        values: json!({
            "account_id": ACCOUNT,
            "arn": format!("arn:aws:sts::{ACCOUNT}:assumed-role/terraform-ci/session-{:08x}", hash(s.seed, u64::MAX, "session") >> 32),
            "id": ACCOUNT,
            "user_id": format!("AROA{:016X}:session", hash(s.seed, u64::MAX, "role")),
        }),
        computed: &[],
        links: &[],
        sensitive: &[],
    }
}

fn policy_document(json: String, statement: Value) -> Value {
    let minified = serde_json::from_str::<Value>(&json)
        .map(|v| v.to_string())
        .unwrap_or_default();
    let id = hash(0, 0, &json) % 10_000_000_000;
    json!({
        "id": id.to_string(),
        "json": json,
        "minified_json": minified,
        "override_json": null,
        "override_policy_documents": null,
        "policy_id": null,
        "source_json": null,
        "source_policy_documents": null,
        "statement": statement,
        "version": "2012-10-17",
    })
}

fn statement(sid: &str, actions: &[&str], resources: &[String], ptype: &str, who: &str) -> Value {
    json!([{
        "actions": actions,
        "condition": [],
        "effect": "Allow",
        "not_actions": [],
        "not_principals": [],
        "not_resources": [],
        "principals": [{"identifiers": [who], "type": ptype}],
        "resources": resources,
        "sid": sid,
    }])
}

pub fn kms_policy_document() -> Shape {
    let root = format!("arn:aws:iam::{ACCOUNT}:root");
    Shape {
        values: policy_document(
            kms_policy_json(),
            statement("RootAccess", &["kms:*"], &["*".to_string()], "AWS", &root),
        ),
        computed: &["id", "json", "minified_json"],
        links: &[],
        sensitive: &[],
    }
}

pub fn bucket_policy_document(s: &Stack) -> Shape {
    let arn = bucket_arn(s, "logs");
    Shape {
        values: policy_document(
            serde_json::to_string_pretty(&bucket_policy_doc(s)).unwrap_or_default(),
            statement(
                "LogDelivery",
                &["s3:PutObject"],
                &[arn.clone(), format!("{arn}/*")],
                "Service",
                "delivery.logs.amazonaws.com",
            ),
        ),
        computed: &["id", "json", "minified_json"],
        links: &["statement"],
        sensitive: &[],
    }
}

pub fn route53_zone(seed: u64) -> Shape {
    let zone = zone_id(seed);
    Shape {
        values: json!({
            "arn": format!("arn:aws:route53:::hostedzone/{zone}"),
            "caller_reference": "terraform-20240101000000000000000001",
            "comment": "internal names",
            "id": zone,
            "linked_service_description": null,
            "linked_service_principal": null,
            "name": "internal.example.com",
            "name_servers": [
                "ns-0.awsdns-00.com.",
                "ns-1024.awsdns-00.org.",
                "ns-1536.awsdns-00.co.uk.",
                "ns-512.awsdns-00.net.",
            ],
            "primary_name_server": "ns-0.awsdns-00.com.",
            "private_zone": true,
            "resource_record_set_count": 4242,
            "tags": {},
            "vpc_id": null,
            "zone_id": zone,
        }),
        computed: &[],
        links: &[],
        sensitive: &[],
    }
}

/// A peering made outside this configuration, read by id (`data.aws_vpc_peering_connection`).
pub fn legacy_peering(s: &Stack) -> Shape {
    let opts = json!([{
        "allow_classic_link_to_remote_vpc": false,
        "allow_remote_vpc_dns_resolution": false,
        "allow_vpc_to_remote_classic_link": false,
    }]);
    let mut tags = Map::new();
    tags.insert("Name".into(), Value::from(format!("legacy-{}", s.key)));
    Shape {
        values: json!({
            "accepter": opts,
            "cidr_block": s.cidr(),
            "cidr_block_set": [{"cidr_block": s.cidr()}],
            "filter": null,
            "id": s.legacy_pcx(),
            "ipv6_cidr_block_set": [],
            "owner_id": ACCOUNT,
            "peer_cidr_block": s.legacy_cidr(),
            "peer_cidr_block_set": [{"cidr_block": s.legacy_cidr()}],
            "peer_ipv6_cidr_block_set": [],
            "peer_owner_id": "444455556666",
            "peer_region": REGION,
            "peer_vpc_id": s.id("vpc", "legacy-peer-vpc"),
            "region": REGION,
            "requester": opts,
            "status": "active",
            "tags": tags,
            "timeouts": null,
            "vpc_id": vpc_id(s),
        }),
        computed: &[],
        links: &[],
        sensitive: &[],
    }
}
