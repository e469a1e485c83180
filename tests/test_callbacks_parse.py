"""smsc_soap.callbacks.parse and the adapters: what a handler relies on.

Every format and charset reads to typed, frozen events; a signature is checked in full (good,
bad, absent, the wrong or a refused algorithm); hostile bodies are typed errors (400), never a
traceback; a replayed POST reaches user code once; the secret shows nowhere.
"""
from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import io
import json
import traceback
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Dict, List, Optional, Tuple

import pytest

from smsc_soap import SmscError, spec
from smsc_soap.callbacks import (
    CallbackFormatError, CallbackSignatureError, CallConfirmation, IncomingMessage, Receiver, StatusEvent,
    UnknownEvent, make_asgi_app, make_wsgi_app, parse,
)
from smsc_soap.results import DeliveryError, DeliveryStatus

SECRET = "tOp-s3cret-value"
FORM = "application/x-www-form-urlencoded"


def md5(text: str, charset: str = "windows-1251", algorithm: str = "md5") -> str:
    return hashlib.new(algorithm, text.encode(charset)).hexdigest()


def form(fields: Dict[str, str], charset: str = "windows-1251") -> bytes:
    from urllib.parse import urlencode

    return urlencode(fields, encoding=charset).encode("ascii")


STATUS = {"id": "1234", "phone": "79991234567", "status": "1", "err": "0", "type": "0", "cost": "2.50",
          "cnt": "1", "time": "06.12.2026 10:00:00", "ts": "1796540400"}


def signed_status(algorithm: str = "md5", **changes: str) -> Dict[str, str]:
    fields = {**STATUS, **changes}
    fields[algorithm] = md5(f"{fields['id']}:{fields['phone']}:{fields['status']}:{SECRET}", algorithm=algorithm)
    return fields


# --- events, typed ---------------------------------------------------------------------------


def test_a_status_event_is_typed_frozen_and_aware() -> None:
    event = parse("POST", "", form(signed_status()), FORM, secret=SECRET)
    assert isinstance(event, StatusEvent)
    assert (event.id, event.phone, event.status, event.err) == ("1234", "79991234567", DeliveryStatus.DELIVERED,
                                                               DeliveryError.NO_ERROR)
    assert event.status is DeliveryStatus.DELIVERED and event.final
    assert event.cost == Decimal("2.50") and isinstance(event.cost, Decimal) and event.cnt == 1 and event.type == 0
    assert event.time is not None and event.time.utcoffset() is not None
    assert event.time.astimezone(timezone.utc) == datetime(2026, 12, 6, 7, 0, tzinfo=timezone.utc)  # Moscow
    assert event.ts == datetime.fromtimestamp(1796540400, timezone.utc)
    assert event.raw["md5"] and event.raw["status"] == "1"
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.status = DeliveryStatus.EXPIRED  # type: ignore[misc]
    with pytest.raises(TypeError):
        event.raw["status"] = "3"  # type: ignore[index]


def test_an_unknown_status_code_is_kept_as_its_number() -> None:
    event = parse("GET", form({"id": "1", "phone": "7999", "status": "77"}))
    assert isinstance(event, StatusEvent) and event.status == 77 and not event.final


def test_incoming_sms_call_confirmation_and_unknown_kinds() -> None:
    text = "Привет, мир"
    incoming = parse("POST", "", form({"phone": "79990000001", "mes": text, "to": "79000000000"}), FORM)
    assert isinstance(incoming, IncomingMessage) and (incoming.mes, incoming.to) == (text, "79000000000")
    call = parse("POST", "", form({"phone": "79990000001", "ts": "1796540400", "waitcall": "1"}), FORM)
    assert isinstance(call, CallConfirmation) and call.ts is not None and call.ts.tzinfo is not None
    unknown = parse("POST", "", form({"phone": "7999", "something": "new"}), FORM)
    assert isinstance(unknown, UnknownEvent) and dict(unknown.raw) == {"phone": "7999", "something": "new"}


# --- formats and charsets ---------------------------------------------------------------------

TEXT = "Ёжик в тумане"


@pytest.mark.parametrize("charset", spec.CALLBACK_CHARSETS)
def test_every_format_in_every_charset(charset: str) -> None:
    fields = {"phone": "79990000001", "mes": TEXT, "to": "79000000000"}
    fields["md5"] = md5(f"79990000001:{TEXT}:79000000000:{SECRET}", charset)
    json_body = json.dumps(fields, ensure_ascii=False).encode(charset)
    inner = "".join(f"<{k}>{v}</{k}>" for k, v in fields.items())
    xml_body = f'<?xml version="1.0" encoding="{charset}"?><result>{inner}</result>'.encode(charset)
    for query, body, content_type in ((f"charset={charset}", form(fields, charset), FORM),
                                      (f"fmt=3&charset={charset}", json_body, "application/json"),
                                      (f"fmt=2&charset={charset}", xml_body, "text/xml")):
        event = parse("POST", query, body, content_type, secret=SECRET)
        assert isinstance(event, IncomingMessage) and event.mes == TEXT, (query, event)


def test_windows_1251_is_the_default_charset_and_a_get_reads_the_query() -> None:
    fields = {"phone": "79990000001", "mes": TEXT, "to": "7900"}
    assert parse("POST", "", form(fields, "windows-1251"), FORM).mes == TEXT  # type: ignore[union-attr]
    assert parse("POST", "", form(fields, "utf-8"), FORM).mes != TEXT  # type: ignore[union-attr]
    with pytest.raises(CallbackFormatError):  # what is not text in the charset named
        parse("POST", "charset=utf-8", b"phone=1&to=2&mes=%FF%FE", FORM)
    assert parse("GET", form(fields)).mes == TEXT  # type: ignore[union-attr]


def test_json_numbers_are_read_as_written() -> None:
    body = b'{"id": 12, "phone": "79991234567", "status": 1, "cost": 1.5}'
    event = parse("POST", "fmt=3", body, "application/json")
    assert isinstance(event, StatusEvent) and event.id == "12" and event.cost == Decimal("1.5")


# --- signatures ---------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ["md5", "sha1"])
def test_good_signatures_of_both_algorithms(algorithm: str) -> None:
    assert parse("POST", "", form(signed_status(algorithm)), FORM, secret=SECRET).status == DeliveryStatus.DELIVERED  # type: ignore[union-attr]


@pytest.mark.parametrize("fields", [
    {**signed_status(), "status": "3"},                          # the status changed after signing
    {**STATUS, "md5": md5(f"1234:79991234567:1:wrong")},         # another secret
    {**STATUS, "md5": "0" * 32},
    {**STATUS, "md5": "ж" * 32},                                 # not even hex
    {**STATUS},                                                  # absent
    {**STATUS, "crc32": "12345678"},                             # refused algorithm
    {**signed_status(), "crc32": "12345678"},                    # refused even beside a good one
    {"phone": "7999", "something": "new", "md5": "0" * 32},      # a kind no recipe verifies
], ids=["changed", "other-secret", "zeros", "not-hex", "absent", "crc32", "crc32-beside-md5", "unknown-kind"])
def test_a_bad_or_missing_signature_is_refused(fields: Dict[str, str]) -> None:
    with pytest.raises(CallbackSignatureError) as caught:
        parse("POST", "", form(fields), FORM, secret=SECRET)
    assert isinstance(caught.value, SmscError)
    assert SECRET not in str(caught.value)


def test_the_wrong_algorithm_is_refused_when_one_is_demanded() -> None:
    with pytest.raises(CallbackSignatureError, match="not md5"):
        parse("POST", "", form(signed_status("sha1")), FORM, secret=SECRET, algorithm="md5")
    with pytest.raises(ValueError, match="refused"):
        parse("POST", "", form(STATUS), FORM, secret=SECRET, algorithm="crc32")


def test_the_secret_shows_in_no_repr_error_or_traceback_local() -> None:
    receiver = Receiver(secret=SECRET)
    assert SECRET not in repr(receiver)
    app = make_wsgi_app(lambda event: None, secret=SECRET)
    assert SECRET not in repr(app)
    try:
        parse("POST", "", form({**STATUS, "md5": "0" * 32}), FORM, secret=SECRET)
    except CallbackSignatureError as exc:
        shown = "".join(traceback.TracebackException.from_exception(exc, capture_locals=True).format())
    assert "md5 signature does not match" in shown and SECRET not in shown
    assert md5(f"1234:79991234567:1:{SECRET}") not in shown  # nor the digest that was expected


def test_a_field_the_charset_cannot_write_leaves_the_secret_in_no_frame_or_context() -> None:
    """The signed fields and the secret are joined, then written in the callback's charset; a
    field that charset cannot write (a snowman in windows-1251) raised inside the except block,
    so the error's context (the UnicodeEncodeError, holding the joined text) and the frame's
    locals showed the secret."""
    body = json.dumps({"phone": "79991234567", "mes": "\u2603 snow", "to": "79990000000", "md5": "0" * 32})
    with pytest.raises(CallbackFormatError, match="cannot be written in windows-1251") as caught:
        parse("POST", "fmt=3", body.encode(), "application/json", secret=SECRET)
    assert caught.value.__context__ is None
    shown = "".join(traceback.TracebackException.from_exception(caught.value, capture_locals=True).format())
    assert SECRET not in shown


# --- hostile bodies -----------------------------------------------------------------------


@pytest.mark.parametrize("query, body", [
    ("", b"a=" + b"x" * (spec.CALLBACK_MAX_BODY_BYTES + 1)),                 # huge
    ("", b"&".join(b"f%d=1" % i for i in range(spec.CALLBACK_MAX_FIELDS + 1))),  # too many fields
    ("", b"id=1&phone=2&status=1&status=2"),                                 # a field twice
    ("status=1", b"id=1&phone=2&status=2"),                                  # in the query and the body
    ("fmt=3", b"[" * 100_000),                                               # deep nesting
    ("fmt=3", b'{"id": {"a": 1}, "phone": "1", "status": "1"}'),             # nested value
    ("fmt=3", b'{"id": "1", "id": "2"}'),                                    # duplicate key
    ("fmt=3", b'{"id": "1", "phone": "2", "status": true}'),                 # wrong type
    ("fmt=3", b'{"id": "1", "phone": "2", "status": null}'),
    ("fmt=3", b'{"id": NaN}'),
    ("fmt=3", b'["id", "1"]'),                                               # not an object
    ("fmt=3", b'{"id": "1"'),                                                # truncated
    ("fmt=2", b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">]><r><id>&a;</id></r>'),
    ("fmt=2", b'<r><id><x>1</x></id></r>'),                                  # nested
    ("fmt=2", b'<r><id>1</id><id>2</id></r>'),                               # duplicate
    ("fmt=2", b'<r><id>1</r>'),                                              # not XML
    ("fmt=9", b"id=1"),                                                      # unknown format
    ("charset=latin-1", b"id=1"),                                            # unknown charset
    ("", b"id=1&phone=2&status=abc"),                                        # wrong types
    ("", b"id=1&phone=2&status=99999999"),
    ("", b"id=1&phone=2&status=1&cost=NaN"),
    ("", b"id=1&phone=2&status=1&cost=-1"),
    ("", b"id=1&phone=2&status=1&time=yesterday"),
    ("", b"id=1&phone=2&status=1&ts=1e10"),
    ("", b"phone=2&status=1"),                                               # no id
])
def test_hostile_input_is_a_typed_error(query: str, body: bytes) -> None:
    content_type = {"fmt=3": "application/json", "fmt=2": "text/xml"}.get(query, FORM)
    with pytest.raises(CallbackFormatError):
        parse("POST", query, body, content_type)
    status, _ = wsgi_post(make_wsgi_app(lambda event: pytest.fail("reached user code")), body, query, content_type)
    assert status in (400, 413)


def test_a_form_body_of_another_media_type_is_refused() -> None:
    with pytest.raises(CallbackFormatError):
        parse("POST", "", b"id=1&phone=2&status=1", "multipart/form-data; boundary=x")


# --- the adapters -------------------------------------------------------------------------


def wsgi_post(app: Any, body: bytes, query: str = "", content_type: str = FORM,
              method: str = "POST") -> Tuple[int, str]:
    seen: List[str] = []
    environ = {"REQUEST_METHOD": method, "QUERY_STRING": query, "CONTENT_TYPE": content_type,
               "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body)}
    out = b"".join(app(environ, lambda status, headers: seen.append(status)))
    return int(seen[0].split()[0]), out.decode()


def test_wsgi_app_answers_and_calls_the_handler_once_per_event() -> None:
    events: List[Any] = []
    app = make_wsgi_app(events.append, secret=SECRET)
    body = form(signed_status())
    assert wsgi_post(app, body) == (200, "OK")
    assert wsgi_post(app, body) == (200, "OK")  # replayed: answered, not handed on
    assert len(events) == 1
    assert wsgi_post(app, form(signed_status(status="3"))) == (200, "OK")  # a new status is new
    assert len(events) == 2 and events[1].status == DeliveryStatus.EXPIRED
    assert wsgi_post(app, form(STATUS))[0] == 403
    assert wsgi_post(app, b"", method="PUT")[0] == 405
    assert len(events) == 2


def test_a_wsgi_body_without_a_length_is_read_only_from_a_terminated_stream() -> None:
    events: List[Any] = []
    app = make_wsgi_app(events.append)
    body = form({"id": "1", "phone": "2", "status": "1"})
    out: List[str] = []
    environ = {"REQUEST_METHOD": "POST", "QUERY_STRING": "", "CONTENT_TYPE": FORM, "wsgi.input": io.BytesIO(body)}
    assert b"".join(app(dict(environ), lambda status, headers: out.append(status))) == b"the callback carries no fields"
    environ.update({"wsgi.input": io.BytesIO(body), "wsgi.input_terminated": True})
    assert b"".join(app(environ, lambda status, headers: out.append(status))) == b"OK"
    assert out == ["400 Bad Request", "200 OK"] and len(events) == 1


def test_a_handler_that_fails_is_called_again_on_the_retry() -> None:
    calls: List[Any] = []

    def flaky(event: Any) -> None:
        calls.append(event)
        if len(calls) == 1:
            raise RuntimeError("database down")

    app = make_wsgi_app(flaky, secret=SECRET)
    with pytest.raises(RuntimeError):
        wsgi_post(app, form(signed_status()))
    assert wsgi_post(app, form(signed_status())) == (200, "OK")
    assert len(calls) == 2


def test_the_dedup_store_is_bounded() -> None:
    receiver = Receiver(remember=2)
    for n in range(3):
        receiver.handle(lambda e: None, "GET", form({"id": str(n), "phone": "1", "status": "1"}), b"", "")
    again = receiver.answer("GET", form({"id": "0", "phone": "1", "status": "1"}), b"", "")
    assert again.event is not None  # the oldest was forgotten
    assert receiver.answer("GET", form({"id": "2", "phone": "1", "status": "1"}), b"", "").event is None


def asgi_post(app: Any, body: bytes, query: str = "", content_type: str = FORM,
              chunk: Optional[int] = None) -> Tuple[int, str]:
    parts = [body[i:i + chunk] for i in range(0, len(body), chunk)] if chunk else [body]
    messages = [{"type": "http.request", "body": p, "more_body": i < len(parts) - 1} for i, p in enumerate(parts)]
    sent: List[Dict[str, Any]] = []

    async def receive() -> Dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: Dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "query_string": query.encode(),
             "headers": [(b"content-type", content_type.encode())]}
    asyncio.run(app(scope, receive, send))
    return sent[0]["status"], sent[1]["body"].decode()


def test_asgi_app_with_a_coroutine_handler() -> None:
    events: List[Any] = []

    async def handler(event: Any) -> None:
        events.append(event)

    app = make_asgi_app(handler, secret=SECRET)
    assert asgi_post(app, form(signed_status()), chunk=7) == (200, "OK")
    assert asgi_post(app, form(signed_status())) == (200, "OK")
    assert len(events) == 1 and events[0].status == DeliveryStatus.DELIVERED
    assert asgi_post(app, form(STATUS))[0] == 403
    assert asgi_post(app, b"id=1&id=2")[0] == 400
    assert asgi_post(app, b"x" * (spec.CALLBACK_MAX_BODY_BYTES + 10), chunk=4096)[0] == 413
    assert SECRET not in repr(app)


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_forked_worker_does_not_wait_for_the_receivers_lock_a_parent_thread_held() -> None:
    """A web server forks its workers from a process that made the receiver (a preloaded app)."""
    from support.processes import Child, held_by_another_thread

    receiver = Receiver(secret=SECRET)
    with held_by_another_thread(receiver._lock):
        assert Child(lambda: receiver.answer("POST", "", form(signed_status()), FORM).status).result() == 200
