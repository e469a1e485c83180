"""A real server: threaded, exact under concurrency, no Nagle stalls, never crashing, clean stop."""
from __future__ import annotations

import socket
import threading
from decimal import Decimal
from typing import Callable, List, Literal, Tuple

import pytest
import requests
from hypothesis import HealthCheck, given, settings, strategies as st
from sandbox_helpers import envelope, post, result_fields

from smsc_soap.sandbox import Sandbox
from smsc_soap.sandbox import server as server_module
from smsc_soap.sandbox.soapxml import SoapCall, SoapFault, parse_request

BAL = "<n:balance><login>alex</login><psw>123</psw></n:balance>"
CLIENTS, SENDS = 16, 25


def test_16_concurrent_clients_keep_balances_and_counts_exact() -> None:
    with Sandbox(["load:pw:10000"]) as sb:
        barrier = threading.Barrier(CLIENTS)
        ids: List[str] = []
        failures: List[str] = []
        lock = threading.Lock()

        def client(n: int) -> None:
            with requests.Session() as session:
                barrier.wait()
                for k in range(SENDS):
                    # numbers of its own per client: 400 messages to one number would meet the flood rule
                    body = (f"<n:send><login>load</login><psw>pw</psw><phones>7903{n:07d},7916{n:07d}</phones>"
                            f"<mes>client {n} message {k}</mes></n:send>")
                    try:
                        response = session.post(sb.url, data=envelope(body, sb.url), timeout=30)
                        fields = result_fields(response.content)
                        with lock:
                            ids.append(fields["id"])
                    except Exception as exc:  # collected, asserted below
                        with lock:
                            failures.append(repr(exc))

        threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert failures == []
        assert sorted(map(int, ids)) == list(range(1, CLIENTS * SENDS + 1))  # every id exactly once
        assert len(sb.messages) == CLIENTS * SENDS * 2
        assert sb.balance("load") == Decimal("10000") - CLIENTS * SENDS * 2 * Decimal("2.00")
        assert len(sb.requests) == CLIENTS * SENDS


def test_tcp_nodelay_and_one_write_per_answer(sb: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    nodelay: List[int] = []
    writes: List[bytes] = []
    original_setup, original_write = server_module._Handler.setup, server_module._Handler._write

    def setup(self: server_module._Handler) -> None:
        original_setup(self)
        nodelay.append(self.connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

    def write(self: server_module._Handler, data: bytes) -> bool:
        writes.append(bytes(data))
        return original_write(self, data)

    monkeypatch.setattr(server_module._Handler, "setup", setup)
    monkeypatch.setattr(server_module._Handler, "_write", write)
    with requests.Session() as session:
        for _ in range(3):
            assert session.post(sb.url, data=envelope(BAL, sb.url), timeout=5).status_code == 200
        assert session.get(sb.wsdl_url, timeout=5).status_code == 200
    assert nodelay and all(nodelay)
    assert len(writes) == 4  # one per answer: status line, headers and body together
    assert all(w.startswith(b"HTTP/1.1 200 OK\r\n") for w in writes)
    assert all(w.endswith(b"</SOAP-ENV:Envelope>\n") for w in writes[:3])
    assert writes[3].endswith(b"</wsdl:definitions>\n")


def sandbox_threads() -> List[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("smsc-sandbox") and t.is_alive()]


def test_clean_shutdown_closes_idle_connections_and_joins_threads() -> None:
    before = len(sandbox_threads())
    sb = Sandbox().start()
    port = sb.port
    idle = socket.create_connection(("127.0.0.1", port), timeout=5)
    session = requests.Session()
    assert session.post(sb.url, data=envelope(BAL, sb.url), timeout=5).status_code == 200  # kept alive
    sb.stop()
    assert idle.recv(1) == b""  # the server closed it
    idle.close()
    session.close()
    assert len(sandbox_threads()) == before
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        listening = True
    except OSError:
        listening = False
    assert not listening
    sb.stop()  # a second stop is harmless
    assert not sb.running


def test_the_server_survives_garbage_and_keeps_serving(sb: Sandbox) -> None:
    garbage = [
        b"\x00\x01\x02 not http at all\r\n\r\n",
        b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n",
        b"POST /sys/soap.php HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
        b"BREW /sys/soap.php HTTP/1.1\r\nHost: x\r\n\r\n",
        b"POST /sys/soap.php HTTP/1.1\r\n" + b"X-Header: y\r\n" * 200 + b"\r\n",
    ]
    for request in garbage:
        with socket.create_connection(("127.0.0.1", sb.port), timeout=5) as conn:
            conn.sendall(request)
            answer = conn.recv(65536)
            assert answer == b"" or answer.startswith(b"HTTP/1.")
    assert post(sb.url, envelope(BAL, sb.url)).status_code == 200


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400) | st.text(max_size=200).map(lambda t: envelope(t, "urn:x")))
def test_parsing_never_raises_anything_but_a_fault(body: bytes) -> None:
    try:
        result = parse_request(body, "urn:x")
    except SoapFault as fault:
        assert fault.body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    else:
        assert isinstance(result, SoapCall)


_SURROGATES: Tuple[Literal["Cs"]] = ("Cs",)  # typed here: the strategy's decorators lose the Literal context
_XML_TEXT = st.text(st.characters(blacklist_categories=_SURROGATES, blacklist_characters="\x00\ufffe\uffff")
                    .filter(lambda c: c in "\t\n\r" or ord(c) >= 0x20), max_size=40)


@settings(max_examples=200, deadline=None)
@given(_XML_TEXT, _XML_TEXT)
def test_values_come_through_as_sent(login: str, mes: str) -> None:
    escape: Callable[[str], str] = lambda v: v.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    body = envelope(f"<n:send><login>{escape(login)}</login><mes>{escape(mes)}</mes></n:send>", "urn:x")
    call = parse_request(body, "urn:x")
    # as SoapServer: whitespace-only text is dropped
    blank: Callable[[str], str] = lambda v: "" if v.strip(" \t\n\r") == "" else v
    assert call.params == {"login": blank(login), "mes": blank(mes)}

