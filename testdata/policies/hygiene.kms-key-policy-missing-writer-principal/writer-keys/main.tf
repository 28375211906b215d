# SNS topics and S3 buckets encrypted with keys of this configuration, whose resource policies
# let AWS services publish or write to them, for hygiene.kms-key-policy-missing-writer-principal.
# Each key whose policy does not allow a service that the topic or bucket policy lets in is a
# deliberate defect, named in a comment. Planned by ../regen.sh (../../hygiene._plans/regen.sh).
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
      Project     = "plangate-hygiene"
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
  description = "Suffix that keeps the names of one deployment unique"
}

data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

# ---------------------------------------------------------------------------- SNS

# DEFECT: the alarms topic lets CloudWatch alarms publish (its own `policy`, a single service
# as a string), but the key policy has only the account statement.
resource "aws_kms_key" "alarms" {
  description             = "Alarm topic key (${var.environment_suffix})"
  deletion_window_in_days = 7
  enable_key_rotation     = true
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountAdmin"
        Effect    = "Allow"
        Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
    ]
  })
}

resource "aws_sns_topic" "alarms" {
  name              = "alarms-${var.environment_suffix}"
  kms_master_key_id = aws_kms_key.alarms.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "CloudWatchAlarms"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = "sns:Publish"
        Resource  = "arn:aws:sns:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:alarms-${var.environment_suffix}"
        Condition = {
          ArnLike = { "aws:SourceArn" = "arn:aws:cloudwatch:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:alarm:*" }
        }
      },
    ]
  })
}

# DEFECT: the topic policy (an aws_sns_topic_policy) lets two services publish, as a list; the
# key policy allows EventBridge but not CloudWatch.
resource "aws_kms_key" "events" {
  description             = "Event topic key (${var.environment_suffix})"
  deletion_window_in_days = 7
  enable_key_rotation     = true
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountAdmin"
        Effect    = "Allow"
        Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "EventBridge"
        Effect    = "Allow"
        Principal = { Service = "events.amazonaws.com" }
        Action    = ["kms:GenerateDataKey*", "kms:Decrypt"]
        Resource  = "*"
      },
    ]
  })
}

resource "aws_sns_topic" "events" {
  name              = "events-${var.environment_suffix}"
  kms_master_key_id = aws_kms_key.events.id
}

resource "aws_sns_topic_policy" "events" {
  arn = aws_sns_topic.events.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "ServicePublish"
        Effect    = "Allow"
        Principal = { Service = ["events.amazonaws.com", "cloudwatch.amazonaws.com"] }
        Action    = "sns:Publish"
        Resource  = "arn:aws:sns:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:events-${var.environment_suffix}"
      },
    ]
  })
}

# DEFECT: the topic policy comes from a data.aws_iam_policy_document that names the topic's
# ARN, so it is read during apply; its statements still say that AWS Budgets publishes. The
# key policy (another document) has only the account statement.
data "aws_iam_policy_document" "budgets_key" {
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

resource "aws_kms_key" "budgets" {
  description             = "Budget alert topic key (${var.environment_suffix})"
  deletion_window_in_days = 7
  enable_key_rotation     = true
  policy                  = data.aws_iam_policy_document.budgets_key.json
}

resource "aws_sns_topic" "budgets" {
  name              = "budgets-${var.environment_suffix}"
  kms_master_key_id = aws_kms_key.budgets.arn
}

data "aws_iam_policy_document" "budgets_topic" {
  statement {
    sid       = "BudgetsPublish"
    actions   = ["SNS:Publish"]
    resources = [aws_sns_topic.budgets.arn]

    principals {
      type        = "Service"
      identifiers = ["budgets.amazonaws.com"]
    }
  }
}

resource "aws_sns_topic_policy" "budgets" {
  arn    = aws_sns_topic.budgets.arn
  policy = data.aws_iam_policy_document.budgets_topic.json
}

# DEFECT: S3 sends the uploads bucket's event notifications to this topic, so the key must
# allow s3.amazonaws.com; it does not. (The topic policy names the topic's ARN and is known
# only after apply; the notification alone says which service publishes.)
resource "aws_kms_key" "uploads" {
  description             = "Upload notification key (${var.environment_suffix})"
  deletion_window_in_days = 7
  enable_key_rotation     = true
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountAdmin"
        Effect    = "Allow"
        Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
    ]
  })
}

resource "aws_sns_topic" "uploads" {
  name              = "uploads-${var.environment_suffix}"
  kms_master_key_id = aws_kms_key.uploads.arn
}

resource "aws_sns_topic_policy" "uploads" {
  arn = aws_sns_topic.uploads.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "S3Notifications"
        Effect    = "Allow"
        Principal = { Service = "s3.amazonaws.com" }
        Action    = "sns:Publish"
        Resource  = aws_sns_topic.uploads.arn
        Condition = {
          ArnLike = { "aws:SourceArn" = aws_s3_bucket.uploads.arn }
        }
      },
    ]
  })
}

resource "aws_s3_bucket" "uploads" {
  bucket        = "plangate-hygiene-uploads-${var.environment_suffix}"
  force_destroy = true
}

resource "aws_s3_bucket_notification" "uploads" {
  bucket = aws_s3_bucket.uploads.id

  topic {
    topic_arn = aws_sns_topic.uploads.arn
    events    = ["s3:ObjectCreated:*"]
  }

  depends_on = [aws_sns_topic_policy.uploads]
}

# Fine: one key for two topics. CloudWatch alarms publish to one (its own `policy`), EventBridge
# to the other (an aws_sns_topic_policy from a document read while planning); the key policy
# allows both services, as a list.
resource "aws_kms_key" "ops" {
  description             = "Operations topic key (${var.environment_suffix})"
  deletion_window_in_days = 7
  enable_key_rotation     = true
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountAdmin"
        Effect    = "Allow"
        Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "ServicePublishers"
        Effect    = "Allow"
        Principal = { Service = ["cloudwatch.amazonaws.com", "events.amazonaws.com"] }
        Action    = ["kms:GenerateDataKey*", "kms:Decrypt"]
        Resource  = "*"
      },
    ]
  })
}

resource "aws_sns_topic" "ops_alarms" {
  name              = "ops-alarms-${var.environment_suffix}"
  kms_master_key_id = aws_kms_key.ops.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "CloudWatchAlarms"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = "sns:Publish"
        Resource  = "arn:aws:sns:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:ops-alarms-${var.environment_suffix}"
      },
    ]
  })
}

resource "aws_sns_topic" "ops_events" {
  name              = "ops-events-${var.environment_suffix}"
  kms_master_key_id = aws_kms_key.ops.arn
}

data "aws_iam_policy_document" "ops_events_topic" {
  statement {
    sid       = "EventBridgePublish"
    actions   = ["sns:Publish"]
    resources = ["arn:aws:sns:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:ops-events-${var.environment_suffix}"]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
  }
}

resource "aws_sns_topic_policy" "ops_events" {
  arn    = aws_sns_topic.ops_events.arn
  policy = data.aws_iam_policy_document.ops_events_topic.json
}

# Undecided: the key policy names a role created in this plan, so the whole policy is known
# only after apply; whether it allows EventBridge cannot be read from the plan.
resource "aws_iam_role" "reports" {
  name = "reports-${var.environment_suffix}"

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_kms_key" "reports" {
  description             = "Report topic key (${var.environment_suffix})"
  deletion_window_in_days = 7
  enable_key_rotation     = true
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountAdmin"
        Effect    = "Allow"
        Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "ReportWriter"
        Effect    = "Allow"
        Principal = { AWS = aws_iam_role.reports.arn }
        Action    = ["kms:GenerateDataKey*", "kms:Decrypt"]
        Resource  = "*"
      },
      {
        Sid       = "EventBridge"
        Effect    = "Allow"
        Principal = { Service = "events.amazonaws.com" }
        Action    = ["kms:GenerateDataKey*", "kms:Decrypt"]
        Resource  = "*"
      },
    ]
  })
}

resource "aws_sns_topic" "reports" {
  name              = "reports-${var.environment_suffix}"
  kms_master_key_id = aws_kms_key.reports.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "EventBridgePublish"
        Effect    = "Allow"
        Principal = { Service = "events.amazonaws.com" }
        Action    = "sns:Publish"
        Resource  = "arn:aws:sns:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:reports-${var.environment_suffix}"
      },
    ]
  })
}

# Not selected: a topic without encryption, and one with the AWS managed key.
resource "aws_sns_topic" "plain" {
  name = "plain-${var.environment_suffix}"
}

resource "aws_sns_topic" "managed" {
  name              = "managed-${var.environment_suffix}"
  kms_master_key_id = "alias/aws/sns"
}

# ---------------------------------------------------------------------------- S3

# DEFECT: VPC flow logs are delivered to this bucket (the bucket policy, from a document that
# names the bucket's ARN, lets delivery.logs.amazonaws.com write), and the bucket is encrypted
# with a key whose policy does not allow that service.
resource "aws_kms_key" "flow_logs" {
  description             = "Flow log bucket key (${var.environment_suffix})"
  deletion_window_in_days = 7
  enable_key_rotation     = true
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountAdmin"
        Effect    = "Allow"
        Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
    ]
  })
}

resource "aws_s3_bucket" "flow_logs" {
  bucket        = "plangate-hygiene-flow-logs-${var.environment_suffix}"
  force_destroy = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "flow_logs" {
  bucket = aws_s3_bucket.flow_logs.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.flow_logs.arn
    }
    bucket_key_enabled = true
  }
}

data "aws_iam_policy_document" "flow_logs_bucket" {
  statement {
    sid       = "AWSLogDeliveryWrite"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.flow_logs.arn}/AWSLogs/${data.aws_caller_identity.current.account_id}/*"]

    principals {
      type        = "Service"
      identifiers = ["delivery.logs.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "s3:x-amz-acl"
      values   = ["bucket-owner-full-control"]
    }
  }

  statement {
    sid       = "AWSLogDeliveryAclCheck"
    actions   = ["s3:GetBucketAcl"]
    resources = [aws_s3_bucket.flow_logs.arn]

    principals {
      type        = "Service"
      identifiers = ["delivery.logs.amazonaws.com"]
    }
  }
}

resource "aws_s3_bucket_policy" "flow_logs" {
  bucket = aws_s3_bucket.flow_logs.id
  policy = data.aws_iam_policy_document.flow_logs_bucket.json
}

# Fine: AWS Config delivers to this bucket, and the key policy (a document) allows
# config.amazonaws.com. The bucket policy writes the bucket's ARN from its name.
data "aws_iam_policy_document" "config_key" {
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
    sid       = "AWSConfig"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["config.amazonaws.com"]
    }
  }
}

resource "aws_kms_key" "config" {
  description             = "Config bucket key (${var.environment_suffix})"
  deletion_window_in_days = 7
  enable_key_rotation     = true
  policy                  = data.aws_iam_policy_document.config_key.json
}

resource "aws_s3_bucket" "config" {
  bucket        = "plangate-hygiene-config-${var.environment_suffix}"
  force_destroy = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "config" {
  bucket = aws_s3_bucket.config.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.config.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_policy" "config" {
  bucket = aws_s3_bucket.config.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AWSConfigBucketPermissionsCheck"
        Effect    = "Allow"
        Principal = { Service = "config.amazonaws.com" }
        Action    = "s3:GetBucketAcl"
        Resource  = "arn:aws:s3:::plangate-hygiene-config-${var.environment_suffix}"
      },
      {
        Sid       = "AWSConfigBucketDelivery"
        Effect    = "Allow"
        Principal = { Service = "config.amazonaws.com" }
        Action    = "s3:PutObject"
        Resource  = "arn:aws:s3:::plangate-hygiene-config-${var.environment_suffix}/AWSLogs/${data.aws_caller_identity.current.account_id}/Config/*"
        Condition = {
          StringEquals = { "s3:x-amz-acl" = "bucket-owner-full-control" }
        }
      },
    ]
  })
}

# Not this rule's defect: S3 server access logs cannot be delivered to a bucket whose default
# encryption is SSE-KMS at all, so adding logging.s3.amazonaws.com to the key policy would not
# help. The rule leaves that principal aside.
resource "aws_kms_key" "access_logs" {
  description             = "Access log bucket key (${var.environment_suffix})"
  deletion_window_in_days = 7
  enable_key_rotation     = true
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountAdmin"
        Effect    = "Allow"
        Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
    ]
  })
}

resource "aws_s3_bucket" "access_logs" {
  bucket        = "plangate-hygiene-access-logs-${var.environment_suffix}"
  force_destroy = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.access_logs.arn
    }
  }
}

resource "aws_s3_bucket_policy" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "S3ServerAccessLogsPolicy"
        Effect    = "Allow"
        Principal = { Service = "logging.s3.amazonaws.com" }
        Action    = "s3:PutObject"
        Resource  = "arn:aws:s3:::plangate-hygiene-access-logs-${var.environment_suffix}/*"
        Condition = {
          StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id }
        }
      },
    ]
  })
}
