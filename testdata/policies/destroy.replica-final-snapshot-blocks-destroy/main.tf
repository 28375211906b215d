# A primary database and two read replicas: `reporting` set up to be deletable
# (skip_final_snapshot = true), `legacy` a replica of a database outside this configuration
# (its source is a literal ARN) that asks for a final snapshot, which AWS refuses for a
# replica. Planned for a test environment.
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

resource "aws_db_instance" "main" {
  identifier                  = "app-${var.environment}"
  engine                      = "postgres"
  engine_version              = "16.3"
  instance_class              = "db.t4g.small"
  username                    = "app_admin"
  manage_master_user_password = true
  allocated_storage           = 20
  storage_type                = "gp3"
  storage_encrypted           = true
  backup_retention_period     = 1
  skip_final_snapshot         = true

  tags = {
    Environment = var.environment
  }
}

resource "aws_db_instance" "reporting" {
  identifier          = "app-${var.environment}-reporting"
  replicate_source_db = aws_db_instance.main.identifier
  instance_class      = "db.t4g.small"
  storage_encrypted   = true
  skip_final_snapshot = true

  tags = {
    Environment = var.environment
  }
}

resource "aws_db_instance" "legacy" {
  identifier                = "legacy-${var.environment}-replica"
  replicate_source_db       = "arn:aws:rds:eu-west-1:111122223333:db:legacy-${var.environment}"
  instance_class            = "db.t4g.small"
  storage_encrypted         = true
  skip_final_snapshot       = false
  final_snapshot_identifier = "legacy-${var.environment}-replica-final"

  tags = {
    Environment = var.environment
  }
}
