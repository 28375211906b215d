# A blue/green pair of VPCs cloned with the same CIDR, a tools VPC whose secondary
# CIDR collides with blue, and a shared-services VPC with its own range. Route tables
# are left out: AWS refuses the overlapping peerings before any route matters.
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

resource "aws_vpc" "blue" {
  cidr_block = "10.120.0.0/16"

  tags = {
    Name        = "blue-${var.environment}"
    Environment = var.environment
  }
}

# Cloned from blue, CIDR included.
resource "aws_vpc" "green" {
  cidr_block = "10.120.0.0/16"

  tags = {
    Name        = "green-${var.environment}"
    Environment = var.environment
  }
}

resource "aws_vpc" "tools" {
  cidr_block = "10.121.0.0/16"

  tags = {
    Name        = "tools-${var.environment}"
    Environment = var.environment
  }
}

# Added when tools ran out of addresses: it lies inside blue's 10.120.0.0/16.
resource "aws_vpc_ipv4_cidr_block_association" "tools_extra" {
  vpc_id     = aws_vpc.tools.id
  cidr_block = "10.120.128.0/20"
}

resource "aws_vpc" "shared" {
  cidr_block = "10.122.0.0/16"

  tags = {
    Name        = "shared-${var.environment}"
    Environment = var.environment
  }
}

# Overlap of the primary CIDRs.
resource "aws_vpc_peering_connection" "blue_green" {
  vpc_id      = aws_vpc.blue.id
  peer_vpc_id = aws_vpc.green.id
  auto_accept = true

  tags = {
    Name = "blue-to-green"
  }
}

# Overlap through the tools VPC's secondary CIDR.
resource "aws_vpc_peering_connection" "tools_blue" {
  vpc_id      = aws_vpc.tools.id
  peer_vpc_id = aws_vpc.blue.id
  auto_accept = true

  tags = {
    Name = "tools-to-blue"
  }
}

# No overlap.
resource "aws_vpc_peering_connection" "shared_blue" {
  vpc_id      = aws_vpc.shared.id
  peer_vpc_id = aws_vpc.blue.id
  auto_accept = true

  tags = {
    Name = "shared-to-blue"
  }
}
