# Databases and caches of a test environment, each sized one of two ways: the production
# way (`analytics`, `ledger`, `sessions`, `events`) and the test way (`scratch`, `audit`,
# `tokens`). Planned for a test environment.
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

# ---------------------------------------------------------------------------- Aurora

resource "aws_rds_cluster" "analytics" {
  cluster_identifier          = "analytics-${var.environment}"
  engine                      = "aurora-postgresql"
  engine_version              = "16.4"
  master_username             = "analytics_admin"
  manage_master_user_password = true
  storage_encrypted           = true
  skip_final_snapshot         = true

  tags = {
    Environment = var.environment
  }
}

# Two memory-optimised writers/readers with enhanced monitoring and Performance Insights.
resource "aws_rds_cluster_instance" "analytics" {
  count                        = 2
  identifier                   = "analytics-${var.environment}-${count.index}"
  cluster_identifier           = aws_rds_cluster.analytics.id
  engine                       = aws_rds_cluster.analytics.engine
  engine_version               = aws_rds_cluster.analytics.engine_version
  instance_class               = "db.r6g.large"
  monitoring_interval          = 60
  monitoring_role_arn          = "arn:aws:iam::111122223333:role/rds-enhanced-monitoring"
  performance_insights_enabled = true

  tags = {
    Environment = var.environment
  }
}

resource "aws_rds_cluster" "scratch" {
  cluster_identifier          = "scratch-${var.environment}"
  engine                      = "aurora-postgresql"
  engine_version              = "16.4"
  master_username             = "scratch_admin"
  manage_master_user_password = true
  storage_encrypted           = true
  skip_final_snapshot         = true

  tags = {
    Environment = var.environment
  }
}

resource "aws_rds_cluster_instance" "scratch" {
  identifier                   = "scratch-${var.environment}-0"
  cluster_identifier           = aws_rds_cluster.scratch.id
  engine                       = aws_rds_cluster.scratch.engine
  engine_version               = aws_rds_cluster.scratch.engine_version
  instance_class               = "db.t4g.medium"
  monitoring_interval          = 0
  performance_insights_enabled = false

  tags = {
    Environment = var.environment
  }
}

# ---------------------------------------------------------------------------- Multi-AZ DB cluster

# A non-Aurora Multi-AZ DB cluster (one writer, two readers) on provisioned-IOPS storage.
resource "aws_rds_cluster" "events" {
  cluster_identifier          = "events-${var.environment}"
  engine                      = "postgres"
  engine_version              = "16.4"
  db_cluster_instance_class   = "db.m6gd.large"
  storage_type                = "io1"
  allocated_storage           = 100
  iops                        = 1000
  master_username             = "events_admin"
  manage_master_user_password = true
  storage_encrypted           = true
  skip_final_snapshot         = true

  tags = {
    Environment = var.environment
  }
}

# ---------------------------------------------------------------------------- RDS storage autoscaling

# Starts small, but storage autoscaling may grow it to 1,000 GB (and storage never shrinks).
resource "aws_db_instance" "ledger" {
  identifier                  = "ledger-${var.environment}"
  engine                      = "postgres"
  engine_version              = "16.3"
  instance_class              = "db.t4g.small"
  username                    = "ledger_admin"
  manage_master_user_password = true
  allocated_storage           = 20
  max_allocated_storage       = 1000
  storage_type                = "gp3"
  storage_encrypted           = true
  skip_final_snapshot         = true

  tags = {
    Environment = var.environment
  }
}

resource "aws_db_instance" "audit" {
  identifier                  = "audit-${var.environment}"
  engine                      = "postgres"
  engine_version              = "16.3"
  instance_class              = "db.t4g.micro"
  username                    = "audit_admin"
  manage_master_user_password = true
  allocated_storage           = 20
  max_allocated_storage       = 50
  storage_type                = "gp3"
  storage_encrypted           = true
  skip_final_snapshot         = true

  tags = {
    Environment = var.environment
  }
}

# ---------------------------------------------------------------------------- ElastiCache

resource "aws_elasticache_cluster" "sessions" {
  cluster_id      = "sessions-${var.environment}"
  engine          = "memcached"
  node_type       = "cache.m5.large"
  num_cache_nodes = 2
  port            = 11211

  tags = {
    Environment = var.environment
  }
}

resource "aws_elasticache_cluster" "tokens" {
  cluster_id      = "tokens-${var.environment}"
  engine          = "memcached"
  node_type       = "cache.t4g.micro"
  num_cache_nodes = 1
  port            = 11211

  tags = {
    Environment = var.environment
  }
}
