# Database clusters of one application, each guarded a different way: `orders`, `catalog`
# and `graph` the production way (deletion protection on, a named final snapshot);
# `scratch` the throw-away way (no protection, no final snapshot); `reports` with the
# provider defaults (no protection, skip_final_snapshot = false and no snapshot name, so
# AWS refuses to delete it). Planned for a test environment.
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

variable "db_password" {
  type        = string
  description = "Master password of the document and graph databases"
  sensitive   = true
}

# ---------------------------------------------------------------------------- Aurora

resource "aws_rds_cluster" "orders" {
  cluster_identifier          = "orders-${var.environment}"
  engine                      = "aurora-postgresql"
  engine_version              = "16.4"
  database_name               = "orders"
  master_username             = "orders_admin"
  manage_master_user_password = true
  storage_encrypted           = true
  backup_retention_period     = 7
  deletion_protection         = true
  skip_final_snapshot         = false
  final_snapshot_identifier   = "orders-${var.environment}-final"

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
  deletion_protection         = false
  skip_final_snapshot         = true

  tags = {
    Environment = var.environment
  }
}

resource "aws_rds_cluster" "reports" {
  cluster_identifier          = "reports-${var.environment}"
  engine                      = "aurora-mysql"
  engine_version              = "8.0.mysql_aurora.3.08.0"
  master_username             = "reports_admin"
  manage_master_user_password = true
  storage_encrypted           = true

  tags = {
    Environment = var.environment
  }
}

# ---------------------------------------------------------------------------- DocumentDB

resource "aws_docdb_cluster" "catalog" {
  cluster_identifier        = "catalog-${var.environment}"
  engine                    = "docdb"
  master_username           = "catalog_admin"
  master_password           = var.db_password
  storage_encrypted         = true
  deletion_protection       = true
  skip_final_snapshot       = false
  final_snapshot_identifier = "catalog-${var.environment}-final"

  tags = {
    Environment = var.environment
  }
}

resource "aws_docdb_cluster" "scratch" {
  cluster_identifier  = "catalog-scratch-${var.environment}"
  engine              = "docdb"
  master_username     = "scratch_admin"
  master_password     = var.db_password
  storage_encrypted   = true
  deletion_protection = false
  skip_final_snapshot = true

  tags = {
    Environment = var.environment
  }
}

# ---------------------------------------------------------------------------- Neptune

resource "aws_neptune_cluster" "graph" {
  cluster_identifier                  = "graph-${var.environment}"
  engine                              = "neptune"
  iam_database_authentication_enabled = true
  storage_encrypted                   = true
  deletion_protection                 = true
  skip_final_snapshot                 = false
  final_snapshot_identifier           = "graph-${var.environment}-final"

  tags = {
    Environment = var.environment
  }
}

resource "aws_neptune_cluster" "scratch" {
  cluster_identifier                  = "graph-scratch-${var.environment}"
  engine                              = "neptune"
  iam_database_authentication_enabled = true
  storage_encrypted                   = true
  deletion_protection                 = false
  skip_final_snapshot                 = true

  tags = {
    Environment = var.environment
  }
}
