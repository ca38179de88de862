"""The Kubernetes base agrees with the rest: one Deployment per handler and worker with the
command, service account and health endpoints it needs; the ALB routes exactly the edge
routes; workers get longer to stop than their drain takes; every container runs locked down.
(Rendering and schema validation of the overlays run in scripts/check-infra.sh.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from infra_iam import declarations
from infra_tf import REPO

from ecommerce.edge_routes import EDGE_ROUTES
from ecommerce.platform.aws import LONG_POLL_SECONDS
from ecommerce.platform.tracing import backend_choice
from ecommerce.resources import RESOURCES

yaml = pytest.importorskip("yaml")

K8S = REPO / "k8s"
APPS = K8S / "base" / "apps"
ADOT = K8S / "components" / "adot-collector"


def load(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as stream:
        return [d for d in yaml.safe_load_all(stream) if d]


def env_file(path: Path) -> dict[str, str]:
    entries: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            entries[key] = value
    return entries


def app_deployables() -> dict[str, dict[str, Any]]:
    return {n: d for n, d in declarations().items() if d["kind"] in {"handler", "worker"}}


def objects(name: str) -> dict[str, dict[str, Any]]:
    return {d["kind"]: d for d in load(APPS / f"{name}.yaml")}


def base_resources() -> list[str]:
    kustomization = load(K8S / "base" / "kustomization.yaml")[0]
    resources: list[str] = kustomization["resources"]
    return resources


@pytest.mark.parametrize("name", sorted(app_deployables()))
def test_each_deployable_has_its_objects(name: str) -> None:
    declared = app_deployables()[name]
    assert f"apps/{name}.yaml" in base_resources()
    found = objects(name)
    expected = {"ServiceAccount", "Deployment", "Service", "PodDisruptionBudget"}
    if declared["kind"] == "handler":
        expected.add("HorizontalPodAutoscaler")
    if declared.get("queue"):
        expected.add("ScaledObject")
    assert set(found) == expected
    assert found["ServiceAccount"]["metadata"]["name"] == declared["service_account"]
    assert "eks.amazonaws.com/role-arn" in found["ServiceAccount"]["metadata"]["annotations"]
    pod = found["Deployment"]["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == declared["service_account"]
    (container,) = pod["containers"]
    assert container["command"] == ["python", "-m", declared["module"]]
    port = 8000 if declared["kind"] == "handler" else 8081
    assert container["ports"][0]["containerPort"] == port
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env.get("PORT" if declared["kind"] == "handler" else "HEALTH_PORT") == str(port)


def received_queues(name: str) -> list[str]:
    """The queues a deployable takes messages from, as permissions.json declares its calls."""
    return sorted(
        resource.removeprefix("queue/")
        for call in app_deployables()[name]["calls"]
        if call["service"] == "sqs" and "ReceiveMessage" in call["actions"]
        for resource in call["resources"]
        if resource.startswith("queue/")
    )


@pytest.mark.parametrize("name", sorted(n for n, d in app_deployables().items() if d.get("queue")))
def test_queue_workers_scale_on_every_queue_they_take_from(name: str) -> None:
    """One KEDA trigger per queue the worker receives from (the payments worker has two: a
    backlog of webhooks must scale it too), each given its queue's URL by the deploy."""
    scaled = objects(name)["ScaledObject"]["spec"]
    assert scaled["scaleTargetRef"]["name"] == name
    queues = received_queues(name)
    assert app_deployables()[name]["queue"] in queues
    assert {q.name for q in RESOURCES.queues} >= set(queues)
    triggers = scaled["triggers"]
    assert len(triggers) == len(queues)
    for trigger in triggers:
        assert trigger["type"] == "aws-sqs-queue"
        assert trigger["authenticationRef"]["name"] == "keda-aws"
    replacements = load(K8S / "components" / "aws" / "kustomization.yaml")[0]["replacements"]
    url_sources = {
        path: r["source"]["fieldPath"]
        for r in replacements
        for t in r["targets"]
        if t["select"]["kind"] == "ScaledObject" and t["select"].get("name") == name
        for path in t["fieldPaths"]
        if path.endswith(".queueURL")
    }
    assert set(url_sources.values()) == {
        f"data.QUEUE_URL_{q.upper().replace('-', '_')}" for q in queues
    }
    assert set(url_sources) == {f"spec.triggers.{i}.metadata.queueURL" for i in range(len(queues))}


def test_trigger_authentication_uses_keda_pod_identity() -> None:
    (auth,) = load(K8S / "base" / "keda-trigger-authentication.yaml")
    assert auth["kind"] == "TriggerAuthentication"
    assert auth["metadata"]["name"] == "keda-aws"
    assert auth["spec"]["podIdentity"] == {"provider": "aws"}


def test_workers_get_longer_to_stop_than_their_drain() -> None:
    config = env_file(K8S / "base" / "config.env")
    grace = float(config["WORKER_GRACE_SECONDS"])
    drain = grace + LONG_POLL_SECONDS  # an in-flight long poll, then the in-flight handlers
    for name, declared in app_deployables().items():
        if declared["kind"] != "worker":
            continue
        pod = objects(name)["Deployment"]["spec"]["template"]["spec"]
        assert pod["terminationGracePeriodSeconds"] > drain, name


def all_pod_specs() -> list[tuple[str, dict[str, Any]]]:
    specs = [
        (name, objects(name)["Deployment"]["spec"]["template"]["spec"])
        for name in app_deployables()
    ]
    for name, path in (
        ("xray-daemon", K8S / "base" / "xray-daemon.yaml"),
        ("adot-collector", ADOT / "adot-collector.yaml"),
    ):
        for document in load(path):
            if document["kind"] == "Deployment":
                specs.append((name, document["spec"]["template"]["spec"]))
    return specs


def test_every_container_is_locked_down() -> None:
    for name, pod in all_pod_specs():
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["automountServiceAccountToken"] is False, name
        for container in pod["containers"]:
            security = container["securityContext"]
            assert security["runAsNonRoot"] is True, name
            assert security["readOnlyRootFilesystem"] is True, name
            assert security["allowPrivilegeEscalation"] is False, name
            assert security["capabilities"]["drop"] == ["ALL"], name
            assert {"requests", "limits"} <= set(container["resources"]), name
            assert "livenessProbe" in container and "readinessProbe" in container, name


def test_every_frontend_is_bound_to_its_target_group() -> None:
    """The internal ALB reaches the frontends through target groups that the load balancer
    controller fills from these bindings (the ALB's routes: test_infra_gateway.py)."""
    bindings = {d["metadata"]["name"]: d for d in load(K8S / "base" / "target-group-bindings.yaml")}
    frontends = {f"{service}-api" for _, service in EDGE_ROUTES}
    assert set(bindings) == frontends
    replacements = load(K8S / "components" / "aws" / "kustomization.yaml")[0]["replacements"]
    for name, binding in bindings.items():
        assert binding["kind"] == "TargetGroupBinding"
        assert binding["spec"]["serviceRef"] == {"name": name, "port": "http"}
        assert binding["spec"]["targetType"] == "ip"
        sources = {
            r["source"]["fieldPath"]
            for r in replacements
            if any(
                t["select"].get("name") == name and t["select"]["kind"] == "TargetGroupBinding"
                for t in r["targets"]
            )
        }
        assert sources == {f"data.TARGET_GROUP_ARN_{name.removesuffix('-api').upper()}"}


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_overlay_deploy_env_has_every_key_terraform_writes(environment: str) -> None:
    keys = set(env_file(K8S / "overlays" / environment / "deploy.env"))
    expected = {f"ROLE_ARN_{n.upper().replace('-', '_')}" for n in declarations()}
    expected |= {f"QUEUE_URL_{q.name.upper().replace('-', '_')}" for q in RESOURCES.queues}
    expected |= {f"TARGET_GROUP_ARN_{service.upper()}" for _, service in EDGE_ROUTES}
    expected |= {"AWS_REGION", "LB_SUBNETS_CIDR", "PRIVATE_SUBNETS_CIDR", "SECRETS_SHA256"}
    assert keys == expected
    app = set(env_file(K8S / "overlays" / environment / "app.env"))
    assert {
        "AWS_REGION",
        "ECOMMERCE_PREFIX",
        "ECOMMERCE_TOPIC_ARN",
        "TOKEN_ISSUER",
        "DATABASE_URL",
        "DATABASE_IAM_AUTH",
        "DATABASE_APP_USER",
    } <= app


def test_the_adot_collector_takes_otlp_and_writes_to_x_ray() -> None:
    """The component switches the services to OpenTelemetry and points them at the collector's
    OTLP/HTTP port, which its Service and receiver agree on; the collector exports to X-Ray
    with the annotation keys the services write, under its own IRSA role."""
    component = load(ADOT / "kustomization.yaml")[0]
    (merged,) = [g for g in component["configMapGenerator"] if g["name"] == "ecommerce-config"]
    settings = dict(line.split("=", 1) for line in merged["literals"])
    assert backend_choice(settings) == "otel"
    endpoint = settings["OTEL_EXPORTER_OTLP_ENDPOINT"]
    objects = {(d["kind"], d["metadata"]["name"]): d for d in load(ADOT / "adot-collector.yaml")}
    service = objects[("Service", "adot-collector")]
    assert endpoint == f"http://adot-collector:{service['spec']['ports'][0]['port']}"
    (generated,) = [g for g in component["configMapGenerator"] if g["name"] == "adot-collector"]
    assert generated["files"] == ["collector.yaml"]
    config = yaml.safe_load((ADOT / "collector.yaml").read_text())
    receiver = config["receivers"]["otlp"]["protocols"]["http"]["endpoint"]
    assert receiver.endswith(f":{service['spec']['ports'][0]['port']}")
    pipeline = config["service"]["pipelines"]["traces"]
    assert pipeline["receivers"] == ["otlp"] and pipeline["exporters"] == ["awsxray"]
    indexed = set(config["exporters"]["awsxray"]["indexed_attributes"])
    assert {"order_id", "event_type", "event_id", "kept_because"} <= indexed
    (replacement,) = component["replacements"]
    assert replacement["source"]["fieldPath"] == "data.ROLE_ARN_ADOT_COLLECTOR"
    assert replacement["targets"][0]["select"] == {
        "kind": "ServiceAccount",
        "name": "adot-collector",
    }
    declared = declarations()["adot-collector"]
    assert declared["service_account"] == "adot-collector"
    assert any("PutTraceSegments" in call["actions"] for call in declared["calls"])
