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
  description = "Master password of the application database"
  sensitive   = true
}

data "aws_route53_zone" "primary" {
  name         = "example.internal."
  private_zone = false
}

resource "aws_kms_key" "main" {
  description             = "Data key for the ${var.environment} application"
  deletion_window_in_days = 30
  enable_key_rotation     = false
}

resource "aws_s3_bucket" "artifacts" {
  bucket        = "plangate-artifacts-${var.environment}"
  force_destroy = false

  tags = {
    Environment = var.environment
  }
}

resource "aws_secretsmanager_secret" "db" {
  name                    = "app/${var.environment}/db-master"
  kms_key_id              = aws_kms_key.main.arn
  recovery_window_in_days = 30
}

resource "aws_db_subnet_group" "main" {
  name       = "app-${var.environment}"
  subnet_ids = ["subnet-0e1d2c3b4a5f60789", "subnet-06f5e4d3c2b1a0987"]

  tags = {
    Environment = var.environment
  }
}

resource "aws_db_instance" "main" {
  identifier     = "app-${var.environment}"
  engine         = "postgres"
  engine_version = "16.3"
  instance_class = "db.r6g.large"
  db_name        = "app"
  username       = "app_admin"
  password       = var.db_password

  allocated_storage = 100
  storage_type      = "io1"
  iops              = 3000
  storage_encrypted = true
  kms_key_id        = aws_kms_key.main.arn

  multi_az             = true
  db_subnet_group_name = aws_db_subnet_group.main.name

  backup_retention_period = 7
  deletion_protection     = true
  skip_final_snapshot     = false

  monitoring_interval = 60
  monitoring_role_arn = "arn:aws:iam::111122223333:role/rds-enhanced-monitoring"

  performance_insights_enabled    = true
  performance_insights_kms_key_id = aws_kms_key.main.arn

  tags = {
    Environment = var.environment
  }
}

resource "aws_route53_record" "db" {
  zone_id = data.aws_route53_zone.primary.zone_id
  name    = "db-${var.environment}"
  type    = "CNAME"
  ttl     = 300
  records = [aws_db_instance.main.address]
}
