"""No secret in what error reporters capture: for each kind of failure, the raised exception, its
attributes, its chained causes and the locals of every frame of its traceback (as
``pytest --showlocals``, ``TracebackException(capture_locals=True)`` and sentry-style reporters
read them) hold neither the password nor the API key, in any form ``secret_forms`` lists."""
from __future__ import annotations

import os
import socket
import traceback
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Set, Tuple, Union, cast

import pytest

import smsc_soap
from smsc_soap import Client, RetryPolicy
from smsc_soap.bulk import Failed, Unknown
from smsc_soap.redact import secret_forms
from support.servers import Answer, Responder, soap_answer

PSW = "pw-Zx81!secret"
APIKEY = "ak-Qw93secretKEY"
FORMS = sorted({form for secret in (PSW, APIKEY) for form in secret_forms(secret)}, key=len, reverse=True)
#: How deep into attributes, containers and objects' ``__dict__`` the walk goes.
DEPTH = 4
NS = "http://smsc.ru/"
FAULT = (b'<?xml version="1.0"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/">'
         b'<SOAP-ENV:Body><SOAP-ENV:Fault><faultcode>SOAP-ENV:Server</faultcode><faultstring>you sent %s'
         b'</faultstring></SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>')


def _reprs(value: Any, depth: int, seen: Set[int], out: List[str]) -> None:
    """repr (and text) of ``value`` and, ``depth`` levels down, of what it holds."""
    if id(value) in seen:
        return
    seen.add(id(value))
    try:
        out.append(repr(value))
        if isinstance(value, (str, bytes)):
            out.append(value if isinstance(value, str) else value.decode("utf-8", "replace"))
            return
        if isinstance(value, BaseException):
            out.append(str(value))
    except Exception as exc:  # noqa: BLE001 - a reporter would skip it too
        out.append(f"<repr failed: {type(exc).__name__}>")
    if depth == 0:
        return
    children: List[Any] = []
    if isinstance(value, dict):
        children += [*value.keys(), *value.values()]
    elif isinstance(value, (list, tuple, set, frozenset)):
        children += list(value)
    if isinstance(value, BaseException):
        children += [value.args, value.__cause__, value.__context__]
    try:
        children += list(vars(value).values())
    except TypeError:
        pass
    for child in children:
        _reprs(child, depth - 1, seen, out)


def captured_texts(error: BaseException) -> Iterator[str]:
    """Everything a reporter may show of ``error``: itself, its chain, every frame's locals."""
    out: List[str] = []
    seen: Set[int] = set()
    chain: List[BaseException] = []
    current: Any = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    for exc in chain:
        _reprs(exc, DEPTH, seen, out)
        for frame, _ in traceback.walk_tb(exc.__traceback__):
            if os.path.basename(frame.f_code.co_filename).startswith("test_"):
                continue  # a test's own frame holds the test server, which recorded the request
            for value in frame.f_locals.values():
                _reprs(value, DEPTH, seen, out)
    out.append("".join(traceback.TracebackException.from_exception(error, capture_locals=True).format()))
    out.append("".join(traceback.format_exception(type(error), error, error.__traceback__)))
    return iter(out)


def assert_no_secret(error: BaseException) -> None:
    leaks = [(form, text[:300]) for text in captured_texts(error) for form in FORMS if form in text]
    assert not leaks, leaks[:3]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _echo_fault(secret: str) -> bytes:
    return FAULT % secret.replace("&", "&amp;").replace("<", "&lt;").encode()


# Each failure: (what the server does, the error expected for a balance/cost call).
FAILURES: Dict[str, Callable[[Responder, str, str], None]] = {
    "timeout": lambda r, s, op: r.answer(b"", delay=3),
    "reset mid-answer": lambda r, s, op: r.answer(soap_answer(NS, op, "<id>1</id>"), close_after=60),
    "soap fault": lambda r, s, op: r.answer(_echo_fault(s), status=500),
    "http 500 html": lambda r, s, op: r.answer(b"<html>you sent " + s.encode() + b" psw=" + PSW.encode()
                                               + b"</html>", status=500, content_type="text/html"),
    "bad xml": lambda r, s, op: r.answer(b"<a>" + s.encode() + b"<b></a>"),
    "api error 2": lambda r, s, op: r.answer(soap_answer(NS, op, "<error>2</error>")),
    # A field the reader cannot read as a number, echoing the request: the error quotes the value.
    "field echoes the request": lambda r, s, op: r.answer(soap_answer(NS, op, f"<error>bad psw {s}</error>")),
    "redirect": lambda r, s, op: r.answer(b"", status=307, content_type="text/html", headers=(
        ("Location", f"http://127.0.0.1:1/?psw={PSW}&apikey={APIKEY}"),)),
}


def _client(kind: str, url: str, make: Callable[..., Client] = Client) -> Client:
    retry = RetryPolicy(attempts=1)
    if kind == "password":
        return make(login="alex", psw=PSW, url=url, timeout=1, retry=retry)
    return make(apikey=APIKEY, url=url, timeout=1, retry=retry)


@pytest.mark.parametrize("kind", ["password", "apikey"])
@pytest.mark.parametrize("failure", sorted(FAILURES))
@pytest.mark.parametrize("operation", ["send", "cost"])
def test_no_secret_in_the_exception_its_chain_or_its_frames(responder: Responder, kind: str, failure: str,
                                                           operation: str, any_client: Any) -> None:
    wire = "send_sms2" if operation == "send" else "get_sms_cost2"
    FAILURES[failure](responder, PSW if kind == "password" else APIKEY, wire)
    client = _client(kind, responder.url, any_client)
    with pytest.raises(smsc_soap.SmscError) as caught:
        if operation == "send":
            client.send_sms2("79991234567", "Hi")
        else:
            client.get_sms_cost2("79991234567", "Hi")
    if operation == "send" and failure != "api error 2":
        assert isinstance(caught.value, smsc_soap.SendOutcomeUnknown)
    assert_no_secret(caught.value)


@pytest.mark.parametrize("kind", ["password", "apikey"])
@pytest.mark.parametrize("failure", ["http 500 html", "reset mid-answer", "api error 2", "field echoes the request"])
def test_no_secret_in_a_bulk_requests_error(responder: Responder, kind: str, failure: str, any_client: Any,
                                            tmp_path: Path) -> None:
    # A bulk send's list request: its error, handed back as the outcome's and written to the
    # journal on disk, carries no secret either.
    FAILURES[failure](responder, PSW if kind == "password" else APIKEY, "send_sms2")
    client = _client(kind, responder.url, any_client)
    journal = tmp_path / "orders.jsonl"
    outcome, = client.send_bulk([("79991234567", "Hi")], journal=str(journal))
    failed = cast(Union[Failed, Unknown], outcome)
    assert failed.error is not None
    assert_no_secret(failed.error)
    written = journal.read_text(encoding="utf-8")
    assert str(failed.error).split(":")[0] in written  # the error is in the journal, without the secret
    assert [form for form in FORMS if form in written] == []


@pytest.mark.parametrize("kind", ["password", "apikey"])
def test_no_secret_when_the_connection_is_refused(kind: str, any_client: Any) -> None:
    client = _client(kind, f"http://127.0.0.1:{closed_port()}/sys/soap.php", any_client)
    with pytest.raises(smsc_soap.ConnectionError) as caught:
        client.send_sms2("79991234567", "Hi")
    assert_no_secret(caught.value)


@pytest.mark.parametrize("kind", ["password", "apikey"])
def test_no_secret_in_a_validation_error(responder: Responder, kind: str, any_client: Any) -> None:
    client = _client(kind, responder.url, any_client)
    with pytest.raises(smsc_soap.ValidationError) as caught:
        client.send_sms2("79991234567", "Hi", valid="never")
    assert_no_secret(caught.value)
    with pytest.raises(smsc_soap.ValidationError) as caught:
        client.send_sms2("not a phone", "Hi")
    assert_no_secret(caught.value)
    assert responder.requests == []


def test_the_walk_finds_a_secret_where_one_is() -> None:
    """The check itself: a lower-layer exception chained and a plain secret in a local are found."""
    def leaky(psw: str) -> None:
        try:
            raise OSError(f"sent {psw}")
        except OSError:
            raise RuntimeError("failed") from None

    with pytest.raises(RuntimeError) as caught:
        leaky(PSW)
    texts = list(captured_texts(caught.value))
    assert any(PSW in text for text in texts)
    assert caught.value.__suppress_context__ and caught.value.__context__ is not None  # `from None` alone leaves it


# --- the HTTP pages (000-002): the same failures, through each page call -------------------------

JSON = "application/json"
ENTRY = (b'{"country": "Russia", "operator": "MTS", "region": "Moscow", "mcc": "250", "mnc": "01", '
         b'"tz": "0", "padding": "' + b"x" * 200 + b'"}')

PAGE_FAILURES: Dict[str, Callable[[Responder, str], None]] = {
    "timeout": lambda r, s: r.answer(b"", delay=3),
    "reset mid-answer": lambda r, s: r.answer(ENTRY, content_type=JSON, close_after=120),
    "http 500 html": lambda r, s: r.answer(b"<html>you sent " + s.encode() + b" psw=" + PSW.encode()
                                           + b"</html>", status=500, content_type="text/html"),
    "no known shape": lambda r, s: r.answer(b"you sent " + s.encode() + b"&psw=" + PSW.encode(), content_type=JSON),
    "bad xml": lambda r, s: r.answer(b"<a>" + s.encode() + b"<b></a>", content_type="text/xml"),
    "api error 2": lambda r, s: r.answer(b'{"error": "bad psw ' + s.encode() + b'", "error_code": 2}',
                                         content_type=JSON),
    # The text format (name = value, ...), echoing the request: the error quotes what it could not read.
    "text echoes the request": lambda r, s: r.answer(b"login = alex, psw = " + s.encode(), content_type="text/plain"),
    "redirect": lambda r, s: r.answer(b"", status=307, content_type="text/html", headers=(
        ("Location", f"http://127.0.0.1:1/?psw={PSW}&apikey={APIKEY}"),)),
}

#: Each page call: (label, the call, whether it is a send).
PAGE_CALLS: Dict[str, Tuple[Callable[[Client], object], bool]] = {
    "operator": (lambda c: c.operator("79991234567"), False),
    "exports.get_list": (lambda c: c.exports.get_list(), False),
    "mailings.add": (lambda c: c.mailings.add("spring", "79991234567", "Hi"), True),
}


@pytest.mark.parametrize("kind", ["password", "apikey"])
@pytest.mark.parametrize("failure", sorted(PAGE_FAILURES))
@pytest.mark.parametrize("page_call", sorted(PAGE_CALLS))
def test_no_secret_from_a_page_call(responder: Responder, kind: str, failure: str, page_call: str,
                                    any_client: Any) -> None:
    PAGE_FAILURES[failure](responder, PSW if kind == "password" else APIKEY)
    client = _client(kind, responder.url, any_client)
    call, is_send = PAGE_CALLS[page_call]
    with pytest.raises(smsc_soap.SmscError) as caught:
        call(client)
    if is_send and kind == "password" and failure != "api error 2":
        assert isinstance(caught.value, smsc_soap.SendOutcomeUnknown)
    assert_no_secret(caught.value)


#: Page answers of the right shape whose number or date field echoes the request (``{}``: the secret).
UNREADABLE_VALUES: Dict[str, str] = {
    "exports.get_list": '[{{"id": "1", "name": "x", "status": "2", "created": "you sent psw {}", "time": "", "file": ""}}]',
    "mailings.add": '{{"id": "5", "cnt": "psw {}"}}',
}


@pytest.mark.parametrize(("page_call", "kind"), [("exports.get_list", "password"), ("exports.get_list", "apikey"),
                                               ("mailings.add", "password")])  # mailings take no API key
def test_no_secret_when_a_page_answers_an_unreadable_value(responder: Responder, kind: str, page_call: str,
                                                           any_client: Any) -> None:
    # (the secret in no local of this frame: the traceback's locals are checked, this frame's too)
    responder.answer(UNREADABLE_VALUES[page_call].format(PSW if kind == "password" else APIKEY).encode(),
                     content_type=JSON)
    with pytest.raises(smsc_soap.ProtocolError) as caught:
        PAGE_CALLS[page_call][0](_client(kind, responder.url, any_client))
    assert "REDACTED" in str(caught.value)  # the value is quoted, the secret in it is not
    assert_no_secret(caught.value)


@pytest.mark.parametrize("kind", ["password", "apikey"])
@pytest.mark.parametrize("page_call", sorted(PAGE_CALLS))
def test_no_secret_when_a_page_refuses_the_connection(kind: str, page_call: str, any_client: Any) -> None:
    client = _client(kind, f"http://127.0.0.1:{closed_port()}/sys/soap.php", any_client)
    with pytest.raises(smsc_soap.SmscError) as caught:
        PAGE_CALLS[page_call][0](client)
    assert_no_secret(caught.value)


@pytest.mark.parametrize("kind", ["password", "apikey"])
def test_no_secret_in_a_page_calls_validation_error(responder: Responder, kind: str) -> None:
    client = _client(kind, responder.url)
    for call in (lambda: client.operator("not a phone"), lambda: client.mailings.add("spring", "79991234567", "Hi",
                                                                                     rpt=99),
                 lambda: client.exports.get_list(cnt=-1)):
        with pytest.raises(smsc_soap.ValidationError) as caught:
            call()
        assert_no_secret(caught.value)
    assert responder.requests == []


@pytest.mark.parametrize("send", ["send_sms", "mailings.add"])
def test_no_secret_on_the_traceback_of_a_cancelled_async_send(send: str) -> None:
    """A task cancelled mid-call: the CancelledError that propagates carries no frame that holds
    the request's bytes (httpx's do), and the send is still recorded as of unknown outcome."""
    import asyncio
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted: List[socket.socket] = []

    def accept() -> None:  # reads the request, never answers
        try:
            while True:
                conn, _ = listener.accept()
                accepted.append(conn)
                conn.recv(65536)
        except OSError:
            pass

    threading.Thread(target=accept, daemon=True).start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/sys/soap.php"

    async def main() -> Tuple[BaseException, List[Any]]:
        async with smsc_soap.AsyncClient("alex", PSW, url=url, timeout=30) as client:
            inside: List[BaseException] = []

            async def caller() -> None:  # the caller's code, inside the cancelled task
                try:
                    if send == "send_sms":
                        await client.send_sms("79999999999", "never answered")
                    else:
                        await client.mailings.add("spring", "79999999999", "never answered")
                except asyncio.CancelledError as seen:
                    inside.append(seen)
                    raise

            task = asyncio.ensure_future(caller())
            for _ in range(200):  # until the request is on the wire
                await asyncio.sleep(0.01)
                if accepted:
                    break
            await asyncio.sleep(0.1)
            task.cancel()
            try:
                await task
            except asyncio.CancelledError as cancelled:
                return cancelled, [*inside, *client.unknown_sends]
            raise AssertionError("the task was not cancelled")

    try:
        cancelled, unknown = asyncio.run(main())
    finally:
        listener.close()
        for conn in accepted:
            conn.close()
    # Before Python 3.11 ``await task`` raises a new CancelledError: the one the call raised is
    # what the caller's code inside the task saw (and this one's __context__).
    seen, lost = unknown
    assert isinstance(cancelled, asyncio.CancelledError) and isinstance(seen, asyncio.CancelledError)
    assert isinstance(lost, smsc_soap.SendOutcomeUnknown)
    assert any("unknown_sends" in note for note in getattr(seen, "__notes__", []))
    assert list(traceback.walk_tb(seen.__traceback__)), "the walk has frames to look at"
    assert_no_secret(seen)
    assert_no_secret(cancelled)
