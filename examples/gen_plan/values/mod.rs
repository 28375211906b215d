//! Attribute values of each resource type, as the AWS provider (v5) reports them, with the
//! attributes the provider computes (unknown when the object is created), those taken from
//! other objects (unknown when those are new) and those marked sensitive. The ids every type
//! shares live here; the shapes by family in `network`, `services` and `data`.

mod data;
mod network;
mod services;

pub use data::*;
pub use network::*;
pub use services::*;

use super::model::{hash, Stack, ACCOUNT, ENVIRONMENT, REGION};
use serde_json::{json, Value};

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
