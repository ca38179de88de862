"""A stopping emulator refuses new requests and waits for those under way (`moto_main.Gate`),
so that its last snapshot holds every change a client was told succeeded."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from ecommerce.devstack.moto_main import Gate


class SlowApp:
    def __init__(self) -> None:
        self.inside = threading.Event()
        self.release = threading.Event()
        self.served = 0

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        self.inside.set()
        self.release.wait(5)
        self.served += 1
        start_response("200 OK", [])
        return [b"{}"]


def call(gate: Gate, target: str = "AmazonSQS.SendMessage") -> str:
    statuses: list[str] = []
    gate({"HTTP_X_AMZ_TARGET": target}, lambda status, headers: statuses.append(status))
    return statuses[0]


def test_close_waits_for_the_request_under_way_then_refuses_new_ones() -> None:
    app = SlowApp()
    gate = Gate(app)
    first = threading.Thread(target=call, args=(gate,))
    first.start()
    assert app.inside.wait(5)
    closed: list[bool] = []
    closing = threading.Thread(target=lambda: closed.append(gate.close(5)))
    closing.start()
    closing.join(0.3)
    assert closing.is_alive(), "close returned while a request was under way"
    app.release.set()
    closing.join(5)
    first.join(5)
    assert closed == [True] and app.served == 1
    assert call(gate).startswith("503")
    assert app.served == 1


def test_close_gives_up_after_its_bound() -> None:
    app = SlowApp()
    gate = Gate(app)
    caller = threading.Thread(target=call, args=(gate,))
    caller.start()
    assert app.inside.wait(5)
    assert gate.close(0.2) is False
    app.release.set()
    caller.join(5)


def test_long_polls_are_not_waited_for() -> None:
    app = SlowApp()
    gate = Gate(app)
    poll = threading.Thread(target=call, args=(gate, "AmazonSQS.ReceiveMessage"))
    poll.start()
    assert app.inside.wait(5)
    assert gate.close(0.5) is True
    app.release.set()
    poll.join(5)
