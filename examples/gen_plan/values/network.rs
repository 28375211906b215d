//! Network shapes: VPC, subnets, gateway, route tables and routes, associations, security
//! groups, peerings (managed, and made outside Terraform and read by id).

use super::super::model::{aws_id, Shape, Stack, ACCOUNT, AZS, ENVIRONMENT, REGION};
use super::{ec2_arn, igw_id, rtb_id, sg_id, subnet_id, tagged, vpc_id};
use serde_json::{json, Map, Value};

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
