//! Data source shapes: caller identity, IAM policy documents, the shared private zone.

use super::super::model::{hash, Shape, Stack, ACCOUNT};
use super::services::{bucket_policy_doc, kms_policy_json};
use super::{bucket_arn, zone_id};
use serde_json::{json, Value};

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
