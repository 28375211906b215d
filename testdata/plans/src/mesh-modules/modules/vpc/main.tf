variable "name" {
  type        = string
  description = "Name prefix for every resource in this VPC"
}

variable "environment" {
  type        = string
  description = "Deployment environment name"
}

variable "cidr_block" {
  type        = string
  description = "Primary IPv4 CIDR block of the VPC"
}

variable "secondary_cidr" {
  type        = string
  description = "Optional secondary IPv4 CIDR block associated with the VPC"
  default     = null
}

variable "availability_zones" {
  type        = list(string)
  description = "Availability zones of the two private subnets"
  default     = ["eu-west-1a", "eu-west-1b"]
}

variable "peer_cidrs" {
  type        = list(string)
  description = "CIDRs of the peered VPCs that the app security group admits on HTTPS"
  default     = []
}

resource "aws_vpc" "this" {
  cidr_block           = var.cidr_block
  enable_dns_hostnames = true

  tags = {
    Name        = var.name
    Environment = var.environment
  }
}

resource "aws_vpc_ipv4_cidr_block_association" "secondary" {
  count = var.secondary_cidr == null ? 0 : 1

  vpc_id     = aws_vpc.this.id
  cidr_block = var.secondary_cidr
}

resource "aws_subnet" "private" {
  count = 2

  vpc_id            = aws_vpc.this.id
  cidr_block        = cidrsubnet(var.cidr_block, 8, count.index + 1)
  availability_zone = var.availability_zones[count.index]

  tags = {
    Name        = "${var.name}-private-${count.index}"
    Environment = var.environment
  }
}

resource "aws_route_table" "private" {
  vpc_id = aws_vpc.this.id

  tags = {
    Name        = "${var.name}-private"
    Environment = var.environment
  }
}

resource "aws_route_table_association" "private" {
  count = 2

  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private.id
}

resource "aws_security_group" "app" {
  name        = "${var.name}-app"
  description = "App tier of ${var.name}: HTTPS from the VPC and its peers"
  vpc_id      = aws_vpc.this.id

  ingress {
    description = "HTTPS from inside the VPC"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = [var.cidr_block]
  }

  dynamic "ingress" {
    for_each = var.peer_cidrs

    content {
      description = "HTTPS from peer ${ingress.value}"
      from_port   = 443
      to_port     = 443
      protocol    = "tcp"
      cidr_blocks = [ingress.value]
    }
  }

  egress {
    description = "All outbound"
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }

  tags = {
    Name        = "${var.name}-app"
    Environment = var.environment
  }
}

output "vpc_id" {
  description = "ID of the VPC"
  value       = aws_vpc.this.id
}

output "cidr_block" {
  description = "Primary IPv4 CIDR block of the VPC"
  value       = aws_vpc.this.cidr_block
}

output "route_table_id" {
  description = "ID of the private route table"
  value       = aws_route_table.private.id
}

output "subnet_ids" {
  description = "IDs of the private subnets"
  value       = aws_subnet.private[*].id
}
