terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}

provider "aws" {
  region = "eu-west-1"

  default_tags {
    tags = {
      Environment = var.environment
      Project     = "network-mesh"
      Owner       = "platform-network"
      ManagedBy   = "terraform"
    }
  }
}

variable "environment" {
  type        = string
  description = "Deployment environment name"
}

variable "vpc_cidrs" {
  type        = map(string)
  description = "Primary IPv4 CIDR of every VPC in the mesh, by VPC key"
  default = {
    shared    = "10.101.0.0/16"
    identity  = "10.102.0.0/16"
    payments  = "10.103.0.0/16"
    orders    = "10.104.0.0/16"
    search    = "10.105.0.0/16"
    analytics = "10.106.0.0/16"
    reporting = "10.107.0.0/16"
    ml        = "10.108.0.0/16"
    batch     = "10.109.0.0/16"
    archive   = "10.110.0.0/16"
  }
}

# Nine peerings: "shared" is a hub for five VPCs, and a chain runs
# analytics - reporting - ml - batch - archive.
variable "peerings" {
  type = map(object({
    requester = string
    accepter  = string
  }))
  description = "VPC peering connections, by pair key"
  default = {
    "shared-identity"     = { requester = "shared", accepter = "identity" }
    "shared-payments"     = { requester = "shared", accepter = "payments" }
    "shared-orders"       = { requester = "shared", accepter = "orders" }
    "shared-search"       = { requester = "shared", accepter = "search" }
    "shared-analytics"    = { requester = "shared", accepter = "analytics" }
    "analytics-reporting" = { requester = "analytics", accepter = "reporting" }
    "reporting-ml"        = { requester = "reporting", accepter = "ml" }
    "ml-batch"            = { requester = "ml", accepter = "batch" }
    "batch-archive"       = { requester = "batch", accepter = "archive" }
  }
}

# Both sides of every peering: the side's private route table sends the
# peer's CIDR through the peering.
variable "peer_routes" {
  type = map(object({
    pair = string
    vpc  = string
    peer = string
  }))
  description = "One route per (peering, side), by \"pair/side\""
  default = {
    "shared-identity/shared"        = { pair = "shared-identity", vpc = "shared", peer = "identity" }
    "shared-identity/identity"      = { pair = "shared-identity", vpc = "identity", peer = "shared" }
    "shared-payments/shared"        = { pair = "shared-payments", vpc = "shared", peer = "payments" }
    "shared-payments/payments"      = { pair = "shared-payments", vpc = "payments", peer = "shared" }
    "shared-orders/shared"          = { pair = "shared-orders", vpc = "shared", peer = "orders" }
    "shared-orders/orders"          = { pair = "shared-orders", vpc = "orders", peer = "shared" }
    "shared-search/shared"          = { pair = "shared-search", vpc = "shared", peer = "search" }
    "shared-search/search"          = { pair = "shared-search", vpc = "search", peer = "shared" }
    "shared-analytics/shared"       = { pair = "shared-analytics", vpc = "shared", peer = "analytics" }
    "shared-analytics/analytics"    = { pair = "shared-analytics", vpc = "analytics", peer = "shared" }
    "analytics-reporting/analytics" = { pair = "analytics-reporting", vpc = "analytics", peer = "reporting" }
    "analytics-reporting/reporting" = { pair = "analytics-reporting", vpc = "reporting", peer = "analytics" }
    "reporting-ml/reporting"        = { pair = "reporting-ml", vpc = "reporting", peer = "ml" }
    "reporting-ml/ml"               = { pair = "reporting-ml", vpc = "ml", peer = "reporting" }
    "ml-batch/ml"                   = { pair = "ml-batch", vpc = "ml", peer = "batch" }
    "ml-batch/batch"                = { pair = "ml-batch", vpc = "batch", peer = "ml" }
    "batch-archive/batch"           = { pair = "batch-archive", vpc = "batch", peer = "archive" }
    "batch-archive/archive"         = { pair = "batch-archive", vpc = "archive", peer = "batch" }
  }
}

module "vpc" {
  source   = "./modules/vpc"
  for_each = var.vpc_cidrs

  name        = "${each.key}-${var.environment}"
  environment = var.environment
  cidr_block  = each.value
  peer_cidrs = [
    for k, p in var.peerings : var.vpc_cidrs[p.requester == each.key ? p.accepter : p.requester]
    if p.requester == each.key || p.accepter == each.key
  ]
}

resource "aws_vpc_peering_connection" "this" {
  for_each = var.peerings

  vpc_id      = module.vpc[each.value.requester].vpc_id
  peer_vpc_id = module.vpc[each.value.accepter].vpc_id
  auto_accept = true

  tags = {
    Name = "${each.key}-${var.environment}"
  }
}

resource "aws_route" "peer" {
  for_each = var.peer_routes

  route_table_id            = module.vpc[each.value.vpc].route_table_id
  destination_cidr_block    = module.vpc[each.value.peer].cidr_block
  vpc_peering_connection_id = aws_vpc_peering_connection.this[each.value.pair].id
}
