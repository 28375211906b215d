# Data sources of every kind, and resources that depend on each of them (some
# transitively): self-contained ones computed from the provider's own context, look-ups of
# pre-existing infrastructure (answered by ../mock_aws.py), a remote state read from a
# local file shipped beside this configuration, and a look-up of a bucket this plan creates
# (its read is deferred to apply).
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

# ---------------------------------------------------------------------------- self-contained

data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

data "aws_partition" "current" {}

data "aws_availability_zones" "available" {
  state = "available"
}

data "aws_iam_policy_document" "app_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

# ---------------------------------------------------------------------------- look-ups

data "aws_vpc" "shared" {
  filter {
    name   = "tag:Name"
    values = ["shared-${var.environment}"]
  }
}

data "aws_subnets" "shared" {
  filter {
    name   = "vpc-id"
    values = [data.aws_vpc.shared.id]
  }

  tags = {
    Tier = "private"
  }
}

data "aws_route53_zone" "corp" {
  name         = "corp.example.net."
  private_zone = false
}

data "aws_secretsmanager_secret_version" "db" {
  secret_id = "shared/${var.environment}/app-db"
}

data "aws_ssm_parameter" "ami" {
  name = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
}

data "aws_acm_certificate" "web" {
  domain      = "*.corp.example.net"
  statuses    = ["ISSUED"]
  most_recent = true
}

data "aws_kms_alias" "shared" {
  name = "alias/shared-${var.environment}"
}

data "aws_iam_role" "deployer" {
  name = "deployer"
}

# ---------------------------------------------------------------------------- remote

data "terraform_remote_state" "network" {
  backend = "local"

  config = {
    path = "network.tfstate"
  }
}

# ---------------------------------------------------------------------------- internal

resource "aws_s3_bucket" "new" {
  bucket = "external-lookups-uploads-${var.environment}"

  tags = {
    Environment = var.environment
  }
}

# Its argument is only known after apply: the read is deferred.
data "aws_s3_bucket" "created" {
  bucket = aws_s3_bucket.new.id
}

data "aws_iam_policy_document" "uploads" {
  statement {
    sid       = "DeployerWrites"
    actions   = ["s3:PutObject", "s3:GetObject"]
    resources = ["${data.aws_s3_bucket.created.arn}/*"]

    principals {
      type        = "AWS"
      identifiers = [data.aws_iam_role.deployer.arn]
    }
  }

  statement {
    sid       = "AccountRead"
    actions   = ["s3:ListBucket"]
    resources = [data.aws_s3_bucket.created.arn]

    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }
}

resource "aws_s3_bucket_policy" "new" {
  bucket = data.aws_s3_bucket.created.id
  policy = data.aws_iam_policy_document.uploads.json
}

resource "aws_ssm_parameter" "uploads_endpoint" {
  name  = "/app/${var.environment}/uploads-endpoint"
  type  = "String"
  value = data.aws_s3_bucket.created.bucket_regional_domain_name
}

# ---------------------------------------------------------------------------- resources on the look-ups

resource "aws_iam_role_policy" "deployer_uploads" {
  name = "uploads-${var.environment}"
  role = data.aws_iam_role.deployer.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["s3:PutObject"]
      Resource = "${aws_s3_bucket.new.arn}/*"
    }]
  })
}

resource "aws_security_group" "app" {
  name        = "app-${var.environment}"
  description = "Application instances"
  vpc_id      = data.aws_vpc.shared.id

  ingress {
    description = "HTTPS from the shared VPC"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = [data.aws_vpc.shared.cidr_block]
  }

  tags = {
    Environment = var.environment
  }
}

resource "aws_security_group" "db" {
  name        = "app-db-${var.environment}"
  description = "Application database"
  vpc_id      = data.aws_vpc.shared.id

  tags = {
    Environment = var.environment
  }
}

resource "aws_vpc_security_group_ingress_rule" "db_from_app" {
  security_group_id            = aws_security_group.db.id
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = aws_security_group.app.id
}

resource "aws_iam_role" "app" {
  name               = "app-${var.environment}"
  assume_role_policy = data.aws_iam_policy_document.app_assume.json
}

resource "aws_iam_role_policy_attachment" "app_ssm" {
  role       = aws_iam_role.app.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

resource "aws_iam_instance_profile" "app" {
  name = "app-${var.environment}"
  role = aws_iam_role.app.name
}

resource "aws_instance" "app" {
  ami                    = data.aws_ssm_parameter.ami.insecure_value
  instance_type          = "t3.small"
  subnet_id              = data.aws_subnets.shared.ids[0]
  vpc_security_group_ids = [aws_security_group.app.id]
  iam_instance_profile   = aws_iam_instance_profile.app.name

  tags = {
    Name        = "app-${var.environment}"
    Environment = var.environment
  }
}

resource "aws_lb" "app" {
  name               = "app-${var.environment}"
  load_balancer_type = "application"
  internal           = true
  security_groups    = [aws_security_group.app.id]
  subnets            = data.aws_subnets.shared.ids

  access_logs {
    bucket  = data.terraform_remote_state.network.outputs.lb_logs_bucket
    prefix  = "app-${var.environment}"
    enabled = true
  }

  tags = {
    Environment = var.environment
  }
}

resource "aws_lb_target_group" "app" {
  name     = "app-${var.environment}"
  port     = 8443
  protocol = "HTTPS"
  vpc_id   = data.aws_vpc.shared.id

  tags = {
    Environment = var.environment
  }
}

resource "aws_lb_target_group_attachment" "app" {
  target_group_arn = aws_lb_target_group.app.arn
  target_id        = aws_instance.app.id
  port             = 8443
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.app.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = data.aws_acm_certificate.web.arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.app.arn
  }
}

resource "aws_route53_record" "app" {
  zone_id = data.aws_route53_zone.corp.zone_id
  name    = "app-${var.environment}.${data.aws_route53_zone.corp.name}"
  type    = "A"

  alias {
    name                   = aws_lb.app.dns_name
    zone_id                = aws_lb.app.zone_id
    evaluate_target_health = true
  }
}

resource "aws_cloudwatch_log_group" "app" {
  name              = "/app/${var.environment}/${data.aws_region.current.name}"
  retention_in_days = 30
  kms_key_id        = data.aws_kms_alias.shared.target_key_arn

  tags = {
    Environment = var.environment
  }
}

resource "aws_db_instance" "app" {
  identifier        = "app-${var.environment}"
  engine            = "postgres"
  engine_version    = "16.3"
  instance_class    = "db.t4g.micro"
  allocated_storage = 20
  storage_type      = "gp3"
  db_name           = "app"
  username          = jsondecode(data.aws_secretsmanager_secret_version.db.secret_string)["username"]
  password          = jsondecode(data.aws_secretsmanager_secret_version.db.secret_string)["password"]

  storage_encrypted = true
  kms_key_id        = data.aws_kms_alias.shared.target_key_arn

  availability_zone      = data.aws_availability_zones.available.names[0]
  db_subnet_group_name   = data.terraform_remote_state.network.outputs.db_subnet_group_name
  vpc_security_group_ids = [aws_security_group.db.id]

  deletion_protection = false
  skip_final_snapshot = true

  tags = {
    Environment = var.environment
  }
}
