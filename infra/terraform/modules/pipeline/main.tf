# CodePipeline (V2) with three stages:
#   Source  the repository through a CodeConnections (GitHub) connection, on every push to the branch
#   Build   CodeBuild runs buildspec.yml: the tests, the image build, tag = commit sha, push to ECR
#   Deploy  CodeBuild (inside the VPC, next to the private EKS endpoint) runs
#           deploy/buildspec.yml: kustomize edit set image, kubectl apply, rollout status
# Prod can put a manual approval between Build and Deploy.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account   = data.aws_caller_identity.current.account_id
  partition = data.aws_partition.current.partition
  region    = var.region
}

resource "aws_codestarconnections_connection" "source" {
  # Created PENDING: finish the handshake once in the console (docs/deploy.md).
  name          = substr("${var.name}-src", 0, 32)
  provider_type = var.source_provider
  tags          = var.tags
}

# --- artifacts ------------------------------------------------------------------------------

resource "aws_s3_bucket" "artifacts" {
  #checkov:skip=CKV_AWS_144:Pipeline artifacts are rebuilt from source; cross-region replication buys nothing.
  #checkov:skip=CKV2_AWS_62:Nothing consumes events of the artifact bucket.
  bucket        = "${var.name}-pipeline-artifacts"
  force_destroy = var.force_destroy
  tags          = var.tags
}

resource "aws_s3_bucket_public_access_block" "artifacts" {
  bucket                  = aws_s3_bucket.artifacts.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  rule {
    id     = "expire-artifacts"
    status = "Enabled"
    filter {}
    expiration {
      days = 30
    }
    noncurrent_version_expiration {
      noncurrent_days = 7
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

resource "aws_s3_bucket_logging" "artifacts" {
  bucket        = aws_s3_bucket.artifacts.id
  target_bucket = var.access_log_bucket
  target_prefix = "s3/${aws_s3_bucket.artifacts.id}/"
}

resource "aws_cloudwatch_log_group" "build" {
  for_each          = toset(["build", "deploy"])
  name              = "/aws/codebuild/${var.name}-${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

# --- roles ----------------------------------------------------------------------------------

data "aws_iam_policy_document" "codebuild_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["codebuild.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }
  }
}

data "aws_iam_policy_document" "codepipeline_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["codepipeline.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }
  }
}

resource "aws_iam_role" "build" {
  name               = "${var.name}-codebuild-build"
  assume_role_policy = data.aws_iam_policy_document.codebuild_trust.json
  tags               = var.tags
}

resource "aws_iam_role" "deploy" {
  name               = "${var.name}-codebuild-deploy"
  assume_role_policy = data.aws_iam_policy_document.codebuild_trust.json
  tags               = var.tags
}

resource "aws_iam_role" "pipeline" {
  name               = "${var.name}-codepipeline"
  assume_role_policy = data.aws_iam_policy_document.codepipeline_trust.json
  tags               = var.tags
}

data "aws_iam_policy_document" "build" {
  #checkov:skip=CKV_AWS_356:ecr:GetAuthorizationToken supports no resource-level permissions; it is the only "*" here.
  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.build["build"].arn}:*"]
  }
  statement {
    sid       = "Artifacts"
    actions   = ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"]
    resources = ["${aws_s3_bucket.artifacts.arn}/*"]
  }
  statement {
    sid       = "ArtifactKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey", "kms:Encrypt"]
    resources = [var.kms_key_arn]
  }
  statement {
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }
  statement {
    sid = "PushImage"
    actions = [
      "ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
      "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:PutImage",
      "ecr:DescribeImages",
    ]
    resources = [var.ecr_repository_arn]
  }
}

resource "aws_iam_role_policy" "build" {
  name   = "build"
  role   = aws_iam_role.build.id
  policy = data.aws_iam_policy_document.build.json
}

data "aws_iam_policy_document" "deploy" {
  #checkov:skip=CKV_AWS_356:The EC2 network-interface calls CodeBuild makes to run inside the VPC support no resource-level permissions; CreateNetworkInterfacePermission is scoped by subnet and service below.
  #checkov:skip=CKV_AWS_111:Same EC2 calls: CreateNetworkInterface/DeleteNetworkInterface cannot be narrowed before the interface exists.
  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.build["deploy"].arn}:*"]
  }
  statement {
    sid       = "Artifacts"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = ["${aws_s3_bucket.artifacts.arn}/*"]
  }
  statement {
    sid       = "ArtifactKey"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }
  statement {
    sid       = "FindCluster"
    actions   = ["eks:DescribeCluster"]
    resources = [var.eks_cluster_arn]
  }
  statement {
    sid       = "DeployParameters"
    actions   = ["ssm:GetParameter"]
    resources = var.ssm_parameter_arns
  }
  statement {
    sid       = "ConnectionSecrets"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = var.deploy_secret_arns
  }
  statement {
    sid = "RunInsideVpc"
    actions = [
      "ec2:CreateNetworkInterface", "ec2:DescribeDhcpOptions", "ec2:DescribeNetworkInterfaces",
      "ec2:DeleteNetworkInterface", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups",
      "ec2:DescribeVpcs",
    ]
    resources = ["*"]
  }
  statement {
    sid       = "AttachInterfaceInOurSubnets"
    actions   = ["ec2:CreateNetworkInterfacePermission"]
    resources = ["arn:${local.partition}:ec2:${local.region}:${local.account}:network-interface/*"]
    condition {
      test     = "StringEquals"
      variable = "ec2:AuthorizedService"
      values   = ["codebuild.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "ec2:Subnet"
      values   = [for id in var.private_subnet_ids : "arn:${local.partition}:ec2:${local.region}:${local.account}:subnet/${id}"]
    }
  }
}

resource "aws_iam_role_policy" "deploy" {
  name   = "deploy"
  role   = aws_iam_role.deploy.id
  policy = data.aws_iam_policy_document.deploy.json
}

data "aws_iam_policy_document" "pipeline" {
  statement {
    sid       = "Artifacts"
    actions   = ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:GetBucketVersioning"]
    resources = [aws_s3_bucket.artifacts.arn, "${aws_s3_bucket.artifacts.arn}/*"]
  }
  statement {
    sid       = "ArtifactKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey", "kms:Encrypt"]
    resources = [var.kms_key_arn]
  }
  statement {
    sid       = "Source"
    actions   = ["codestar-connections:UseConnection", "codeconnections:UseConnection"]
    resources = [aws_codestarconnections_connection.source.arn]
  }
  statement {
    sid       = "RunBuilds"
    actions   = ["codebuild:StartBuild", "codebuild:BatchGetBuilds"]
    resources = [aws_codebuild_project.build.arn, aws_codebuild_project.deploy.arn]
  }
}

resource "aws_iam_role_policy" "pipeline" {
  name   = "pipeline"
  role   = aws_iam_role.pipeline.id
  policy = data.aws_iam_policy_document.pipeline.json
}

# --- builds ---------------------------------------------------------------------------------

resource "aws_codebuild_project" "build" {
  #checkov:skip=CKV_AWS_316:Privileged mode is how CodeBuild runs the Docker daemon that builds the image.
  name           = "${var.name}-build"
  description    = "Tests, image build, push to ECR (buildspec.yml)"
  service_role   = aws_iam_role.build.arn
  build_timeout  = 45
  encryption_key = var.kms_key_arn

  source {
    type      = "CODEPIPELINE"
    buildspec = "buildspec.yml"
  }

  artifacts {
    type = "CODEPIPELINE"
  }

  environment {
    type            = "LINUX_CONTAINER"
    compute_type    = "BUILD_GENERAL1_MEDIUM"
    image           = "aws/codebuild/standard:7.0"
    privileged_mode = true

    environment_variable {
      name  = "IMAGE_REPOSITORY"
      value = var.ecr_repository_url
    }
  }

  logs_config {
    cloudwatch_logs {
      group_name = aws_cloudwatch_log_group.build["build"].name
    }
  }

  tags = var.tags
}

resource "aws_security_group" "deploy" {
  name        = "${var.name}-codebuild-deploy"
  description = "Deploy builds: HTTPS out to the EKS API, ECR, SSM and Secrets Manager"
  vpc_id      = var.vpc_id
  tags        = var.tags
}

resource "aws_vpc_security_group_egress_rule" "deploy_https" {
  security_group_id = aws_security_group.deploy.id
  description       = "HTTPS to AWS APIs and the private EKS endpoint"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

# The cluster's security group admits only itself: without this rule the deploy build reaches
# the private API endpoint's addresses and kubectl times out.
resource "aws_vpc_security_group_ingress_rule" "cluster_api_from_deploy" {
  security_group_id            = var.cluster_security_group_id
  description                  = "Kubernetes API from the deploy builds"
  referenced_security_group_id = aws_security_group.deploy.id
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
}

resource "aws_codebuild_project" "deploy" {
  name           = "${var.name}-deploy"
  description    = "kustomize edit set image, kubectl apply, rollout status (deploy/buildspec.yml)"
  service_role   = aws_iam_role.deploy.arn
  build_timeout  = 30
  encryption_key = var.kms_key_arn

  source {
    type      = "CODEPIPELINE"
    buildspec = "deploy/buildspec.yml"
  }

  artifacts {
    type = "CODEPIPELINE"
  }

  environment {
    type            = "LINUX_CONTAINER"
    compute_type    = "BUILD_GENERAL1_SMALL"
    image           = "aws/codebuild/standard:7.0"
    privileged_mode = false

    environment_variable {
      name  = "EKS_CLUSTER_NAME"
      value = var.eks_cluster_name
    }
    environment_variable {
      name  = "K8S_OVERLAY"
      value = var.overlay
    }
    environment_variable {
      name  = "IMAGE_REPOSITORY"
      value = var.ecr_repository_url
    }
    environment_variable {
      name  = "K8S_APP_ENV_PARAMETER"
      value = var.app_env_parameter_name
    }
    environment_variable {
      name  = "K8S_DEPLOY_ENV_PARAMETER"
      value = var.deploy_env_parameter_name
    }
    environment_variable {
      name  = "DATABASE_SECRET_ARN"
      value = var.database_secret_arn
    }
    environment_variable {
      name  = "DATABASE_HOST"
      value = var.database_host
    }
    environment_variable {
      name  = "DATABASE_NAME"
      value = var.database_name
    }
    environment_variable {
      name  = "REDIS_URL_SECRET_ARN"
      value = var.redis_url_secret_arn
    }
  }

  vpc_config {
    vpc_id             = var.vpc_id
    subnets            = var.private_subnet_ids
    security_group_ids = [aws_security_group.deploy.id]
  }

  logs_config {
    cloudwatch_logs {
      group_name = aws_cloudwatch_log_group.build["deploy"].name
    }
  }

  tags = var.tags
}

# --- pipeline -------------------------------------------------------------------------------

resource "aws_codepipeline" "main" {
  name           = var.name
  role_arn       = aws_iam_role.pipeline.arn
  pipeline_type  = "V2"
  execution_mode = "QUEUED"

  artifact_store {
    type     = "S3"
    location = aws_s3_bucket.artifacts.bucket
    encryption_key {
      id   = var.kms_key_arn
      type = "KMS"
    }
  }

  stage {
    name = "Source"
    action {
      name             = "Source"
      namespace        = "SourceVariables"
      category         = "Source"
      owner            = "AWS"
      provider         = "CodeStarSourceConnection"
      version          = "1"
      output_artifacts = ["Source"]
      configuration = {
        ConnectionArn        = aws_codestarconnections_connection.source.arn
        FullRepositoryId     = var.repository
        BranchName           = var.branch
        OutputArtifactFormat = "CODE_ZIP"
        DetectChanges        = "true"
      }
    }
  }

  stage {
    name = "Build"
    action {
      name             = "TestBuildPush"
      category         = "Build"
      owner            = "AWS"
      provider         = "CodeBuild"
      version          = "1"
      input_artifacts  = ["Source"]
      output_artifacts = ["Image"]
      configuration = {
        ProjectName = aws_codebuild_project.build.name
        EnvironmentVariables = jsonencode([
          { name = "COMMIT_ID", value = "#{SourceVariables.CommitId}", type = "PLAINTEXT" },
        ])
      }
    }
  }

  dynamic "stage" {
    for_each = var.require_approval ? [1] : []
    content {
      name = "Approve"
      action {
        name     = "Approve"
        category = "Approval"
        owner    = "AWS"
        provider = "Manual"
        version  = "1"
        configuration = {
          CustomData = "Deploy #{SourceVariables.CommitId} to ${var.overlay}?"
        }
      }
    }
  }

  stage {
    name = "Deploy"
    action {
      name            = "ApplyToEks"
      category        = "Build"
      owner           = "AWS"
      provider        = "CodeBuild"
      version         = "1"
      input_artifacts = ["Source", "Image"]
      configuration = {
        ProjectName   = aws_codebuild_project.deploy.name
        PrimarySource = "Source"
      }
    }
  }

  tags = var.tags
}
