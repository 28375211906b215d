# What the real fixtures in testdata/plans/ do not show, for the hygiene pack's test cases:
# peered VPCs with and without flow logs, default routes through a peering, Route 53 health
# checks on non-RDS targets and on a literal RDS endpoint, a CloudTrail key without the
# cloudtrail principal, names given by name_prefix, database ports open to the world through
# separate rule resources, and three sibling DynamoDB tables of which one is encrypted
# differently. Each defect is deliberate and named in a comment.
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

  default_tags {
    tags = {
      Environment = var.environment
      Project     = "plangate-hygiene"
      ManagedBy   = "terraform"
    }
  }
}

variable "environment" {
  type        = string
  description = "Deployment environment name"
}

variable "environment_suffix" {
  type        = string
  description = "Suffix that keeps the names of one deployment unique"
}

data "aws_caller_identity" "current" {}

# ---------------------------------------------------------------------------- peered VPCs

resource "aws_vpc" "hub" {
  cidr_block = "10.60.0.0/16"

  tags = {
    Name  = "hub-${var.environment_suffix}"
    Owner = "platform-network"
  }
}

# Peered, but no aws_flow_log refers to it.
resource "aws_vpc" "spoke" {
  cidr_block = "10.61.0.0/16"

  tags = {
    Name  = "spoke-${var.environment_suffix}"
    Owner = "platform-network"
  }
}

# Not peered and without a flow log: outside the peered-network baseline.
resource "aws_vpc" "sandbox" {
  cidr_block = "10.62.0.0/16"

  tags = {
    Name  = "sandbox-${var.environment_suffix}"
    Owner = "platform-network"
  }
}

resource "aws_vpc_peering_connection" "hub_spoke" {
  vpc_id      = aws_vpc.hub.id
  peer_vpc_id = aws_vpc.spoke.id
  auto_accept = true

  tags = {
    Name  = "hub-spoke-${var.environment_suffix}"
    Owner = "platform-network"
  }
}

resource "aws_cloudwatch_log_group" "hub_flow" {
  name              = "/aws/vpc-flow-logs/hub-${var.environment_suffix}"
  retention_in_days = 30

  tags = {
    Owner = "platform-network"
  }
}

resource "aws_iam_role" "flow" {
  name = "vpc-flow-logs-${var.environment_suffix}"

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "vpc-flow-logs.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })

  tags = {
    Owner = "platform-network"
  }
}

resource "aws_flow_log" "hub" {
  vpc_id               = aws_vpc.hub.id
  traffic_type         = "ALL"
  log_destination_type = "cloud-watch-logs"
  log_destination      = aws_cloudwatch_log_group.hub_flow.arn
  iam_role_arn         = aws_iam_role.flow.arn

  tags = {
    Owner = "platform-network"
  }
}

resource "aws_internet_gateway" "hub" {
  vpc_id = aws_vpc.hub.id

  tags = {
    Owner = "platform-network"
  }
}

resource "aws_route_table" "hub" {
  vpc_id = aws_vpc.hub.id

  tags = {
    Owner = "platform-network"
  }
}

resource "aws_route_table" "spoke" {
  vpc_id = aws_vpc.spoke.id

  tags = {
    Owner = "platform-network"
  }
}

# The hub reaches the spoke's CIDR through the peering: fine.
resource "aws_route" "hub_to_spoke" {
  route_table_id            = aws_route_table.hub.id
  destination_cidr_block    = aws_vpc.spoke.cidr_block
  vpc_peering_connection_id = aws_vpc_peering_connection.hub_spoke.id
}

# The hub's default route goes to its internet gateway: fine.
resource "aws_route" "hub_internet" {
  route_table_id         = aws_route_table.hub.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.hub.id
}

# The spoke sends everything through the peering: a default route via a peering
# connection (peering is not transitive; the traffic is dropped at the hub).
resource "aws_route" "spoke_default" {
  route_table_id            = aws_route_table.spoke.id
  destination_cidr_block    = "0.0.0.0/0"
  vpc_peering_connection_id = aws_vpc_peering_connection.hub_spoke.id
}

# The same with an inline route block.
resource "aws_route_table" "spoke_inline" {
  vpc_id = aws_vpc.spoke.id

  route {
    cidr_block                = "0.0.0.0/0"
    vpc_peering_connection_id = aws_vpc_peering_connection.hub_spoke.id
  }

  tags = {
    Owner = "platform-network"
  }
}

# ---------------------------------------------------------------------------- security groups

# name_prefix with the suffix: unique, and replaceable with create_before_destroy.
resource "aws_security_group" "web" {
  name_prefix = "web-${var.environment_suffix}-"
  description = "Web tier"
  vpc_id      = aws_vpc.hub.id

  ingress {
    description = "HTTPS from anywhere"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }

  tags = {
    Owner = "platform-network"
  }

  lifecycle {
    create_before_destroy = true
  }
}

# name_prefix without the suffix: two deployments would share the prefix.
resource "aws_security_group" "batch" {
  name_prefix = "batch-"
  description = "Batch workers"
  vpc_id      = aws_vpc.hub.id

  tags = {
    Owner = "platform-network"
  }
}

# MySQL open to the world through a separate rule resource.
resource "aws_vpc_security_group_ingress_rule" "batch_mysql_world" {
  security_group_id = aws_security_group.batch.id
  description       = "MySQL from anywhere"
  ip_protocol       = "tcp"
  from_port         = 3306
  to_port           = 3306
  cidr_ipv4         = "0.0.0.0/0"

  tags = {
    Owner = "platform-network"
  }
}

# Every port, so every database port, open to the world.
resource "aws_security_group_rule" "batch_all_world" {
  type              = "ingress"
  description       = "Everything from anywhere"
  security_group_id = aws_security_group.batch.id
  protocol          = "-1"
  from_port         = 0
  to_port           = 0
  cidr_blocks       = ["0.0.0.0/0"]
}

# PostgreSQL from inside the hub only: fine.
resource "aws_security_group_rule" "batch_postgres_hub" {
  type              = "ingress"
  description       = "PostgreSQL from the hub"
  security_group_id = aws_security_group.batch.id
  protocol          = "tcp"
  from_port         = 5432
  to_port           = 5432
  cidr_blocks       = [aws_vpc.hub.cidr_block]
}

# HTTPS from anywhere: not a database port.
resource "aws_vpc_security_group_ingress_rule" "batch_https_world" {
  security_group_id = aws_security_group.batch.id
  description       = "HTTPS from anywhere"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"

  tags = {
    Owner = "platform-network"
  }
}

# ---------------------------------------------------------------------------- health checks

resource "aws_lb" "api" {
  name               = "api-${var.environment_suffix}"
  load_balancer_type = "network"
  internal           = false
  subnets            = ["subnet-0a1b2c3d4e5f60718", "subnet-0b2c3d4e5f6071829"]

  tags = {
    Owner = "platform-network"
  }
}

# The load balancer's DNS name: stable, fine.
resource "aws_route53_health_check" "api" {
  fqdn              = aws_lb.api.dns_name
  port              = 443
  type              = "HTTPS"
  resource_path     = "/healthz"
  failure_threshold = 3
  request_interval  = 30

  tags = {
    Owner = "platform-network"
  }
}

# A fixed IP address: fine.
resource "aws_route53_health_check" "edge" {
  ip_address        = "203.0.113.10"
  port              = 443
  type              = "TCP"
  failure_threshold = 3
  request_interval  = 30

  tags = {
    Owner = "platform-network"
  }
}

# An RDS endpoint written as a literal: it moves to the standby on failover.
resource "aws_route53_health_check" "legacy_db" {
  fqdn              = "legacy.c9akciq32.eu-west-1.rds.amazonaws.com"
  port              = 5432
  type              = "TCP"
  failure_threshold = 3
  request_interval  = 30

  tags = {
    Owner = "platform-network"
  }
}

# ---------------------------------------------------------------------------- CloudTrail

data "aws_iam_policy_document" "trail_key" {
  statement {
    sid       = "AccountAdmin"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }
}

# Used by the trail below, but its key policy does not allow cloudtrail.amazonaws.com.
resource "aws_kms_key" "trail" {
  description             = "CloudTrail key (${var.environment_suffix})"
  deletion_window_in_days = 7
  enable_key_rotation     = true
  policy                  = data.aws_iam_policy_document.trail_key.json

  tags = {
    Owner = "platform-security"
  }
}

resource "aws_s3_bucket" "trail" {
  bucket        = "plangate-hygiene-trail-${var.environment_suffix}"
  force_destroy = true

  tags = {
    Owner = "platform-security"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "trail" {
  bucket = aws_s3_bucket.trail.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_public_access_block" "trail" {
  bucket                  = aws_s3_bucket.trail.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_cloudtrail" "main" {
  name           = "main-${var.environment_suffix}"
  s3_bucket_name = aws_s3_bucket.trail.id
  kms_key_id     = aws_kms_key.trail.arn

  tags = {
    Owner = "platform-security"
  }
}

# Its key policy allows the service in an inline JSON document (not a data source).
resource "aws_kms_key" "audit" {
  description             = "Audit trail key (${var.environment_suffix})"
  deletion_window_in_days = 7
  enable_key_rotation     = true
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountAdmin"
        Effect    = "Allow"
        Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "CloudTrail"
        Effect    = "Allow"
        Principal = { Service = ["cloudtrail.amazonaws.com"] }
        Action    = ["kms:GenerateDataKey*", "kms:DescribeKey"]
        Resource  = "*"
      },
    ]
  })

  tags = {
    Owner = "platform-security"
  }
}

resource "aws_cloudtrail" "audit" {
  name           = "audit-${var.environment_suffix}"
  s3_bucket_name = aws_s3_bucket.trail.id
  kms_key_id     = aws_kms_key.audit.arn

  tags = {
    Owner = "platform-security"
  }
}

# ---------------------------------------------------------------------------- DynamoDB

resource "aws_kms_key" "tables" {
  description             = "Table key (${var.environment_suffix})"
  deletion_window_in_days = 7
  enable_key_rotation     = true

  tags = {
    Owner = "platform-data"
  }
}

resource "aws_dynamodb_table" "orders" {
  name         = "orders-${var.environment_suffix}"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "Id"

  attribute {
    name = "Id"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.tables.arn
  }

  tags = {
    Owner = "platform-data"
  }
}

resource "aws_dynamodb_table" "invoices" {
  name         = "invoices-${var.environment_suffix}"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "Id"

  attribute {
    name = "Id"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.tables.arn
  }

  tags = {
    Owner = "platform-data"
  }
}

# Encrypted with the AWS-owned key while its siblings use aws_kms_key.tables, and no
# point_in_time_recovery block at all.
resource "aws_dynamodb_table" "sessions" {
  name         = "sessions-${var.environment_suffix}"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "Id"

  attribute {
    name = "Id"
    type = "S"
  }

  tags = {
    Owner = "platform-data"
  }
}

# A table alone in its module instance: no siblings to differ from.
module "audit_table" {
  source = "./modules/table"

  name = "audit-${var.environment_suffix}"
}
