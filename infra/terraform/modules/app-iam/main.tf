# An IRSA role per deployable: trusted only by its Kubernetes service account through the
# cluster's OIDC provider, with its one inline policy from policies.tf. Which service account
# a deployable runs as comes from infra/iam/permissions.json.

locals {
  declarations = jsondecode(file("${path.module}/../../../iam/permissions.json")).deployables
  deployables = {
    for name, d in local.declarations : name => {
      namespace       = d.namespace
      service_account = d.service_account
    }
  }
}

data "aws_iam_policy_document" "trust" {
  for_each = local.deployables
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [var.oidc_provider_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${var.oidc_issuer}:sub"
      values   = ["system:serviceaccount:${each.value.namespace}:${each.value.service_account}"]
    }
    condition {
      test     = "StringEquals"
      variable = "${var.oidc_issuer}:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "deployable" {
  for_each             = local.deployables
  name                 = "${var.prefix}-${each.key}"
  description          = "IRSA role of ${each.key} (${each.value.namespace}/${each.value.service_account})"
  assume_role_policy   = data.aws_iam_policy_document.trust[each.key].json
  max_session_duration = 3600
  tags                 = var.tags
}

resource "aws_iam_role_policy" "deployable" {
  for_each = local.policies
  name     = "least-privilege"
  role     = aws_iam_role.deployable[each.key].id
  policy   = each.value
}

# The AWS Load Balancer Controller runs with the policy its project publishes (see
# docs/deploy.md); its ARN comes in as a variable, so it is outside permissions.json.
data "aws_iam_policy_document" "lb_controller_trust" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [var.oidc_provider_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${var.oidc_issuer}:sub"
      values   = ["system:serviceaccount:kube-system:aws-load-balancer-controller"]
    }
    condition {
      test     = "StringEquals"
      variable = "${var.oidc_issuer}:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "lb_controller" {
  name               = "${var.prefix}-aws-load-balancer-controller"
  description        = "IRSA role of the AWS Load Balancer Controller (kube-system)"
  assume_role_policy = data.aws_iam_policy_document.lb_controller_trust.json
  tags               = var.tags
}

resource "aws_iam_role_policy_attachment" "lb_controller" {
  count      = var.lb_controller_policy_arn == "" ? 0 : 1
  role       = aws_iam_role.lb_controller.name
  policy_arn = var.lb_controller_policy_arn
}
