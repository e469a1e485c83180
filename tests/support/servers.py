"""Loopback HTTP servers for tests that need exact control of the wire: the one server of the suite.

Tests of the service's behaviour use the sandbox (smsc_soap.sandbox); :class:`LoopbackServer` is
for what the sandbox would never do on purpose: an exact answer body or an undocumented code, an
echo of what the client sent, an answer that is late, trickles in a byte at a time, or stops
half-way, over plain HTTP or TLS. It records every request it gets. The presets below are the
shapes the tests use: :class:`Responder` (scripted answers), :func:`echo`, :class:`Trickler`.

Import it as ``from support.servers import ...`` (pytest puts ``tests/`` on ``sys.path``, as it
does ``tests/sandbox/`` for ``sandbox_helpers``); the ``responder`` fixture is in tests/conftest.py.
"""
from __future__ import annotations

import gzip
import ssl
import threading
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socket import socket
from typing import Any, Callable, Dict, List, Optional, Tuple, TypeVar

ENVELOPE = ('<?xml version="1.0" encoding="UTF-8"?>'
            '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns:ns1="{ns}"><SOAP-ENV:Body>{body}</SOAP-ENV:Body></SOAP-ENV:Envelope>')

# operation -> (response element, result wrapper), as the WSDL names them
RESPONSE_ELEMENTS = {
    "get_balance": ("BalanceResponse", "balanceresult"),
    "send_sms": ("SendResponse", "sendresult"),
    "send_sms2": ("Send2Response", "sendresult"),
    "get_sms_cost": ("CostResponse", "costresult"),
    "get_sms_cost2": ("Cost2Response", "costresult"),
    "get_status": ("StatusResponse", "statusresult"),
    "get_status2": ("Status2Response", "statusresult"),
}

XML = "text/xml; charset=utf-8"


def soap_answer(namespace: str, operation: str, fields: str) -> bytes:
    """A success envelope the way PHP's SoapServer writes one; ``fields`` is the inner XML."""
    element, wrapper = RESPONSE_ELEMENTS[operation]
    body = f"<ns1:{element}><{wrapper}>{fields}</{wrapper}></ns1:{element}>"
    return ENVELOPE.format(ns=namespace, body=body).encode()


@dataclass(frozen=True)
class Captured:
    """A request as the server got it."""

    method: str
    path: str
    headers: Dict[str, str]
    body: bytes
    #: The client's (host, port): which connection the request came on.
    peer: Tuple[str, int] = ("", 0)


@dataclass(frozen=True)
class Answer:
    """What the server sends back, and how."""

    body: bytes = b""
    status: int = 200
    content_type: str = XML
    headers: Tuple[Tuple[str, str], ...] = ()
    #: The Content-Length announced; None: the body's own length.
    content_length: Optional[int] = None
    #: Seconds of silence before the first byte.
    delay: float = 0.0
    #: "head": every byte of the answer comes alone, ``trickle_interval`` s apart; "body": the
    #: head comes at once, then the body that way.
    trickle: Optional[str] = None
    trickle_interval: float = 0.1
    #: Send this many bytes of the answer (head included), then close the connection.
    close_after: Optional[int] = None

    def head(self, version: str) -> bytes:
        lines = [f"{version} {self.status} {HTTPStatus(self.status).phrase}", f"Content-Type: {self.content_type}",
                 f"Content-Length: {len(self.body) if self.content_length is None else self.content_length}"]
        lines += [f"{name}: {value}" for name, value in self.headers]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


#: Turns each request into its answer (runs on the server's thread for that connection).
Handler = Callable[[Captured], Answer]


#: A server class, so that `with Responder() as server` knows it has a Responder.
S = TypeVar("S", bound="LoopbackServer")


class LoopbackServer:
    """An HTTP (or, given a server-side ``ssl.SSLContext``, HTTPS) server on 127.0.0.1, on a port
    of its own, answering every request with ``handler(request)``. Running once made; stop it
    with :meth:`close` or use it as a context manager. ``keep_alive``: HTTP/1.1 with persistent
    connections, else HTTP/1.0 and one request per connection."""

    def __init__(self, handler: Handler, *, path: str = "/sys/soap.php", tls: Optional[ssl.SSLContext] = None,
                 keep_alive: bool = False) -> None:
        self.handler = handler
        self.requests: List[Captured] = []
        self.stopping = threading.Event()
        self._server = _Server(self, tls, "HTTP/1.1" if keep_alive else "HTTP/1.0")
        scheme = "https" if tls is not None else "http"
        self.port: int = self._server.server_address[1]
        self.url = f"{scheme}://127.0.0.1:{self.port}{path}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.stopping.set()  # ends delays and trickles at once
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def __enter__(self: "S") -> "S":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, owner: LoopbackServer, tls: Optional[ssl.SSLContext], protocol_version: str) -> None:
        self.owner, self.tls = owner, tls
        handler_class = type("_RequestHandlerOfServer", (_RequestHandler,), {"protocol_version": protocol_version})
        super().__init__(("127.0.0.1", 0), handler_class)

    def get_request(self) -> Tuple[socket, Any]:
        sock, address = super().get_request()
        if self.tls is not None:  # the handshake happens in the connection's own thread
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # broken connections and refused handshakes are what these tests provoke


class _RequestHandler(BaseHTTPRequestHandler):
    server: _Server

    def _serve(self) -> None:
        owner = self.server.owner
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        host, port = self.client_address[:2]
        request = Captured(self.command, self.path, dict(self.headers), body, (str(host), int(port)))
        owner.requests.append(request)
        answer = owner.handler(request)
        data = answer.head(self.protocol_version) + answer.body
        if answer.close_after is not None:
            data = data[:answer.close_after]
            self.close_connection = True
        if answer.delay and owner.stopping.wait(answer.delay):
            return
        at_once = {None: len(data), "head": 0, "body": len(answer.head(self.protocol_version))}[answer.trickle]
        self.wfile.write(data[:at_once])
        for byte in data[at_once:]:
            if owner.stopping.wait(answer.trickle_interval):
                self.close_connection = True
                return
            self.wfile.write(bytes([byte]))
        self.wfile.flush()

    do_GET = do_POST = _serve

    def log_message(self, format: str, *args: Any) -> None:
        pass


# --- presets -----------------------------------------------------------------------------------


class Responder(LoopbackServer):
    """Answers each request with the next scripted answer (:meth:`answer`), then ``default``."""

    def __init__(self, **options: Any) -> None:
        self.script: List[Answer] = []
        self.default: Optional[Answer] = None
        self._lock = threading.Lock()
        super().__init__(self.next_answer, **options)

    def answer(self, body: bytes, status: int = 200, content_type: str = XML, **how: Any) -> None:
        """Script the next answer; ``how`` takes the other :class:`Answer` fields (delay, ...)."""
        with self._lock:
            self.script.append(Answer(body, status, content_type, **how))

    def next_answer(self, request: Captured) -> Answer:
        with self._lock:
            if self.script:
                return self.script.pop(0)
        assert self.default is not None, "the responder got a request it had no answer for"
        return self.default


def echo(request: Captured, *, compress: bool = False) -> Answer:
    """A handler: ``<echo><url>PATH?QUERY</url>BODY</echo>`` (a chatty server), gzipped if asked."""
    payload = b"<echo><url>" + request.path.encode() + b"</url>" + request.body + b"</echo>"
    if compress:
        return Answer(gzip.compress(payload), headers=(("Content-Encoding", "gzip"),))
    return Answer(payload)


#: How a :class:`Trickler` says the connection ends with the answer: it does not (HTTP/1.1 kept
#: alive), an HTTP/1.0 answer, or HTTP/1.1 with ``Connection: close``. On the last two http.client
#: lets go of the socket (``conn.sock = None``) while the body is still read from it.
CLOSINGS = ("keep-alive", "http/1.0", "connection: close")


class Trickler(LoopbackServer):
    """Reads the request, then trickles its answer a byte every 0.1 s: from the first byte of the
    head (``where="headers"``), or, after the whole head, its 100000-byte body (``"body"``);
    ``closing`` is one of :data:`CLOSINGS`."""

    def __init__(self, where: str, closing: str = "keep-alive") -> None:
        self.where = where
        headers = (("Connection", "close"),) if closing == "connection: close" else ()
        answer = Answer(b"<" + b"x" * 99999, content_type="text/xml", trickle="head" if where == "headers" else "body",
                        headers=headers)
        super().__init__(lambda request: answer, keep_alive=closing != "http/1.0")
