"""The image's HEALTHCHECK asks the port each deployable listens on: the k8s manifests' ports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ecommerce.healthcheck import health_port

DECLARATIONS = json.loads(
    (Path(__file__).resolve().parents[2] / "infra" / "iam" / "permissions.json").read_text()
)["deployables"]
IMAGE_ENV = {"PORT": "8000", "HEALTH_PORT": "8081"}


@pytest.mark.parametrize(
    "name", sorted(n for n, d in DECLARATIONS.items() if d["kind"] in ("handler", "worker"))
)
def test_each_deployable_is_probed_on_its_own_port(name: str) -> None:
    declared = DECLARATIONS[name]
    expected = 8000 if declared["kind"] == "handler" else 8081
    assert health_port(["python", "-m", declared["module"]], IMAGE_ENV) == expected


def test_the_ports_follow_the_environment_and_a_command_serving_nothing_is_left_alone() -> None:
    assert health_port(["python", "-m", "workers.orders"], {"HEALTH_PORT": "9001"}) == 9001
    assert health_port(["python", "-m", "handlers.users"], {"PORT": "9000"}) == 9000
    assert health_port(["ecommerce", "migrate"], IMAGE_ENV) is None
