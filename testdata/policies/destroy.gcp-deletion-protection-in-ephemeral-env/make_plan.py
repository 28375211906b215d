"""Hand-written plan: Cloud SQL instances and GKE clusters with and without deletion
protection, shaped like testdata/plans/gcp-network-peering.json (Terraform 1.11.4, plan
format 1.2, hashicorp/google ~> 5.0)."""
import json, sys

GOOGLE = "registry.terraform.io/hashicorp/google"
PROJECT = "acme-apps-test"
REGION = "europe-west1"

def sql(name, tier, dp, dp_set, api_dp):
    settings = {
        "activation_policy": "ALWAYS", "active_directory_config": [], "advanced_machine_features": [],
        "availability_type": "ZONAL", "collation": None, "data_cache_config": [], "database_flags": [],
        "deletion_protection_enabled": api_dp, "deny_maintenance_period": [], "disk_autoresize": True,
        "disk_autoresize_limit": 0, "disk_type": "PD_SSD", "enable_dataplex_integration": None,
        "enable_google_ml_integration": None, "insights_config": [], "maintenance_window": [],
        "password_validation_policy": [], "pricing_plan": "PER_USE", "sql_server_audit_config": [],
        "tier": tier, "time_zone": None, "user_labels": None,
    }
    after = {
        "clone": [], "database_version": "POSTGRES_16", "deletion_protection": dp,
        "encryption_key_name": None, "name": f"{name}-test", "project": PROJECT, "region": REGION,
        "restore_backup_context": [], "root_password": None, "settings": [settings], "timeouts": None,
    }
    unknown = {
        "available_maintenance_versions": True, "clone": [], "connection_name": True, "dns_name": True,
        "first_ip_address": True, "id": True, "instance_type": True, "ip_address": True,
        "maintenance_version": True, "master_instance_name": True, "private_ip_address": True,
        "psc_service_attachment_link": True, "public_ip_address": True, "replica_configuration": True,
        "restore_backup_context": [], "self_link": True, "server_ca_cert": True,
        "service_account_email_address": True,
        "settings": [{"active_directory_config": [], "advanced_machine_features": [], "backup_configuration": True,
                      "connector_enforcement": True, "data_cache_config": [], "database_flags": [],
                      "deny_maintenance_period": [], "disk_size": True, "edition": True, "insights_config": [],
                      "ip_configuration": True, "location_preference": True, "maintenance_window": [],
                      "password_validation_policy": [], "sql_server_audit_config": [], "version": True}],
    }
    sens = {"available_maintenance_versions": [], "clone": [], "ip_address": [], "replica_configuration": [],
            "restore_backup_context": [], "root_password": True, "server_ca_cert": [],
            "settings": [{"active_directory_config": [], "advanced_machine_features": [], "backup_configuration": [],
                          "data_cache_config": [], "database_flags": [], "deny_maintenance_period": [],
                          "insights_config": [], "ip_configuration": [], "location_preference": [],
                          "maintenance_window": [], "password_validation_policy": [], "sql_server_audit_config": []}]}
    settings_expr = {"tier": {"constant_value": tier}}
    if api_dp is not None:
        settings_expr["deletion_protection_enabled"] = {"constant_value": api_dp}
    expr = {"database_version": {"constant_value": "POSTGRES_16"},
            "name": {"references": ["var.environment"]},
            "region": {"constant_value": REGION},
            "settings": [settings_expr]}
    if dp_set:
        expr["deletion_protection"] = {"constant_value": dp}
    return ("google_sql_database_instance", name, after, unknown, sens, dict(sorted(expr.items())))

def gke(name, dp, dp_set):
    after = {
        "allow_net_admin": None, "deletion_protection": dp, "description": None, "enable_autopilot": None,
        "enable_cilium_clusterwide_network_policy": False, "enable_fqdn_network_policy": None,
        "enable_intranode_visibility": None, "enable_k8s_beta_apis": [], "enable_kubernetes_alpha": False,
        "enable_l4_ilb_subsetting": False, "enable_legacy_abac": False, "enable_multi_networking": False,
        "enable_shielded_nodes": True, "enable_tpu": False, "initial_node_count": 1, "location": REGION,
        "maintenance_policy": [], "min_master_version": None, "monitoring_service": None,
        "name": f"{name}-test", "network": "default", "node_pool_auto_config": [], "project": PROJECT,
        "remove_default_node_pool": True, "resource_labels": None, "timeouts": None,
    }
    unknown = {
        "addons_config": True, "authenticator_groups_config": True, "binary_authorization": True,
        "cluster_autoscaling": True, "cluster_ipv4_cidr": True, "confidential_nodes": True,
        "cost_management_config": True, "database_encryption": True, "datapath_provider": True,
        "default_max_pods_per_node": True, "default_snat_status": True, "effective_labels": True,
        "enable_k8s_beta_apis": [], "endpoint": True, "fleet": True, "gateway_api_config": True, "id": True,
        "identity_service_config": True, "ip_allocation_policy": True, "label_fingerprint": True,
        "logging_config": True, "logging_service": True, "maintenance_policy": [], "master_auth": True,
        "master_authorized_networks_config": True, "master_version": True, "mesh_certificates": True,
        "monitoring_config": True, "network_policy": True, "networking_mode": True, "node_config": True,
        "node_locations": True, "node_pool": True, "node_pool_auto_config": [], "node_pool_defaults": True,
        "node_version": True, "notification_config": True, "operation": True, "private_cluster_config": True,
        "private_ipv6_google_access": True, "release_channel": True, "security_posture_config": True,
        "self_link": True, "service_external_ips_config": True, "services_ipv4_cidr": True,
        "subnetwork": True, "terraform_labels": True, "tpu_ipv4_cidr_block": True,
        "vertical_pod_autoscaling": True, "workload_identity_config": True,
    }
    sens = {"addons_config": [], "authenticator_groups_config": [], "binary_authorization": [],
            "cluster_autoscaling": [], "confidential_nodes": [], "cost_management_config": [],
            "database_encryption": [], "default_snat_status": [], "effective_labels": {},
            "enable_k8s_beta_apis": [], "fleet": [], "gateway_api_config": [], "identity_service_config": [],
            "ip_allocation_policy": [], "logging_config": [], "maintenance_policy": [], "master_auth": [],
            "master_authorized_networks_config": [], "mesh_certificates": [], "monitoring_config": [],
            "network_policy": [], "node_config": [], "node_locations": [], "node_pool": [],
            "node_pool_auto_config": [], "node_pool_defaults": [], "notification_config": [],
            "private_cluster_config": [], "release_channel": [], "security_posture_config": [],
            "service_external_ips_config": [], "terraform_labels": {}, "vertical_pod_autoscaling": [],
            "workload_identity_config": []}
    expr = {"initial_node_count": {"constant_value": 1}, "location": {"constant_value": REGION},
            "name": {"references": ["var.environment"]}, "remove_default_node_pool": {"constant_value": True}}
    if dp_set:
        expr["deletion_protection"] = {"constant_value": dp}
    return ("google_container_cluster", name, after, unknown, sens, dict(sorted(expr.items())))

res = [
    # deletion_protection not set: the provider's default, true.
    sql("app", "db-custom-2-7680", True, False, None),
    sql("scratch", "db-f1-micro", False, True, None),
    # Terraform's guard off, Cloud SQL's own deletion protection on.
    sql("reporting", "db-custom-1-3840", False, True, True),
    gke("apps", True, False),
    gke("scratch", False, True),
]
res.sort(key=lambda r: (r[0], r[1]))
env = sys.argv[1] if len(sys.argv) > 1 else "test"
planned, changes, config = [], [], []
for t, n, after, unknown, sens, expr in res:
    addr = f"{t}.{n}"
    planned.append({"address": addr, "mode": "managed", "type": t, "name": n, "provider_name": GOOGLE,
                    "schema_version": 1 if t == "google_container_cluster" else 0,
                    "values": dict(sorted(after.items())), "sensitive_values": dict(sorted(sens.items()))})
    changes.append({"address": addr, "mode": "managed", "type": t, "name": n, "provider_name": GOOGLE,
                    "change": {"actions": ["create"], "before": None, "after": dict(sorted(after.items())),
                               "after_unknown": dict(sorted(unknown.items())), "before_sensitive": False,
                               "after_sensitive": dict(sorted(sens.items()))}})
    config.append({"address": addr, "mode": "managed", "type": t, "name": n, "provider_config_key": "google",
                   "expressions": expr, "schema_version": 1 if t == "google_container_cluster" else 0})
plan = {
    "format_version": "1.2", "terraform_version": "1.11.4",
    "variables": {"environment": {"value": env}},
    "planned_values": {"root_module": {"resources": planned}},
    "resource_changes": changes,
    "configuration": {
        "provider_config": {"google": {"name": "google", "full_name": GOOGLE, "version_constraint": "~> 5.0",
                                       "expressions": {"project": {"constant_value": PROJECT},
                                                       "region": {"constant_value": REGION}}}},
        "root_module": {"resources": config,
                        "variables": {"environment": {"description": "Deployment environment name"}}},
    },
    "timestamp": "2026-11-23T15:40:00Z", "applyable": True, "complete": True, "errored": False,
}
json.dump(plan, sys.stdout, indent=2, ensure_ascii=False)
sys.stdout.write("\n")
