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

resource "aws_vpc" "requester" {
  cidr_block           = "10.10.0.0/16"
  enable_dns_hostnames = true

  tags = {
    Name        = "requester-${var.environment}"
    Environment = var.environment
  }
}

resource "aws_vpc" "accepter" {
  cidr_block           = "10.20.0.0/16"
  enable_dns_hostnames = true

  tags = {
    Name        = "accepter-${var.environment}"
    Environment = var.environment
  }
}

resource "aws_subnet" "requester" {
  vpc_id            = aws_vpc.requester.id
  cidr_block        = "10.10.1.0/24"
  availability_zone = "eu-west-1a"

  tags = {
    Name = "requester-private-a"
  }
}

resource "aws_subnet" "accepter" {
  vpc_id            = aws_vpc.accepter.id
  cidr_block        = "10.20.1.0/24"
  availability_zone = "eu-west-1a"

  tags = {
    Name = "accepter-private-a"
  }
}

resource "aws_route_table" "requester" {
  vpc_id = aws_vpc.requester.id

  tags = {
    Name = "requester-private"
  }
}

resource "aws_route_table" "accepter" {
  vpc_id = aws_vpc.accepter.id

  tags = {
    Name = "accepter-private"
  }
}

resource "aws_route_table_association" "requester" {
  subnet_id      = aws_subnet.requester.id
  route_table_id = aws_route_table.requester.id
}

resource "aws_route_table_association" "accepter" {
  subnet_id      = aws_subnet.accepter.id
  route_table_id = aws_route_table.accepter.id
}

resource "aws_vpc_peering_connection" "main" {
  vpc_id      = aws_vpc.requester.id
  peer_vpc_id = aws_vpc.accepter.id
  auto_accept = true

  tags = {
    Name = "requester-to-accepter"
  }
}

resource "aws_route" "requester_to_accepter" {
  route_table_id            = aws_route_table.requester.id
  destination_cidr_block    = aws_vpc.accepter.cidr_block
  vpc_peering_connection_id = aws_vpc_peering_connection.main.id
}

resource "aws_security_group" "requester" {
  name        = "requester-app-${var.environment}"
  description = "App tier in the requester VPC"
  vpc_id      = aws_vpc.requester.id

  ingress {
    description = "HTTPS from the accepter VPC"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = [aws_vpc.accepter.cidr_block]
  }

  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_security_group" "accepter" {
  name        = "accepter-db-${var.environment}"
  description = "Database tier in the accepter VPC"
  vpc_id      = aws_vpc.accepter.id

  ingress {
    description = "PostgreSQL from inside the accepter VPC"
    from_port   = 5432
    to_port     = 5432
    protocol    = "tcp"
    cidr_blocks = [aws_vpc.accepter.cidr_block]
  }

  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
