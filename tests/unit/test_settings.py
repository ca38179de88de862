"""Each deployable reads its settings through its own model; a bad value gives one line per
variable that names it and says how to fix it, and a deployable started with one exits 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ecommerce.platform.config import Settings, SettingsError
from ecommerce.platform.settings_models import MODELS, OrdersSettings, PaymentsWorkerSettings


@pytest.mark.parametrize(
    ("service", "variable", "value"),
    [
        ("orders", "PORT", "80a"),
        ("orders", "PORT", "99999"),
        ("users", "ACCESS_TOKEN_TTL_SECONDS", "soon"),
        ("cart", "REDIS_URL", "localhost:6379"),
        ("orders-worker", "WORKER_CONCURRENCY", "0"),
        ("outbox-relay", "DATABASE_URL", "mysql://x"),
        ("payments-worker", "HEALTH_PORT", "-1"),
        ("inventory-worker", "AWS_ACCOUNT_ID", "12"),
    ],
)
def test_a_bad_setting_gives_one_line_naming_the_variable_and_the_fix(
    monkeypatch: pytest.MonkeyPatch, service: str, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as raised:
        Settings.from_env(service)
    [line] = str(raised.value).splitlines()
    assert line.startswith(f"{variable}={value!r} is not valid (")
    assert f"; set {variable} to " in line


def test_several_bad_settings_give_a_line_each(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "80a")
    monkeypatch.setenv("DATABASE_IAM_AUTH", "perhaps")
    with pytest.raises(SettingsError) as raised:
        Settings.from_env("orders")
    lines = str(raised.value).splitlines()
    assert [line.split("=", 1)[0] for line in lines] == ["DATABASE_IAM_AUTH", "PORT"] or [
        line.split("=", 1)[0] for line in lines
    ] == ["PORT", "DATABASE_IAM_AUTH"]


def test_a_deployable_reads_only_its_own_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAYMENT_GATEWAY_URL", "not a url")  # the payments worker's, not orders'
    monkeypatch.setenv("PORT", "8123")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.delenv("AWS_REGION", raising=False)
    settings = Settings.from_env("orders")
    assert (settings.port, settings.region) == (8123, "eu-west-1")
    assert "payment_gateway_url" not in OrdersSettings.model_fields
    assert "port" not in PaymentsWorkerSettings.model_fields
    with pytest.raises(SettingsError, match="PAYMENT_GATEWAY_URL"):
        Settings.from_env("payments-worker")


def test_empty_means_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "  ")
    assert Settings.from_env("orders").port == 8000


def test_every_deployable_has_a_model() -> None:
    from ecommerce.devstack.processes import PROCESSES, Kind

    names = {spec.name for spec in PROCESSES if spec.kind is not Kind.GATEWAY}
    assert names == set(MODELS)


def test_a_handler_started_with_a_bad_port_says_so_in_one_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "handlers.orders"],
        env={"PORT": "80a", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "orders: PORT='80a' is not valid (Input should be a valid integer, unable to parse "
        "string as an integer); set PORT to a port number from 1 to 65535, or unset it for the "
        "default 8000"
    ]


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("ECOMMERCE_EDGE_PORT", "99999", "ECOMMERCE_EDGE_PORT='99999' is not valid ("),
        (
            "ECOMMERCE_EMULATOR_SNAPSHOT_SECONDS",
            "often",
            "ECOMMERCE_EMULATOR_SNAPSHOT_SECONDS='often' is not valid (",
        ),
        ("ECOMMERCE_ADMIN_PASSWORD", "hunter2", "ECOMMERCE_ADMIN_PASSWORD='***' is not valid ("),
        ("ECOMMERCE_ADMIN_EMAIL", "admin", "ECOMMERCE_ADMIN_EMAIL='admin' is not valid ("),
    ],
)
def test_ecommerce_dev_refuses_a_bad_setting_in_one_line_before_starting(
    tmp_path: Path, variable: str, value: str, named: str
) -> None:
    env = {"PATH": "/usr/bin:/bin", "ECOMMERCE_STATE_DIR": str(tmp_path / "state"), variable: value}
    result = subprocess.run(
        [sys.executable, "-m", "ecommerce.cli", "dev"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    [line] = result.stdout.splitlines()
    assert line.startswith(f"ecommerce dev: {named}"), line
    assert f"set {variable} to " in line
    assert value not in line or "PASSWORD" not in variable
    assert not (tmp_path / "state").exists()


def test_ecommerce_dev_refuses_a_bad_port_argument() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ecommerce.cli", "dev", "--port", "99999"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "argument --port: '99999' is not a port number from 1 to 65535" in result.stderr


def test_the_cart_s_own_settings_name_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    from ecommerce.cart.config import CartSettings

    monkeypatch.setenv("CART_TTL_SECONDS", "a week")
    with pytest.raises(SettingsError, match=r"^CART_TTL_SECONDS='a week' is not valid"):
        CartSettings.from_env()


def test_the_gateway_simulator_names_a_bad_setting_in_one_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ecommerce.gateway_sim"],
        env={"PORT": "80a", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "gateway-sim: PORT='80a' is not valid; set PORT to a port number from 1 to 65535"
    ]
