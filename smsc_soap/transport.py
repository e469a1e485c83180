"""The HTTP side of every call: session, timeouts, retry policy, size limit, logging, error translation.

zeep builds and parses envelopes; everything that touches the wire passes through
:class:`SoapTransport`, and every lower-layer exception is translated to ours at one boundary,
:func:`map_exceptions`, so each concern lives in one place.

Each HTTP exchange runs as an :class:`Exchange` with a deadline: connection attempts are cut to
the time left, and a watchdog shuts the connection's socket when the deadline passes, so a server
that trickles bytes cannot hold a call longer than its timeout (requests' own read timeout is per
socket read). The exchange also records whether a byte of the request reached a socket, which is
what tells "provably never reached the server" apart from "may have reached it".
"""
from __future__ import annotations

import contextlib
import logging
import random
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, FrozenSet, Iterable, Iterator, Optional, Tuple, Type, Union

import lxml.etree
import requests
import urllib3
import zeep
import zeep.exceptions
from requests.adapters import HTTPAdapter

from . import errors
from .redact import Secret, redact

log = logging.getLogger("smsc_soap")

#: (connect, read) seconds. Our choice: the pages state no answer time. ``connect`` bounds each
#: connection attempt; ``read`` bounds the whole call, retries and back-off included.
DEFAULT_TIMEOUT: Tuple[float, float] = (10.0, 30.0)
#: Largest answer we read. Answers are a few hundred bytes; an ``errors`` list for a huge
#: mailing stays far below this. Anything larger is refused, not buffered.
MAX_RESPONSE_BYTES = 8 * 1024 * 1024
#: How much of an answer the DEBUG log shows.
LOG_BODY_CHARS = 16 * 1024
#: Connections kept per host, enough for a client shared by many threads.
POOL_SIZE = 32
#: Content types a SOAP 1.1 answer may carry.
XML_CONTENT_TYPES = ("text/xml", "application/xml", "application/soap+xml")

#: Error 9 ("more than one identical send / five status / ten balance requests within a
#: minute", seed 004): the page's window is one minute, so after a 9 the client refuses the same
#: kind of call for this long; by then every request the service counted has left its window.
RATE_LIMITED_BACKOFF = 60.0
#: Error 4 ("IP address temporarily blocked because of frequent errors", seed 004).
#: ASSUMPTION: the page does not say for how long. We refuse every call for one minute, then let
#: one through: if the block still holds it answers 4 again and we wait another minute; no loop.
IP_BLOCKED_BACKOFF = 60.0

Timeout = Union[float, Tuple[float, float]]


@dataclass(frozen=True)
class RetryPolicy:
    """When the client repeats a call, and how long it backs off; data, handed to ``Client(retry=...)``.

    * Connection attempts that failed (refused, DNS failure, connect timeout) never reached the
      server, so urllib3 repeats them ``connect`` times for every operation, sends included.
    * Balance, cost and status calls are safe to repeat: one that failed with a timeout, a broken
      connection or an HTTP status in ``statuses`` is tried up to ``attempts`` times in all, with
      exponential back-off (``backoff`` seconds, doubling, at most ``max_backoff``) and jitter
      (each delay is cut by a random fraction of up to ``jitter``), always within the call's timeout.
    * A send is never repeated once a byte of it may have left: the client raises
      :class:`~smsc_soap.errors.SendOutcomeUnknown` instead.
    * After error 4 (IP blocked) every call, and after error 9 (rate limit) the same kind of call,
      is refused by the client itself for ``ip_blocked_backoff`` / ``rate_limited_backoff``
      seconds (0 turns that off); the exception says so in ``retry_after``.

    ``sleep``, ``clock`` (monotonic seconds, for the back-off windows) and ``random`` are there to
    be replaced in tests.
    """

    attempts: int = 3
    backoff: float = 0.25
    max_backoff: float = 4.0
    jitter: float = 0.5
    statuses: FrozenSet[int] = frozenset({500, 502, 503, 504})
    connect: int = 2
    ip_blocked_backoff: float = IP_BLOCKED_BACKOFF
    rate_limited_backoff: float = RATE_LIMITED_BACKOFF
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)
    clock: Callable[[], float] = field(default=time.monotonic, repr=False, compare=False)
    random: Callable[[], float] = field(default=random.random, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not (isinstance(self.attempts, int) and self.attempts >= 1):
            raise errors.ValidationError("attempts must be an int of at least 1", field="retry")
        if not (isinstance(self.connect, int) and self.connect >= 0):
            raise errors.ValidationError("connect must be an int of at least 0", field="retry")
        if not 0 <= self.jitter <= 1:
            raise errors.ValidationError("jitter must be between 0 and 1", field="retry")
        for name in ("backoff", "max_backoff", "ip_blocked_backoff", "rate_limited_backoff"):
            if not getattr(self, name) >= 0:
                raise errors.ValidationError(f"{name} must be a number of seconds >= 0", field="retry")

    def delay(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (1 for the first)."""
        base = min(self.max_backoff, self.backoff * 2 ** (retry - 1))
        return base * (1.0 - self.jitter * self.random())

    def retryable(self, error: errors.TransportError) -> bool:
        """Whether an idempotent call that failed with ``error`` is worth repeating."""
        if isinstance(error, (errors.TLSError, errors.SoapFault)):
            return False  # a certificate or a fault does not change on a second try
        if isinstance(error, (errors.TimeoutError, errors.ConnectionError)):
            return True
        return isinstance(error, errors.ProtocolError) and error.status_code in self.statuses


@dataclass(frozen=True)
class TransportSettings:
    """How the client talks HTTP; one object instead of flags threaded through calls."""

    timeout: Timeout = DEFAULT_TIMEOUT
    verify: Union[bool, str] = True
    max_response_bytes: int = MAX_RESPONSE_BYTES
    retry: RetryPolicy = RetryPolicy()

    def __post_init__(self) -> None:
        values = self.timeout if isinstance(self.timeout, tuple) else (self.timeout,)
        if len(values) != (2 if isinstance(self.timeout, tuple) else 1) or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and 0 < v < float("inf") for v in values):
            raise errors.ValidationError(
                f"timeout must be seconds > 0, or a (connect, read) pair of them, got {self.timeout!r}",
                field="timeout")

    def requests_timeout(self) -> Tuple[float, float]:
        if isinstance(self.timeout, tuple):
            return (float(self.timeout[0]), float(self.timeout[1]))
        return (float(self.timeout), float(self.timeout))

    def call_seconds(self) -> float:
        """The longest one call may take in all: the read timeout (a single number: that number)."""
        return self.requests_timeout()[1]


def build_session(settings: TransportSettings) -> requests.Session:
    """A pooled session that retries only connection attempts (the request never left)."""
    session = requests.Session()
    retry = _DeadlineRetry(total=None, connect=settings.retry.connect, read=0, status=0, other=0,
                           redirect=0, backoff_factor=0.2, raise_on_status=False)
    adapter = _WatchedAdapter(pool_connections=4, pool_maxsize=POOL_SIZE, max_retries=retry)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.verify = settings.verify
    return session


# --- deadlines: one exchange, its connection, and a watchdog ----------------------------------

_LOCAL = threading.local()
_OWNER_LOCK = threading.Lock()  # guards which exchange owns a connection, against the watchdog


class Exchange:
    """One HTTP request and its answer, under a deadline (``time.monotonic()`` seconds).

    ``sent`` turns True when a byte of the request is handed to a socket: until then the request
    provably never reached the server. ``expired`` is True once the watchdog cut the connection.
    """

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.sent = False
        self.answered = False  # a whole, well-formed answer came back
        self.expired = False
        self._done = False
        self._conn: Any = None
        self._timer: Optional[threading.Timer] = None

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def watch(self) -> None:
        """Start the watchdog: at the deadline, shut the socket this exchange is using."""
        if self._timer is None:
            self._timer = threading.Timer(max(0.0, self.remaining()), self._expire)
            self._timer.daemon = True
            self._timer.start()

    def attach(self, conn: Any) -> None:
        """``conn`` now carries this exchange (a fresh connection, or one taken from the pool)."""
        with _OWNER_LOCK:
            self._conn = conn
            conn._smsc_exchange = self

    def _expire(self) -> None:
        with _OWNER_LOCK:
            if self._done:
                return
            self.expired = True
            conn = self._conn
            # Only while the connection is still ours: once released to the pool it may carry
            # another thread's request, and that one has its own deadline.
            if conn is None or getattr(conn, "_smsc_exchange", None) is not self:
                return
            sock = getattr(conn, "sock", None)
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def finish(self) -> None:
        with _OWNER_LOCK:
            self._done = True
        if self._timer is not None:
            self._timer.cancel()


def current_exchange() -> Optional[Exchange]:
    return getattr(_LOCAL, "exchange", None)


class _WatchedConnection:
    """Mixin for urllib3 connections: ties each to the current exchange and its deadline."""

    sock: Any
    timeout: Any
    auto_open: int

    def connect(self) -> None:
        exchange = current_exchange()
        if exchange is not None:
            exchange.attach(self)
            remaining = exchange.remaining()
            if remaining <= 0:  # not a urllib3 error: no further connection attempt
                raise errors.TimeoutError(f"{getattr(self, 'host', '?')}:{getattr(self, 'port', '?')}: the "
                                          "call's time ran out before a connection was made")
            if not isinstance(self.timeout, (int, float)) or self.timeout > remaining:
                self.timeout = remaining
        super().connect()  # type: ignore[misc]

    def request(self, *args: Any, **kwargs: Any) -> None:
        exchange = current_exchange()
        if exchange is not None:
            exchange.attach(self)
        super().request(*args, **kwargs)  # type: ignore[misc]

    def send(self, data: Any) -> None:
        exchange = current_exchange()
        if exchange is not None:
            if self.sock is None and self.auto_open:
                self.connect()
            exchange.sent = True  # from here on the server may have the request
        super().send(data)  # type: ignore[misc]


class _DeadlineRetry(urllib3.Retry):
    """urllib3's connection retries, never sleeping past the current exchange's deadline."""

    def get_backoff_time(self) -> float:
        backoff = super().get_backoff_time()
        exchange = current_exchange()
        return backoff if exchange is None else max(0.0, min(backoff, exchange.remaining()))


class _HTTPConnection(_WatchedConnection, urllib3.connection.HTTPConnection):
    pass


class _HTTPSConnection(_WatchedConnection, urllib3.connection.HTTPSConnection):
    pass


class _HTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


_POOL_CLASSES = {"http": _HTTPPool, "https": _HTTPSPool}


class _WatchedAdapter(HTTPAdapter):
    """requests' adapter whose connections follow the current :class:`Exchange`."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_POOL_CLASSES)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if type(manager) is urllib3.ProxyManager:  # SOCKS managers keep their own pools
            manager.pool_classes_by_scheme = dict(_POOL_CLASSES)
        return manager


class SoapTransport(zeep.Transport):
    """zeep's transport with our deadlines, size limit, content checks and redacted logging."""

    def __init__(self, session: requests.Session, settings: TransportSettings,
                 secrets: Iterable[Secret] = ()) -> None:
        super().__init__(session=session)
        self._settings = settings
        self._secrets = tuple(secrets)
        if settings.verify is False:
            log.warning("TLS certificate verification is OFF: anyone on the path can read and change "
                        "requests, passwords included")

    def load(self, url: str) -> bytes:  # pragma: no cover - the WSDL is vendored
        raise RuntimeError(f"smsc_soap never fetches documents, refused {url!r}")

    def _verify(self) -> Union[bool, str]:
        """The TLS verification of the settings, or of a session passed in that changed it."""
        if self._settings.verify is True and self.session.verify is not True:
            return self.session.verify
        return self._settings.verify

    @contextlib.contextmanager
    def exchange(self, deadline: float) -> Iterator[Exchange]:
        """Run the requests made inside the block (in this thread) under ``deadline``."""
        exchange = Exchange(deadline)
        previous = current_exchange()
        _LOCAL.exchange = exchange
        try:
            yield exchange
        finally:
            exchange.finish()
            _LOCAL.exchange = previous

    def post(self, address: str, message: Union[str, bytes], headers: dict) -> requests.Response:
        exchange = current_exchange()
        if exchange is None:  # called outside Client._call: one call's worth of time
            with self.exchange(time.monotonic() + self._settings.call_seconds()):
                return self.post(address, message, headers)
        if log.isEnabledFor(logging.DEBUG):
            log.debug("POST %s SOAPAction=%s\n%s", address, headers.get("SOAPAction"),
                      redact(message if isinstance(message, str) else message.decode("utf-8", "replace"),
                             self._secrets))
        budget = self._settings.call_seconds()
        remaining = exchange.remaining()
        if remaining <= 0:
            raise errors.TimeoutError(f"POST {address}: no time left of the call's {budget:g} s")
        connect, _ = self._settings.requests_timeout()
        exchange.watch()
        try:
            # verify per request: requests lets REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE override a
            # session's verify (a CA path, or False), but not a request's.
            response = self.session.post(address, data=message, headers=headers, verify=self._verify(),
                                         timeout=(min(connect, remaining), remaining), stream=True)
            try:
                body = response.raw.read(self._settings.max_response_bytes + 1, decode_content=True)
                if len(body) <= self._settings.max_response_bytes and _cut_short(response):
                    raise urllib3.exceptions.ProtocolError("Connection broken: IncompleteRead: the answer "
                                                           "ended before its Content-Length")
            finally:
                exchange.finish()  # before the connection can go back to the pool
                response.close()
        except Exception:
            if exchange.expired:
                raise errors.TimeoutError(
                    f"POST {address}: no complete answer within the call's {budget:g} s") from None
            raise
        if exchange.expired:  # the watchdog may have ended a body that has no Content-Length
            raise errors.TimeoutError(f"POST {address}: no complete answer within the call's {budget:g} s")
        if len(body) > self._settings.max_response_bytes:
            raise errors.ProtocolError(
                f"answer larger than {self._settings.max_response_bytes} bytes refused",
                status_code=response.status_code)
        response._content = body
        if log.isEnabledFor(logging.DEBUG):
            text = redact(body.decode("utf-8", "replace"), self._secrets)  # whole, then cut: no half secret
            log.debug("HTTP %s from %s\n%s", response.status_code, address, text[:LOG_BODY_CHARS]
                      + (f"… ({len(body)} bytes)" if len(text) > LOG_BODY_CHARS else ""))
        _check_http(response, self._secrets)
        _check_xml(response)
        exchange.answered = True
        return response


def _cut_short(response: requests.Response) -> bool:
    """Whether fewer bytes came than the Content-Length announced. urllib3 2 raises on its own;
    urllib3 1.26 (what vcrpy installs on Python 3.9) returns the short body as if complete."""
    declared = response.headers.get("Content-Length", "")
    return declared.isdigit() and int(response.raw.tell()) < int(declared)


def _check_http(response: requests.Response, secrets: Iterable[Secret]) -> None:
    """Refuse answers that cannot be SOAP before zeep tries to parse them."""
    status = response.status_code
    media_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    is_xml = media_type in XML_CONTENT_TYPES or (not media_type and response.content.lstrip().startswith(b"<"))
    # A SOAP Fault comes with HTTP 500 (SOAP 1.1); any other status is not an answer.
    if status not in (200, 500) or not is_xml:
        raise errors.ProtocolError(
            f"HTTP {status} with {media_type or 'no content type'} ({len(response.content)} bytes) "
            f"is not a SOAP answer: {_snippet(response.content, secrets)}", status_code=status)
    if not response.content.strip():
        raise errors.ProtocolError(f"HTTP {status} with an empty body", status_code=status)


_PARSERS = threading.local()


def _strict_parser() -> lxml.etree.XMLParser:
    """The parser every answer must pass before zeep sees it (one per thread, as lxml wants).

    zeep runs with ``strict=False`` (lxml's recover mode), which would quietly "repair" a
    truncated envelope into a shorter result.
    """
    parser = getattr(_PARSERS, "parser", None)
    if parser is None:
        parser = _PARSERS.parser = lxml.etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=False)
    return parser


_FIRST_ELEMENT = re.compile(rb"<[A-Za-z_]")
_DECLARATIONS = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)


def _check_xml(response: requests.Response) -> None:
    """Refuse an answer that declares a DTD or entities, or is not one well-formed XML document."""
    status = response.status_code
    first = _FIRST_ELEMENT.search(response.content)
    if _DECLARATIONS.search(response.content, 0, first.start() if first else len(response.content)):
        raise errors.ProtocolError(f"HTTP {status}: answer with a DTD or entity declarations refused "
                                   "(never parsed, never expanded)", status_code=status)
    try:
        root = lxml.etree.fromstring(response.content, parser=_strict_parser())
    except lxml.etree.XMLSyntaxError as exc:
        raise errors.ProtocolError(f"HTTP {status}: the answer is not well-formed XML (cut short?): {exc}",
                                   status_code=status) from None
    if root.getroottree().docinfo.doctype or root.getroottree().docinfo.internalDTD is not None:
        raise errors.ProtocolError(f"HTTP {status}: answer with a DTD refused", status_code=status)


def _snippet(content: bytes, secrets: Iterable[Secret], limit: int = 120) -> str:
    """The start of a body, for people reading the error; a server may echo the request."""
    text = " ".join(redact(content[:4096].decode("utf-8", "replace"), secrets).split())
    return repr(text[:limit] + ("…" if len(text) > limit else ""))


# The one place where lower-layer exceptions become ours. Most specific first.
_EXCEPTION_MAP: Tuple[Tuple[Type[BaseException], Type[errors.TransportError], str], ...] = (
    (requests.exceptions.ConnectTimeout, errors.TimeoutError, "timed out connecting"),
    (requests.exceptions.ReadTimeout, errors.TimeoutError, "timed out waiting for the answer"),
    (requests.exceptions.SSLError, errors.TLSError, "TLS failed"),
    (requests.exceptions.ConnectionError, errors.ConnectionError, "connection failed"),
    (requests.exceptions.ChunkedEncodingError, errors.ConnectionError, "connection broke mid-answer"),
    (urllib3.exceptions.ProtocolError, errors.ConnectionError, "connection broke mid-answer"),
    (urllib3.exceptions.ReadTimeoutError, errors.TimeoutError, "timed out reading the answer"),
    (urllib3.exceptions.SSLError, errors.TLSError, "TLS failed mid-answer"),
    (urllib3.exceptions.DecodeError, errors.ProtocolError, "undecodable answer"),
    (urllib3.exceptions.HTTPError, errors.ConnectionError, "reading the answer failed"),
    (requests.exceptions.ContentDecodingError, errors.ProtocolError, "undecodable answer"),
    (requests.exceptions.RequestException, errors.TransportError, "HTTP request failed"),
    (zeep.exceptions.DTDForbidden, errors.ProtocolError, "answer with a DTD refused"),
    (zeep.exceptions.EntitiesForbidden, errors.ProtocolError, "answer with entity declarations refused"),
    (zeep.exceptions.XMLSyntaxError, errors.ProtocolError, "answer is not a SOAP envelope"),
    (lxml.etree.XMLSyntaxError, errors.ProtocolError, "answer is not well-formed XML"),
    (zeep.exceptions.TransportError, errors.ProtocolError, "answer is not SOAP"),
    (zeep.exceptions.XMLParseError, errors.ProtocolError, "answer does not follow the WSDL"),
    (zeep.exceptions.Error, errors.ProtocolError, "SOAP processing failed"),
)


@contextlib.contextmanager
def map_exceptions(operation: str, address: str, secrets: Iterable[Secret] = (),
                   exchange: Optional[Exchange] = None) -> Iterator[None]:
    """Re-raise lower-layer errors as smsc_soap errors, with secrets scrubbed from the text.

    With ``exchange``: once its answer came back, any other error (zeep tripping over an answer
    of an unexpected shape) is a :class:`~smsc_soap.ProtocolError` too.
    """
    try:
        yield
    except errors.SmscError:
        raise
    except zeep.exceptions.Fault as fault:
        raise errors.SoapFault(str(fault.code or ""), redact(str(fault.message or ""), secrets),
                               status_code=500) from None
    except Exception as exc:  # noqa: BLE001 - translated below, or re-raised untouched
        for source, target, what in _EXCEPTION_MAP:
            if isinstance(exc, source):
                detail = redact(str(exc), secrets)
                raise target(f"{operation} at {address}: {what}: {detail}") from None
        if exchange is not None and exchange.answered and isinstance(
                exc, (TypeError, ValueError, AttributeError, LookupError)):
            detail = redact(str(exc), secrets)
            raise errors.ProtocolError(f"{operation} at {address}: the answer does not follow the WSDL: "
                                       f"{type(exc).__name__}: {detail}") from None
        raise
