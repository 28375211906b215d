# The CI/CD stack of ../cicd-stack-test fixed for a short-lived TEST environment: small
# burstable classes, nothing kept or protected on destroy, one NAT gateway, every bucket
# encrypted and private, both tables alike, names unique per pull request, every required
# tag. A gate for test environments should find nothing to report.
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
      Project     = "plangate-ci"
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
  description = "Suffix that keeps the names of one pull request's environment unique"
}

variable "db_password" {
  type        = string
  description = "Master password of the CI database"
  sensitive   = true
}

variable "runner_ami" {
  type        = string
  description = "AMI of the CI runner (Amazon Linux 2023, eu-west-1)"
  default     = "ami-0d64bb532e0502c46"
}

data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

# ---------------------------------------------------------------------------- network

resource "aws_vpc" "ci" {
  cidr_block           = "10.42.0.0/16"
  enable_dns_hostnames = true
  enable_dns_support   = true

  tags = {
    Name  = "ci-${var.environment}-${var.environment_suffix}"
    Owner = "platform-ci"
  }
}

resource "aws_internet_gateway" "ci" {
  vpc_id = aws_vpc.ci.id

  tags = {
    Name  = "ci-${var.environment}-${var.environment_suffix}"
    Owner = "platform-ci"
  }
}

resource "aws_subnet" "public" {
  count                   = 3
  vpc_id                  = aws_vpc.ci.id
  cidr_block              = cidrsubnet("10.42.0.0/16", 8, count.index)
  availability_zone       = ["eu-west-1a", "eu-west-1b", "eu-west-1c"][count.index]
  map_public_ip_on_launch = true

  tags = {
    Name  = "ci-${var.environment}-${var.environment_suffix}-public-${count.index}"
    Owner = "platform-ci"
  }
}

resource "aws_subnet" "private" {
  count             = 3
  vpc_id            = aws_vpc.ci.id
  cidr_block        = cidrsubnet("10.42.0.0/16", 8, count.index + 10)
  availability_zone = ["eu-west-1a", "eu-west-1b", "eu-west-1c"][count.index]

  tags = {
    Name  = "ci-${var.environment}-${var.environment_suffix}-private-${count.index}"
    Owner = "platform-ci"
  }
}

resource "aws_eip" "nat" {
  domain = "vpc"

  tags = {
    Name  = "ci-${var.environment}-${var.environment_suffix}-nat"
    Owner = "platform-ci"
  }
}

# One NAT gateway for the whole test environment.
resource "aws_nat_gateway" "ci" {
  allocation_id = aws_eip.nat.id
  subnet_id     = aws_subnet.public[0].id

  tags = {
    Name  = "ci-${var.environment}-${var.environment_suffix}"
    Owner = "platform-ci"
  }

  depends_on = [aws_internet_gateway.ci]
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.ci.id

  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.ci.id
  }

  tags = {
    Name  = "ci-${var.environment}-${var.environment_suffix}-public"
    Owner = "platform-ci"
  }
}

resource "aws_route_table_association" "public" {
  count          = 3
  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public.id
}

resource "aws_route_table" "private" {
  vpc_id = aws_vpc.ci.id

  route {
    cidr_block     = "0.0.0.0/0"
    nat_gateway_id = aws_nat_gateway.ci.id
  }

  tags = {
    Name  = "ci-${var.environment}-${var.environment_suffix}-private"
    Owner = "platform-ci"
  }
}

resource "aws_route_table_association" "private" {
  count          = 3
  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private.id
}

# ---------------------------------------------------------------------------- security groups

resource "aws_security_group" "runner" {
  name        = "ci-runner-${var.environment}-${var.environment_suffix}"
  description = "CI runner"
  vpc_id      = aws_vpc.ci.id

  tags = {
    Owner = "platform-ci"
  }
}

resource "aws_security_group" "lb" {
  name        = "ci-lb-${var.environment}-${var.environment_suffix}"
  description = "CI load balancer"
  vpc_id      = aws_vpc.ci.id

  tags = {
    Owner = "platform-ci"
  }
}

resource "aws_vpc_security_group_ingress_rule" "lb_http" {
  security_group_id = aws_security_group.lb.id
  description       = "HTTP from inside the VPC"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  cidr_ipv4         = aws_vpc.ci.cidr_block

  tags = {
    Owner = "platform-ci"
  }
}

resource "aws_vpc_security_group_ingress_rule" "runner_from_lb" {
  security_group_id            = aws_security_group.runner.id
  description                  = "Runner API from the load balancer"
  ip_protocol                  = "tcp"
  from_port                    = 8080
  to_port                      = 8080
  referenced_security_group_id = aws_security_group.lb.id

  tags = {
    Owner = "platform-ci"
  }
}

# Rules only as separate resources: no inline ingress, nothing open to the world.
resource "aws_security_group" "db" {
  name        = "ci-db-${var.environment}-${var.environment_suffix}"
  description = "CI database"
  vpc_id      = aws_vpc.ci.id

  tags = {
    Owner = "platform-ci"
  }
}

resource "aws_vpc_security_group_ingress_rule" "db_from_runner" {
  security_group_id            = aws_security_group.db.id
  description                  = "PostgreSQL from the CI runner"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = aws_security_group.runner.id

  tags = {
    Owner = "platform-ci"
  }
}

# ---------------------------------------------------------------------------- KMS

data "aws_iam_policy_document" "ci_key" {
  statement {
    sid       = "AccountAdmin"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }

  statement {
    sid = "CloudWatchLogs"
    actions = [
      "kms:Encrypt*",
      "kms:Decrypt*",
      "kms:ReEncrypt*",
      "kms:GenerateDataKey*",
      "kms:Describe*",
    ]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${data.aws_region.current.name}.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:aws:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:*"]
    }
  }
}

resource "aws_kms_key" "ci" {
  description             = "CI data key (${var.environment}-${var.environment_suffix})"
  deletion_window_in_days = 7
  enable_key_rotation     = true
  policy                  = data.aws_iam_policy_document.ci_key.json

  tags = {
    Owner = "platform-ci"
  }
}

# ---------------------------------------------------------------------------- S3

resource "aws_s3_bucket" "artifacts" {
  bucket        = "plangate-ci-artifacts-${var.environment}-${var.environment_suffix}"
  force_destroy = true

  tags = {
    Owner = "platform-ci"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_public_access_block" "artifacts" {
  bucket                  = aws_s3_bucket.artifacts.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket" "logs" {
  bucket        = "plangate-ci-logs-${var.environment}-${var.environment_suffix}"
  force_destroy = true

  tags = {
    Owner = "platform-ci"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "logs" {
  bucket = aws_s3_bucket.logs.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_public_access_block" "logs" {
  bucket                  = aws_s3_bucket.logs.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

# ---------------------------------------------------------------------------- DynamoDB

resource "aws_dynamodb_table" "locks" {
  name                        = "ci-locks-${var.environment}-${var.environment_suffix}"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "LockID"
  deletion_protection_enabled = false

  attribute {
    name = "LockID"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.ci.arn
  }

  tags = {
    Owner = "platform-ci"
  }
}

resource "aws_dynamodb_table" "builds" {
  name                        = "ci-builds-${var.environment}-${var.environment_suffix}"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "BuildId"
  deletion_protection_enabled = false

  attribute {
    name = "BuildId"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.ci.arn
  }

  tags = {
    Owner = "platform-ci"
  }
}

# ---------------------------------------------------------------------------- Lambda + API

data "aws_iam_policy_document" "lambda_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "builder" {
  name               = "ci-builder-${var.environment}-${var.environment_suffix}"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json

  tags = {
    Owner = "platform-ci"
  }
}

resource "aws_iam_role_policy_attachment" "builder_logs" {
  role       = aws_iam_role.builder.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
}

resource "aws_cloudwatch_log_group" "lambda" {
  name              = "/aws/lambda/ci-builder-${var.environment}-${var.environment_suffix}"
  retention_in_days = 14
  kms_key_id        = aws_kms_key.ci.arn
  skip_destroy      = false

  tags = {
    Owner = "platform-ci"
  }
}

resource "aws_cloudwatch_log_group" "api" {
  name              = "/aws/apigateway/ci-${var.environment}-${var.environment_suffix}"
  retention_in_days = 14
  kms_key_id        = aws_kms_key.ci.arn

  tags = {
    Owner = "platform-ci"
  }
}

resource "aws_lambda_function" "builder" {
  function_name    = "ci-builder-${var.environment}-${var.environment_suffix}"
  role             = aws_iam_role.builder.arn
  runtime          = "python3.12"
  handler          = "builder.handler"
  filename         = "build/builder.zip"
  source_code_hash = "2mZm0sUnyZfAFR6VNFMdQRp4QCJ0iX2t9W2lO9TqNcs="
  memory_size      = 256
  timeout          = 300

  environment {
    variables = {
      BUILDS_TABLE     = aws_dynamodb_table.builds.name
      ARTIFACTS_BUCKET = aws_s3_bucket.artifacts.id
    }
  }

  tags = {
    Owner = "platform-ci"
  }

  depends_on = [aws_cloudwatch_log_group.lambda, aws_iam_role_policy_attachment.builder_logs]
}

resource "aws_apigatewayv2_api" "ci" {
  name          = "ci-${var.environment}-${var.environment_suffix}"
  protocol_type = "HTTP"

  tags = {
    Owner = "platform-ci"
  }
}

resource "aws_apigatewayv2_integration" "builder" {
  api_id                 = aws_apigatewayv2_api.ci.id
  integration_type       = "AWS_PROXY"
  integration_uri        = aws_lambda_function.builder.invoke_arn
  payload_format_version = "2.0"
}

resource "aws_apigatewayv2_route" "webhook" {
  api_id    = aws_apigatewayv2_api.ci.id
  route_key = "POST /webhook"
  target    = "integrations/${aws_apigatewayv2_integration.builder.id}"
}

resource "aws_apigatewayv2_stage" "ci" {
  api_id      = aws_apigatewayv2_api.ci.id
  name        = "$default"
  auto_deploy = true

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.api.arn
    format          = "$context.requestId $context.status $context.routeKey"
  }

  tags = {
    Owner = "platform-ci"
  }
}

resource "aws_lambda_permission" "api" {
  statement_id  = "AllowApiGateway"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.builder.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.ci.execution_arn}/*/*"
}

# ---------------------------------------------------------------------------- ECR

resource "aws_ecr_repository" "images" {
  name                 = "ci-images-${var.environment}-${var.environment_suffix}"
  force_delete         = true
  image_tag_mutability = "IMMUTABLE"

  image_scanning_configuration {
    scan_on_push = true
  }

  tags = {
    Owner = "platform-ci"
  }
}

# ---------------------------------------------------------------------------- runner + load balancer

resource "aws_instance" "runner" {
  ami                     = var.runner_ami
  instance_type           = "t3.small"
  subnet_id               = aws_subnet.private[0].id
  vpc_security_group_ids  = [aws_security_group.runner.id]
  disable_api_termination = false

  root_block_device {
    volume_size = 30
    volume_type = "gp3"
    encrypted   = true
  }

  tags = {
    Name  = "ci-runner-${var.environment}-${var.environment_suffix}"
    Owner = "platform-ci"
  }
}

resource "aws_lb" "ci" {
  name                       = "ci-${var.environment}-${var.environment_suffix}"
  load_balancer_type         = "application"
  internal                   = true
  security_groups            = [aws_security_group.lb.id]
  subnets                    = aws_subnet.private[*].id
  enable_deletion_protection = false

  tags = {
    Owner = "platform-ci"
  }
}

resource "aws_lb_target_group" "runner" {
  name        = "ci-runner-${var.environment}-${var.environment_suffix}"
  port        = 8080
  protocol    = "HTTP"
  target_type = "instance"
  vpc_id      = aws_vpc.ci.id

  health_check {
    path = "/healthz"
  }

  tags = {
    Owner = "platform-ci"
  }
}

resource "aws_lb_target_group_attachment" "runner" {
  target_group_arn = aws_lb_target_group.runner.arn
  target_id        = aws_instance.runner.id
  port             = 8080
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.ci.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.runner.arn
  }

  tags = {
    Owner = "platform-ci"
  }
}

# ---------------------------------------------------------------------------- ElastiCache

resource "aws_elasticache_subnet_group" "cache" {
  name       = "ci-cache-${var.environment}-${var.environment_suffix}"
  subnet_ids = aws_subnet.private[*].id

  tags = {
    Owner = "platform-ci"
  }
}

resource "aws_elasticache_replication_group" "cache" {
  replication_group_id       = "ci-cache-${var.environment}-${var.environment_suffix}"
  description                = "CI build cache"
  engine                     = "redis"
  engine_version             = "7.1"
  node_type                  = "cache.t4g.micro"
  num_cache_clusters         = 1
  port                       = 6379
  subnet_group_name          = aws_elasticache_subnet_group.cache.name
  security_group_ids         = [aws_security_group.runner.id]
  automatic_failover_enabled = false
  multi_az_enabled           = false
  at_rest_encryption_enabled = true
  transit_encryption_enabled = true

  tags = {
    Name  = "ci-cache-${var.environment}-${var.environment_suffix}"
    Owner = "platform-ci"
  }
}

# ---------------------------------------------------------------------------- EKS

data "aws_iam_policy_document" "eks_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["eks.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "node_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "eks" {
  name               = "ci-eks-${var.environment}-${var.environment_suffix}"
  assume_role_policy = data.aws_iam_policy_document.eks_assume.json

  tags = {
    Owner = "platform-ci"
  }
}

resource "aws_iam_role_policy_attachment" "eks_cluster" {
  role       = aws_iam_role.eks.name
  policy_arn = "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"
}

resource "aws_iam_role" "node" {
  name               = "ci-eks-node-${var.environment}-${var.environment_suffix}"
  assume_role_policy = data.aws_iam_policy_document.node_assume.json

  tags = {
    Owner = "platform-ci"
  }
}

resource "aws_iam_role_policy_attachment" "node_worker" {
  role       = aws_iam_role.node.name
  policy_arn = "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"
}

resource "aws_eks_cluster" "ci" {
  name     = "ci-${var.environment}-${var.environment_suffix}"
  role_arn = aws_iam_role.eks.arn
  version  = "1.31"

  vpc_config {
    subnet_ids = aws_subnet.private[*].id
  }

  tags = {
    Owner = "platform-ci"
  }

  depends_on = [aws_iam_role_policy_attachment.eks_cluster]
}

resource "aws_eks_node_group" "ci" {
  cluster_name    = aws_eks_cluster.ci.name
  node_group_name = "ci-${var.environment}-${var.environment_suffix}"
  node_role_arn   = aws_iam_role.node.arn
  subnet_ids      = aws_subnet.private[*].id
  instance_types  = ["t3.medium"]

  scaling_config {
    desired_size = 1
    min_size     = 1
    max_size     = 2
  }

  tags = {
    Owner = "platform-ci"
  }

  depends_on = [aws_iam_role_policy_attachment.node_worker]
}

# ---------------------------------------------------------------------------- OpenSearch

resource "aws_opensearch_domain" "ci" {
  domain_name    = "ci-${var.environment}-${var.environment_suffix}"
  engine_version = "OpenSearch_2.13"

  cluster_config {
    instance_type          = "t3.medium.search"
    instance_count         = 1
    zone_awareness_enabled = false
  }

  ebs_options {
    ebs_enabled = true
    volume_size = 10
    volume_type = "gp3"
  }

  vpc_options {
    subnet_ids         = [aws_subnet.private[0].id]
    security_group_ids = [aws_security_group.runner.id]
  }

  encrypt_at_rest {
    enabled = true
  }

  node_to_node_encryption {
    enabled = true
  }

  domain_endpoint_options {
    enforce_https       = true
    tls_security_policy = "Policy-Min-TLS-1-2-2019-07"
  }

  tags = {
    Owner = "platform-ci"
  }
}

# ---------------------------------------------------------------------------- RDS

resource "aws_secretsmanager_secret" "db" {
  name                    = "ci/${var.environment}-${var.environment_suffix}/db-master"
  kms_key_id              = aws_kms_key.ci.arn
  recovery_window_in_days = 0

  tags = {
    Owner = "platform-ci"
  }
}

resource "aws_secretsmanager_secret_version" "db" {
  secret_id     = aws_secretsmanager_secret.db.id
  secret_string = var.db_password
}

resource "aws_db_subnet_group" "ci" {
  name       = "ci-${var.environment}-${var.environment_suffix}"
  subnet_ids = aws_subnet.private[*].id

  tags = {
    Owner = "platform-ci"
  }
}

resource "aws_db_instance" "ci" {
  identifier     = "ci-${var.environment}-${var.environment_suffix}"
  engine         = "postgres"
  engine_version = "16.3"
  instance_class = "db.t4g.micro"
  db_name        = "ci"
  username       = "ci_admin"
  password       = var.db_password

  allocated_storage = 20
  storage_type      = "gp3"
  storage_encrypted = true
  kms_key_id        = aws_kms_key.ci.arn

  multi_az               = false
  db_subnet_group_name   = aws_db_subnet_group.ci.name
  vpc_security_group_ids = [aws_security_group.db.id]

  backup_retention_period = 1
  deletion_protection     = false
  skip_final_snapshot     = true

  monitoring_interval          = 0
  performance_insights_enabled = false

  tags = {
    Owner = "platform-ci"
  }
}
