"""The suite's one hand-written server (tests/support/servers.py) does what its tests rely on."""
from __future__ import annotations

import functools
import gzip
import http.client
import socket
import time

import pytest
from support.servers import Answer, LoopbackServer, Responder, Trickler, echo


def post(url: str, body: bytes = b"<x/>", timeout: float = 5.0) -> http.client.HTTPResponse:
    host_port, _, path = url.split("://", 1)[1].partition("/")
    host, port = host_port.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=timeout)
    connection.request("POST", "/" + path, body, {"Content-Type": "text/xml"})
    return connection.getresponse()


def test_the_responder_plays_its_script_then_the_default(responder: Responder) -> None:
    responder.answer(b"first", status=500)
    responder.default = Answer(b"again")
    answers = [post(responder.url) for _ in range(3)]
    assert [(a.status, a.read()) for a in answers] == [(500, b"first"), (200, b"again"), (200, b"again")]
    assert [(r.method, r.path, r.body) for r in responder.requests] == [("POST", "/sys/soap.php", b"<x/>")] * 3


def test_echo_sends_back_the_path_and_body_compressed_if_asked() -> None:
    with LoopbackServer(functools.partial(echo, compress=True), path="/") as server:
        answer = post(server.url + "?a=1", b"<b/>")
        assert answer.getheader("Content-Encoding") == "gzip"
        assert gzip.decompress(answer.read()) == b"<echo><url>/?a=1</url><b/></echo>"


def test_a_delayed_answer_is_late() -> None:
    with Responder() as server:
        server.answer(b"late", delay=0.3)
        started = time.monotonic()
        assert post(server.url).read() == b"late"
        assert time.monotonic() - started >= 0.3


def test_close_after_cuts_the_answer_short() -> None:
    with Responder() as server:
        server.answer(b"x" * 1000, close_after=len(Answer(b"x" * 1000).head("HTTP/1.0")) + 10)
        answer = post(server.url)
        with pytest.raises(http.client.IncompleteRead) as caught:
            answer.read()
    assert caught.value.partial == b"x" * 10


@pytest.mark.parametrize("where", ["headers", "body"])
def test_a_trickler_sends_a_byte_at_a_time_and_stops_when_closed(where: str) -> None:
    server = Trickler(where)
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"POST /sys/soap.php HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi")
        time.sleep(0.35)
        server.close()
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 100000\r\n\r\n"
    if where == "headers":
        assert 1 <= len(received) <= 5 and head.startswith(received)
    else:
        assert received.startswith(head) and 1 <= len(received) - len(head) <= 5
