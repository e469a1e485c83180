"""The sandbox calls a handler URL as the service would: on each status change and on an
incoming SMS or call confirmation it is told to fake.

An independent writer: it reads the facts (field names, formats, charsets, the signature recipe,
the retries) from :mod:`smsc_soap.spec`, section "callbacks", and never imports
:mod:`smsc_soap.callbacks`, so a test that round-trips one into the other checks both.

One delivery thread with a bounded queue: the service never waits for a handler. A delivery is
tried ``spec.CALLBACK_ATTEMPTS`` times; redirects are never followed (``http.client`` does not).
A stop cuts the attempt under way once it is connected (a handler that never answers does not
hold the sandbox up); a connect that gets no answer ends within its own timeout.
"""
from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import logging
import socket
import threading
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Deque, Dict, List, Optional, Tuple, Union
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from xml.sax.saxutils import escape

from .. import spec
from .._deadline_io import request_within
from .._fork import renew_in_children
from . import assumptions as A
from .clock import Clock
from .sendtime import format_moment
from .service import SentMessage

log = logging.getLogger("smsc_soap.sandbox")

#: spec's ``type`` of a status event for the channel flags that have one (others: an SMS, 0).
_TYPES = {name: code for code, name in spec.CALLBACK_MESSAGE_TYPES.items()}

Value = Union[str, int]


@dataclass(frozen=True)
class Delivery:
    """One callback the sandbox sent (or gave up on): its fields and how it went."""

    kind: str
    fields: Dict[str, Value]
    status: Optional[int]  # the handler's last HTTP status, None when it never answered
    attempts: int

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class Target:
    """The handler URL read as the service reads it: where to post, the format, the charset and
    the signing secret (taken off the URL: the secret never travels)."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("callback_url must be an http:// or https:// URL")
        kept: List[Tuple[str, str]] = []
        self.secret: Optional[str] = None
        self.algorithm: Optional[str] = None
        settings: Dict[str, str] = {}
        for name, value in parse_qsl(parts.query, keep_blank_values=True):
            if name in spec.CALLBACK_SIGNATURES_REFUSED:
                raise ValueError(f"callback_url asks for {name} signatures, which are refused")
            if name in spec.CALLBACK_SIGNATURES:
                self.algorithm, self.secret = name, value
                continue
            if name in (spec.CALLBACK_FMT_PARAM, spec.CALLBACK_CHARSET_PARAM):
                settings[name] = value.lower()
            kept.append((name, value))
        self.charset = settings.get(spec.CALLBACK_CHARSET_PARAM) or spec.CALLBACK_DEFAULT_CHARSET
        if self.charset not in spec.CALLBACK_CHARSETS:
            raise ValueError(f"callback_url's charset must be one of {', '.join(spec.CALLBACK_CHARSETS)}")
        fmt = settings.get(spec.CALLBACK_FMT_PARAM, str(spec.CALLBACK_FMT_FORM))
        if fmt not in {str(f) for f in spec.CALLBACK_FMTS}:
            raise ValueError(f"callback_url's fmt must be one of {', '.join(map(str, spec.CALLBACK_FMTS))}")
        self.fmt = int(fmt)
        self.https = parts.scheme == "https"
        self.host, self.port = parts.hostname, parts.port
        self.path = urlunsplit(("", "", parts.path or "/", urlencode(kept), ""))

    def __repr__(self) -> str:
        return f"Target({self.host}:{self.port}{self.path}, fmt={self.fmt}, charset={self.charset})"

    def sendable(self, text: str) -> str:
        """``text`` as it can travel in this charset and format (what cannot is "?")."""
        text = text.encode(self.charset, "replace").decode(self.charset)
        return A.CALLBACK_XML_FORBIDDEN.sub("?", text) if self.fmt == spec.FMT_XML else text

    def body(self, kind: str, fields: Dict[str, Value]) -> Tuple[bytes, str]:
        """The request body and its content type, signed when the URL asks for it."""
        # What cannot be written in the charset is sent as the service would: replaced. The
        # signature covers what is sent.
        fields = {k: (v if isinstance(v, int) else self.sendable(v)) for k, v in fields.items()}
        if self.secret is not None and self.algorithm is not None:
            signed = [str(fields.get(name, "")) for name in spec.CALLBACK_SIGNED_FIELDS[kind]] + [self.secret]
            base = spec.CALLBACK_SIGNATURE_SEPARATOR.join(signed).encode(self.charset, "replace")
            fields[self.algorithm] = hashlib.new(spec.CALLBACK_SIGNATURES[self.algorithm], base).hexdigest()
        if self.fmt == spec.FMT_JSON:
            return (json.dumps(fields, ensure_ascii=False).encode(self.charset),
                    f"application/json; charset={self.charset}")
        if self.fmt == spec.FMT_XML:
            inner = "".join(f"<{k}>{escape(str(v), {chr(13): '&#13;'})}</{k}>" for k, v in fields.items())
            xml = f'<?xml version="1.0" encoding="{self.charset}"?><{spec.CALLBACK_XML_ROOT}>{inner}</{spec.CALLBACK_XML_ROOT}>'
            return xml.encode(self.charset), f"text/xml; charset={self.charset}"
        return (urlencode({k: str(v) for k, v in fields.items()}, encoding=self.charset).encode("ascii"),
                "application/x-www-form-urlencoded")

    def post(self, body: bytes, content_type: str, connected: Callable[[Any], None] = lambda sock: None) -> int:
        """One attempt: the handler's HTTP status (an OSError when it cannot be reached).
        ``connected`` is handed the socket once it is connected: shutting it ends the attempt."""
        cls = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
        connection = cls(self.host, self.port, timeout=A.CALLBACK_ATTEMPT_SECONDS)
        try:  # the whole attempt within its time, however slowly the resolver or the handler answers
            return request_within(connection, A.CALLBACK_ATTEMPT_SECONDS, "POST", self.path, body,
                                  {"Content-Type": content_type}, spec.CALLBACK_MAX_BODY_BYTES, connected).status
        finally:
            connection.close()


def status_fields(message: SentMessage, at: float) -> Dict[str, Value]:
    """What a status callback carries for ``message`` as of its change at ``at``."""
    kind = next((code for flag, code in ((c.flag, _TYPES.get(c.name)) for c in spec.CHANNELS.values())
                 if flag and code is not None and message.options.get(flag, "0") not in ("", "0")), 0)
    return {"id": message.id, "phone": message.phone, "status": message.status, "err": message.err,
            "type": kind, "time": format_moment(at), "ts": int(at), "cost": str(message.cost),
            "cnt": message.parts}


class CallbackSender:
    """Queues callbacks and delivers them from one thread, in order."""

    def __init__(self, url: str, clock: Clock, changes: Callable[[float, float], List[Tuple[float, SentMessage]]]) -> None:
        self.target = Target(url)
        self._clock, self._changes = clock, changes
        self._seen_until = clock.now()
        self._queue: Deque[Tuple[str, Dict[str, Value]]] = deque()
        self._busy = 0
        self._cond = threading.Condition()
        self._scan_lock = threading.Lock()
        self._stopping = threading.Event()
        self._socket: Any = None  # the attempt under way, once connected (guarded by _cond)
        self._thread: Optional[threading.Thread] = None
        self._next_incoming = 1
        #: The recent deliveries, oldest first (the last A.CALLBACK_LOG_LIMIT).
        self.log: Deque[Delivery] = deque(maxlen=A.CALLBACK_LOG_LIMIT)
        #: Callbacks dropped because the queue was full.
        self.dropped = 0
        renew_in_children(self)

    def renew_after_fork(self) -> None:
        """In a forked child: the delivery thread is the parent's. Its attempt's socket is left to it
        (closed here, never shut down), so that :meth:`stop` in the child neither cuts the parent's
        attempt nor waits for a lock the parent's thread held."""
        with contextlib.suppress(OSError):
            if self._socket is not None:
                self._socket.close()
        self._socket, self._thread = None, None
        self._cond, self._scan_lock, self._stopping = threading.Condition(), threading.Lock(), threading.Event()

    # --- what to send ------------------------------------------------------------------------

    def enqueue(self, kind: str, fields: Dict[str, Value]) -> None:
        with self._cond:
            if len(self._queue) >= A.CALLBACK_QUEUE_LIMIT:
                self.dropped += 1
                log.warning("callback queue full (%d): a %s callback was dropped", A.CALLBACK_QUEUE_LIMIT, kind)
                return
            self._queue.append((kind, fields))
            self._cond.notify_all()

    def scan(self) -> None:
        """Queue a status callback for every status change since the last scan."""
        with self._scan_lock:
            now = self._clock.now()
            for at, message in self._changes(self._seen_until, now):
                self.enqueue(spec.CALLBACK_STATUS, status_fields(message, at))
            self._seen_until = max(self._seen_until, now)

    def incoming(self, phone: str, text: str, to: Optional[str]) -> str:
        """Queue an incoming SMS; its id."""
        with self._cond:
            number, self._next_incoming = self._next_incoming, self._next_incoming + 1
        now = self._clock.now()
        self.enqueue(spec.CALLBACK_INCOMING, {"id": str(number), "phone": phone, "mes": text, "to": to or A.CALLBACK_INCOMING_TO,
                                              "time": format_moment(now), "ts": int(now)})
        return str(number)

    def call(self, phone: str) -> None:
        """Queue a call confirmation from ``phone``."""
        self.enqueue(spec.CALLBACK_CALL, {"phone": phone, "ts": int(self._clock.now()), "waitcall": 1})

    # --- the delivery thread -----------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is None:
            self._stopping.clear()
            self._thread = threading.Thread(target=self._run, name="sandbox-callbacks", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop, cutting the attempt under way; what is still queued is not sent."""
        self._stopping.set()
        with self._cond:
            self._cond.notify_all()
            if self._socket is not None:
                with contextlib.suppress(OSError):
                    self._socket.shutdown(socket.SHUT_RDWR)  # wakes the delivery thread's recv
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(A.CALLBACK_ATTEMPT_SECONDS * 2)

    def wait(self, timeout: float = 10.0) -> bool:
        """Block until every queued callback was delivered or given up on; False on timeout."""
        self.scan()
        with self._cond:
            return self._cond.wait_for(lambda: not self._queue and not self._busy, timeout)

    def _run(self) -> None:
        while not self._stopping.is_set():
            with self._cond:
                if not self._queue:
                    self._cond.wait(A.CALLBACK_POLL_SECONDS)
                if not self._queue:
                    item = None
                else:
                    item = self._queue.popleft()
                    self._busy += 1
            if item is None:
                if self._clock.realtime:
                    self.scan()
                continue
            try:
                self._deliver(*item)
            finally:
                with self._cond:
                    self._busy -= 1
                    self._cond.notify_all()

    def _deliver(self, kind: str, fields: Dict[str, Value]) -> None:
        body, content_type = self.target.body(kind, fields)
        status: Optional[int] = None
        attempts = 0
        for attempts in range(1, spec.CALLBACK_ATTEMPTS + 1):
            try:
                status = self.target.post(body, content_type, self._hold)
            except (OSError, http.client.HTTPException) as exc:
                status = None
                log.info("callback to %r: attempt %d failed: %s", self.target, attempts, type(exc).__name__)
            finally:
                with self._cond:
                    self._socket = None
            if status is not None and 200 <= status < 300:
                break
            if self._stopping.wait(spec.CALLBACK_RETRY_SECONDS):
                break
        self.log.append(Delivery(kind, dict(fields), status, attempts))

    def _hold(self, sock: Any) -> None:
        """Let :meth:`stop` cut this connected attempt; none is begun once it was called."""
        with self._cond:
            if self._stopping.is_set():
                raise ConnectionAbortedError("the sandbox is stopping")
            self._socket = sock
