"""``smsc-soap listen``: receive callbacks on a local port, verify them, print each event and
optionally forward it (as ``stripe listen`` helps build a webhook handler).

A real server, bounded: bodies of at most spec.CALLBACK_MAX_BODY_BYTES, at most
:data:`MAX_CONNECTIONS` served at once (others wait in the backlog), each connection given
:data:`SOCKET_TIMEOUT_SECONDS` in all to send its request (a client trickling bytes is dropped
too), and a clean stop on SIGINT or SIGTERM, also while every connection is taken. Forwarding posts the request as it came to ``--forward-to``
and never follows a redirect.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import io
import signal
import socket
import sys
import threading
import time
from datetime import datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, Optional, TextIO
from urllib.parse import urlsplit

from .. import spec
from ..callbacks import Answer, Event, Receiver, StatusEvent, UnknownEvent
from .._deadline_io import DeadlineReader, request_within
from ..callbacks.body import read_body
from ..redact import Secret
from .argtypes import port
from .options import Commands

#: The secret may come from the environment instead of ``--secret`` (which other users can see in ``ps``).
ENV_SECRET = "SMSC_CALLBACK_SECRET"
#: ASSUMPTION (our choice): connections served at once; more wait in the listen backlog.
MAX_CONNECTIONS = 32
#: ASSUMPTION (our choice): a connection whose request (head and body) has not all arrived this
#: long after its serving began is closed (with a 408 once the head is in).
SOCKET_TIMEOUT_SECONDS = 10.0
#: ASSUMPTION (our choice): how often the serving threads look whether they should stop.
POLL_SECONDS = 0.2
#: ASSUMPTION (our choice): how long a forward may take in all (connect, send, the handler's answer).
FORWARD_TIMEOUT_SECONDS = 10.0


def add_command(commands: Commands) -> None:
    """Add ``listen`` to ``smsc-soap``'s subcommands."""
    help = "receive the service's callbacks locally: verify, print and forward each event"
    listen = commands.add_parser("listen", help=help, description=help)
    listen.add_argument("--bind", default="127.0.0.1", metavar="ADDRESS", help="address to listen on (default 127.0.0.1)")
    listen.add_argument("--port", type=port, default=8001, help="port to listen on; 0 takes a free one (default 8001)")
    listen.add_argument("--secret", default=None, help=f"the value after md5= or sha1= in the handler URL: a callback "
                                                       f"without a good signature is refused (or set {ENV_SECRET})")
    listen.add_argument("--algorithm", choices=tuple(spec.CALLBACK_SIGNATURES), default=None,
                        help="demand this signature algorithm (default: whichever the callback carries)")
    listen.add_argument("--forward-to", default=None, metavar="URL",
                        help="post each verified callback, as it came, to this http:// URL (redirects are not followed)")
    listen.add_argument("--json", action="store_true", help="one JSON object per event on stdout")
    listen.add_argument("--socket-timeout", type=float, default=SOCKET_TIMEOUT_SECONDS, help=argparse.SUPPRESS)  # for tests
    listen.set_defaults(run=lambda args, ctx: run(args, ctx.env))


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, Decimal)):
        return str(value) if isinstance(value, Decimal) else value.isoformat()
    if isinstance(value, int) and hasattr(value, "name"):
        return int(value)
    return value


def describe(event: Event, as_json: bool) -> str:
    """One line for ``event``: JSON (``kind``, the typed fields, ``raw``) or text for people."""
    kind = {"StatusEvent": spec.CALLBACK_STATUS, "IncomingMessage": spec.CALLBACK_INCOMING,
            "CallConfirmation": spec.CALLBACK_CALL}.get(type(event).__name__, "unknown")
    fields: Dict[str, Any] = {k: _plain(v) for k, v in vars(event).items() if k != "raw" and v is not None}
    if as_json:
        if isinstance(event, StatusEvent) and hasattr(event.status, "name"):
            fields["status_name"] = event.status.name
        return json.dumps({"kind": kind, **fields, "raw": dict(event.raw)}, ensure_ascii=False, sort_keys=False)
    if isinstance(event, UnknownEvent):
        return f"unknown {dict(event.raw)}"
    if isinstance(event, StatusEvent):
        name = getattr(event.status, "name", str(event.status))
        fields["status"] = f"{int(event.status)} {name}"
    return kind + " " + " ".join(f"{k}={v}" for k, v in fields.items())


class Forwarder:
    """Posts a request, as it came, to a local URL; never follows a redirect."""

    def __init__(self, url: str, timeout: float = FORWARD_TIMEOUT_SECONDS) -> None:
        self.timeout = timeout
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError("--forward-to must be an http:// URL")
        self.host, self.port, self.path, self.query = parts.hostname, parts.port, parts.path or "/", parts.query

    def forward(self, method: str, query: str, body: bytes, content_type: str) -> str:
        """What happened: the handler's HTTP status, or why it could not be reached."""
        target = self.path + "?" + "&".join(q for q in (self.query, query) if q) if (self.query or query) else self.path
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:  # the whole forward within the timeout, however slowly the handler answers
            response = request_within(connection, self.timeout, method, target, body if method == "POST" else None,
                                      {"Content-Type": content_type} if content_type else {},
                                      spec.CALLBACK_MAX_BODY_BYTES)
            note = " (a redirect: not followed)" if 300 <= response.status < 400 else ""
            return f"HTTP {response.status}{note}"
        except (OSError, http.client.HTTPException) as exc:
            return f"failed: {type(exc).__name__}"
        finally:
            connection.close()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def __init__(self, address: Any, receiver: Receiver, forwarder: Optional[Forwarder], as_json: bool,
                 out: TextIO, err: TextIO, socket_timeout: float = SOCKET_TIMEOUT_SECONDS) -> None:
        super().__init__(address, _Handler)
        self.receiver, self.forwarder, self.as_json, self.out, self.err = receiver, forwarder, as_json, out, err
        self.socket_timeout = socket_timeout
        self.slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self.print_lock = threading.Lock()
        self.stopping = threading.Event()

    def shutdown(self) -> None:
        self.stopping.set()  # first: the serving thread may be waiting for a slot, not polling
        super().shutdown()

    def process_request(self, request: Any, client_address: Any) -> None:
        # At most MAX_CONNECTIONS at once; the rest wait in the backlog.
        while not self.slots.acquire(timeout=POLL_SECONDS):
            if self.stopping.is_set():
                self.shutdown_request(request)
                return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away (a reset after a 411 or 413) is one line, not a traceback."""
        error = sys.exc_info()[1]
        self.say(f"connection from {client_address[0]} ended: {type(error).__name__}", self.err)

    def say(self, line: str, stream: TextIO) -> None:
        with self.print_lock:
            print(line, file=stream, flush=True)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"
    default_request_version = "HTTP/1.0"  # garbage gets a status line too (HTTP/0.9 has none)

    def setup(self) -> None:
        super().setup()
        self.rfile.close()  # read through the deadline instead
        self.rfile = io.BufferedReader(DeadlineReader(self.connection, time.monotonic() + self.server.socket_timeout))

    def log_message(self, format: str, *args: Any) -> None:  # no per-request access log
        pass

    def log_error(self, format: str, *args: Any) -> None:
        """What the HTTP layer refused (a bad head) or dropped (a request that did not arrive in time)."""
        self.server.say(f"connection from {self.client_address[0]}: {format % args}", self.server.err)

    def _handle(self) -> None:
        server = self.server
        query = self.path.partition("?")[2]
        if self.command == "POST" and self.headers.get("Content-Length") is None:
            self._reply(411, "a POST needs a Content-Length")  # never read to an end that may not come
            return
        try:
            body = read_body(self.rfile, self.headers.get("Content-Length") if self.command == "POST" else "0")
        except socket.timeout:
            body = Answer(408, f"the body did not arrive within {self.server.socket_timeout:g} s", None)
        content_type = self.headers.get("Content-Type", "")
        if isinstance(body, Answer):
            status, text, event = body
        else:
            status, text, event = server.receiver.answer(self.command, query.encode("latin-1", "replace"), body,
                                                         content_type)
        if status != 200:
            server.say(f"refused ({status}): {text}", server.err)
        self._reply(status, text)
        if event is not None:
            line = describe(event, server.as_json)
            if server.forwarder is not None and isinstance(body, bytes):
                outcome = server.forwarder.forward(self.command, query, body, content_type)
                if not server.as_json:
                    line += f"  -> forwarded: {outcome}"
            server.say(line, server.out)

    def _reply(self, status: int, text: str) -> None:
        payload = text.encode("utf-8")
        self.connection.settimeout(self.server.socket_timeout)  # the deadline was for reading
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _handle

    def _not_allowed(self) -> None:
        self._reply(405, "method not allowed")

    do_PUT = do_DELETE = do_PATCH = do_HEAD = _not_allowed


def run(args: argparse.Namespace, env: Any = None, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    """Serve until SIGINT or SIGTERM: 0 on a clean stop, 2 when it cannot start."""
    environment = os.environ if env is None else env
    secret = Secret(args.secret or environment.get(ENV_SECRET, "")) if (args.secret or environment.get(ENV_SECRET)) else None
    try:
        forwarder = Forwarder(args.forward_to) if args.forward_to else None
        receiver = Receiver(secret=secret, algorithm=args.algorithm)
        if not 0 < args.socket_timeout < float("inf"):
            raise ValueError("--socket-timeout must be a positive number of seconds")
        server = _Server((args.bind, args.port), receiver, forwarder, args.json, out, err, args.socket_timeout)
    except (OSError, ValueError, OverflowError) as exc:
        print(f"smsc-soap listen: {exc}", file=err)
        return 2
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": POLL_SECONDS}, daemon=True)
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda signum, frame: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        thread.start()
        host, bound = server.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host
        signed = "signed callbacks only" if secret is not None else "NO secret: signatures are not checked"
        print(f"listening on http://{host}:{bound}/ ({signed}); stop with Ctrl+C or SIGTERM", file=err, flush=True)
        while not stop.wait(POLL_SECONDS):
            pass
    finally:
        server.shutdown()
        server.server_close()
        thread.join(POLL_SECONDS * 10)
        for sig, old in previous.items():
            signal.signal(sig, old)
    print("stopped", file=err, flush=True)
    return 0
