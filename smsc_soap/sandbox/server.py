"""The HTTP layer: a small threaded server for ``/sys/soap.php`` that never hangs and never crashes.

* one daemon thread per connection, HTTP/1.1 keep-alive, tracked so that :meth:`SandboxServer.stop`
  can close every connection and join every thread; at most ``max_connections`` at once (below
  the open-file limit): past it the oldest idle connection is closed, or new ones wait in a
  backlog sized for bursts; accept() failing for lack of resources backs off instead of spinning;
* a request head must arrive whole within ``head_seconds`` of its first byte (a trickle is cut),
  and be at most ``MAX_HEAD_BYTES`` in all (414 or 431 beyond);
* ``TCP_NODELAY`` on each connection and every answer built in full and written with ONE
  ``sendall`` (no Nagle/delayed-ACK stall between headers and body);
* a POST needs a Content-Length (else 411) no larger than ``MAX_BODY_BYTES`` (else 413, body left
  unread); the body must arrive within ``BODY_READ_SECONDS``; idle sockets time out;
* ``GET /sys/soap.php?wsdl`` serves the vendored WSDL with the namespace, soapAction and address
  set to the URL the client used (the Host header), as the live service does; ``POST`` runs the
  operation. Everything else about the wire copies PHP's SoapServer (see :mod:`.soapxml`).
"""
from __future__ import annotations

import contextlib
import email.utils
import errno
import gzip
import http
import http.client
import io
import logging
import re
import socket
import struct
import threading
import time
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple
from urllib.parse import parse_qsl, urlsplit

try:
    import resource
except ImportError:  # pragma: no cover - not on Windows: no open-file limit to read
    resource = None  # type: ignore[assignment]

from .._fork import renew_in_children
from .._wsdl import SOAP_PATH, wsdl_for
from . import assumptions as A
from . import http_pages
from .faults import Fault, dtd_declaration, html_page
from .forms import BadForm, Upload, is_multipart, multipart_form
from .page_answers import PageAnswer
from .limits import caller_of
from .tables import ERR_RATE
from .soapxml import (
    BAD_REQUEST, CONTENT_TYPES, SOAP11, SoapCall, SoapFault, fault_envelope, parse_request, response_envelope,
)
from .wsdlmodel import by_name

log = logging.getLogger("smsc_soap.sandbox")

#: After refusing a body (413) the server reads and discards what the client still sends for this
#: long, so the client sees the 413 instead of a connection reset.
LINGER_SECONDS = 2.0
#: Chunk size of streamed (``huge``) answers.
STREAM_CHUNK = 64 * 1024
#: How long :meth:`SandboxServer.stop` waits for connection threads to end.
JOIN_SECONDS = 5.0

#: accept() errors that mean "no resources right now": back off, keep serving.
_ACCEPT_RESOURCE_ERRORS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
_CONTENT_LENGTH = re.compile(r"[0-9]{1,%d}" % A.MAX_LENGTH_DIGITS)
_SOMAXCONN = "/proc/sys/net/core/somaxconn"

_HOST_HEADER = re.compile(r"^(?:[A-Za-z0-9.\-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$")
_WSDL_CONTENT_TYPE = "text/xml; charset=utf-8"
_PHP_EMPTY_CONTENT_TYPE = "text/html; charset=UTF-8"  # what PHP sends when handle() writes nothing


@dataclass(frozen=True)
class RecordedRequest:
    """One request the sandbox received, and what it answered (``status`` None: no answer)."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes
    client: str
    at: float
    operation: Optional[str] = None
    params: Optional[Mapping[str, Any]] = None
    soap_version: Optional[str] = None
    fault: Optional[str] = None
    status: Optional[int] = None
    response: bytes = b""


@dataclass
class _Answer:
    status: int
    content_type: Optional[str]
    body: bytes
    headers: Dict[str, str] = field(default_factory=dict)


def default_max_connections() -> int:
    """:data:`~.assumptions.MAX_CONNECTIONS`, or fewer when the open-file limit is lower."""
    if resource is None:
        return A.MAX_CONNECTIONS
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return A.MAX_CONNECTIONS
    return max(1, min(A.MAX_CONNECTIONS, soft - A.FD_MARGIN))


def listen_backlog() -> int:
    """:data:`~.assumptions.LISTEN_BACKLOG`, bounded by the kernel's somaxconn where it is known."""
    try:
        with open(_SOMAXCONN) as file:
            return max(1, min(A.LISTEN_BACKLOG, int(file.read())))
    except (OSError, ValueError):
        return A.LISTEN_BACKLOG


class _Connection:
    """A served connection: its socket, its thread, and since when it waits for a request."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.thread: Optional[threading.Thread] = None
        self.idle_since: Optional[float] = None
        self.closing = False  # closed to make room; its thread is ending


class SandboxServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer that caps and tracks its connections and stops cleanly."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: Tuple[str, int], app: Any, *, max_connections: Optional[int] = None,
                 head_seconds: float = A.HEAD_SECONDS) -> None:
        if max_connections is not None and max_connections < 1:
            raise ValueError(f"max_connections must be at least 1, got {max_connections}")
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.request_queue_size = listen_backlog()
        self.max_connections = max_connections or default_max_connections()
        self.head_seconds = head_seconds
        self.app = app
        self.stopping = threading.Event()
        self._lock = threading.Condition()
        self._connections: Dict[socket.socket, _Connection] = {}
        self._serve_thread: Optional[threading.Thread] = None
        self._starved = False
        super().__init__(address, _Handler)
        renew_in_children(self)

    def renew_after_fork(self) -> None:
        """In a forked child: the parent serves, not this copy. The child's copies of the listening
        socket and of the connections are closed, never shut down (that would end the parent's):
        the port is then the parent's alone (a connection would queue at the child's copy, never
        accepted), and :meth:`stop` has no serving thread here to wait for."""
        connections = list(self._connections)
        self.stopping, self._lock = threading.Event(), threading.Condition()
        self._connections, self._serve_thread = {}, None
        for sock in [self.socket, *connections]:
            with contextlib.suppress(OSError):
                sock.close()

    # --- connections ---------------------------------------------------------------------------

    def get_request(self) -> Tuple[socket.socket, Any]:
        self._make_room()
        try:
            sock, address = super().get_request()
        except OSError as exc:
            if exc.errno in _ACCEPT_RESOURCE_ERRORS:  # the socket stays readable: do not spin on it
                if not self._starved:  # once per episode, not ten times a second
                    log.warning("sandbox cannot accept connections (%s); retrying every %g s",
                                exc.strerror, A.ACCEPT_BACKOFF_SECONDS)
                self._starved = True
                self.stopping.wait(A.ACCEPT_BACKOFF_SECONDS)
            raise
        self._starved = False
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock, address

    def _make_room(self) -> None:
        """Wait until a connection may be accepted: below the cap, or once the oldest idle
        connection has been closed for it. Busy ones end within their deadlines."""
        with self._lock:
            while len(self._connections) >= self.max_connections:
                if self.stopping.is_set():
                    raise OSError(errno.ESHUTDOWN, "sandbox stopping")
                closing = sum(1 for c in self._connections.values() if c.closing)
                idle = [c for c in self._connections.values() if c.idle_since is not None and not c.closing]
                if idle and len(self._connections) - closing >= self.max_connections:
                    oldest = min(idle, key=lambda c: c.idle_since or 0.0)
                    oldest.closing = True  # one room made per connection waiting
                    _shutdown(oldest.sock)
                self._lock.wait(0.05)

    def set_idle(self, sock: socket.socket, idle: bool) -> None:
        """Called by a connection's handler: waiting for a request (closable to make room), or not."""
        with self._lock:
            conn = self._connections.get(sock)
            if conn is not None and not conn.closing:
                conn.idle_since = time.monotonic() if idle else None

    def process_request(self, request: Any, client_address: Any) -> None:
        conn = _Connection(request)
        conn.thread = threading.Thread(
            target=self._serve_connection, args=(request, client_address), daemon=True,
            name=f"smsc-sandbox-{client_address[1]}",
        )
        with self._lock:
            self._connections[request] = conn
        conn.thread.start()

    def _serve_connection(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:  # a handler bug must not kill the server; log it and drop the connection
            if not self.stopping.is_set():
                log.exception("sandbox connection from %s failed", client_address)
        finally:
            self.shutdown_request(request)
            with self._lock:
                self._connections.pop(request, None)
                self._lock.notify_all()

    @property
    def connection_count(self) -> int:
        with self._lock:
            return len(self._connections)

    def handle_error(self, request: Any, client_address: Any) -> None:  # pragma: no cover - logged above
        log.exception("sandbox connection from %s failed", client_address)

    # --- life cycle ----------------------------------------------------------------------------

    def start(self) -> None:
        self._serve_thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True, name="smsc-sandbox",
        )
        self._serve_thread.start()

    def stop(self) -> None:
        """Stop accepting, end every wait, close every connection, join the threads."""
        self.stopping.set()
        if self._serve_thread is not None:
            self.shutdown()
            self._serve_thread.join(JOIN_SECONDS)
        with self._lock:
            connections = list(self._connections.values())
        for conn in connections:
            _shutdown(conn.sock)
        deadline = time.monotonic() + JOIN_SECONDS
        for conn in connections:
            if conn.thread is not None:
                conn.thread.join(max(0.0, deadline - time.monotonic()))
        self.server_close()


def _shutdown(sock: socket.socket) -> None:
    """End both directions of ``sock`` (its handler sees end of file); ignore a closed one."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class _DeadlineReader(io.RawIOBase):
    """The socket's read side with a wall-clock deadline over many reads, not only per read:
    a client that trickles one byte at a time cannot hold a request open past it."""

    def __init__(self, sock: socket.socket) -> None:
        super().__init__()
        self.sock = sock
        self.timeout = A.SOCKET_TIMEOUT
        self.deadline: Optional[float] = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        timeout = self.timeout
        if self.deadline is not None:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout("request not received in time")
            timeout = min(timeout, left)
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv_into(buffer)
        finally:
            self.sock.settimeout(A.SOCKET_TIMEOUT)


class _HeadTooLarge(http.client.LineTooLong):
    """A request head past :data:`~.assumptions.MAX_HEAD_BYTES` (in headers, the stdlib answers 431)."""


class _HeadBoundReader(io.BufferedReader):
    """The connection's buffered reader. While a request head is read (``head_left`` set) its
    lines count against what is left of :data:`~.assumptions.MAX_HEAD_BYTES`, and no line reads
    past it: the stdlib bounds each line (64 KiB) and their number (100), not their sum."""

    head_left: Optional[int] = None

    def readline(self, size: Optional[int] = -1) -> bytes:
        if self.head_left is None:
            return super().readline(size)
        allowed = self.head_left + 1
        line = super().readline(allowed if size is None or size < 0 else min(size, allowed))
        self.head_left -= len(line)
        if self.head_left < 0:
            raise _HeadTooLarge("request head")
        return line


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "smsc-soap-sandbox"
    sys_version = ""
    timeout = A.SOCKET_TIMEOUT
    server: SandboxServer

    # --- plumbing --------------------------------------------------------------------------------

    def setup(self) -> None:
        super().setup()
        self.rfile.close()  # replaced by a reader that keeps the request deadlines
        self._reader = _DeadlineReader(self.connection)
        self._buffered = _HeadBoundReader(self._reader)
        self.rfile = self._buffered

    def handle_one_request(self) -> None:
        """Wait (idle, closable to make room) for the next request's first byte; then the whole
        head must arrive within the server's ``head_seconds``."""
        self._reader.deadline = None
        self._reader.timeout = A.SOCKET_TIMEOUT
        self.server.set_idle(self.connection, True)
        try:
            first = self._buffered.peek(1)
        except (OSError, ValueError):
            first = b""
        finally:
            self.server.set_idle(self.connection, False)
        if not first or self.server.stopping.is_set():
            self.close_connection = True
            return
        self._reader.deadline = time.monotonic() + self.server.head_seconds
        self._buffered.head_left = A.MAX_HEAD_BYTES
        try:
            super().handle_one_request()
        except _HeadTooLarge:  # in the request line (parse_request answers one in the headers)
            self._buffered.head_left = None
            self.command = self.request_version = self.requestline = ""
            self.send_error(414)

    def parse_request(self) -> bool:
        """The stdlib's, the head's bytes bounded while it reads (431 past the bound)."""
        try:
            return super().parse_request()
        finally:
            self._buffered.head_left = None

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.client_address[0], *args)

    def _write(self, data: bytes) -> bool:
        """Send ``data`` in one call; False (and close) if the client is gone."""
        try:
            self.connection.sendall(data)
            return True
        except OSError:
            self.close_connection = True
            return False

    def _head(self, status: int, content_type: Optional[str], length: Optional[int], extra: Mapping[str, str] = {}) -> bytes:
        try:
            phrase = http.HTTPStatus(status).phrase
        except ValueError:
            phrase = "Unknown"
        lines = [
            f"HTTP/1.1 {status} {phrase}",
            f"Date: {email.utils.formatdate(usegmt=True)}",
            f"Server: {self.server_version}",
        ]
        if content_type is not None:
            lines.append(f"Content-Type: {content_type}")
        if length is not None:
            lines.append(f"Content-Length: {length}")
        lines += [f"{name}: {value}" for name, value in extra.items()]
        if self.close_connection:
            lines.append("Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def _send(self, answer: _Answer) -> bool:
        body = b"" if self.command == "HEAD" else answer.body
        return self._write(self._head(answer.status, answer.content_type, len(answer.body), answer.headers) + body)

    def send_error(self, code: int, message: Optional[str] = None, explain: Optional[str] = None) -> None:
        """BaseHTTPRequestHandler's error answers, as one write with an nginx-like page."""
        self.close_connection = True
        try:
            phrase = http.HTTPStatus(code).phrase
        except ValueError:
            phrase = "Error"
        self._send(_Answer(code, "text/html", html_page(code, phrase)))
        if code in (414, 431):  # the rest of a head too large is unread: let the client see the answer
            self._linger()

    def _drop(self, reset: bool = False) -> None:
        """Close the connection without answering (RST when ``reset``)."""
        self.close_connection = True
        try:
            if reset:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.rfile.close()
                self.wfile.close()
                self.connection.close()
            else:
                self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _linger(self) -> None:
        """Read and discard what the client still sends, briefly, then let the socket close."""
        self.close_connection = True
        deadline = time.monotonic() + LINGER_SECONDS
        try:
            self.connection.shutdown(socket.SHUT_WR)
            self._reader.deadline = None
            self._reader.timeout = 0.1
            while time.monotonic() < deadline and not self.server.stopping.is_set():
                try:
                    if not self.rfile.read1(STREAM_CHUNK):
                        break
                except (socket.timeout, TimeoutError):
                    continue
        except (OSError, ValueError):
            pass

    def _namespace(self) -> str:
        """The service URL as this client addressed it (the live WSDL follows the host used)."""
        host = self.headers.get("Host", "")
        if _HOST_HEADER.match(host):
            return f"http://{host}{SOAP_PATH}"
        return str(self.server.app.endpoint)

    def _record(self, **fields: Any) -> None:
        self.server.app.record(RecordedRequest(
            method=self.command, path=self.path, headers=dict(self.headers.items()),
            client=self.client_address[0], **fields,
        ))

    # --- request body ----------------------------------------------------------------------------

    def _content_length(self) -> Optional[int]:
        """The one Content-Length, if it is ASCII digits (not too many): else None. Several
        Content-Length headers, even equal ones, are refused as nginx refuses them."""
        values = self.headers.get_all("Content-Length") or []
        if len(values) != 1 or not _CONTENT_LENGTH.fullmatch(values[0].strip(" \t")):
            return None
        return int(values[0].strip(" \t"))

    def _declared_length(self) -> Optional[int]:
        values = self.headers.get_all("Content-Length") or []
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower() or not values:
            self.close_connection = True
            self._send(_Answer(411, "text/html", html_page(411, "Length Required")))
            return None
        length = self._content_length()
        if length is None:
            self.close_connection = True
            self._send(_Answer(400, "text/html", html_page(400, "Bad Request")))
            return None
        return length

    def handle_expect_100(self) -> bool:
        length = self._content_length()
        if length is not None and length > A.MAX_BODY_BYTES:
            self._too_large()
            return False
        return super().handle_expect_100()

    def _too_large(self) -> None:
        self.close_connection = True
        self._send(_Answer(413, "text/html", html_page(413, "Request Entity Too Large")))
        self._linger()

    def _read_body(self) -> Optional[bytes]:
        length = self._declared_length()
        if length is None:
            return None
        if length > A.MAX_BODY_BYTES:
            self._too_large()
            return None
        chunks, got = [], 0
        deadline = time.monotonic() + A.BODY_READ_SECONDS
        self._reader.deadline = deadline
        try:
            while got < length:
                if time.monotonic() > deadline or self.server.stopping.is_set():
                    raise TimeoutError
                chunk = self.rfile.read1(min(STREAM_CHUNK, length - got))
                if not chunk:  # the client went away mid-body
                    self.close_connection = True
                    return None
                chunks.append(chunk)
                got += len(chunk)
        except (TimeoutError, socket.timeout):
            self.close_connection = True
            self._send(_Answer(408, "text/html", html_page(408, "Request Time-out")))
            return None
        except OSError:
            self.close_connection = True
            return None
        return b"".join(chunks)

    def _decompress(self, body: bytes) -> Tuple[Optional[bytes], Optional[str]]:
        """The body after Content-Encoding (as PHP's SoapServer accepts it), bounded in size.

        Returns ``(body, None)``, or ``(None, reason)``: "large" (over the limit), "bad" (not valid
        for its encoding) or "unknown" (an encoding PHP does not know; it answers nothing).
        """
        coding = self.headers.get("Content-Encoding", "").strip().lower()
        if coding in ("", "identity"):
            return body, None
        if coding in ("gzip", "x-gzip"):
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif coding == "deflate":
            inflater = zlib.decompressobj()
        else:
            return None, "unknown"
        try:
            out = inflater.decompress(body, A.MAX_BODY_BYTES + 1)
        except (zlib.error, gzip.BadGzipFile):
            return None, "bad"
        if len(out) > A.MAX_BODY_BYTES:
            return None, "large"
        return out, None

    def _serve_page(self, page: str, query: str, post: bool) -> None:
        """Answer a GET or POST to ``page`` (one of the HTTP pages beside SOAP, 000-002): the
        pages' logic is :class:`~.http_pages.HttpPages`'s; reading the request, faults, the record
        and writing the answer (a file as it is made) are this handler's."""
        body = b""
        if post:
            read = self._read_body()
            if read is None:
                return
            body = read
        at = self.server.app.clock.now()
        form = dict(parse_qsl(query, keep_blank_values=True))
        files: List[Upload] = []
        content_type = self.headers.get("Content-Type") or ""
        if is_multipart(content_type):  # a mailing's files (000:129-134, 148): $_POST and $_FILES
            try:
                fields, files = multipart_form(content_type, body)
            except BadForm:  # beyond the reader's bounds (assumptions.MULTIPART_*)
                refusal = html_page(400, "Bad Request")
                self._record(body=body, at=at, status=400, response=refusal)
                self.close_connection = True
                self._send(_Answer(400, "text/html", refusal))
                return
            form.update(fields)
        else:
            form.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        app = self.server.app
        operation = http_pages.operation_of(page, form)

        def handle() -> PageAnswer:
            pages: http_pages.HttpPages = app.pages
            return pages.handle(page, form, self.client_address[0],
                                in_flight=lambda: app.latency > 0 and self.server.stopping.wait(app.latency), files=files)

        fault = app.faults.take(operation, page=True) if operation is not None else None
        if fault is not None:  # as for SOAP (faults.py); a file answer goes whole into the faulty one
            def real() -> Any:
                answer = handle()
                return _Answer(200, answer.content_type, b"".join(http_pages.pieces(answer)))
            self._deliver(fault, real, None, "", dict(body=body, at=at, operation=operation, params=form))
            return
        answer = handle()
        if isinstance(answer.body, bytes):
            self._record(body=body, at=at, operation=operation, params=form, status=200, response=answer.body)
            self._send(_Answer(200, answer.content_type, answer.body))
            return
        self._record(body=body, at=at, operation=operation, params=form, status=200)
        self.close_connection = True  # no length: the end of the file is the end of the connection
        if not self._write(self._head(200, answer.content_type, None)):
            return
        file = answer.body
        try:
            for piece in file:
                if self.server.stopping.is_set() or not self._write(piece):
                    break
        finally:
            close = getattr(file, "close", None)
            if close is not None:
                close()
        self._drop()

    # --- methods ---------------------------------------------------------------------------------

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if http_pages.page_of(url.path):  # the HTTP pages beside SOAP (000-002)
            self._serve_page(str(http_pages.page_of(url.path)), url.query, post=False)
            return
        if url.path != SOAP_PATH:
            self._not_found()
            return
        at = self.server.app.clock.now()
        if url.query.lower() != "wsdl":
            # SoapServer::handle() without a POST body writes nothing: 200, empty, PHP's default type.
            self._record(body=b"", at=at, status=200)
            self._send(_Answer(200, _PHP_EMPTY_CONTENT_TYPE, b""))
            return
        endpoint = self._namespace()
        fault = self.server.app.faults.take("wsdl")

        def answer() -> _Answer:
            return _Answer(200, _WSDL_CONTENT_TYPE, wsdl_for(endpoint))

        self._deliver(fault, answer, None, endpoint, dict(body=b"", at=at, operation="wsdl"))

    do_HEAD = do_GET

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        if http_pages.page_of(url.path):  # the HTTP pages beside SOAP (000-002)
            self._serve_page(str(http_pages.page_of(url.path)), url.query, post=True)
            return
        if url.path != SOAP_PATH:
            self._not_found(read_body=True)
            return
        raw = self._read_body()
        if raw is None:
            return
        at = self.server.app.clock.now()
        body, problem = self._decompress(raw)
        if problem == "large":
            self._record(body=raw, at=at, status=413)
            self.close_connection = True
            self._send(_Answer(413, "text/html", html_page(413, "Request Entity Too Large")))
            return
        if problem == "unknown":
            self._record(body=raw, at=at, status=200)
            self._send(_Answer(200, _PHP_EMPTY_CONTENT_TYPE, b""))
            return
        namespace = self._namespace()
        call: Optional[SoapCall] = None
        refused: Optional[SoapFault] = None
        if body is None:
            refused = SoapFault("Client", BAD_REQUEST)
        else:
            try:
                call = parse_request(body, namespace)
            except SoapFault as exc:
                refused = exc.with_traceback(None)  # its traceback would hold this frame, the body too, in a cycle
        operation = call.operation.name if call else None
        fault = self.server.app.faults.take(operation)

        def answer() -> _Answer:
            if refused is not None:
                return _Answer(500, refused.content_type, refused.body)
            assert call is not None
            app = self.server.app
            with app.concurrency.admit(caller_of(call.params)) as admitted:
                if app.latency > 0:  # the simulated round trip, slept in the slot, no lock held
                    self.server.stopping.wait(app.latency)
                try:
                    result = (app.service.call(operation, call.params, self.client_address[0]) if admitted
                              else {"error": str(ERR_RATE)})
                except Exception:  # a bug in the service must still give a SOAP answer
                    log.exception("sandbox service failed on %s", operation)
                    return _Answer(500, CONTENT_TYPES[call.version],
                                   fault_envelope(call.version, "Server", "Internal Error"))
            envelope = response_envelope(call.version, namespace, call.operation, result)
            return _Answer(200, CONTENT_TYPES[call.version], envelope)

        record = dict(
            body=raw, at=at, operation=operation, params=dict(call.params) if call else None,
            soap_version=call.version if call else (refused.version if refused else None),
        )
        self._deliver(fault, answer, call, namespace, record)
        log.info("%s %s %s", self.client_address[0], operation or "-", fault.kind if fault else "")

    def _other(self) -> None:
        # SoapServer answers any other method with nothing; the body is not read, so close after.
        self.close_connection = True
        url = urlsplit(self.path)
        if url.path != SOAP_PATH:
            self._not_found()
            return
        self._send(_Answer(200, _PHP_EMPTY_CONTENT_TYPE, b""))

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _other

    def _not_found(self, read_body: bool = False) -> None:
        self.close_connection = True
        self._send(_Answer(404, "text/html", html_page(404, "Not Found")))
        if read_body:
            self._linger()

    # --- answers, with or without an injected fault ---------------------------------------------

    def _deliver(self, fault: Optional[Fault], answer: Callable[[], _Answer], call: Optional[SoapCall],
                 namespace: str, record: Dict[str, Any]) -> None:
        """Answer (or fail to, as ``fault`` says). The request is recorded BEFORE anything is
        written, so a client that has its answer also finds the request in ``sandbox.requests``."""
        if fault is None:
            plain = answer()
            self._record(status=plain.status, response=plain.body, **record)
            self._send(plain)
            return
        record["fault"] = fault.kind
        kind = fault.kind
        version = call.version if call else SOAP11
        if kind == "delay" and not fault["after"] and self.server.stopping.wait(fault["seconds"]):
            self._record(**record)
            self._drop()
            return
        real = answer() if fault.run else None
        out: Optional[_Answer] = None
        if kind == "delay":
            if fault["after"] and self.server.stopping.wait(fault["seconds"]):
                self._record(**record)
                self._drop()
                return
            out = real if real is not None else _Answer(200, CONTENT_TYPES[version], b"")
        elif kind in ("drop_before", "drop_after"):
            self._record(**record)
            self._drop(reset=fault["reset"])
            return
        elif kind in ("http_status", "html"):
            status = int(fault["status"])
            page = fault["body"]
            if page is None:
                page = html_page(status, _phrase(status)) if kind == "http_status" else _maintenance_page()
            out = _Answer(status, fault["content_type"], page.encode("utf-8") if isinstance(page, str) else page)
        elif kind == "content_type":
            assert real is not None
            out = _Answer(real.status, fault["content_type"], real.body)
        elif kind == "empty":
            out = _Answer(int(fault["status"]), fault["content_type"], b"")
        elif kind == "soap_fault":
            out = _Answer(500, CONTENT_TYPES[version], fault_envelope(version, fault["code"], fault["string"]))
        elif kind == "dtd":
            out = _Answer(200, CONTENT_TYPES[version], _dtd_answer(call, namespace, fault["variant"]))
        elif kind == "truncated":
            assert real is not None
            keep = fault["keep"]
            cut = int(len(real.body) * keep) if isinstance(keep, float) else int(keep)
            cut = max(0, min(cut, len(real.body) - 1))
            if fault["honest_length"]:
                out = _Answer(real.status, real.content_type, real.body[:cut])
            else:
                self._record(status=real.status, response=real.body[:cut], **record)
                self.close_connection = True
                self._write(self._head(real.status, real.content_type, len(real.body)) + real.body[:cut])
                self._drop()
                return
        elif kind == "huge":
            self._record(status=200, **record)
            self._stream_huge(call, namespace, int(fault["size"]), bool(fault["declare_length"]))
            return
        assert out is not None
        self._record(status=out.status, response=out.body, **record)
        self._send(out)

    def _stream_huge(self, call: Optional[SoapCall], namespace: str, size: int, declare_length: bool) -> None:
        version = call.version if call else SOAP11
        operation = call.operation if call else by_name()["get_balance"]
        frame = response_envelope(version, namespace, operation, {operation.fields[0]: ""})
        head, _, tail = frame.partition(f"<{operation.fields[0]}></{operation.fields[0]}>".encode())
        head += f"<{operation.fields[0]}>".encode()
        tail = f"</{operation.fields[0]}>".encode() + tail
        padding = max(0, size - len(head) - len(tail))
        if not declare_length:
            self.close_connection = True
        if not self._write(self._head(200, CONTENT_TYPES[version], len(head) + padding + len(tail) if declare_length else None) + head):
            return
        block = b"9" * STREAM_CHUNK
        while padding > 0 and not self.server.stopping.is_set():
            piece = block[:min(padding, STREAM_CHUNK)]
            if not self._write(piece):
                return
            padding -= len(piece)
        if padding > 0:
            self._drop()
            return
        self._write(tail)
        if not declare_length:
            self._drop()


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _maintenance_page() -> bytes:
    return (
        b"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Technical maintenance</title></head>"
        b"<body><h1>Technical maintenance</h1><p>The service will be back shortly.</p></body></html>\n"
    )


def _dtd_answer(call: Optional[SoapCall], namespace: str, variant: str) -> bytes:
    version = call.version if call else SOAP11
    operation = call.operation if call else by_name()["get_balance"]
    placeholder = "ENTITY-REFERENCE-PLACEHOLDER"
    envelope = response_envelope(version, namespace, operation, {operation.fields[0]: placeholder})
    declaration, reference = dtd_declaration(variant)
    xml_decl, _, rest = envelope.partition(b"\n")
    return xml_decl + b"\n" + declaration.encode() + rest.replace(placeholder.encode(), reference.encode())
