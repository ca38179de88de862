"""The emulator's memory fixes (`moto_fixes`, fix 3): a topic and a queue remember only their
recent history, and deleting a recent message twice stays harmless."""

from __future__ import annotations

import gc
import uuid

import pytest
from moto.sns.models import sns_backends
from moto.sqs.models import Message, SQSBackend

from ecommerce.devstack import moto_fixes

ACCOUNT = "123456789012"


@pytest.fixture(autouse=True)
def small_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(moto_fixes, "RECENT", 5)
    assert moto_fixes.apply()


def test_a_queue_remembers_only_its_recent_deletes() -> None:
    sqs = SQSBackend("us-east-1", ACCOUNT)
    queue = sqs.create_queue("memory")
    handles: list[str] = []
    for n in range(20):
        sqs.send_message("memory", f"m{n}")
        (message,) = sqs.receive_message("memory", 1, 0, 30)
        handle = message.receipt_handle
        assert handle is not None
        sqs.delete_message("memory", handle)
        handles.append(handle)
    assert len(queue.deleted_messages) == 5
    sqs.delete_message("memory", handles[-1])  # deleted twice: harmless, as on AWS
    assert handles[-1] in queue.deleted_messages
    assert handles[0] not in queue.deleted_messages


def test_a_topic_remembers_only_its_recent_messages() -> None:
    topic = sns_backends[ACCOUNT]["us-east-1"].create_topic(f"memory-{uuid.uuid4().hex}")
    for n in range(20):
        topic.publish(f"m{n}")
    assert [sent[1] for sent in topic.sent_notifications] == [f"m{n}" for n in range(15, 20)]


def test_messages_moto_has_let_go_of_are_freed() -> None:
    sqs = SQSBackend("us-east-1", ACCOUNT)
    sqs.create_queue("freed")
    for n in range(50):
        sqs.send_message("freed", f"m{n}")
        (message,) = sqs.receive_message("freed", 1, 0, 30)
        handle = message.receipt_handle
        assert handle is not None
        sqs.delete_message("freed", handle)
    del message
    gc.collect()
    alive = [m for m in gc.get_objects() if isinstance(m, Message) and m.body.startswith("m")]
    assert alive == []
    sqs.send_message("freed", "still listed")
    assert any(m.body == "still listed" for m in Message.instances_tracked)  # type: ignore[attr-defined]
