# CI/CD stack for a short-lived TEST environment (one per pull request), written the way
# a production stack would be: production-sized classes and badly guarded resources. Each
# defect is deliberate; see ../README.md and the report that lists them.
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
  count  = 3
  domain = "vpc"

  tags = {
    Name  = "ci-${var.environment}-${var.environment_suffix}-nat-${count.index}"
    Owner = "platform-ci"
  }
}

# One NAT gateway per public subnet: production high availability in a test environment.
resource "aws_nat_gateway" "ci" {
  count         = 3
  allocation_id = aws_eip.nat[count.index].id
  subnet_id     = aws_subnet.public[count.index].id

  tags = {
    Name  = "ci-${var.environment}-${var.environment_suffix}-${count.index}"
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
  count  = 3
  vpc_id = aws_vpc.ci.id

  route {
    cidr_block     = "0.0.0.0/0"
    nat_gateway_id = aws_nat_gateway.ci[count.index].id
  }

  tags = {
    Name  = "ci-${var.environment}-${var.environment_suffix}-private-${count.index}"
    Owner = "platform-ci"
  }
}

resource "aws_route_table_association" "private" {
  count          = 3
  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private[count.index].id
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

# Inline ingress open to the world on 5432, and a separate aws_security_group_rule on
# the same group below: Terraform fights over the rules on every apply.
resource "aws_security_group" "db" {
  name        = "ci-db-${var.environment}-${var.environment_suffix}"
  description = "CI database"
  vpc_id      = aws_vpc.ci.id

  ingress {
    description = "PostgreSQL"
    from_port   = 5432
    to_port     = 5432
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }

  tags = {
    Owner = "platform-ci"
  }
}

resource "aws_security_group_rule" "db_from_runner" {
  type                     = "ingress"
  description              = "PostgreSQL from the CI runner"
  from_port                = 5432
  to_port                  = 5432
  protocol                 = "tcp"
  security_group_id        = aws_security_group.db.id
  source_security_group_id = aws_security_group.runner.id
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
}

# No rotation, the longest deletion window, and a key policy that does not let the
# CloudWatch Logs service use the key (the log group below is encrypted with it).
resource "aws_kms_key" "ci" {
  description             = "CI data key (${var.environment}-${var.environment_suffix})"
  deletion_window_in_days = 30
  enable_key_rotation     = false
  policy                  = data.aws_iam_policy_document.ci_key.json

  tags = {
    Owner = "platform-ci"
  }
}

# ---------------------------------------------------------------------------- S3

# No suffix in the name, no server-side encryption configuration, no public access block.
resource "aws_s3_bucket" "artifacts" {
  bucket        = "plangate-ci-artifacts-${var.environment}"
  force_destroy = false

  tags = {
    Owner = "platform-ci"
  }
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
  deletion_protection_enabled = true

  attribute {
    name = "LockID"
    type = "S"
  }

  point_in_time_recovery {
    enabled = false
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
  name         = "ci-builds-${var.environment}-${var.environment_suffix}"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "BuildId"

  attribute {
    name = "BuildId"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
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

# Kept forever (skip_destroy) and encrypted with a key whose policy does not allow logs.
resource "aws_cloudwatch_log_group" "lambda" {
  name              = "/aws/lambda/ci-builder-${var.environment}"
  retention_in_days = 365
  kms_key_id        = aws_kms_key.ci.arn
  skip_destroy      = true

  tags = {
    Owner = "platform-ci"
  }
}

resource "aws_cloudwatch_log_group" "api" {
  name              = "/aws/apigateway/ci-${var.environment}-${var.environment_suffix}"
  retention_in_days = 365

  tags = {
    Owner = "platform-ci"
  }
}

# No suffix in the function name.
resource "aws_lambda_function" "builder" {
  function_name    = "ci-builder-${var.environment}"
  role             = aws_iam_role.builder.arn
  runtime          = "python3.12"
  handler          = "builder.handler"
  filename         = "build/builder.zip"
  source_code_hash = "2mZm0sUnyZfAFR6VNFMdQRp4QCJ0iX2t9W2lO9TqNcs="
  memory_size      = 1024
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
  force_delete         = false
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
  instance_type           = "m5.xlarge"
  subnet_id               = aws_subnet.private[0].id
  vpc_security_group_ids  = [aws_security_group.runner.id]
  disable_api_termination = true

  root_block_device {
    volume_size = 200
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
  internal                   = false
  security_groups            = [aws_security_group.lb.id]
  subnets                    = aws_subnet.public[*].id
  enable_deletion_protection = true

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

# The one taggable resource without an Owner tag.
resource "aws_elasticache_replication_group" "cache" {
  replication_group_id       = "ci-cache-${var.environment}-${var.environment_suffix}"
  description                = "CI build cache"
  engine                     = "redis"
  engine_version             = "7.1"
  node_type                  = "cache.r6g.large"
  num_cache_clusters         = 2
  port                       = 6379
  subnet_group_name          = aws_elasticache_subnet_group.cache.name
  security_group_ids         = [aws_security_group.runner.id]
  automatic_failover_enabled = true
  multi_az_enabled           = true
  at_rest_encryption_enabled = true
  transit_encryption_enabled = true

  tags = {
    Name = "ci-cache-${var.environment}-${var.environment_suffix}"
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
  instance_types  = ["m5.xlarge"]

  scaling_config {
    desired_size = 3
    min_size     = 3
    max_size     = 6
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
    instance_type          = "r6g.large.search"
    instance_count         = 3
    zone_awareness_enabled = true

    zone_awareness_config {
      availability_zone_count = 3
    }
  }

  ebs_options {
    ebs_enabled = true
    volume_size = 100
    volume_type = "gp3"
  }

  vpc_options {
    subnet_ids         = aws_subnet.private[*].id
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
  recovery_window_in_days = 30

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

# Production-sized, kept on destroy, and named without the suffix. skip_final_snapshot is
# false but there is no final_snapshot_identifier: destroy fails.
resource "aws_db_instance" "ci" {
  identifier     = "ci-${var.environment}"
  engine         = "postgres"
  engine_version = "16.3"
  instance_class = "db.r6g.large"
  db_name        = "ci"
  username       = "ci_admin"
  password       = var.db_password

  allocated_storage = 100
  storage_type      = "io1"
  iops              = 3000
  storage_encrypted = true
  kms_key_id        = aws_kms_key.ci.arn

  multi_az               = true
  db_subnet_group_name   = aws_db_subnet_group.ci.name
  vpc_security_group_ids = [aws_security_group.db.id]

  backup_retention_period = 7
  deletion_protection     = true
  skip_final_snapshot     = false

  monitoring_interval = 60
  monitoring_role_arn = "arn:aws:iam::111122223333:role/rds-enhanced-monitoring"

  performance_insights_enabled    = true
  performance_insights_kms_key_id = aws_kms_key.ci.arn

  tags = {
    Owner = "platform-ci"
  }
}
