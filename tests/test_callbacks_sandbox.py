"""The sandbox calls a handler back, and what it writes smsc_soap.callbacks reads.

End to end on 127.0.0.1: a sandbox with ``callback_url`` posts to a real WSGI server running
``make_wsgi_app``, in every format and charset, signed as the URL asks; its deliveries retry, are
bounded, never block the service and stop with it. The sandbox's writer is its own code
(smsc_soap.sandbox.callbacks), so the property test checks two independent readings of spec.
"""
from __future__ import annotations

import hashlib
import http.client
import os
import threading
import time
from typing import Any, Callable, Dict, Iterator, List, Literal, Optional, Tuple
from urllib.parse import urlencode
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from socketserver import ThreadingMixIn

import pytest
from support.processes import Child
from hypothesis import HealthCheck, given, settings, strategies as st

from smsc_soap import spec
from smsc_soap.callbacks import (
    CallConfirmation, IncomingMessage, StatusEvent, make_wsgi_app, parse,
)
from smsc_soap.results import DeliveryError, DeliveryStatus
from smsc_soap.sandbox import Sandbox
from smsc_soap.sandbox import assumptions as A
from smsc_soap.sandbox import callbacks as writer

SECRET = "hook-secret-42"
TEXT = "Привет из песочницы"


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


class _Threaded(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class Hook:
    """A real HTTP handler endpoint: ``make_wsgi_app`` behind wsgiref, recording each request."""

    def __init__(self, *, secret: Optional[str] = SECRET, fail_first: int = 0,
                 gate: Optional[threading.Event] = None) -> None:
        self.events: List[Any] = []
        self.requests: List[Tuple[str, bytes, str]] = []
        self.fail_first, self.gate = fail_first, gate
        app = make_wsgi_app(self.events.append, secret=secret)

        def recording(environ: Any, start_response: Callable[..., Any]) -> Any:
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            self.requests.append((environ.get("QUERY_STRING", ""), body, environ.get("CONTENT_TYPE", "")))
            if self.gate is not None:
                self.gate.wait(10)
            if len(self.requests) <= self.fail_first:
                start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
                return [b"down"]
            import io
            environ["wsgi.input"] = io.BytesIO(body)
            return app(environ, start_response)

        self.server = make_server("127.0.0.1", 0, recording, server_class=_Threaded, handler_class=_Quiet)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def url(self, query: str = "") -> str:
        return f"http://127.0.0.1:{self.server.server_port}/hook" + (f"?{query}" if query else "")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook() -> Iterator[Hook]:
    made = Hook()
    yield made
    made.close()


def send(sandbox: Sandbox, phone: str, mes: str = TEXT) -> str:
    result = sandbox.call("send_sms", login="alex", psw="123", phones=phone, mes=mes)
    return str(result["id"])


FORMATS = ["", "fmt=2", "fmt=3"]
CHARSETS = ["", "charset=utf-8", "charset=koi8-r", "charset=windows-1251"]


@pytest.mark.parametrize("fmt", FORMATS, ids=["form", "xml", "json"])
@pytest.mark.parametrize("charset", CHARSETS, ids=["default", "utf-8", "koi8-r", "windows-1251"])
def test_round_trip_of_every_format_and_charset(hook: Hook, fmt: str, charset: str) -> None:
    query = "&".join(q for q in (fmt, charset, f"md5={SECRET}") if q)
    with Sandbox(callback_url=hook.url(query)) as sandbox:
        message_id = send(sandbox, "79991234567")
        sandbox.advance(60)
        incoming_id = sandbox.receive_sms("79990000002", TEXT, to="79000000001")
        sandbox.confirm_call("79990000002")
        assert sandbox.wait_callbacks(10)
    transferred, delivered, incoming, call = hook.events
    assert isinstance(transferred, StatusEvent) and transferred.status is DeliveryStatus.TRANSFERRED
    assert isinstance(delivered, StatusEvent) and delivered.status is DeliveryStatus.DELIVERED and delivered.final
    assert (delivered.id, delivered.phone, delivered.err) == (message_id, "79991234567", DeliveryError.NO_ERROR)
    assert delivered.cost is not None and delivered.cost > 0 and delivered.time is not None
    assert delivered.time.utcoffset() is not None and delivered.ts is not None and delivered.ts > transferred.ts  # type: ignore[operator]
    assert isinstance(incoming, IncomingMessage)
    assert (incoming.id, incoming.phone, incoming.mes, incoming.to) == (incoming_id, "79990000002", TEXT, "79000000001")
    assert isinstance(call, CallConfirmation) and call.phone == "79990000002"
    for path_query, body, _ in hook.requests:  # the secret never travels
        assert SECRET not in path_query and SECRET.encode() not in body
        assert path_query == "&".join(q for q in (fmt, charset) if q)


def test_sha1_and_a_failure_status(hook: Hook) -> None:
    with Sandbox(callback_url=hook.url(f"sha1={SECRET}&fmt=3")) as sandbox:
        send(sandbox, "79990000020")  # the sandbox's "undeliverable" number
        sandbox.advance(60)
        assert sandbox.wait_callbacks(10)
    assert [e.status for e in hook.events] == [DeliveryStatus.TRANSFERRED, DeliveryStatus.UNDELIVERABLE]
    assert hook.events[-1].err == DeliveryError.NO_SMS_SERVICE and b'"sha1"' in hook.requests[0][1]


def test_a_wrong_secret_or_algorithm_never_reaches_the_handler() -> None:
    for query in (f"md5=not-{SECRET}", f"sha1=not-{SECRET}"):
        wrong = Hook()
        try:
            with Sandbox(callback_url=wrong.url(query)) as sandbox:
                sandbox.receive_sms("79990000002", "hi")
                assert sandbox.wait_callbacks(10)
            assert wrong.events == [] and [d.status for d in sandbox.callbacks.log] == [403]  # type: ignore[union-attr]
        finally:
            wrong.close()
    md5_only = Hook()
    md5_only.server.set_app(make_wsgi_app(md5_only.events.append, secret=SECRET, algorithm="md5"))
    try:
        with Sandbox(callback_url=md5_only.url(f"sha1={SECRET}")) as sandbox:
            sandbox.receive_sms("79990000002", "hi")
            assert sandbox.wait_callbacks(10)
        assert md5_only.events == [] and sandbox.callbacks.log[0].status == 403  # type: ignore[union-attr]
    finally:
        md5_only.close()


def test_a_replayed_post_reaches_user_code_once(hook: Hook) -> None:
    with Sandbox(callback_url=hook.url(f"md5={SECRET}")) as sandbox:
        send(sandbox, "79991234567")
        sandbox.advance(60)
        assert sandbox.wait_callbacks(10)
    assert len(hook.events) == 2
    query, body, content_type = hook.requests[-1]
    connection = http.client.HTTPConnection("127.0.0.1", hook.server.server_port, timeout=5)
    connection.request("POST", "/hook", body, {"Content-Type": content_type})
    response = connection.getresponse()
    assert (response.status, response.read()) == (200, b"OK")
    assert len(hook.events) == 2


def test_a_failed_delivery_is_retried_then_given_up_on() -> None:
    flaky = Hook(fail_first=spec.CALLBACK_ATTEMPTS - 1)
    try:
        with Sandbox(callback_url=flaky.url(f"md5={SECRET}")) as sandbox:
            sandbox.receive_sms("79990000002", "hi")
            assert sandbox.wait_callbacks(10)
            assert [(d.status, d.attempts) for d in sandbox.callbacks.log] == [(200, spec.CALLBACK_ATTEMPTS)]  # type: ignore[union-attr]
            assert len(flaky.events) == 1
            flaky.fail_first = 10_000
            sandbox.receive_sms("79990000002", "again")
            assert sandbox.wait_callbacks(10)
            last = sandbox.callbacks.log[-1]  # type: ignore[union-attr]
            assert (last.delivered, last.status, last.attempts) == (False, 500, spec.CALLBACK_ATTEMPTS)
    finally:
        flaky.close()


def hold_a_delivery(sandbox: Sandbox, handler: Hook) -> None:
    """An incoming SMS whose callback ``handler`` (gated) now holds, unanswered: a delivery under way."""
    sandbox.receive_sms("79990000002", "hi")
    deadline = time.monotonic() + 5
    while not handler.requests and time.monotonic() < deadline:
        time.sleep(0.01)
    assert handler.requests


def test_a_slow_handler_never_blocks_the_service() -> None:
    gate = threading.Event()
    slow = Hook(gate=gate, secret=None)
    try:
        with Sandbox(callback_url=slow.url()) as sandbox:
            hold_a_delivery(sandbox, slow)  # the handler holds the delivery ...
            assert sandbox.call("get_balance", login="alex", psw="123")["balance"] == "100.00"  # ... not the service
            send(sandbox, "79991234567")
            sandbox.advance(60)
            gate.set()
            assert sandbox.wait_callbacks(10)
        assert len(slow.events) == 3
    finally:
        gate.set()
        slow.close()


def test_stop_is_prompt_with_deliveries_pending_and_the_queue_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    sandbox = Sandbox(callback_url="http://127.0.0.1:9/nobody-listens")  # discard port: refused at once
    monkeypatch.setattr(A, "CALLBACK_QUEUE_LIMIT", 3)
    for n in range(5):
        sandbox.receive_sms("79990000002", f"#{n}")
    assert sandbox.callbacks is not None and sandbox.callbacks.dropped == 2
    sandbox.start()
    started = time.monotonic()
    sandbox.stop()
    assert time.monotonic() - started < A.CALLBACK_ATTEMPT_SECONDS  # generous: no retry waited out


@pytest.mark.parametrize("url", ["http://127.0.0.1:1/h?crc32=x", "http://127.0.0.1:1/h?charset=latin-1",
                                 "http://127.0.0.1:1/h?fmt=5", "ftp://127.0.0.1/h", "/relative"])
def test_a_callback_url_it_cannot_honour_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="callback_url"):
        Sandbox(callback_url=url)


def test_without_a_callback_url_there_is_nothing_to_fake() -> None:
    with pytest.raises(RuntimeError, match="callback_url"):
        Sandbox().receive_sms("79990000002", "hi")


# --- the property: what the sandbox writes, parse reads ------------------------------------------

phones = st.from_regex(r"7[0-9]{10}", fullmatch=True)
surrogates: Tuple[Literal["Cs"]] = ("Cs",)  # a typed constant: mypy reads a bare ("Cs",) as tuple[str]
texts = st.text(st.characters(blacklist_categories=surrogates), max_size=60)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fmt=st.sampled_from(FORMATS), charset=st.sampled_from(CHARSETS),
       algorithm=st.sampled_from(sorted(spec.CALLBACK_SIGNATURES)), secret=st.text(
           st.characters(min_codepoint=33, max_codepoint=126, blacklist_characters="&#%+="), min_size=1, max_size=30),
       kind=st.sampled_from([spec.CALLBACK_STATUS, spec.CALLBACK_INCOMING, spec.CALLBACK_CALL]),
       phone=phones, text=texts, to=phones, status=st.sampled_from([int(s) for s in DeliveryStatus]),
       message_id=st.from_regex(r"[A-Za-z0-9._-]{1,40}", fullmatch=True), ts=st.integers(1_000_000_000, 4_000_000_000))
def test_what_the_sandbox_writes_parse_reads(fmt: str, charset: str, algorithm: str, secret: str, kind: str,
                                             phone: str, text: str, to: str, status: int, message_id: str,
                                             ts: int) -> None:
    query = "&".join(q for q in (fmt, charset, urlencode({algorithm: secret})) if q)
    target = writer.Target("http://127.0.0.1:1/hook?" + query)
    fields: Dict[str, Any] = {
        spec.CALLBACK_STATUS: {"id": message_id, "phone": phone, "status": status, "err": 0, "ts": ts, "cost": "1.50"},
        spec.CALLBACK_INCOMING: {"id": message_id, "phone": phone, "mes": text, "to": to, "ts": ts},
        spec.CALLBACK_CALL: {"phone": phone, "ts": ts, "waitcall": 1},
    }[kind]
    body, content_type = target.body(kind, fields)
    event = parse("POST", target.path.partition("?")[2], body, content_type, secret=secret)
    assert event.ts is not None and int(event.ts.timestamp()) == ts  # type: ignore[union-attr]
    if kind == spec.CALLBACK_STATUS:
        assert isinstance(event, StatusEvent) and (event.id, event.phone, int(event.status)) == (message_id, phone, status)
    elif kind == spec.CALLBACK_INCOMING:
        sent = target.sendable(text)
        assert isinstance(event, IncomingMessage) and (event.phone, event.mes, event.to) == (phone, sent, to)
    else:
        assert isinstance(event, CallConfirmation) and event.phone == phone


def test_the_sandbox_writes_callbacks_without_the_package_that_reads_them() -> None:
    import subprocess
    import sys

    code = ("import sys, smsc_soap.sandbox, smsc_soap.sandbox.callbacks; "
            "s = smsc_soap.sandbox.Sandbox(callback_url='http://127.0.0.1:9/?fmt=3&md5=x'); "
            "s.receive_sms('79990000002', 'hi'); "
            "assert 'smsc_soap.callbacks' not in sys.modules, 'the oracle imports what it checks'")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


# --- a handler that never answers: the sandbox neither waits for it nor hangs on it ----------

import socket  # noqa: E402

from smsc_soap import Client  # noqa: E402


class Silent:
    """A handler URL that accepts TCP and never answers (``backlog_full``: whose SYNs are dropped,
    a black hole: its listen queue is full and nothing accepts)."""

    def __init__(self, backlog_full: bool = False) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(0 if backlog_full else 8)
        self.port = self.listener.getsockname()[1]
        self.fillers = []
        if backlog_full:  # a queue of 0 holds one connection; the next SYNs go unanswered
            for _ in range(2):
                filler = socket.socket()
                filler.setblocking(False)
                filler.connect_ex(("127.0.0.1", self.port))
                self.fillers.append(filler)
            time.sleep(0.1)

    def accepted(self, timeout: float = 5) -> socket.socket:
        self.listener.settimeout(timeout)
        return self.listener.accept()[0]

    def close(self) -> None:
        for sock in [self.listener, *self.fillers]:
            sock.close()


def timed(action: Callable[[], Any]) -> float:
    started = time.monotonic()
    action()
    return time.monotonic() - started


def test_a_handler_that_never_answers_delays_neither_the_service_nor_the_stop() -> None:
    silent = Silent()
    try:
        sandbox = Sandbox(callback_url=f"http://127.0.0.1:{silent.port}/hook").start()
        sandbox.receive_sms("79990000002", "hi")
        held = silent.accepted()  # the first delivery is under way, and will get no answer
        with Client("alex", "123", url=sandbox.url) as client:
            client.send_sms("79991234567", "hello")
            assert timed(lambda: sandbox.advance(3600)) < 0.5  # its status changes: queued, not sent
            assert timed(client.get_balance) < 2
        assert sandbox.wait_callbacks(0.2) is False  # honest: nothing was delivered
        assert timed(sandbox.stop) < 1.5  # the attempt in flight is cut, not waited out
        assert held.recv(100_000).startswith(b"POST /hook")
        assert sandbox.callbacks is not None and not any(d.delivered for d in sandbox.callbacks.log)
        held.close()
    finally:
        silent.close()


def test_a_black_hole_handler_still_lets_the_sandbox_stop_in_bounded_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(A, "CALLBACK_ATTEMPT_SECONDS", 1.0)
    hole = Silent(backlog_full=True)
    try:
        sandbox = Sandbox(callback_url=f"http://127.0.0.1:{hole.port}/hook").start()
        sandbox.receive_sms("79990000002", "hi")
        time.sleep(0.2)  # the delivery is connecting, and no answer to its SYN comes
        assert timed(lambda: sandbox.advance(3600)) < 0.5
        assert timed(sandbox.stop) < A.CALLBACK_ATTEMPT_SECONDS + 1.5
    finally:
        hole.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_child_stopping_its_copy_of_the_sandbox_leaves_the_parents_delivery_alone() -> None:
    """A forked child's stop() shut the connection of the delivery under way in the parent (a
    shutdown acts on the socket both processes share): the child only closes its copy."""
    gate = threading.Event()
    slow = Hook(gate=gate, secret=None)
    try:
        with Sandbox(callback_url=slow.url()) as sandbox:
            hold_a_delivery(sandbox, slow)
            def stop_in_child() -> str:
                sandbox.stop()
                return "stopped"
            assert Child(stop_in_child).result() == "stopped"
            gate.set()
            assert sandbox.wait_callbacks(10)
            assert sandbox.callbacks is not None
            assert [(d.delivered, d.attempts) for d in sandbox.callbacks.log] == [(True, 1)]
    finally:
        gate.set()
        slow.close()
