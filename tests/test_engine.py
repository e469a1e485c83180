"""The engine (smsc_soap._sync.engine, smsc_soap._async.engine): every request of both clients, SOAP
and every page, goes through one loop that owns the limits, the deadline, the translation of
exceptions and the secret-free raise. Each test is an attack that once got through a copy of
that loop, run against both clients (``any_client``)."""
from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import Any, Callable, Dict, Iterator, List, Tuple

import pytest
from support.redis_server import run_redis
from support.servers import Answer, Responder, soap_answer
from test_secrets_in_tracebacks import APIKEY, PSW, assert_no_secret

import smsc_soap
from smsc_soap import RetryPolicy
from smsc_soap.limits import InMemoryLimits, LimitsUnavailable, RedisLimits

NS = "http://smsc.ru/"
JSON = "application/json"
PHONE = "79991234567"
IP_BLOCKED_PAGE = json.dumps({"error": "IP blocked", "error_code": 4}).encode()

#: Every page call, as a user makes it: (the call, whether it is a send).
PAGE_CALLS: Dict[str, Tuple[Callable[[Any], object], bool]] = {
    "operator": (lambda c: c.operator(PHONE), False),
    "exports.get_list": (lambda c: c.exports.get_list(), False),
    "exports.get_file": (lambda c: c.exports.get_file(7, to=io.BytesIO()), False),
    "mailings.add": (lambda c: c.mailings.add("spring", PHONE, "Hi"), True),
    "mailings.get": (lambda c: c.mailings.get(7), False),
    "mailings.get_all": (lambda c: c.mailings.get_all(), False),
    "mailings.delete": (lambda c: c.mailings.delete(7), False),
    "mailings.cancel": (lambda c: c.mailings.cancel(7), False),
}
#: SOAP calls: (the call, its wire operation, whether it is a send).
SOAP_CALLS: Dict[str, Tuple[Callable[[Any], object], str, bool]] = {
    "send_sms": (lambda c: c.send_sms(PHONE, "Hi"), "send_sms", True),
    "get_balance": (lambda c: c.get_balance(), "get_balance", False),
}


def _client(make: Any, url: str, **options: Any) -> Any:
    options.setdefault("timeout", 2)
    options.setdefault("retry", RetryPolicy(attempts=1))
    return make(login="alex", psw=PSW, url=url, **options)


# --- one gate: the limits hold for SOAP and every page, in both directions --------------------------


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    yield from run_redis()


def _stores(kind: str, redis_url: str) -> Tuple[Any, Any]:
    """Two handles on one store of limits, as two clients (or two workers) hold them."""
    if kind == "memory":
        shared = InMemoryLimits()
        return shared, shared
    import redis

    redis.Redis.from_url(redis_url).flushall()
    return RedisLimits(redis_url), RedisLimits(redis_url)


@pytest.mark.parametrize("kind", ["memory", "redis"])
@pytest.mark.parametrize("page", sorted(PAGE_CALLS))
def test_an_error_4_on_soap_refuses_every_page_call_without_a_request(responder: Responder, any_client: Any,
                                                                      redis_url: str, kind: str, page: str) -> None:
    first_limits, second_limits = _stores(kind, redis_url)
    first = _client(any_client, responder.url, limits=first_limits)
    second = _client(any_client, responder.url, limits=second_limits)
    responder.answer(soap_answer(NS, "get_balance", "<error>4</error>"))
    with pytest.raises(smsc_soap.IpBlocked) as served:
        first.get_balance()
    assert not served.value.refused_locally
    sent = len(responder.requests)
    for client in (first, second):
        with pytest.raises(smsc_soap.IpBlocked) as refused:
            PAGE_CALLS[page][0](client)
        assert refused.value.refused_locally and refused.value.retry_after is not None \
            and refused.value.retry_after > 0
    assert len(responder.requests) == sent  # nothing sent


@pytest.mark.parametrize("kind", ["memory", "redis"])
@pytest.mark.parametrize("soap", sorted(SOAP_CALLS))
def test_an_error_4_on_a_page_refuses_soap_calls_without_a_request(responder: Responder, any_client: Any,
                                                                   redis_url: str, kind: str, soap: str) -> None:
    first_limits, second_limits = _stores(kind, redis_url)
    first = _client(any_client, responder.url, limits=first_limits)
    second = _client(any_client, responder.url, limits=second_limits)
    responder.answer(IP_BLOCKED_PAGE, content_type=JSON)
    with pytest.raises(smsc_soap.IpBlocked) as served:
        first.operator(PHONE)
    assert not served.value.refused_locally
    sent = len(responder.requests)
    for client in (first, second):
        with pytest.raises(smsc_soap.IpBlocked) as refused:
            SOAP_CALLS[soap][0](client)
        assert refused.value.refused_locally
    assert len(responder.requests) == sent


def test_the_pages_keep_the_clients_own_back_off_store(responder: Responder, any_client: Any) -> None:
    """``client.limits.windows`` is the one store: a window the pages opened is in it."""
    client = _client(any_client, responder.url)
    assert isinstance(client.limits, InMemoryLimits)
    responder.answer(IP_BLOCKED_PAGE, content_type=JSON)
    with pytest.raises(smsc_soap.IpBlocked):
        client.mailings.get(7)
    refusal = client.limits.windows.refusal("get_balance", [("ip",)], client.retry.clock())
    assert isinstance(refusal, smsc_soap.IpBlocked)


def test_page_calls_take_a_shared_slot(redis_url: str) -> None:
    """With RedisLimits, a page call holds one of the login's slots: none free, nothing sent."""
    import redis

    redis.Redis.from_url(redis_url).flushall()
    limits = RedisLimits(redis_url, concurrency=1)
    held = limits.slot("login:alex", 30.0)
    held.__enter__()
    try:
        with Responder() as server:
            client = _client(smsc_soap.Client, server.url, limits=limits, timeout=0.5)
            with pytest.raises(LimitsUnavailable, match="nothing was sent"):
                client.operator(PHONE)
            assert server.requests == []
    finally:
        held.__exit__(None, None, None)


# --- a frozen Redis: the call ends within its timeout, nothing sent --------------------------------


@pytest.mark.parametrize("call", ["send_sms", "operator"])
def test_a_frozen_redis_ends_the_call_within_its_timeout(any_client: Any, call: str) -> None:
    import redis

    for url in run_redis():
        server = redis.Redis.from_url(url)
        pid = int(server.info()["process_id"])
        # A user's client with a short socket timeout, retried by redis-py: once 15 s of waiting.
        limits = RedisLimits(redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1))
        with Responder() as responder:
            client = _client(any_client, responder.url, limits=limits, timeout=1.5)
            os.kill(pid, signal.SIGSTOP)
            try:
                started = time.monotonic()
                with pytest.raises(LimitsUnavailable, match="nothing was sent"):
                    client.send_sms(PHONE, "Hi") if call == "send_sms" else client.operator(PHONE)
                took = time.monotonic() - started
            finally:
                os.kill(pid, signal.SIGCONT)
            assert took < 1.5 + 0.5, took
            assert responder.requests == []


# --- answers that are not what they should be: always our typed error, never the password ----------


@pytest.mark.parametrize("page", sorted(PAGE_CALLS))
def test_a_deeply_nested_json_answer_is_a_typed_error(responder: Responder, any_client: Any, page: str) -> None:
    responder.answer(b"[" * 100_000, content_type=JSON)
    client = _client(any_client, responder.url)
    call, is_send = PAGE_CALLS[page]
    with pytest.raises(smsc_soap.SmscError) as caught:
        call(client)
    if is_send:
        assert isinstance(caught.value, smsc_soap.SendOutcomeUnknown)
    else:
        assert isinstance(caught.value, smsc_soap.ProtocolError)
    assert "RecursionError" in str(caught.value) or "depth" in str(caught.value)
    assert_no_secret(caught.value)


class HookFailed(Exception):
    """What a user's session hook raised."""


def _raising_session(any_client: Any) -> Any:
    if any_client is smsc_soap.Client:
        import requests

        session = requests.Session()

        def hook(response: Any, *args: Any, **kwargs: Any) -> None:
            raise HookFailed("the hook of the user failed")

        session.hooks["response"].append(hook)
        return session
    import httpx

    async def event_hook(response: Any) -> None:
        raise HookFailed("the hook of the user failed")

    return httpx.AsyncClient(event_hooks={"response": [event_hook]})


def _hooked_client(make: Any, url: str, kind: str) -> Any:
    """A client whose session has a hook that raises (the credentials stay out of the test's frame)."""
    credentials = {"login": "alex", "psw": PSW} if kind == "password" else {"apikey": APIKEY}
    return make(url=url, timeout=2, retry=RetryPolicy(attempts=1), session=_raising_session(make), **credentials)


ALL_CALLS: Dict[str, Tuple[Callable[[Any], object], bool]] = {
    **{name: (call, is_send) for name, (call, _, is_send) in SOAP_CALLS.items()}, **PAGE_CALLS}


#: (credentials, call): the calls an API key cannot make (mailings, get_balance) are refused
#: before anything is sent, so no hook runs (tests/test_auth_and_secrets.py).
HOOK_CASES = [(kind, call) for kind in ("password", "apikey") for call in sorted(ALL_CALLS)
              if kind == "password" or not (call.startswith("mailings") or call == "get_balance")]


@pytest.mark.parametrize("kind, call", HOOK_CASES)
def test_a_session_hook_that_raises_leaves_no_secret(responder: Responder, any_client: Any, call: str,
                                                     kind: str) -> None:
    responder.default = Answer(soap_answer(NS, "send_sms", "<id>1</id>"))
    client = _hooked_client(any_client, responder.url, kind)
    do, is_send = ALL_CALLS[call]
    with pytest.raises(Exception) as caught:
        do(client)
    if is_send:
        assert isinstance(caught.value, smsc_soap.SendOutcomeUnknown)  # it reached the service
    else:
        assert isinstance(caught.value, (HookFailed, smsc_soap.SmscError))
    assert "the hook of the user failed" in str(caught.value) or isinstance(caught.value, HookFailed)
    assert_no_secret(caught.value)


# --- the deadline holds for a file too: a trickle after the first 64 KiB ends in time --------------


class _TricklingFile:
    """Answers one request with a file: ``fast`` bytes at once, then one byte a second."""

    def __init__(self, fast: int) -> None:
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(4)
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}/sys/soap.php"
        self._fast = fast
        self._stop = threading.Event()
        self._connections: List[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        try:
            conn, _ = self._listener.accept()
        except OSError:
            return
        self._connections.append(conn)
        conn.recv(65536)
        size = self._fast + 1000
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nContent-Length: %d\r\n\r\n" % size)
        conn.sendall(b"id;phone\r\n" + b"1;79991234567\r\n" * ((self._fast - 10) // 15) + b"x" * ((self._fast - 10) % 15))
        while not self._stop.wait(1.0):
            try:
                conn.sendall(b"y")
            except OSError:
                return

    def close(self) -> None:
        self._stop.set()
        self._listener.close()
        for conn in self._connections:
            conn.close()


@pytest.mark.parametrize("how", ["get_file", "rows"])
def test_an_export_trickling_after_64_kib_ends_within_the_timeout(any_client: Any, how: str) -> None:
    server = _TricklingFile(80 * 1024)
    try:
        client = _client(any_client, server.url, timeout=2)
        started = time.monotonic()
        with pytest.raises(smsc_soap.TimeoutError):
            if how == "get_file":
                client.exports.get_file(7, to=io.BytesIO())
            else:
                with client.exports.rows(7) as rows:
                    for _ in rows:
                        pass
        took = time.monotonic() - started
    finally:
        server.close()
    assert took < 2 + 1.5, took


def test_a_slow_reader_of_an_export_is_not_cut(responder: Responder, any_client: Any) -> None:
    """The timeout holds for the server's pieces, not for the time the caller takes with each."""
    body = b"id;phone\r\n" + b"1;79991234567\r\n" * 12_000  # about three pieces of 64 KiB
    responder.answer(body, content_type="text/csv")
    client = _client(any_client, responder.url, timeout=0.5)
    got = b""
    with client.exports.stream(7) as pieces:
        for piece in pieces:
            got += piece
            time.sleep(0.6)
    assert got == body


def test_a_streamed_export_keeps_its_shared_slot_while_it_is_read(
        responder: Responder, any_client: Any, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file may outlast its call's seconds, and so the lease of its slot in Redis: the lease is
    renewed as the file is read, so no other worker takes the slot before the file ends."""
    import redis

    from smsc_soap import spec

    redis.Redis.from_url(redis_url).flushall()
    monkeypatch.setattr(spec, "SLOT_LEASE_MARGIN_SECONDS", 0.2)  # a lease of about 0.7 s
    body = b"id;phone\r\n" + b"1;79991234567\r\n" * 12_000  # about three pieces of 64 KiB
    responder.answer(body, content_type="text/csv")
    client = _client(any_client, responder.url, timeout=0.5, limits=RedisLimits(redis_url, concurrency=1))
    other_worker = RedisLimits(redis_url, concurrency=1)
    got, refused = b"", 0
    with client.exports.stream(7) as pieces:
        for piece in pieces:
            got += piece
            time.sleep(0.6)  # together: 1.8 s, well past the first lease
            with pytest.raises(LimitsUnavailable):
                with other_worker.slot(client.limits_key, 0.05):
                    pass
            refused += 1
    assert got == body and refused >= 3
    with other_worker.slot(client.limits_key, 0.5):  # given back when the file ended
        pass


# --- import weight: each flavour loads its own shell only ----------------------------------------


def _modules_after(code: str) -> List[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys; print('\\n'.join(sorted(sys.modules)))"],
                         capture_output=True, text=True, check=True, timeout=120)
    return out.stdout.split()


def test_the_async_client_loads_no_sync_shell() -> None:
    """Nor requests or zeep (tests/test_lazy_zeep.py: not even for a call)."""
    modules = _modules_after("import smsc_soap; smsc_soap.AsyncClient('alex', 'x').mailings")
    assert "smsc_soap._async.client" in modules and "smsc_soap._async.engine" in modules
    sync = [m for m in modules if m in ("smsc_soap.client", "smsc_soap.transport", "smsc_soap.http_api.shell")
            or m.startswith("smsc_soap._sync") or m.split(".")[0] in ("requests", "urllib3", "zeep")]
    assert sync == []


def test_the_sync_client_loads_no_async_shell() -> None:
    modules = _modules_after("import smsc_soap; smsc_soap.Client('alex', 'x').mailings")
    assert "smsc_soap._sync.engine" in modules
    assert [m for m in modules if m.startswith("smsc_soap._async") or m == "smsc_soap.async_client"] == []


def test_importing_the_package_loads_only_what_a_first_call_needs() -> None:
    """Start-up (issue 25): the sandbox, the command, the pages, bulk, hlr, httpx and celery load
    when used; ``import smsc_soap`` alone loads no HTTP or SOAP library and no package metadata."""
    later = ("smsc_soap.sandbox", "smsc_soap.cli", "smsc_soap.http_api", "smsc_soap.bulk", "smsc_soap.hlr",
             "smsc_soap._sync.bulk", "smsc_soap._sync.pages", "smsc_soap._core.bulk",
             "smsc_soap._async", "smsc_soap.celery", "smsc_soap.journal", "smsc_soap.track", "celery")

    def loaded_later(module: str) -> bool:
        return any(module == name or module.startswith(name + ".") for name in later)

    bare = _modules_after("import smsc_soap")
    assert [m for m in bare if m.split(".")[0] in ("zeep", "requests", "httpx", "celery")
            or loaded_later(m) or m == "importlib.metadata"] == []
    made = _modules_after("import smsc_soap; smsc_soap.Client('alex', 'x')")
    assert "smsc_soap.client" in made
    assert [m for m in made if loaded_later(m)] == []
    # A first call (answered by a canned adapter, nothing leaves the process) loads no hooks
    # machinery for a client without hooks, no thread pool's futures (a shared store's), neither
    # difflib (misspelt names) nor xml.sax, and no zeep (the codec's table: smsc_soap._codec_table).
    called = _modules_after(FIRST_CALL)
    assert "smsc_soap._sync.engine" in called
    assert [m for m in called if loaded_later(m) or m in ("smsc_soap.hooks", "difflib", "concurrent.futures")
            or m.split(".")[:2] == ["xml", "sax"] or m.split(".")[0] == "zeep" or m == "smsc_soap._zeep"] == []


#: A first call of a fresh process, answered without a network (what bench/run.py's cold-start
#: row measures, against a real server there).
FIRST_CALL = """
import io, requests, urllib3, smsc_soap
from requests.adapters import BaseAdapter
URL = "http://127.0.0.1:9/sys/soap.php"
BODY = ('<?xml version="1.0" encoding="UTF-8"?><SOAP-ENV:Envelope xmlns:SOAP-ENV='
        '"http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns1="' + URL + '"><SOAP-ENV:Body>'
        '<ns1:CostResponse><costresult><cost>2.50</cost><cnt>1</cnt></costresult></ns1:CostResponse>'
        '</SOAP-ENV:Body></SOAP-ENV:Envelope>').encode()
class Canned(BaseAdapter):
    def send(self, request, **kwargs):
        response = requests.Response()
        response.status_code = 200
        response.headers["Content-Type"] = "text/xml; charset=utf-8"
        response.raw = urllib3.HTTPResponse(body=io.BytesIO(BODY), status=200, preload_content=False)
        response.url, response.request = request.url, request
        return response
    def close(self):
        pass
session = requests.Session()
session.mount("http://", Canned())
assert str(smsc_soap.Client("alex", "x", url=URL, session=session).get_sms_cost("79161234567", "hi").cost) == "2.50"
"""


def test_the_retry_policy_loads_no_client_library() -> None:
    modules = _modules_after("from smsc_soap import RetryPolicy; RetryPolicy(attempts=2)")
    assert [m for m in modules if m.split(".")[0] in ("zeep", "requests", "urllib3", "httpx")] == []
