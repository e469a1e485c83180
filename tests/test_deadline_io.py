"""The senders we run end within their time however slowly the other side (or the name
resolver) answers: the listener's forwarder and the sandbox's callback attempts
(smsc_soap._deadline_io). A socket
timeout alone restarts with every byte, so a handler trickling a byte every 0.1 s held them
for as long as it liked."""
from __future__ import annotations

import time

import pytest
from support.resolver import Resolver, named
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


def test_a_forward_to_a_name_that_never_resolves_ends_within_its_timeout(resolver: Resolver) -> None:
    started = time.monotonic()
    outcome = Forwarder(f"http://{resolver.stalled}:9/cb", timeout=GIVEN).forward("POST", "", b"id=1", "text/plain")
    took = time.monotonic() - started
    assert outcome.startswith("failed: ") and resolver.stalled in resolver.asked
    assert took < GIVEN + MARGIN


def test_a_sandbox_callback_attempt_to_a_name_that_never_resolves_ends_within_its_time(
        resolver: Resolver, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(assumptions, "CALLBACK_ATTEMPT_SECONDS", GIVEN)
    target = callbacks.Target(f"http://{resolver.stalled}:9/cb")
    started = time.monotonic()
    with pytest.raises(OSError):
        target.post(b"id=1", "application/x-www-form-urlencoded")
    assert time.monotonic() - started < GIVEN + MARGIN


def test_a_forward_tries_each_address_of_the_handlers_name(responder: Responder, resolver: Resolver) -> None:
    resolver.resolve("two.test", "127.0.0.2", "127.0.0.1")  # nothing listens on the first
    url = named(responder.url, "two.test")
    responder.answer(b"OK", content_type="text/plain")
    assert Forwarder(url, timeout=GIVEN).forward("POST", "", b"id=1", "text/plain") == "HTTP 200"
    assert responder.requests[-1].body == b"id=1"


def test_a_handler_that_answers_is_forwarded_to_as_before(responder: Responder) -> None:
    responder.answer(b"OK", content_type="text/plain")
    assert Forwarder(responder.url, timeout=GIVEN).forward("POST", "a=1", b"id=1", "text/plain") == "HTTP 200"
    assert responder.requests[-1].body == b"id=1"


class _LateBody:
    """Answers one request with an HTTP/1.0 head at once and its body 0.2 s later: http.client
    closes its socket as soon as such a head is read, while the body is still to come."""

    def __init__(self, status: int) -> None:
        import socket
        import threading

        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(1)
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}/hook"
        head = b"HTTP/1.0 %d Whatever\r\nContent-Length: 5\r\nLocation: http://127.0.0.1:9/\r\n\r\n" % status
        threading.Thread(target=self._serve, args=(head,), daemon=True).start()

    def _serve(self, head: bytes) -> None:
        conn, _ = self._listener.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(head)
            time.sleep(0.2)
            conn.sendall(b"hello")

    def close(self) -> None:
        self._listener.close()


@pytest.mark.parametrize("status", [200, 307, 500])
def test_an_answer_whose_body_comes_after_its_head_is_read_whole(status: int,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The socket is closed by http.client under the reader's feet: the reader keeps it open."""
    handler = _LateBody(status)
    try:
        note = " (a redirect: not followed)" if status == 307 else ""
        assert Forwarder(handler.url, timeout=5).forward("POST", "", b"id=1", "text/plain") == f"HTTP {status}{note}"
    finally:
        handler.close()
    monkeypatch.setattr(assumptions, "CALLBACK_ATTEMPT_SECONDS", 5.0)
    handler = _LateBody(status)
    try:
        assert callbacks.Target(handler.url).post(b"id=1", "text/plain") == status
    finally:
        handler.close()
