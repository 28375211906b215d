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
}

variable "environment" {
  type        = string
  description = "Deployment environment name"
}

variable "secondary_cidrs" {
  type        = map(string)
  description = "Secondary IPv4 CIDR of a VPC, by VPC key"
  default = {
    b = "10.20.0.0/16"
  }
}

variable "sg_peer_cidrs" {
  type        = map(list(string))
  description = "CIDRs that each VPC's app security group admits on HTTPS, by VPC key"
  default = {
    a = ["10.2.0.0/16", "10.20.0.0/16", "10.3.0.0/16"]
    b = ["10.1.0.0/16", "10.3.0.0/16"]
    c = ["10.1.0.0/16", "10.2.0.0/16", "10.20.0.0/16", "10.4.0.0/16"]
    d = []
  }
}

variable "peer_routes" {
  type = map(object({
    pair        = string
    vpc         = string
    destination = string
  }))
  description = "One route per (peering, side): the side's private route table sends the other side's CIDR through the peering"
  default = {
    "a-b/a"           = { pair = "a-b", vpc = "a", destination = "10.2.0.0/16" }
    "a-b/b"           = { pair = "a-b", vpc = "b", destination = "10.1.0.0/16" }
    "a-c/a"           = { pair = "a-c", vpc = "a", destination = "10.0.0.0/8" }
    "a-c/c"           = { pair = "a-c", vpc = "c", destination = "10.1.0.0/16" }
    "b-c/b"           = { pair = "b-c", vpc = "b", destination = "10.3.0.0/16" }
    "b-c/c"           = { pair = "b-c", vpc = "c", destination = "10.2.0.0/16" }
    "b-c/c-secondary" = { pair = "b-c", vpc = "c", destination = "10.20.0.0/16" }
    "c-d/c"           = { pair = "c-d", vpc = "c", destination = "10.4.0.0/16" }
  }
}

module "vpc" {
  source = "./modules/vpc"
  for_each = {
    a = "10.1.0.0/16"
    b = "10.2.0.0/16"
    c = "10.3.0.0/16"
    d = "10.4.0.0/16"
  }

  name           = "mesh-${each.key}-${var.environment}"
  environment    = var.environment
  cidr_block     = each.value
  secondary_cidr = lookup(var.secondary_cidrs, each.key, null)
  peer_cidrs     = var.sg_peer_cidrs[each.key]
}

resource "aws_vpc_peering_connection" "this" {
  for_each = {
    "a-b" = { requester = "a", accepter = "b" }
    "a-c" = { requester = "a", accepter = "c" }
    "b-c" = { requester = "b", accepter = "c" }
    "c-d" = { requester = "c", accepter = "d" }
  }

  vpc_id      = module.vpc[each.value.requester].vpc_id
  peer_vpc_id = module.vpc[each.value.accepter].vpc_id
  auto_accept = true

  tags = {
    Name        = "mesh-${each.key}-${var.environment}"
    Environment = var.environment
  }
}

resource "aws_route" "peer" {
  for_each = var.peer_routes

  route_table_id            = module.vpc[each.value.vpc].route_table_id
  destination_cidr_block    = each.value.destination
  vpc_peering_connection_id = aws_vpc_peering_connection.this[each.value.pair].id
}
