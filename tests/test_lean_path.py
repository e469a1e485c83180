"""The per-call path: one parse of each answer, no thread per call, no logging work when off."""
from __future__ import annotations

import http.client
import logging
import threading
from typing import Any, Iterator, List, cast

import pytest
import requests
import urllib3
import urllib3.connection
import zeep.wsdl.bindings.soap

from smsc_soap import Client, RetryPolicy, SmscError
from smsc_soap._sync import transport as transport_module
from smsc_soap._core import checks
from smsc_soap.sandbox import Sandbox
from support.servers import Answer, Handler, LoopbackServer, Responder, soap_answer


@pytest.fixture
def client() -> Iterator[Client]:
    with Sandbox() as sandbox, Client("alex", "123", url=sandbox.url) as c:
        c.get_sms_cost("79161234567", "warm up")  # the one watchdog thread, pooled connection
        yield c


def test_each_answer_is_parsed_once(monkeypatch: pytest.MonkeyPatch, client: Client) -> None:
    parses: List[str] = []
    strict = checks.check_xml

    def counted_check(status: int, body: bytes) -> Any:
        parses.append("check_xml")
        return strict(status, body)

    def zeep_parse(*args: Any, **kwargs: Any) -> Any:
        parses.append("zeep")
        raise AssertionError("zeep parsed the answer a second time")

    monkeypatch.setattr(checks, "check_xml", counted_check)
    monkeypatch.setattr(zeep.wsdl.bindings.soap, "parse_xml", zeep_parse)
    assert client.get_sms_cost("79161234567", "hi").cost is not None
    assert client.get_balance().balance is not None
    assert parses == ["check_xml", "check_xml"]


def test_no_thread_is_started_per_call(monkeypatch: pytest.MonkeyPatch, client: Client) -> None:
    started: List[threading.Thread] = []
    start = threading.Thread.start

    def counted(self: threading.Thread) -> None:
        started.append(self)
        start(self)

    monkeypatch.setattr(threading.Thread, "start", counted)
    for i in range(20):
        client.get_sms_cost("79161234567", f"hi {i}")
    assert started == []


def test_no_logging_work_unless_a_handler_wants_it(monkeypatch: pytest.MonkeyPatch, client: Client) -> None:
    redacted: List[str] = []

    def redact(text: str, secrets: object) -> str:
        redacted.append(text)
        return text

    monkeypatch.setattr(transport_module, "redact", redact)
    logging.getLogger("smsc_soap").setLevel(logging.WARNING)
    try:
        client.get_sms_cost("79161234567", "quiet")
        assert redacted == []
        logging.getLogger("smsc_soap").setLevel(logging.DEBUG)
        client.get_sms_cost("79161234567", "loud")
        assert len(redacted) == 2  # the request and the answer, only now
    finally:
        logging.getLogger("smsc_soap").setLevel(logging.NOTSET)


def test_comments_in_an_answer_are_dropped_as_zeep_would(responder: Responder) -> None:
    responder.answer(soap_answer(responder.url, "get_balance", "<!-- a note --><balance>12.50</balance>"
                                                                "<!-- another -->"))
    assert str(Client("alex", "123", url=responder.url).get_balance().balance) == "12.50"


def _balance_answer(responder: Responder, cookie: str = "") -> None:
    headers = (("Set-Cookie", cookie),) if cookie else ()
    responder.answer(soap_answer(responder.url, "get_balance", "<balance>1</balance>"), headers=headers)


def test_each_request_carries_what_requests_would_prepare_for_it(responder: Responder) -> None:
    # The transport prepares one request per address and operation and copies it: what reaches
    # the server must be what requests' own prepare_request writes, for every request.
    client = Client("alex", "123", url=responder.url)
    for _ in range(3):
        _balance_answer(responder)
        client.get_balance()
    session = client._transport.session
    first, *others = responder.requests
    wanted = session.prepare_request(requests.Request("POST", responder.url, data=first.body, headers={
        "SOAPAction": first.headers["SOAPAction"], "Content-Type": first.headers["Content-Type"],
        "Accept-Encoding": first.headers["Accept-Encoding"]}))
    for sent in responder.requests:
        assert {k.lower(): v for k, v in sent.headers.items() if k.lower() != "host"} == {
            k.lower(): v for k, v in wanted.headers.items()}
        assert sent.body == first.body and sent.method == "POST"


def test_a_cookie_a_session_header_or_hook_set_later_still_reaches_every_request(responder: Responder) -> None:
    client = Client("alex", "123", url=responder.url)
    _balance_answer(responder, cookie="lb=node7; Path=/")
    client.get_balance()
    _balance_answer(responder)
    client.get_balance()
    assert responder.requests[-1].headers.get("Cookie") == "lb=node7"
    session = client._transport.session
    session.headers["X-Trace"] = "t1"
    seen: List[int] = []
    session.hooks["response"].append(lambda response, **_: seen.append(response.status_code))
    _balance_answer(responder)
    client.get_balance()
    assert responder.requests[-1].headers.get("X-Trace") == "t1"
    assert seen == [200]


def test_the_pool_of_an_address_is_looked_up_once_and_again_once_closed(monkeypatch: pytest.MonkeyPatch,
                                                                        client: Client) -> None:
    """requests finds a request's pool by parsing its URL and the proxies each time (8 % of a bulk
    request's CPU); the client's adapter does so once per address, and again when the pool it
    found was closed (the pool manager evicted it, or the adapter was closed): never sends on a
    closed pool."""
    if not hasattr(requests.adapters.HTTPAdapter, "get_connection_with_tls_context"):
        pytest.skip("requests < 2.32.2 looks pools up with get_connection, which the adapter leaves as it is")
    lookups: List[str] = []
    find = urllib3.PoolManager.connection_from_host

    def counted(self: urllib3.PoolManager, *args: Any, **kwargs: Any) -> Any:
        lookups.append(kwargs.get("host") or args[0])
        return find(self, *args, **kwargs)

    monkeypatch.setattr(urllib3.PoolManager, "connection_from_host", counted)
    for i in range(5):
        client.get_sms_cost("79161234567", f"hi {i}")
    assert lookups == []
    adapter = client._transport.session.adapters["http://"]  # the sandbox is plain HTTP
    adapter.close()  # every pool closed, as an evicted one is
    assert client.get_sms_cost("79161234567", "after").cost is not None
    client.get_sms_cost("79161234567", "again")
    assert lookups == ["127.0.0.1"]


def test_the_adapters_tables_hold_under_threads_and_more_addresses_than_they_keep(client: Client) -> None:
    """Threads posting at once to more servers and paths than the adapter keeps looked up
    (transport._POOLS_KEPT): its tables start over again and again under them, and every request
    still reaches the server and the path it named, on a pool of that server's."""
    if not hasattr(requests.adapters.HTTPAdapter, "get_connection_with_tls_context"):
        pytest.skip("requests < 2.32.2 looks pools up with get_connection, which the adapter leaves as it is")
    kept = transport_module._POOLS_KEPT
    servers = [LoopbackServer(cast(Handler, lambda request, i=i: Answer(f"{i} {request.path}".encode())),
                              keep_alive=True)
               for i in range(kept + 2)]
    session = client._transport.session
    adapter = cast(transport_module._WatchedAdapter, session.adapters["http://"])
    wrong: List[str] = []
    lookups: List[int] = []
    find = urllib3.PoolManager.connection_from_host

    def post(thread: int) -> None:
        for n in range(120):
            i, path = (thread + n) % len(servers), f"/p{(thread * 7 + n) % (kept + 3)}"
            url = servers[i].url.rsplit("/", 2)[0] + path
            answer = session.post(url, data=b"x", timeout=10, allow_redirects=False)
            if answer.text != f"{i} {path}":
                wrong.append(f"{url} -> {answer.text}")

    def counted(self: urllib3.PoolManager, *args: Any, **kwargs: Any) -> Any:
        lookups.append(1)
        return find(self, *args, **kwargs)

    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(urllib3.PoolManager, "connection_from_host", counted)
            threads = [threading.Thread(target=post, args=(t,)) for t in range(8)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
        assert not any(thread.is_alive() for thread in threads)
        assert wrong == []
        assert sum(len(server.requests) for server in servers) == 8 * 120
        assert len(lookups) > len(servers)  # the tables did start over under the threads
        assert len(adapter._smsc_pools) <= kept and len(adapter._smsc_urls) <= kept
    finally:
        for server in servers:
            server.close()


@pytest.fixture
def writes(monkeypatch: pytest.MonkeyPatch) -> List[bytes]:
    """Every write of a request to a socket, as http.client is asked to make it."""
    written: List[bytes] = []
    write = http.client.HTTPConnection.send

    def recorded(self: http.client.HTTPConnection, data: Any) -> None:
        written.append(bytes(data))
        write(self, data)

    monkeypatch.setattr(http.client.HTTPConnection, "send", recorded)
    return written


def test_a_request_leaves_in_one_write_head_and_body_together(writes: List[bytes], responder: Responder) -> None:
    # Two writes are two segments (the second may wait on the first's ACK) and, in a bulk send,
    # two more times a worker gives the GIL up and waits for it: one write, whichever urllib3.
    client = Client("alex", "123", url=responder.url)
    for _ in range(2):
        _balance_answer(responder)
        assert client.get_balance().balance == 1
    assert len(writes) == 2 and len(responder.requests) == 2
    for written, received in zip(writes, responder.requests):
        head, body = written.split(b"\r\n\r\n", 1)
        assert head.startswith(b"POST /sys/soap.php HTTP/1.1\r\n")
        assert body == received.body and body.startswith(b"<?xml")
        assert f"Content-Length: {len(body)}".encode() in head


@pytest.mark.skipif(not hasattr(urllib3.connection, "body_to_chunks"),
                    reason="urllib3 1.26 hands the body to endheaders: it writes nothing after it to guard")
def test_an_urllib3_that_writes_the_body_in_pieces_never_gets_it_written_twice(
        monkeypatch: pytest.MonkeyPatch, writes: List[bytes], responder: Responder) -> None:
    # The head and body left in one write; were urllib3 to write the same body again in pieces,
    # the server would read a second, broken request: the call fails instead, the body sent once.
    whole = getattr(urllib3.connection, "body_to_chunks")

    def in_pieces(body: Any, method: str, blocksize: int) -> Any:
        written = whole(body, method=method, blocksize=blocksize)
        half = len(body) // 2
        return written._replace(chunks=(body[:half], body[half:]))

    monkeypatch.setattr(urllib3.connection, "body_to_chunks", in_pieces)
    client = Client("alex", "123", url=responder.url, retry=RetryPolicy(attempts=1))
    _balance_answer(responder)
    with pytest.raises(SmscError):
        client.get_balance()
    assert len(writes) == 1
    head, body = writes[0].split(b"\r\n\r\n", 1)
    assert f"Content-Length: {len(body)}".encode() in head and body.endswith(b"</soap-env:Envelope>")
