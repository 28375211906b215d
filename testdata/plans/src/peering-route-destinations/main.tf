# Two VPCs peered app -> data; data has a secondary CIDR. The routes through the
# peering include correct ones (the peer's primary and secondary CIDR, a subnet of
# the peer) and three mistakes (see NOTES.md).
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
  cidr_block           = "10.90.0.0/16"
  enable_dns_hostnames = true

  tags = {
    Name        = "app-${var.environment}"
    Environment = var.environment
  }
}

resource "aws_vpc" "data" {
  cidr_block           = "10.91.0.0/16"
  enable_dns_hostnames = true

  tags = {
    Name        = "data-${var.environment}"
    Environment = var.environment
  }
}

resource "aws_vpc_ipv4_cidr_block_association" "data_secondary" {
  vpc_id     = aws_vpc.data.id
  cidr_block = "10.92.0.0/16"
}

resource "aws_subnet" "app" {
  vpc_id            = aws_vpc.app.id
  cidr_block        = "10.90.1.0/24"
  availability_zone = "eu-west-1a"

  tags = {
    Name = "app-private-a"
  }
}

resource "aws_subnet" "data" {
  vpc_id            = aws_vpc.data.id
  cidr_block        = "10.91.1.0/24"
  availability_zone = "eu-west-1a"

  tags = {
    Name = "data-private-a"
  }
}

resource "aws_route_table" "app" {
  vpc_id = aws_vpc.app.id

  tags = {
    Name = "app-private"
  }
}

resource "aws_route_table" "data" {
  vpc_id = aws_vpc.data.id

  tags = {
    Name = "data-private"
  }
}

resource "aws_route_table_association" "app" {
  subnet_id      = aws_subnet.app.id
  route_table_id = aws_route_table.app.id
}

resource "aws_route_table_association" "data" {
  subnet_id      = aws_subnet.data.id
  route_table_id = aws_route_table.data.id
}

resource "aws_internet_gateway" "app" {
  vpc_id = aws_vpc.app.id

  tags = {
    Name = "app"
  }
}

resource "aws_vpc_peering_connection" "app_data" {
  vpc_id      = aws_vpc.app.id
  peer_vpc_id = aws_vpc.data.id
  auto_accept = true

  tags = {
    Name = "app-to-data"
  }
}

# ---------------------------------------------------------------- app side

# Correct: the peer's primary CIDR.
resource "aws_route" "app_to_data" {
  route_table_id            = aws_route_table.app.id
  destination_cidr_block    = aws_vpc.data.cidr_block
  vpc_peering_connection_id = aws_vpc_peering_connection.app_data.id
}

# Correct: the peer's secondary CIDR.
resource "aws_route" "app_to_data_secondary" {
  route_table_id            = aws_route_table.app.id
  destination_cidr_block    = aws_vpc_ipv4_cidr_block_association.data_secondary.cidr_block
  vpc_peering_connection_id = aws_vpc_peering_connection.app_data.id
}

# Wrong: the app VPC's own CIDR (copy-paste of the wrong VPC).
resource "aws_route" "app_to_itself" {
  route_table_id            = aws_route_table.app.id
  destination_cidr_block    = aws_vpc.app.cidr_block
  vpc_peering_connection_id = aws_vpc_peering_connection.app_data.id
}

# Not through the peering: not selected.
resource "aws_route" "app_internet" {
  route_table_id         = aws_route_table.app.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.app.id
}

# ---------------------------------------------------------------- data side

# Correct: narrower than the peer's CIDR (only the app subnet).
resource "aws_route" "data_to_app_subnet" {
  route_table_id            = aws_route_table.data.id
  destination_cidr_block    = aws_subnet.app.cidr_block
  vpc_peering_connection_id = aws_vpc_peering_connection.app_data.id
}

# Too wide: all of 10.0.0.0/8 goes into the peering.
resource "aws_route" "data_to_everything" {
  route_table_id            = aws_route_table.data.id
  destination_cidr_block    = "10.0.0.0/8"
  vpc_peering_connection_id = aws_vpc_peering_connection.app_data.id
}

# Wrong network: the office range belongs behind a VPN, not the peering.
resource "aws_route" "data_to_office" {
  route_table_id            = aws_route_table.data.id
  destination_cidr_block    = "172.16.0.0/16"
  vpc_peering_connection_id = aws_vpc_peering_connection.app_data.id
}
