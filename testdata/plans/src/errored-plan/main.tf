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

data "aws_route53_zone" "corp" {
  name         = "corp.example.com."
  private_zone = false
}

resource "aws_vpc" "main" {
  cidr_block           = "10.90.0.0/16"
  enable_dns_hostnames = true

  tags = {
    Name = "main-${var.environment}"
  }
}

resource "aws_subnet" "private" {
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.90.1.0/24"
  availability_zone = "eu-west-1a"

  tags = {
    Name = "main-private-a"
  }
}

resource "aws_route53_record" "api" {
  zone_id = data.aws_route53_zone.corp.zone_id
  name    = "api-${var.environment}"
  type    = "CNAME"
  ttl     = 300
  records = ["internal-api-${var.environment}.eu-west-1.elb.amazonaws.com"]
}
