terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}

# Primary region
provider "aws" {
  region = "us-east-1"
}

# Disaster-recovery region
provider "aws" {
  alias  = "dr"
  region = "us-west-2"
}

variable "environment" {
  type        = string
  description = "Deployment environment name"
}

# The public zone the database names live in.
data "aws_route53_zone" "main" {
  name         = "example.internal."
  private_zone = false
}

resource "aws_kms_key" "primary" {
  description             = "Database key for app-${var.environment} (us-east-1)"
  deletion_window_in_days = 30
  enable_key_rotation     = true

  tags = {
    Name        = "app-${var.environment}-db"
    Environment = var.environment
  }
}

resource "aws_kms_key" "dr" {
  provider = aws.dr

  description             = "Database key for app-${var.environment} replica (us-west-2)"
  deletion_window_in_days = 30
  enable_key_rotation     = true

  tags = {
    Name        = "app-${var.environment}-db-dr"
    Environment = var.environment
  }
}

resource "aws_db_subnet_group" "primary" {
  name       = "app-${var.environment}"
  subnet_ids = ["subnet-0e1d2c3b4a5f60789", "subnet-06f5e4d3c2b1a0987"]

  tags = {
    Name        = "app-${var.environment}"
    Environment = var.environment
  }
}

resource "aws_db_subnet_group" "dr" {
  provider = aws.dr

  name       = "app-${var.environment}-dr"
  subnet_ids = ["subnet-0a4b3c2d1e0f98765", "subnet-0b5c4d3e2f1a09876"]

  tags = {
    Name        = "app-${var.environment}-dr"
    Environment = var.environment
  }
}

resource "aws_db_instance" "primary" {
  identifier     = "app-${var.environment}"
  engine         = "postgres"
  engine_version = "16.3"
  instance_class = "db.r6g.large"
  db_name        = "app"
  username       = "app_admin"

  manage_master_user_password   = true
  master_user_secret_kms_key_id = aws_kms_key.primary.arn

  allocated_storage = 200
  storage_type      = "gp3"
  storage_encrypted = true
  kms_key_id        = aws_kms_key.primary.arn

  multi_az             = true
  db_subnet_group_name = aws_db_subnet_group.primary.name

  backup_retention_period   = 7
  backup_window             = "03:00-04:00"
  maintenance_window        = "sun:04:30-sun:05:30"
  copy_tags_to_snapshot     = true
  deletion_protection       = true
  skip_final_snapshot       = false
  final_snapshot_identifier = "app-${var.environment}-final"

  tags = {
    Name        = "app-${var.environment}"
    Environment = var.environment
  }
}

# Cross-region read replica, promoted by hand if us-east-1 is lost.
resource "aws_db_instance" "replica" {
  provider = aws.dr

  identifier          = "app-${var.environment}-dr"
  replicate_source_db = aws_db_instance.primary.arn
  instance_class      = "db.r6g.large"

  storage_encrypted = true
  kms_key_id        = aws_kms_key.dr.arn

  multi_az             = true
  db_subnet_group_name = aws_db_subnet_group.dr.name

  backup_retention_period   = 7
  copy_tags_to_snapshot     = true
  deletion_protection       = true
  skip_final_snapshot       = false
  final_snapshot_identifier = "app-${var.environment}-dr-final"

  tags = {
    Name        = "app-${var.environment}-dr"
    Environment = var.environment
  }
}

# Application credentials, replicated to the DR region.
resource "aws_secretsmanager_secret" "db" {
  name                    = "app/${var.environment}/db-app-credentials"
  description             = "Application database credentials for app-${var.environment}"
  kms_key_id              = aws_kms_key.primary.arn
  recovery_window_in_days = 30

  replica {
    region     = "us-west-2"
    kms_key_id = aws_kms_key.dr.arn
  }

  tags = {
    Name        = "app-${var.environment}-db-app-credentials"
    Environment = var.environment
  }
}

# Health of the primary, for DNS failover.
resource "aws_route53_health_check" "db" {
  fqdn              = aws_db_instance.primary.address
  port              = 5432
  type              = "TCP"
  failure_threshold = 3
  request_interval  = 30

  tags = {
    Name        = "app-${var.environment}-db-primary"
    Environment = var.environment
  }
}

resource "aws_route53_record" "primary" {
  zone_id = data.aws_route53_zone.main.zone_id
  name    = "db-${var.environment}"
  type    = "CNAME"
  ttl     = 60
  records = [aws_db_instance.primary.address]

  set_identifier  = "primary"
  health_check_id = aws_route53_health_check.db.id

  failover_routing_policy {
    type = "PRIMARY"
  }
}

resource "aws_route53_record" "secondary" {
  zone_id = data.aws_route53_zone.main.zone_id
  name    = "db-${var.environment}"
  type    = "CNAME"
  ttl     = 60
  records = [aws_db_instance.replica.address]

  set_identifier = "secondary"

  failover_routing_policy {
    type = "SECONDARY"
  }
}
