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
  description = "IPv4 CIDR block of the VPC"
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

variable "flow_log_retention_days" {
  type        = number
  description = "Retention of the VPC flow log group"
  default     = 365
}

resource "aws_vpc" "this" {
  cidr_block           = var.cidr_block
  enable_dns_hostnames = true

  tags = {
    Name = var.name
  }
}

resource "aws_subnet" "private" {
  count = 2

  vpc_id            = aws_vpc.this.id
  cidr_block        = cidrsubnet(var.cidr_block, 8, count.index + 1)
  availability_zone = var.availability_zones[count.index]

  tags = {
    Name = "${var.name}-private-${count.index}"
  }
}

resource "aws_route_table" "private" {
  vpc_id = aws_vpc.this.id

  tags = {
    Name = "${var.name}-private"
  }
}

resource "aws_route_table_association" "private" {
  count = 2

  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private.id
}

resource "aws_security_group" "app" {
  name_prefix = "${var.name}-app-"
  description = "App tier of ${var.name}: HTTPS within the VPC and from its peers"
  vpc_id      = aws_vpc.this.id

  ingress {
    description = "HTTPS from the VPC and its peers"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = concat([var.cidr_block], var.peer_cidrs)
  }

  egress {
    description = "HTTPS to the VPC and its peers"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = concat([var.cidr_block], var.peer_cidrs)
  }

  tags = {
    Name = "${var.name}-app"
  }

  lifecycle {
    create_before_destroy = true
  }
}

# VPC flow logs to CloudWatch Logs.
resource "aws_cloudwatch_log_group" "flow" {
  name              = "/aws/vpc-flow-logs/${var.name}"
  retention_in_days = var.flow_log_retention_days

  tags = {
    Name = "${var.name}-flow-logs"
  }
}

resource "aws_iam_role" "flow" {
  name = "${var.name}-vpc-flow-logs"

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "vpc-flow-logs.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })

  tags = {
    Name = "${var.name}-vpc-flow-logs"
  }
}

resource "aws_iam_role_policy" "flow" {
  name = "write-flow-logs"
  role = aws_iam_role.flow.id

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect = "Allow"
      Action = [
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "logs:DescribeLogGroups",
        "logs:DescribeLogStreams",
      ]
      Resource = "${aws_cloudwatch_log_group.flow.arn}:*"
    }]
  })
}

resource "aws_flow_log" "this" {
  vpc_id               = aws_vpc.this.id
  traffic_type         = "ALL"
  log_destination_type = "cloud-watch-logs"
  log_destination      = aws_cloudwatch_log_group.flow.arn
  iam_role_arn         = aws_iam_role.flow.arn

  tags = {
    Name = "${var.name}-flow-log"
  }
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
  value       = aws_route_table.private.id
}

output "subnet_ids" {
  description = "IDs of the private subnets"
  value       = aws_subnet.private[*].id
}
