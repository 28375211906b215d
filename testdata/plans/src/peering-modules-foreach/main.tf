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

module "vpc" {
  source   = "./modules/vpc"
  for_each = {
    app  = "10.30.0.0/16"
    data = "10.40.0.0/16"
  }

  name       = "${each.key}-${var.environment}"
  cidr_block = each.value
}

resource "aws_vpc_peering_connection" "app_data" {
  vpc_id      = module.vpc["app"].vpc_id
  peer_vpc_id = module.vpc["data"].vpc_id
  auto_accept = true

  tags = {
    Name = "app-to-data-${var.environment}"
  }
}

resource "aws_route" "to_peer" {
  for_each = {
    app  = "data"
    data = "app"
  }

  route_table_id            = module.vpc[each.key].route_table_id
  destination_cidr_block    = module.vpc[each.value].cidr_block
  vpc_peering_connection_id = aws_vpc_peering_connection.app_data.id
}
