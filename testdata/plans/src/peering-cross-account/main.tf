terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}

# Requester account
provider "aws" {
  region = "eu-west-1"
}

# Accepter account, other region
provider "aws" {
  alias   = "peer"
  region  = "us-west-2"
  profile = "peer-account"
}

variable "environment" {
  type        = string
  description = "Deployment environment name"
}

data "aws_caller_identity" "peer" {
  provider = aws.peer
}

resource "aws_vpc" "requester" {
  cidr_block           = "10.50.0.0/16"
  enable_dns_hostnames = true

  tags = {
    Name = "requester-${var.environment}"
  }
}

resource "aws_vpc" "accepter" {
  provider = aws.peer

  cidr_block           = "10.60.0.0/16"
  enable_dns_hostnames = true

  tags = {
    Name = "accepter-${var.environment}"
  }
}

resource "aws_vpc_peering_connection" "requester" {
  vpc_id        = aws_vpc.requester.id
  peer_vpc_id   = aws_vpc.accepter.id
  peer_owner_id = data.aws_caller_identity.peer.account_id
  peer_region   = "us-west-2"
  auto_accept   = false

  tags = {
    Name = "requester-to-accepter"
    Side = "Requester"
  }
}

resource "aws_vpc_peering_connection_accepter" "peer" {
  provider = aws.peer

  vpc_peering_connection_id = aws_vpc_peering_connection.requester.id
  auto_accept               = true

  tags = {
    Name = "requester-to-accepter"
    Side = "Accepter"
  }
}

resource "aws_route_table" "requester" {
  vpc_id = aws_vpc.requester.id

  tags = {
    Name = "requester-private"
  }
}

resource "aws_route_table" "accepter" {
  provider = aws.peer

  vpc_id = aws_vpc.accepter.id

  tags = {
    Name = "accepter-private"
  }
}

resource "aws_route" "requester_to_accepter" {
  route_table_id            = aws_route_table.requester.id
  destination_cidr_block    = aws_vpc.accepter.cidr_block
  vpc_peering_connection_id = aws_vpc_peering_connection.requester.id
}

resource "aws_route" "accepter_to_requester" {
  provider = aws.peer

  route_table_id            = aws_route_table.accepter.id
  destination_cidr_block    = aws_vpc.requester.cidr_block
  vpc_peering_connection_id = aws_vpc_peering_connection_accepter.peer.id
}

# DNS resolution across the peering has to be switched on from each side,
# once the connection is active.
resource "aws_vpc_peering_connection_options" "requester" {
  vpc_peering_connection_id = aws_vpc_peering_connection_accepter.peer.id

  requester {
    allow_remote_vpc_dns_resolution = true
  }
}

resource "aws_vpc_peering_connection_options" "accepter" {
  provider = aws.peer

  vpc_peering_connection_id = aws_vpc_peering_connection_accepter.peer.id

  accepter {
    allow_remote_vpc_dns_resolution = true
  }
}
