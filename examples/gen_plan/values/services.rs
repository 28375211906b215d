//! Service shapes: KMS key, buckets and their policy, secrets, database, DNS record, flow log
//! and log group.

use super::super::model::{Shape, Stack, ACCOUNT, AZS, DB_PASSWORD, REGION};
use super::{
    bucket_arn, bucket_name, db_address, ec2_arn, kms_arn, kms_key_id, secret_arn, sg_id,
    subnet_id, tagged, uuid, vpc_id, zone_id,
};
use serde_json::{json, Value};

/// The key policy, as `data.aws_iam_policy_document.kms` renders it.
pub(super) fn kms_policy_json() -> String {
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

pub(super) fn bucket_policy_doc(s: &Stack) -> Value {
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
