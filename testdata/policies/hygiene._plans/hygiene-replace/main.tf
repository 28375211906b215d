# Security groups that already exist (terraform.tfstate, hand-written) and whose description
# changes, which forces a replacement. Planned with -refresh=false.
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

# A fixed name, replaced: the new group cannot be created while the old one holds the name,
# and the old one cannot be deleted while network interfaces use it.
resource "aws_security_group" "db" {
  name        = "db-${var.environment}"
  description = "Database tier (PostgreSQL only)"
  vpc_id      = "vpc-0a1b2c3d4e5f60718"

  tags = {
    Name = "db-${var.environment}"
  }
}

# name_prefix and create_before_destroy: the new group is created first, under a new name.
resource "aws_security_group" "app" {
  name_prefix = "app-${var.environment}-"
  description = "App tier (HTTPS only)"
  vpc_id      = "vpc-0a1b2c3d4e5f60718"

  tags = {
    Name = "app-${var.environment}"
  }

  lifecycle {
    create_before_destroy = true
  }
}

# A fixed name, only retagged: updated in place, nothing is replaced.
resource "aws_security_group" "cache" {
  name        = "cache-${var.environment}"
  description = "Cache tier"
  vpc_id      = "vpc-0a1b2c3d4e5f60718"

  tags = {
    Name = "cache-${var.environment}"
    Tier = "cache"
  }
}
