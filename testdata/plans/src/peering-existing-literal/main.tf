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

resource "aws_vpc" "app" {
  cidr_block           = "10.70.0.0/16"
  enable_dns_hostnames = true

  tags = {
    Name = "app-${var.environment}"
  }
}

resource "aws_vpc" "shared" {
  cidr_block           = "10.80.0.0/16"
  enable_dns_hostnames = true

  tags = {
    Name = "shared-${var.environment}"
  }
}

resource "aws_route_table" "app" {
  vpc_id = aws_vpc.app.id

  tags = {
    Name = "app-private"
  }
}

resource "aws_vpc_peering_connection" "legacy" {
  vpc_id      = aws_vpc.app.id
  peer_vpc_id = aws_vpc.shared.id
  auto_accept = true

  tags = {
    Name = "app-to-shared"
  }
}

# Added later by hand: the peering id was pasted from the console.
resource "aws_route" "to_legacy" {
  route_table_id            = aws_route_table.app.id
  destination_cidr_block    = "10.80.0.0/16"
  vpc_peering_connection_id = "pcx-0a1b2c3d4e5f67890"
}
