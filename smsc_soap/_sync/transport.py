"""The HTTP side of every call, over requests: session, deadlines, logging, error translation.

This is the sync shell's I/O; every decision (settings, retry policy, the checks of an answer,
how an exception is translated) is the sans-IO core's (:mod:`smsc_soap._core`), re-exported here
under the names this module always had. The codec (:mod:`smsc_soap._codec`) builds and parses
envelopes (zeep what it leaves to zeep); everything that touches the wire passes through
:class:`SoapTransport`; every lower-layer exception is translated to ours at one boundary, the
engine (:mod:`smsc_soap._sync.engine`), with this shell's table (:data:`HTTP_EXCEPTIONS`, then
the SOAP layer's rows, :func:`smsc_soap._soap.soap_exceptions`).

Each HTTP exchange runs as an :class:`Exchange` with a deadline: connection attempts are cut to
the time left, and the process's one watchdog thread (:mod:`smsc_soap._sync.watchdog`) shuts the
connection's socket when the deadline passes, so a server that trickles bytes cannot hold a call
longer than its timeout (requests' own read timeout is per socket read); a host's name resolves
within the exchange's time too (:mod:`smsc_soap._resolve`). The exchange also
records whether a byte of the request reached a socket, which is what tells "provably never
reached the server" apart from "may have reached it".
"""
from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Tuple, TypeVar, Union, cast

import requests
import urllib3
from urllib3.util.connection import allowed_gai_family
from requests.adapters import HTTPAdapter
from requests.utils import get_netrc_auth

from .. import errors, spec
from .._core import checks
from .._core.backoff import IP_BLOCKED_BACKOFF, RATE_LIMITED_BACKOFF
from .._core.checks import XML_CONTENT_TYPES
from .._core.exceptions import ExceptionRule
from .._core.retry import RetryPolicy
from .._core.settings import (
    DEFAULT_TIMEOUT, LOG_BODY_CHARS, MAX_RESPONSE_BYTES, Timeout, TransportSettings, user_agent, warn_if_unverified,
)
from .._core.calls import Call
from .._core.decoding import ACCEPT_ENCODING, decode_body
from .._soap import xml_text
from .watchdog import WATCHDOG
from .._fork import renew_in_children, renew_module_lock
from .._resolve import addresses, is_address
from ..redact import Secret, redact

__all__ = [
    "DEFAULT_TIMEOUT", "IP_BLOCKED_BACKOFF", "LOG_BODY_CHARS", "MAX_RESPONSE_BYTES", "POOL_SIZE",
    "RATE_LIMITED_BACKOFF", "XML_CONTENT_TYPES", "Exchange", "RetryPolicy", "SoapTransport", "Timeout",
    "TransportSettings", "build_session", "current_exchange",
]

log = logging.getLogger("smsc_soap")

#: Connections kept per host by default: a client passes the bound of its limits
#: (:func:`smsc_soap.limits.concurrency_of`), the requests it may have in flight at once.
POOL_SIZE = spec.CONCURRENT_REQUESTS_ALLOWED


def build_session(settings: TransportSettings, pool_size: int = POOL_SIZE) -> requests.Session:
    """A pooled session (``pool_size`` connections kept per host) that retries only connection
    attempts (the request never left) and follows no redirect."""
    session = requests.Session()
    retry = _DeadlineRetry(total=None, connect=settings.retry.connect, read=0, status=0, other=0,
                           redirect=0, backoff_factor=0.2, raise_on_status=False)
    adapter = _WatchedAdapter(pool_connections=_POOLS_KEPT, pool_maxsize=pool_size, max_retries=retry)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.verify = settings.verify
    session.headers["User-Agent"] = user_agent()
    # Redirects: each request says allow_redirects=False (SoapTransport.post). Not
    # max_redirects=0: requests raises TooManyRedirects with it even when told not to follow.
    return session


# --- deadlines: one exchange, its connection, and a watchdog ----------------------------------

_LOCAL = threading.local()
_OWNER_LOCK = threading.Lock()  # guards which exchange owns a connection, against the watchdog
renew_module_lock(globals(), "_OWNER_LOCK")


class Exchange:
    """One HTTP request and its answer, under a deadline (``time.monotonic()`` seconds).

    ``sent`` turns True when a byte of the request is handed to a socket: until then the request
    provably never reached the server. ``expired`` is True once the watchdog cut the connection.
    """

    def __init__(self, deadline: float, call: Optional[Call] = None) -> None:
        self.deadline = deadline
        self._call = call
        self.sent = False
        self.responded = False  # the answer's head came: the server is done with the request
        self.answered = False  # a whole, well-formed answer came back
        self.expired = False
        self._done = False
        self._watched = False
        self._conn: Any = None

    @property
    def done(self) -> bool:
        return self._done

    def reveal(self, masked: bytes) -> bytes:
        """The request's bytes with the call's secrets in place of their placeholders (XML-escaped
        as zeep writes text); only ever as an argument, never kept in a variable."""
        return masked if self._call is None else self._call.reveal(masked, xml_text)

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def watch(self) -> None:
        """Have the watchdog shut the socket this exchange is using when the deadline passes."""
        if not self._watched:
            self._watched = True
            WATCHDOG.watch(self.deadline, self)

    def extend(self, deadline: float) -> None:
        """A new deadline for what is left of the exchange (each piece of a streamed file)."""
        self.deadline = deadline
        self._watched = True
        WATCHDOG.watch(deadline, self)

    def pause(self) -> None:
        """No deadline until the next :meth:`extend`: the caller is busy with what it read (a piece
        of a file), not waiting for the server."""
        self.deadline = float("inf")

    def attach(self, conn: Any) -> None:
        """``conn`` now carries this exchange (a fresh connection, or one taken from the pool)."""
        with _OWNER_LOCK:
            self._conn = conn
            conn._smsc_exchange = self

    def expire(self) -> None:
        """The deadline passed (called by the watchdog thread)."""
        with _OWNER_LOCK:
            if self._done or time.monotonic() < self.deadline:  # done, or given a later deadline since
                return
            self.expired = True
            conn = self._conn
            # Only while the connection is still ours: once released to the pool it may carry
            # another thread's request, and that one has its own deadline.
            if conn is None or getattr(conn, "_smsc_exchange", None) is not self:
                return
            # http.client drops conn.sock as soon as an answer says it will close the connection
            # (HTTP/1.0, Connection: close) while the body is still read from that socket: the
            # one kept at connect time is the one to shut.
            sock = getattr(conn, "sock", None) or getattr(conn, "_smsc_sock", None)
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def finish(self) -> None:
        """The exchange is over: the watchdog leaves it alone (and drops it when it comes up)."""
        with _OWNER_LOCK:
            self._done = True
            self._conn = None


def current_exchange() -> Optional[Exchange]:
    return getattr(_LOCAL, "exchange", None)


class _WatchedConnection:
    """Mixin for urllib3 connections: ties each to the current exchange and its deadline."""

    sock: Any
    timeout: Any
    auto_open: int
    host: str
    port: int
    _dns_host: str  # urllib3's: the name (or address) a connection is made to

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
        self._smsc_sock = self.sock  # for Exchange.expire, once http.client let go of it

    def _new_conn(self) -> Any:
        """urllib3's own connection, to each of the host's addresses in turn, with the name resolved
        within the exchange's time: urllib3 asks the resolver with no bound at all, and the
        watchdog has no socket to cut while a name resolves."""
        exchange, name = current_exchange(), self._dns_host
        if exchange is None or is_address(name):
            return super()._new_conn()  # type: ignore[misc]
        try:
            numeric = addresses(name, self.port, allowed_gai_family(), exchange.remaining())
        except socket.timeout:
            raise errors.TimeoutError(f"{self.host}:{self.port}: the name did not resolve within the call's "
                                      "time; nothing was sent") from None
        except socket.gaierror as error:
            raise _unresolved(self, error) from error
        failed: Optional[Exception] = None
        for address in numeric:
            remaining = exchange.remaining()
            if remaining <= 0:
                break
            if not isinstance(self.timeout, (int, float)) or self.timeout > remaining:
                self.timeout = remaining
            self._dns_host = address  # what urllib3 connects to; the host name stays for TLS
            try:
                return super()._new_conn()  # type: ignore[misc]
            except (urllib3.exceptions.ConnectTimeoutError, urllib3.exceptions.NewConnectionError) as error:
                failed = error  # the next address, as socket.create_connection would
            finally:
                self._dns_host = name
        if failed is not None:
            raise failed
        raise errors.TimeoutError(f"{self.host}:{self.port}: the call's time ran out before a connection was made")

    #: The body of the request being written, while its head is (urllib3 2 sends it after
    #: ``endheaders()``, urllib3 1.26 passes it to ``endheaders``).
    _smsc_body: Optional[bytes] = None
    #: The head written so far, held back while :meth:`endheaders` writes it (None: not holding).
    _smsc_held: Optional[List[bytes]] = None
    #: A body already sent with its head: urllib3 2's own send of it is skipped.
    _smsc_sent_body: Optional[bytes] = None

    def request(self, method: str, url: str, body: Any = None, headers: Any = None, **kwargs: Any) -> None:
        exchange = current_exchange()
        if exchange is not None:
            exchange.attach(self)
        self._smsc_body = body if isinstance(body, bytes) and not kwargs.get("chunked") else None
        try:
            super().request(method, url, body=body, headers=headers, **kwargs)  # type: ignore[misc]
        finally:
            self._smsc_body = self._smsc_held = self._smsc_sent_body = None

    def endheaders(self, message_body: Any = None, *, encode_chunked: bool = False) -> None:
        """The head and a body of bytes in one write: http.client and urllib3 write them one
        after the other, two segments on the wire (the second can wait on the first's ACK) and,
        in a bulk send, two more times a worker gives up the GIL and waits to get it back."""
        body = message_body if message_body is not None else self._smsc_body
        if not isinstance(body, bytes) or not body or encode_chunked:
            super().endheaders(message_body, encode_chunked=encode_chunked)  # type: ignore[misc]
            return
        self._smsc_body, self._smsc_held = None, []
        try:
            super().endheaders(encode_chunked=False)  # type: ignore[misc]  # the head, held by send()
        finally:
            head, self._smsc_held = self._smsc_held, None
        self.send(b"".join(head) + body)
        if message_body is None:  # urllib3 2 sends the body next: that send is this one
            self._smsc_sent_body = body

    def send(self, data: Any) -> None:
        if self._smsc_held is not None:
            self._smsc_held.append(data)
            return
        if self._smsc_sent_body is not None:  # urllib3 2 sending the body its head already took
            sent, self._smsc_sent_body = self._smsc_sent_body, None
            if data == sent:
                return
            # An urllib3 that writes a body of bytes in pieces: never write any of it twice.
            raise urllib3.exceptions.ProtocolError("the request's body was written with its head, and "
                                                   "urllib3 wrote something else after it")
        exchange = current_exchange()
        if exchange is not None:
            if self.sock is None and self.auto_open:
                self.connect()
            exchange.sent = True  # from here on the server may have the request
        super().send(data)  # type: ignore[misc]


def _unresolved(connection: Any, error: socket.gaierror) -> Exception:
    """The error urllib3 itself raises for a name the resolver refused (its type differs by
    version), so that a refused name reads as it always did."""
    name_error = getattr(urllib3.exceptions, "NameResolutionError", None)  # urllib3 2
    if name_error is not None:
        return cast(Exception, name_error(connection.host, connection, error))
    return urllib3.exceptions.NewConnectionError(connection, f"Failed to establish a new connection: {error}")


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
    """requests' adapter whose connections follow the current :class:`Exchange`, and which finds
    the pool and the path of a request once per address and settings: requests parses the URL
    five times and matches it against the proxies twice on every request to find them, 8 % of
    the instructions of a 100-line bulk request (``bench/instructions.py``), on the path from one
    answer to the next request of a bulk send."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self._smsc_pool_arguments = (args, kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_POOL_CLASSES)
        self._smsc_pools: Dict[Any, Any] = {}
        self._smsc_urls: Dict[Any, str] = {}
        renew_in_children(self)

    def renew_after_fork(self) -> None:
        """In a forked child: pools of its own, so that it opens connections of its own. Its copies
        of the parent's sockets are closed (the parent's stay open), without the pools' locks,
        which a thread of the parent may have held at the fork."""
        inherited = [self.poolmanager, *self.proxy_manager.values()]
        self.proxy_manager = {}
        args, kwargs = self._smsc_pool_arguments
        self.init_poolmanager(*args, **kwargs)
        for manager in inherited:
            for pool in list(getattr(manager.pools, "_container", {}).values()):
                _close_inherited(pool)

    def get_connection_with_tls_context(self, request: requests.PreparedRequest, verify: Any,
                                        proxies: Optional[Mapping[str, str]] = None, cert: Any = None) -> Any:
        """requests' own (2.32.2 and later; before, send calls ``get_connection``, left as it is),
        kept per origin and settings until the adapter closes or the pool does (urllib3 1.26 closes
        a pool its manager evicts)."""
        origin = str(request.url).split("/", 3)[:3]  # scheme, "", host and port: all the pool depends on
        key = (*origin, verify, cert, _items(proxies))
        pool = self._smsc_pools.get(key)
        if pool is None or pool.pool is None:
            pool = _keep(self._smsc_pools, key, _POOLS_KEPT,
                         super().get_connection_with_tls_context(request, verify, proxies=proxies, cert=cert))
        return pool

    def request_url(self, request: requests.PreparedRequest, proxies: Optional[Mapping[str, str]]) -> str:
        """requests' own: the path, or the whole URL for a plain-HTTP proxy."""
        key = (request.url, _items(proxies))
        url = self._smsc_urls.get(key)
        if url is None:
            url = _keep(self._smsc_urls, key, _POOLS_KEPT, super().request_url(request, proxies))
        return url

    def close(self) -> None:
        """requests' own, forgetting the pools found: none is used once the adapter closed them."""
        self._smsc_pools.clear()
        super().close()

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if type(manager) is urllib3.ProxyManager:  # SOCKS managers keep their own pools
            manager.pool_classes_by_scheme = dict(_POOL_CLASSES)
        return manager


def _close_inherited(pool: Any) -> None:
    """Close this process's copy of each connection ``pool`` holds: a close, never a shutdown,
    so the parent's connection stays open. The pool's queue is then made anew, empty and with
    locks of its own: urllib3 drains it when the pool is collected, and must not wait there."""
    connections = getattr(pool, "pool", None)
    if connections is None:
        return
    for conn in list(connections.queue):
        if conn is not None:
            conn.close()
    type(connections).__init__(connections, connections.maxsize)


#: Pools the pool manager of a session keeps (requests' ``pool_connections``), and pools and paths
#: its adapter keeps looked up (:class:`_WatchedAdapter`), one per origin or address and settings
#: in use; more start the table over. No more than the manager: urllib3 2 does not close a pool it
#: evicts, and a longer table would keep more pools' connections open than the manager would.
_POOLS_KEPT = 4


def _items(proxies: Optional[Mapping[str, str]]) -> Tuple[Tuple[str, str], ...]:
    return tuple(sorted(proxies.items())) if proxies else ()


V = TypeVar("V")


def _keep(table: Dict[Any, V], key: Any, limit: int, value: V) -> V:
    """``value``, kept in ``table`` under ``key``; a table holding ``limit`` entries starts over,
    so keys that keep changing cost a lookup each, never memory."""
    if len(table) >= limit:
        table.clear()
    table[key] = value
    return value


class SoapTransport:
    """Posts a call's request over a requests session, with our deadlines, size limit, content
    checks and redacted logging. Not a zeep transport (zeep writes and reads only what the codec
    leaves to it, and never sends: :mod:`smsc_soap._zeep`), so a call loads no zeep."""

    def __init__(self, session: requests.Session, settings: TransportSettings,
                 secrets: Iterable[Secret] = ()) -> None:
        self.session = session
        session.headers["User-Agent"] = user_agent()  # the package's, on a session passed in too
        self._settings = settings
        self._secrets = tuple(secrets)
        self._environments: Dict[Any, Tuple[Dict[str, Any], Any]] = {}
        warn_if_unverified(settings)

    @property
    def transport_settings(self) -> TransportSettings:
        """The client's settings: timeouts, size limit, retry policy (shared with the pages' shell)."""
        return self._settings

    def watches(self, address: str) -> bool:
        """Whether requests to ``address`` go through our watched connections (the session is
        ours, or a caller's that kept our adapter): only then does an exchange know when a byte left."""
        return isinstance(self.session.get_adapter(address), _WatchedAdapter)

    def verify_for_requests(self) -> Union[bool, str]:
        """The TLS verification to pass on each request (the HTTP pages' shell posts with it too)."""
        return self._verify()

    def _verify(self) -> Union[bool, str]:
        """The TLS verification of the settings, or of a session passed in that changed it."""
        if self._settings.verify is True and self.session.verify is not True:
            return cast(Union[bool, str], self.session.verify)
        return self._settings.verify

    @contextlib.contextmanager
    def exchange(self, deadline: float, call: Optional[Call] = None) -> Iterator[Exchange]:
        """Run the requests made inside the block (in this thread) under ``deadline``; the
        secrets of ``call`` go in place of its placeholders as the request is handed on."""
        exchange = Exchange(deadline, call)
        previous = current_exchange()
        _LOCAL.exchange = exchange
        try:
            yield exchange
        finally:
            exchange.finish()
            _LOCAL.exchange = previous

    def post(self, address: str, message: Union[str, bytes], headers: Mapping[str, str]) -> requests.Response:
        """The one place that posts: never follows a redirect, reads at most the size limit (as
        sent, and once decoded), and puts the secrets in only as the bytes are handed on."""
        exchange = current_exchange()
        if exchange is None:  # called outside the engine: one call's worth of time
            with self.exchange(time.monotonic() + self._settings.call_seconds()):
                return self.post(address, message, headers)
        masked = message if isinstance(message, bytes) else message.encode("utf-8")
        if log.isEnabledFor(logging.DEBUG):  # placeholders, not secrets; and redacted by shape
            log.debug("POST %s SOAPAction=%s\n%s", address, headers.get("SOAPAction"),
                      redact(masked.decode("utf-8", "replace"), self._secrets))
        budget = self._settings.call_seconds()
        remaining = exchange.remaining()
        if remaining <= 0:
            raise errors.TimeoutError(f"POST {address}: no time left of the call's {budget:g} s")
        connect, _ = self._settings.requests_timeout()
        limit = self._settings.max_response_bytes
        exchange.watch()
        if not self.watches(address):
            exchange.sent = True  # a session of the caller's cannot tell when a byte left: say it may have
        try:
            # verify per request: requests lets REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE override a
            # session's verify (a CA path, or False), but not a request's. allow_redirects=False:
            # a 3xx comes back as it is, for checks.check_redirect to refuse.
            response = self._post(address, exchange.reveal(masked), {**headers, "Accept-Encoding": ACCEPT_ENCODING},
                                  (min(connect, remaining), remaining))
            exchange.sent = exchange.responded = True  # an answer came: the request certainly reached a server
            try:
                # As sent, not decoded: decoding is decode_body's, bounded (urllib3 1.26 would
                # decode a whole gzip bomb in memory).
                raw = read_raw(response, limit)
            finally:
                exchange.finish()  # before the connection can go back to the pool
                response.close()
        except Exception:
            if not exchange.expired:
                raise
        if exchange.expired:  # the watchdog cut the connection (or ended a body without a length)
            raise errors.TimeoutError(f"POST {address}: no complete answer within the call's {budget:g} s")
        status = response.status_code
        checks.check_redirect(status, response.headers.get("Location"), self._secrets)
        if response.history:  # a session's hook followed one after all: the first hop is the answer
            first = response.history[0]
            checks.check_redirect(first.status_code, first.headers.get("Location"), self._secrets)
        checks.check_size(status, raw, limit)
        body = decode_body(response.headers.get("Content-Encoding", ""), raw, limit=limit, status=status)
        response._content = body
        if log.isEnabledFor(logging.DEBUG):
            text = redact(body.decode("utf-8", "replace"), self._secrets)  # whole, then cut: no half secret
            log.debug("HTTP %s from %s\n%s", status, address, text[:LOG_BODY_CHARS]
                      + (f"… ({len(body)} bytes)" if len(text) > LOG_BODY_CHARS else ""))
        checks.check_http(status, response.headers.get("Content-Type", ""), body, self._secrets)
        response.smsc_root = checks.check_xml(status, body)  # type: ignore[attr-defined]
        exchange.answered = True  # the one parse of this answer: the client hands its tree to zeep
        return response


    def _post(self, address: str, data: bytes, headers: Mapping[str, str], timeout: Tuple[float, float]) -> requests.Response:
        """``session.post`` as requests does it, but with what the environment says (proxies, a CA
        bundle, netrc) read once per address and settings (:meth:`_environment`), not per request;
        through the session's own ``request`` when a subclass overrides it."""
        session = self.session
        if type(session).request is not requests.Session.request:  # a session of the caller's that has its say
            return session.post(address, data=data, headers=headers, allow_redirects=False, verify=self._verify(),
                                timeout=timeout, stream=True)
        settings, auth = self._environment(address, self._verify())
        return session.send(self._prepared_request(address, data, headers, auth), allow_redirects=False, timeout=timeout,
                            **settings)

    def _prepared_request(self, address: str, data: bytes, headers: Mapping[str, str], auth: Any) -> requests.PreparedRequest:
        """``session.prepare_request`` of the POST. While nothing per request can change what it
        writes but the body (no cookie in the session's jar, no params, no hooks, no auth but
        the environment's, which ignores the body), a copy of one request prepared per address
        and headers (its URL parsed and the session's headers merged once) with the body put in."""
        session = self.session
        if ((auth is not _no_auth and not isinstance(auth, tuple)) or session.params or len(session.cookies)
                or any(session.hooks.values())):
            return session.prepare_request(requests.Request("POST", address, data=data, headers=headers, auth=auth))
        templates: Dict[Any, requests.PreparedRequest] = self.__dict__.setdefault("_prepared", {})
        key = (address, tuple(headers.items()), tuple(session.headers.items()), auth)
        template = templates.get(key)
        if template is None:
            template = _keep(templates, key, _PREPARED_KEPT,
                             session.prepare_request(requests.Request("POST", address, headers=headers, auth=auth)))
        prepared = template.copy()
        prepared.prepare_body(data, None)
        return prepared

    def _environment(self, address: str, verify: Union[bool, str]) -> Tuple[Dict[str, Any], Any]:
        """requests' ``merge_environment_settings`` for ``address`` (``HTTPS_PROXY``, ``NO_PROXY``,
        ``REQUESTS_CA_BUNDLE``, ... when the session trusts the environment) and its netrc auth:
        read the first time, where requests would scan the whole environment on every request."""
        session = self.session
        key = (address, verify, session.trust_env, tuple(sorted(session.proxies.items())), session.cert,
               session.auth is None)
        found = self._environments.get(key)
        if found is None:
            settings: Dict[str, Any] = dict(session.merge_environment_settings(address, {}, True, verify, None))
            auth: Any = get_netrc_auth(address) if session.trust_env and session.auth is None else None
            # No netrc entry: a no-op auth, so that prepare_request does not look again each time.
            found = self._environments[key] = (settings, auth or (_no_auth if session.auth is None else None))
        return found


#: Prepared requests kept per transport (:meth:`SoapTransport._prepared_request`): one per address and
#: operation in use, with room to spare.
_PREPARED_KEPT = 64


def _no_auth(request: requests.PreparedRequest) -> requests.PreparedRequest:
    """Leaves a request as it is (see :meth:`SoapTransport._environment`)."""
    return request


def read_raw(response: requests.Response, limit: int) -> bytes:
    """At most ``limit + 1`` bytes of a streamed answer's body as sent (no decoding: that is
    :func:`smsc_soap._core.decode_body`'s, bounded); a body shorter than its Content-Length is a
    urllib3 ProtocolError, whichever urllib3. The one body read of both shells."""
    raw: bytes = response.raw.read(limit + 1, decode_content=False)
    if len(raw) <= limit and _cut_short(response):
        raise urllib3.exceptions.ProtocolError("Connection broken: IncompleteRead: the answer "
                                               "ended before its Content-Length")
    return raw


def _cut_short(response: requests.Response) -> bool:
    """Whether fewer bytes came than the Content-Length announced. urllib3 2 raises on its own;
    urllib3 1.26 (what vcrpy installs on Python 3.9) returns the short body as if complete."""
    declared = response.headers.get("Content-Length", "")
    return declared.isdigit() and int(response.raw.tell()) < int(declared)


#: This shell's rows of the one exception table (requests/urllib3), most specific first, shared by
#: its SOAP and page attempts; the SOAP layer's rows (lxml, zeep once loaded) follow them, from
#: smsc_soap._soap.soap_exceptions().
HTTP_EXCEPTIONS: Tuple[ExceptionRule, ...] = (
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
)
