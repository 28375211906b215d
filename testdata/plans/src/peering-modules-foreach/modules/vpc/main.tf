variable "name" {
  type        = string
  description = "Name prefix for every resource in this VPC"
}

variable "cidr_block" {
  type        = string
  description = "IPv4 CIDR block of the VPC"
}

variable "availability_zone" {
  type        = string
  description = "Availability zone of the private subnet"
  default     = "eu-west-1a"
}

resource "aws_vpc" "this" {
  cidr_block           = var.cidr_block
  enable_dns_hostnames = true

  tags = {
    Name = var.name
  }
}

resource "aws_subnet" "this" {
  vpc_id            = aws_vpc.this.id
  cidr_block        = cidrsubnet(var.cidr_block, 8, 1)
  availability_zone = var.availability_zone

  tags = {
    Name = "${var.name}-private"
  }
}

resource "aws_route_table" "this" {
  vpc_id = aws_vpc.this.id

  tags = {
    Name = "${var.name}-private"
  }
}

resource "aws_route_table_association" "this" {
  subnet_id      = aws_subnet.this.id
  route_table_id = aws_route_table.this.id
}

output "vpc_id" {
  description = "ID of the VPC"
  value       = aws_vpc.this.id
}

output "cidr_block" {
  description = "IPv4 CIDR block of the VPC"
  value       = aws_vpc.this.cidr_block
}

output "route_table_id" {
  description = "ID of the private route table"
  value       = aws_route_table.this.id
}
