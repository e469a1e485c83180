"""The senders we run end within their time however slowly the other side answers: the
listener's forwarder and the sandbox's callback attempts (smsc_soap._deadline_io). A socket
timeout alone restarts with every byte, so a handler trickling a byte every 0.1 s held them
for as long as it liked."""
from __future__ import annotations

import time

import pytest
from support.servers import Responder, Trickler

from smsc_soap.cli.listen import Forwarder
from smsc_soap.sandbox import assumptions, callbacks

#: Seconds given; what thread scheduling may add on a loaded 2-core machine.
GIVEN, MARGIN = 1.0, 2.0


@pytest.mark.parametrize("where", ["headers", "body"])
def test_a_forward_to_a_trickling_handler_ends_within_its_timeout(where: str) -> None:
    with Trickler(where) as handler:
        started = time.monotonic()
        outcome = Forwarder(handler.url, timeout=GIVEN).forward("POST", "", b"id=1", "application/x-www-form-urlencoded")
        took = time.monotonic() - started
    assert outcome.startswith("failed: ") and "imeout" in outcome
    assert GIVEN * 0.9 <= took < GIVEN + MARGIN


@pytest.mark.parametrize("where", ["headers", "body"])
def test_a_sandbox_callback_attempt_to_a_trickling_handler_ends_within_its_time(
        where: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(assumptions, "CALLBACK_ATTEMPT_SECONDS", GIVEN)
    with Trickler(where) as handler:
        target = callbacks.Target(handler.url)
        started = time.monotonic()
        with pytest.raises(OSError):
            target.post(b"id=1", "application/x-www-form-urlencoded")
        took = time.monotonic() - started
    assert GIVEN * 0.9 <= took < GIVEN + MARGIN


def test_a_handler_that_answers_is_forwarded_to_as_before(responder: Responder) -> None:
    responder.answer(b"OK", content_type="text/plain")
    assert Forwarder(responder.url, timeout=GIVEN).forward("POST", "a=1", b"id=1", "text/plain") == "HTTP 200"
    assert responder.requests[-1].body == b"id=1"
