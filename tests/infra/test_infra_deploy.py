"""What would break a first apply or a deploy on a real account, caught before one: each test
names the mistake it guards against. (The Terraform itself is validated, planned and applied
with a mocked provider by scripts/check-infra.sh: environments/*/tests/*.tftest.hcl.)"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from infra_tf import MODULES, REPO, TERRAFORM, blocks, parse_file

yaml = pytest.importorskip("yaml")
pytest.importorskip("hcl2", reason="python-hcl2 is needed to read the Terraform (dev extra)")

DOCS = (REPO / "docs" / "deploy.md").read_text(encoding="utf-8")


def resources(module: str, kind: str = "resource") -> dict[tuple[str, ...], dict[str, Any]]:
    return {b.labels: b.body for b in blocks(MODULES / module) if b.kind == kind}


def env_file(path: Path) -> dict[str, str]:
    entries: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            entries[key] = value
    return entries


# --- Terraform -----------------------------------------------------------------------------


def test_a_redis_auth_token_comes_with_its_update_strategy() -> None:
    """Provider 6.x refuses auth_token without auth_token_update_strategy."""
    groups = [
        body
        for path in sorted(TERRAFORM.rglob("*.tf"))
        for entry in parse_file(path).get("resource", [])
        for body in entry.get("aws_elasticache_replication_group", {}).values()
        if isinstance(body, dict)
    ]
    assert groups
    for group in groups:
        if "auth_token" in group:
            assert group.get("auth_token_update_strategy"), "auth_token without its strategy"


def test_only_the_aws_provider_is_required() -> None:
    for path in sorted(TERRAFORM.rglob("versions.tf")):
        for block in parse_file(path).get("terraform", []):
            for required in block.get("required_providers", []):
                names = {k for k in required if not k.startswith("__")}
                assert names <= {"aws"}, f"{path}: {names}"
                if "aws" in required:
                    assert required["aws"]["version"] == ">= 5.100, < 7.0", path
    for path in sorted(TERRAFORM.rglob("*.tf")):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r'resource\s+"random_|hashicorp/random', text), path


@pytest.mark.parametrize("module", ["rds", "redis"])
def test_security_group_rules_are_keyed_by_names_known_at_plan(module: str) -> None:
    """for_each over the cluster security group's id fails the first plan (it is unknown)."""
    rule = resources(module)[("aws_vpc_security_group_ingress_rule", "from_cluster")]
    assert rule["for_each"] == "${var.client_security_group_ids}"
    variable = resources(module, "variable")[("client_security_group_ids",)]
    assert variable["type"] == "${map(string)}"


def test_the_cluster_admits_the_deploy_builds_on_https() -> None:
    """The deploy CodeBuild runs in the VPC; the cluster's group admits only itself otherwise."""
    rule = resources("pipeline")[("aws_vpc_security_group_ingress_rule", "cluster_api_from_deploy")]
    assert rule["security_group_id"] == "${var.cluster_security_group_id}"
    assert rule["referenced_security_group_id"] == "${aws_security_group.deploy.id}"
    assert (rule["ip_protocol"], rule["from_port"], rule["to_port"]) == ("tcp", 443, 443)


def test_the_alarm_topic_uses_a_key_cloudwatch_may_use() -> None:
    """CloudWatch cannot publish to a topic under the AWS managed key alias/aws/sns."""
    observability = resources("observability")
    topic = observability[("aws_sns_topic", "alarms")]
    assert topic["kms_master_key_id"] == "${aws_kms_key.alarms.arn}"
    key = observability[("aws_kms_key", "alarms")]
    assert key["policy"] == "${data.aws_iam_policy_document.alarms_key.json}"
    document = resources("observability", "data")[("aws_iam_policy_document", "alarms_key")]
    cloudwatch = [
        s
        for s in document["statement"]
        if s["principals"][0]["identifiers"] == ["cloudwatch.amazonaws.com"]
    ]
    assert cloudwatch and {"kms:Decrypt", "kms:GenerateDataKey*"} <= set(cloudwatch[0]["actions"])


def test_every_workload_of_the_namespace_and_the_fallback_have_a_log_group() -> None:
    """Fluent Bit does not create groups (autoCreateGroup: false): a missing one loses logs."""
    from infra_iam import declarations

    unprivileged = resources("stack", "variable")[("unprivileged_workloads",)]["default"]
    declared = {n for n, d in declarations().items() if d["namespace"] == "ecommerce"}
    declared |= set(unprivileged)
    stack = (MODULES / "stack" / "main.tf").read_text(encoding="utf-8")
    assert "var.unprivileged_workloads" in stack and 'd.namespace == "ecommerce"' in stack
    names: set[str] = set()
    for path in sorted((REPO / "k8s" / "base").rglob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            template = (document or {}).get("spec", {}).get("template")
            if template:
                names.add(template["metadata"]["labels"]["app.kubernetes.io/name"])
    assert names <= declared, f"no log group for {sorted(names - declared)}"
    values = yaml.safe_load((REPO / "k8s" / "addons" / "fluent-bit-values.yaml").read_text())
    fallback = resources("observability", "variable")[("fallback_log_group",)]["default"]
    assert values["cloudWatchLogs"]["logGroupName"] == f"/PREFIX/{fallback}"


def test_fluent_bit_has_a_log_stream_to_fall_back_on() -> None:
    """An empty logStreamPrefix leaves the output without a stream: Fluent Bit crash-loops."""
    output = yaml.safe_load((REPO / "k8s" / "addons" / "fluent-bit-values.yaml").read_text())[
        "cloudWatchLogs"
    ]
    assert output.get("logStreamName") or output.get("logStreamPrefix")
    assert output["autoCreateGroup"] is False


def test_prod_reaches_the_aws_apis_through_interface_endpoints() -> None:
    modules = {
        b.labels[0]: b.body
        for b in blocks(TERRAFORM / "environments" / "prod")
        if b.kind == "module"
    }
    wanted = {"sqs", "sns", "sts", "secretsmanager", "ecr.api", "ecr.dkr", "logs", "xray"}
    assert set(modules["stack"]["interface_endpoints"]) == wanted


# --- the database: IAM sign-in, verified TLS ----------------------------------------------


def test_the_services_connect_with_iam_tokens_and_verified_tls() -> None:
    stack = (MODULES / "stack" / "main.tf").read_text(encoding="utf-8")
    (url,) = re.findall(r'"(DATABASE_URL=[^"]+)"', stack)
    assert "sslmode=verify-full" in url and "sslrootcert=${var.rds_ca_bundle_path}" in url
    assert ":" not in url.split("://", 1)[1].split("@", 1)[0], "no password in DATABASE_URL"
    assert '"DATABASE_IAM_AUTH=true"' in stack
    bundle = resources("stack", "variable")[("rds_ca_bundle_path",)]["default"]
    dockerfile = (REPO / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(rf"^ADD .*global-bundle\.pem {re.escape(bundle)}$", dockerfile, re.M)
    secrets = (REPO / "scripts" / "k8s-secrets.sh").read_text(encoding="utf-8")
    assert "sslmode=verify-full&sslrootcert=" in secrets
    assert f"RDS_CA_BUNDLE:-{bundle}" in secrets


# --- the image -------------------------------------------------------------------------------


def test_the_healthcheck_asks_the_port_each_role_listens_on() -> None:
    from ecommerce.healthcheck import DEFAULT_HEALTH_PORT, DEFAULT_PORT

    dockerfile = (REPO / "Dockerfile").read_text(encoding="utf-8")
    assert 'CMD ["python", "-m", "ecommerce.healthcheck"]' in dockerfile
    assert (
        f"PORT={DEFAULT_PORT}" in dockerfile and f"HEALTH_PORT={DEFAULT_HEALTH_PORT}" in dockerfile
    )


# --- Kubernetes and the deploy ---------------------------------------------------------------


def test_the_namespace_injects_the_load_balancer_readiness_gate() -> None:
    (namespace,) = yaml.safe_load_all((REPO / "k8s" / "cluster" / "namespace.yaml").read_text())
    assert namespace["metadata"]["labels"]["elbv2.k8s.aws/pod-readiness-gate-inject"] == "enabled"


def test_network_policies_admit_the_load_balancer_subnets_not_the_vpc() -> None:
    policies = {
        d["metadata"]["name"]: d
        for d in yaml.safe_load_all((REPO / "k8s" / "base" / "network-policies.yaml").read_text())
        if d
    }
    replacements = yaml.safe_load(
        (REPO / "k8s" / "components" / "aws" / "kustomization.yaml").read_text()
    )["replacements"]
    sources: dict[str, set[str]] = {}
    for replacement in replacements:
        for target in replacement["targets"]:
            if target["select"]["kind"] == "NetworkPolicy":
                name = target["select"]["name"]
                sources.setdefault(name, set()).add(replacement["source"]["fieldPath"])
    assert sources["api-ingress"] == {"data.LB_SUBNETS_CIDR"}
    assert "data.VPC_CIDR" not in set().union(*sources.values())
    ip_blocks = [
        rule
        for policy in policies.values()
        for rule in policy["spec"].get("ingress", [])
        if any("ipBlock" in peer for peer in rule.get("from", []))
    ]
    assert len(ip_blocks) == 1, "only the load balancer subnets come in from outside"


def test_pods_that_read_the_secret_roll_when_it_changes() -> None:
    replacements = yaml.safe_load(
        (REPO / "k8s" / "components" / "aws" / "kustomization.yaml").read_text()
    )["replacements"]
    hashed = {
        t["select"]["name"]
        for r in replacements
        if r["source"]["fieldPath"] == "data.SECRETS_SHA256"
        for t in r["targets"]
        if t["fieldPaths"] == ["spec.template.metadata.annotations.[ecommerce.io/secrets-sha256]"]
    }
    readers = set()
    for path in sorted((REPO / "k8s" / "base" / "apps").glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if (
                document
                and document["kind"] == "Deployment"
                and "ecommerce-secrets" in str(document["spec"]["template"]["spec"])
            ):
                readers.add(document["metadata"]["name"])
    assert readers and readers == hashed


def fake_kubectl(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """A PATH where kubectl, kustomize and aws record their arguments and succeed."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls"
    for tool, answer in (
        ("kubectl", 'if [ "$1" = kustomize ]; then echo "kind: ConfigMap"; fi'),
        ("kustomize", ""),
        ("aws", 'echo \'{"username": "master", "password": "p@ss"}\''),
    ):
        script = bin_dir / tool
        script.write_text(f'#!/bin/sh\necho "{tool} $*" >> "{calls}"\n{answer}\n')
        script.chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "K8S_OVERLAY": "dev",
        "DATABASE_SECRET_ARN": "arn:db",
        "DATABASE_HOST": "db.example.com",
        "DATABASE_NAME": "orders",
        "REDIS_URL_SECRET_ARN": "arn:redis",
        "RENDERED": str(tmp_path / "rendered.yaml"),
    }
    return env, calls


def test_the_deploy_migrates_before_any_deployment_rolls(tmp_path: Path) -> None:
    """The migration Job completes before the Deployments are applied, and the Secret's hash
    reaches the overlay; the overlay's files are restored afterwards."""
    deploy_env = REPO / "k8s" / "overlays" / "dev" / "deploy.env"
    before = deploy_env.read_text(encoding="utf-8")
    env, calls = fake_kubectl(tmp_path)
    try:
        subprocess.run(
            ["bash", str(REPO / "scripts" / "deploy-k8s.sh")],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        written = env_file(deploy_env)["SECRETS_SHA256"]
    finally:
        deploy_env.write_text(before, encoding="utf-8")
    assert re.fullmatch(r"[0-9a-f]{64}", written)
    applies = [
        line
        for line in calls.read_text().splitlines()
        if line.startswith("kubectl apply") or line.startswith("kubectl -n ecommerce wait")
    ]
    assert "-l app.kubernetes.io/component notin (api,worker)" in applies[1]
    assert applies[2].startswith("kubectl -n ecommerce wait --for=condition=complete job/")
    assert "-l app.kubernetes.io/component in (api,worker)" in applies[3]


# --- versions ----------------------------------------------------------------------------------


def test_kubectl_and_the_add_ons_are_pinned_within_the_supported_skew() -> None:
    versions = env_file(REPO / "k8s" / "addons" / "versions.env")
    for environment in ("dev", "prod"):
        variables = {
            b.labels[0]: b.body
            for b in blocks(TERRAFORM / "environments" / environment)
            if b.kind == "variable"
        }
        cluster_minor = int(variables["kubernetes_version"]["default"].split(".")[1])
        kubectl_minor = int(versions["KUBECTL_VERSION"].split(".")[1])
        assert abs(kubectl_minor - cluster_minor) <= 1, "kubectl outside the supported skew"
        autoscaler_minor = int(versions["CLUSTER_AUTOSCALER_IMAGE_TAG"].lstrip("v").split(".")[1])
        assert autoscaler_minor == cluster_minor, "the Cluster Autoscaler is built per minor"
    for line in DOCS.splitlines():
        if line.strip().startswith("helm upgrade --install"):
            assert "--version" in line, f"unpinned chart: {line}"


def test_the_first_image_is_built_for_the_nodes_and_never_takes_a_pipeline_tag() -> None:
    """Tags are immutable: a hand-pushed image tagged with the commit sha makes the pipeline's
    push of that commit fail. An arm64 laptop build does not run on the x86 nodes."""
    builds = [line for line in DOCS.splitlines() if re.search(r"docker (buildx )?build", line)]
    assert builds, "docs/deploy.md builds no image"
    for line in builds:
        assert "--platform linux/amd64" in line, line
    tags = re.findall(r"^\s*(?:export )?TAG=\"?([^\n\"]*)", DOCS, re.M)
    assert tags and all("manual-" in tag for tag in tags), tags
