"""The callback endpoints under hostile framing: a Content-Length that lies (bigger than the
body, smaller, absent, negative, not a number, absurdly long) and a chunked ASGI body that never
stops. Each is a typed 400/413, never a hang, a traceback, an unbounded read, or a cut body
handed to user code."""
from __future__ import annotations

import asyncio
import hashlib
import io
from typing import Any, Dict, List, Optional, Tuple

import pytest

from smsc_soap import spec
from smsc_soap.callbacks import make_asgi_app, make_wsgi_app

SECRET = "load-secret-7"
FORM = "application/x-www-form-urlencoded"
LIMIT = spec.CALLBACK_MAX_BODY_BYTES


def signed(id: str = "42") -> bytes:  # noqa: A002
    digest = hashlib.md5(f"{id}:79991234567:1:{SECRET}".encode()).hexdigest()
    return f"id={id}&phone=79991234567&status=1&md5={digest}".encode()


class Endless(io.RawIOBase):
    """A stream that never ends; counts what was asked of it."""

    def __init__(self) -> None:
        self.given = 0

    def read(self, size: int = -1) -> bytes:
        assert size is not None and size >= 0, "an unbounded read"
        self.given += size
        return b"a" * size


def wsgi(stream: Any, length: Optional[str], terminated: bool = False) -> Tuple[int, str, List[Any]]:
    events: List[Any] = []
    app = make_wsgi_app(events.append, secret=SECRET)
    environ: Dict[str, Any] = {"REQUEST_METHOD": "POST", "QUERY_STRING": "", "CONTENT_TYPE": FORM,
                               "wsgi.input": stream, "wsgi.input_terminated": terminated}
    if length is not None:
        environ["CONTENT_LENGTH"] = length
    seen: List[str] = []
    out = b"".join(app(environ, lambda status, headers: seen.append(status)))
    return int(seen[0].split()[0]), out.decode(), events


@pytest.mark.parametrize("length", ["-5", "abc", "1e3", "+31", "0x1f", "²", "٣١", "3 1"])
def test_wsgi_a_length_that_is_no_number_is_a_400(length: str) -> None:
    status, text, events = wsgi(io.BytesIO(signed()), length)
    assert (status, text, events) == (400, "Content-Length is not a number of bytes", [])


@pytest.mark.parametrize("length", [str(LIMIT + 1), "9" * 5000, "1" + "0" * 30])
def test_wsgi_a_length_over_the_bound_is_a_413_before_any_read(length: str) -> None:
    stream = Endless()
    status, _, events = wsgi(stream, length)
    assert (status, stream.given, events) == (413, 0, [])


def test_wsgi_a_body_shorter_than_its_length_is_a_400_not_a_cut_event() -> None:
    body = signed()
    status, text, events = wsgi(io.BytesIO(body), str(len(body) + 50))
    assert (status, events) == (400, []) and f"after {len(body)} of its {len(body) + 50} bytes" in text


def test_wsgi_a_length_smaller_than_the_body_reads_only_that_much() -> None:
    body = signed()
    stream = io.BytesIO(body)
    status, _, events = wsgi(stream, str(len(body) - 10))  # the signature is cut: refused
    assert (status, events, stream.tell()) == (403, [], len(body) - 10)
    assert wsgi(io.BytesIO(body), "000" + str(len(body)))[:2] == (200, "OK")  # leading zeros are a number


def test_wsgi_without_a_length_reads_at_most_the_bound() -> None:
    stream = Endless()
    assert wsgi(stream, None)[0] == 400 and stream.given == 0  # not terminated: no body at all
    assert wsgi(stream, None, terminated=True)[0] == 413 and stream.given == LIMIT + 1
    assert wsgi(stream, str(LIMIT))[0] == 403 and stream.given == 2 * LIMIT + 1  # exactly the length, unsigned


def asgi(messages: List[Dict[str, Any]], headers: List[Tuple[bytes, bytes]],
         endless: bool = False) -> Tuple[List[Dict[str, Any]], List[Any], int]:
    """(what the app sent, the events it handed on, how many messages it received)."""
    events: List[Any] = []
    sent: List[Dict[str, Any]] = []
    received = 0

    async def receive() -> Dict[str, Any]:
        nonlocal received
        received += 1
        if endless:
            return {"type": "http.request", "body": b"a" * 4096, "more_body": True}
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: Dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "query_string": b"",
             "headers": [(b"content-type", FORM.encode()), *headers]}
    asyncio.run(asyncio.wait_for(make_asgi_app(events.append, secret=SECRET)(scope, receive, send), 10))
    return sent, events, received


def test_asgi_a_chunked_body_that_never_ends_is_a_413_after_the_bound() -> None:
    sent, events, received = asgi([], [], endless=True)
    assert sent[0]["status"] == 413 and events == []
    assert received == LIMIT // 4096 + 1  # stopped reading at the bound


@pytest.mark.parametrize("length, status", [("abc", 400), ("-1", 400), ("²", 400), (str(LIMIT + 1), 413),
                                            ("9" * 5000, 413)])
def test_asgi_a_length_that_decides_is_answered_before_any_read(length: str, status: int) -> None:
    sent, events, received = asgi([], [(b"content-length", length.encode())], endless=True)
    assert (sent[0]["status"], events, received) == (status, [], 0)


def test_asgi_a_client_gone_mid_body_gets_no_event_handed_on() -> None:
    body = signed()
    sent, events, _ = asgi([{"type": "http.request", "body": body[:20], "more_body": True}], [])
    assert (sent, events) == ([], [])  # a cut body is never parsed; nobody is left to answer
    sent, events, _ = asgi([{"type": "http.request", "body": body, "more_body": False}], [])
    assert sent[0]["status"] == 200 and len(events) == 1
