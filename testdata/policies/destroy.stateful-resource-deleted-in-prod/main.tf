# A production change that looks harmless: turn on encryption at rest for the database
# (storage_encrypted cannot change in place, so Terraform replaces the instance), give the
# uploads bucket a per-environment name (a new bucket, and the old one is deleted), and
# remove the sessions table from the configuration (Terraform deletes it). The KMS key and
# the file system are unchanged. Planned with -refresh=false against the hand-written
# terraform.tfstate beside this file (the state before the change).
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

resource "aws_kms_key" "data" {
  description             = "Data key for the ${var.environment} application"
  deletion_window_in_days = 30
  enable_key_rotation     = true

  tags = {
    Environment = var.environment
  }
}

resource "aws_db_instance" "main" {
  identifier                  = "app-${var.environment}"
  engine                      = "postgres"
  engine_version              = "16.3"
  instance_class              = "db.r6g.large"
  db_name                     = "app"
  username                    = "app_admin"
  manage_master_user_password = true
  allocated_storage           = 200
  storage_type                = "gp3"
  storage_encrypted           = true
  kms_key_id                  = aws_kms_key.data.arn
  multi_az                    = true
  backup_retention_period     = 7
  deletion_protection         = true
  skip_final_snapshot         = false
  final_snapshot_identifier   = "app-${var.environment}-final"

  tags = {
    Environment = var.environment
  }
}

resource "aws_s3_bucket" "uploads" {
  bucket = "plangate-uploads-${var.environment}"

  tags = {
    Environment = var.environment
  }
}

resource "aws_efs_file_system" "shared" {
  creation_token = "app-shared-${var.environment}"
  encrypted      = true
  kms_key_id     = aws_kms_key.data.arn

  tags = {
    Environment = var.environment
  }
}
