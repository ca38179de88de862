"""The development fault switches: off by default, bounded, turned on and off through the
stack's faults file, and what they do to publishing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ecommerce.platform.fault_switches import (
    DUPLICATE_RATE,
    FAULTS_FILE,
    SLOW_HANDLER_RATE,
    SLOW_HANDLER_SECONDS,
    Faults,
    FaultSwitches,
    write_faults_file,
)
from ecommerce.platform.messaging.publisher import EventPublisher, Outgoing

REPO = Path(__file__).resolve().parents[2]


def test_every_switch_is_off_unless_set() -> None:
    assert FaultSwitches.parse({}) == FaultSwitches(0.0, 0.0, 3)
    assert not FaultSwitches.parse({DUPLICATE_RATE: " ", SLOW_HANDLER_RATE: ""}).any_on


@pytest.mark.parametrize(
    ("name", "value"),
    [
        (DUPLICATE_RATE, "1.5"),
        (DUPLICATE_RATE, "often"),
        (SLOW_HANDLER_RATE, "-0.1"),
        (SLOW_HANDLER_SECONDS, "0"),
        (SLOW_HANDLER_SECONDS, "2.5"),
    ],
)
def test_a_bad_value_is_refused_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(ValueError, match=name):
        FaultSwitches.parse({name: value})


async def test_the_faults_file_turns_switches_on_and_off(tmp_path: Path) -> None:
    file = tmp_path / "faults.json"
    faults = Faults({FAULTS_FILE: str(file), DUPLICATE_RATE: "0.2"}, seed=1)
    assert (await faults.current()).duplicate_rate == 0.2  # no file: the environment's
    write_faults_file(file, {DUPLICATE_RATE: 1, SLOW_HANDLER_RATE: 1, SLOW_HANDLER_SECONDS: 4})
    faults._looked_at = float("-inf")  # past the once-a-second look
    assert await faults.duplicate()
    assert await faults.slow_handler_seconds() == 4
    write_faults_file(file, {})
    faults._looked_at = float("-inf")
    assert not await faults.duplicate()
    assert await faults.slow_handler_seconds() is None


async def test_a_broken_faults_file_keeps_what_was_in_force(tmp_path: Path) -> None:
    file = tmp_path / "faults.json"
    write_faults_file(file, {DUPLICATE_RATE: 1})
    faults = Faults({FAULTS_FILE: str(file)})
    assert await faults.duplicate()
    file.write_text('{"ECOMMERCE_FAULT_DUPLICATE_RATE": 7}')
    faults._looked_at = float("-inf")
    assert await faults.duplicate()
    with pytest.raises(ValueError, match=DUPLICATE_RATE):
        write_faults_file(file, {DUPLICATE_RATE: 7})


class RecordingSns:
    def __init__(self, failing: set[str] | None = None) -> None:
        self.batches: list[list[str]] = []
        self.failing = failing or set()

    async def publish_batch(self, **request: Any) -> dict[str, Any]:
        entries = request["PublishBatchRequestEntries"]
        self.batches.append([json.loads(entry["Message"])["id"] for entry in entries])
        return {
            "Failed": [
                {"Id": entry["Id"]}
                for entry in entries
                if json.loads(entry["Message"])["id"] in self.failing
            ]
        }


def outgoing(*ids: str) -> list[Outgoing]:
    return [Outgoing(i, "OrderPlaced", json.dumps({"id": i})) for i in ids]


async def test_duplicates_publish_what_was_published_once_more() -> None:
    sns = RecordingSns(failing={"b"})
    publisher = EventPublisher(sns, "arn:aws:sns:us-east-1:1:t", Faults({DUPLICATE_RATE: "1"}))  # type: ignore[arg-type]
    failed = await publisher.publish_batch(outgoing("a", "b", "c"))
    assert failed == {"b"}
    assert sns.batches == [["a", "b", "c"], ["a", "c"]]


async def test_without_the_switch_each_event_is_published_once() -> None:
    sns = RecordingSns()
    publisher = EventPublisher(sns, "arn:aws:sns:us-east-1:1:t", Faults({}))  # type: ignore[arg-type]
    for _ in range(20):
        await publisher.publish_batch(outgoing("a", "b"))
    assert sns.batches == [["a", "b"]] * 20


async def test_about_the_rate_of_events_is_published_twice() -> None:
    sns = RecordingSns()
    faults = Faults({DUPLICATE_RATE: "0.1"}, seed=7)
    publisher = EventPublisher(sns, "arn:aws:sns:us-east-1:1:t", faults)  # type: ignore[arg-type]
    ids = [str(n) for n in range(2000)]
    for start in range(0, len(ids), 10):
        await publisher.publish_batch(outgoing(*ids[start : start + 10]))
    published = sum(len(batch) for batch in sns.batches)
    assert 150 <= published - len(ids) <= 250


def test_production_settings_never_turn_a_fault_on() -> None:
    """Kubernetes manifests, Terraform and the image never set a fault switch."""
    places = [REPO / "k8s", REPO / "infra", REPO / "Dockerfile", REPO / "buildspec.yml"]
    offenders = []
    for place in places:
        files = [place] if place.is_file() else [p for p in place.rglob("*") if p.is_file()]
        for file in files:
            if ".terraform" in file.parts:
                continue
            text = file.read_text(errors="replace")
            if "ECOMMERCE_FAULT" in text or "ECOMMERCE_CRASH" in text:
                offenders.append(str(file.relative_to(REPO)))
    assert offenders == []
