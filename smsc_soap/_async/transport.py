"""The HTTP side of every call of :class:`~smsc_soap.AsyncClient`: httpx, posting what the codec writes.

The async shell does the I/O and asks the sans-IO core (:mod:`smsc_soap._core`) for every decision,
as the sync shell (:mod:`smsc_soap._sync.transport`) does:

* **one deadline per call**: the whole call (every attempt, back-off sleeps included) runs under
  :class:`Deadline`, which cancels the task when the call's time is up; so a server trickling
  bytes cannot stretch a call (httpx's own read timeout is per read), and no watchdog thread is
  needed. A cancellation by the deadline becomes :class:`~smsc_soap.TimeoutError`; any other
  cancellation propagates untouched.
* **"sent" is exact**: the connection pool's network streams are wrapped (:class:`_TrackingBackend`)
  so that the first request byte handed to a socket marks the exchange as sent. Until then the
  request provably never reached the server. A session passed in, or a proxy, is not tracked:
  then every request counts as sent once it is handed to httpx.
* **a bounded pool**: at most the client's limits' ``concurrency`` connections, hence requests in
  flight, whatever the number of tasks (see :data:`POOL_SIZE`); connection attempts that failed
  are repeated by httpcore (``RetryPolicy.connect`` times): they never reached the server.
* never a redirect followed, the body read as sent (no decoding by httpx) and at most the size
  limit, decompressed by the core (bounded), secrets put in only as the bytes are handed on.
"""
from __future__ import annotations

import asyncio
import contextvars
import logging
import os
import socket
import ssl
from dataclasses import dataclass
from typing import Any, Callable, Iterable, List, Mapping, Optional, Tuple, Type, Union

import httpx
import lxml.etree

from .. import errors, spec
from .._core import checks
from .._core.calls import Call
from .._core.decoding import ACCEPT_ENCODING, decode_body
from .._core.exceptions import ExceptionRule
from .._core.settings import LOG_BODY_CHARS, TransportSettings, user_agent, warn_if_unverified
from .._resolve import is_address, lookup
from .._soap import xml_text
from ..redact import Secret, redact

__all__ = ["HTTP_EXCEPTIONS", "POOL_SIZE", "AsyncSoapTransport", "Deadline", "Exchange", "build_http_client", "fresh_cancellation",
           "read_raw"]

log = logging.getLogger("smsc_soap")

#: Connections, hence requests in flight, of one AsyncClient at most: one event loop can start
#: thousands of calls at once, and the service answers error 9 to fifteen or more requests in
#: flight under one login (spec.CONCURRENT_REQUESTS_REFUSED_AT). The pool queues the rest. The
#: number is the one a sync client's bulk sending keeps to (an ASSUMPTION kept in spec): the
#: ``concurrency`` of an AsyncClient's own limits; a client's pool follows its limits.
POOL_SIZE = spec.BULK_CONCURRENT_REQUESTS

_CURRENT: "contextvars.ContextVar[Optional[Exchange]]" = contextvars.ContextVar("smsc_soap_exchange", default=None)


class Exchange:
    """One HTTP request of a call and its answer.

    ``sent`` turns True when a byte of the request is handed to a socket (or, where that cannot be
    seen, when the request is handed to httpx); ``answered`` once a whole, well-formed answer came.
    """

    def __init__(self, call: Optional[Call] = None) -> None:
        self._call = call
        self.sent = False
        self.responded = False  # the answer's head came: the server is done with the request
        self.tracked = False  # the request went through the tracking pool: ``sent`` is exact
        self.answered = False

    def reveal(self, masked: bytes) -> bytes:
        """The request's bytes with the call's secrets in place of their placeholders (XML-escaped
        as zeep writes text); only ever as an argument, never kept in a variable."""
        return masked if self._call is None else self._call.reveal(masked, xml_text)


class Deadline:
    """``async with Deadline(when):`` cancels the current task at ``when`` (the loop's clock) and
    turns that cancellation into ``expired = True`` (the block's exception is swallowed, so the
    caller raises its own error after the block). A cancellation from elsewhere propagates.

    asyncio.timeout_at does this from Python 3.11 on; this runs on 3.9 too.
    """

    def __init__(self, when: float) -> None:
        self.when = when
        self.expired = False
        self._task: Optional["asyncio.Task[Any]"] = None
        self._handle: Optional[asyncio.TimerHandle] = None
        self._cancelling = 0

    async def __aenter__(self) -> "Deadline":
        loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        assert self._task is not None, "a Deadline runs inside a task"
        self._cancelling = getattr(self._task, "cancelling", lambda: 0)()
        self._handle = loop.call_at(self.when, self._expire)
        return self

    def _expire(self) -> None:
        self.expired = True
        assert self._task is not None
        self._task.cancel()

    async def __aexit__(self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException],
                        traceback: Any) -> bool:
        if self._handle is not None:
            self._handle.cancel()
        if not self.expired or exc_type is not asyncio.CancelledError:
            return False
        uncancel = getattr(self._task, "uncancel", None)
        if uncancel is not None:  # 3.11+: was the cancellation only ours?
            return bool(uncancel() <= self._cancelling)
        return True


def fresh_cancellation(cancelled: asyncio.CancelledError) -> asyncio.CancelledError:
    """A new ``CancelledError`` with ``cancelled``'s message, to raise outside the ``except``
    block in place of ``cancelled``: the caught one's traceback runs through httpx's frames,
    which hold the request's bytes (the password in them); the new one carries none of them.
    The cancellation itself is kept: a CancelledError still propagates."""
    fresh = asyncio.CancelledError(*cancelled.args)
    notes = getattr(cancelled, "__notes__", None)
    if notes:
        fresh.__notes__ = list(notes)
    return fresh


# --- the connection pool: bounded, its writes seen --------------------------------------------


class _TrackingStream:
    """A network stream that marks the current exchange as sent at its first write."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    async def read(self, max_bytes: int, timeout: Optional[float] = None) -> bytes:
        return await self._stream.read(max_bytes, timeout)  # type: ignore[no-any-return]

    async def write(self, buffer: bytes, timeout: Optional[float] = None) -> None:
        exchange = _CURRENT.get()
        if exchange is not None and buffer:
            exchange.sent = True  # from here on the server may have the request
        await self._stream.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._stream.aclose()

    async def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: Optional[str] = None,
                        timeout: Optional[float] = None) -> "_TrackingStream":
        # The handshake's bytes are not the request: they go through the inner stream.
        return _TrackingStream(await self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _TrackingBackend:
    """httpcore's network backend, its streams wrapped in :class:`_TrackingStream`, and the
    host's name resolved by our resolving threads (:mod:`smsc_soap._resolve`): anyio resolves
    in the event loop's default executor, and ``asyncio.run`` waits for that at its end, so a
    stalled resolver held the program long after the call had given up."""

    def __init__(self, backend: Any) -> None:
        self._backend = backend

    async def connect_tcp(self, host: str, port: int, timeout: Optional[float] = None,
                          local_address: Optional[str] = None, socket_options: Any = None) -> _TrackingStream:
        import httpcore  # httpx's own dependency

        failed: Optional[Exception] = None
        for address in await _resolved(host, port, timeout):  # each in turn, as anyio would
            try:
                return _TrackingStream(await self._backend.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options))
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                failed = error
        raise failed or httpcore.ConnectError(f"{host}: no address to connect to")

    async def connect_unix_socket(self, *args: Any, **kwargs: Any) -> _TrackingStream:
        return _TrackingStream(await self._backend.connect_unix_socket(*args, **kwargs))

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


async def _resolved(host: str, port: int, timeout: Optional[float]) -> List[str]:
    """``host``'s numeric addresses within ``timeout`` (the call's deadline bounds it too), or
    httpcore's own errors for a name that does not resolve."""
    import httpcore

    if is_address(host):
        return [host.strip("[]")]
    try:
        return await asyncio.wait_for(asyncio.wrap_future(lookup(host, port, socket.AF_UNSPEC)), timeout)
    except asyncio.TimeoutError:
        raise httpcore.ConnectTimeout(f"{host}: the name did not resolve within {timeout:g} s") from None
    except OSError as error:  # the resolver's refusal (socket.gaierror)
        raise httpcore.ConnectError(f"{host}: {error}") from error


class _TrackingTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over a pool whose writes are seen (when httpcore lets us wrap it)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        pool = getattr(self, "_pool", None)
        self.tracking = hasattr(pool, "_network_backend")
        if self.tracking:
            from httpcore import AsyncConnectionPool  # httpx's own dependency

            self.tracking = isinstance(pool, AsyncConnectionPool)
        if self.tracking:
            pool._network_backend = _TrackingBackend(pool._network_backend)  # type: ignore[union-attr]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        exchange = _CURRENT.get()
        if exchange is not None:
            exchange.tracked = self.tracking
        return await super().handle_async_request(request)


#: What httpx reads from the environment to make its default TLS context (``trust_env``).
_TLS_ENVIRONMENT = ("SSL_CERT_FILE", "SSL_CERT_DIR", "SSLKEYLOGFILE")
_default_context: Optional[Tuple[Tuple[Optional[str], ...], ssl.SSLContext]] = None


def _ssl_verify(verify: Union[bool, str]) -> Union[bool, ssl.SSLContext]:
    """httpx's ``verify`` for ours: a CA bundle's path (file or directory) as a context; for
    ``True``, httpx's own default context, made once per process and TLS environment. Loading the
    CA bundle took ~27 ms, which every AsyncClient paid, and every pool it makes for a new loop."""
    global _default_context
    if verify is True:
        environment = tuple(os.environ.get(name) for name in _TLS_ENVIRONMENT)
        made = _default_context
        if made is None or made[0] != environment:
            made = _default_context = (environment, httpx.create_ssl_context(verify=True))
        return made[1]
    if isinstance(verify, bool):
        return verify
    if os.path.isdir(verify):
        return ssl.create_default_context(capath=verify)
    return ssl.create_default_context(cafile=verify)


def build_http_client(settings: TransportSettings, pool_size: int = POOL_SIZE) -> httpx.AsyncClient:
    """A pooled httpx client: ``pool_size`` connections at most, connection attempts repeated
    ``RetryPolicy.connect`` times (they never reached the server), TLS verified, no redirect."""
    verify = _ssl_verify(settings.verify)
    limits = httpx.Limits(max_connections=pool_size, max_keepalive_connections=pool_size)
    transport = _TrackingTransport(verify=verify, limits=limits, retries=settings.retry.connect)
    return httpx.AsyncClient(transport=transport, verify=verify, limits=limits, follow_redirects=False)


# --- the transport, with our exchange ----------------------------------------------------------


@dataclass
class Answer:
    """An answer as the codec (or zeep's reply processing) reads it, checked and parsed once."""

    status_code: int
    headers: Mapping[str, str]
    content: bytes
    smsc_root: "lxml.etree._Element"


class AsyncSoapTransport:
    """Posts a call's request over our httpx client: the size limit, the content checks, the
    secrets put in as the bytes are handed on, redacted logging. Not a zeep transport (zeep
    writes and reads only what the codec leaves to it, and never sends: :mod:`smsc_soap._zeep`),
    so a call loads neither zeep nor requests."""

    def __init__(self, client: httpx.AsyncClient, settings: TransportSettings, secrets: Iterable[Secret] = (),
                 renew: Optional[Callable[[], httpx.AsyncClient]] = None) -> None:
        # The headers of a client passed in are left as they are (the User-Agent goes on each request).
        self.client = client
        self._settings = settings
        self._secrets = tuple(secrets)
        self._renew = renew  # makes a new pool of ours; None for a client passed in
        self._loop: Optional[asyncio.AbstractEventLoop] = None  # the loop the pool's connections belong to
        self._pid = 0  # ... in this process
        warn_if_unverified(settings)

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Keep the pool to ``loop``, the one this call runs on, before anything is sent. httpx's
        connections belong to the loop they were opened on and fail on another, after the call
        began (a send then looked lost). A pool whose loop no longer runs (closed at the end of an
        ``asyncio.run``, or left in the parent of a forked child) is replaced by a new one of ours:
        nothing of it can be in flight. A loop that runs in another thread is still using it: refused."""
        if loop is self._loop and self._pid == os.getpid():
            return
        owner = self._loop
        if owner is not None and self._pid == os.getpid() and owner.is_running():
            raise errors.UnsupportedOperation(
                "this AsyncClient is in use on another event loop, running in another thread: an AsyncClient "
                "belongs to one event loop at a time; make one for each loop. Nothing was sent")
        if owner is not None and self._renew is not None:
            self.client = self._renew()  # the old one is left to the garbage collector: its loop is gone
        self._loop, self._pid = loop, os.getpid()

    @property
    def transport_settings(self) -> TransportSettings:
        """The client's settings: timeouts, size limit, retry policy (shared with the pages)."""
        return self._settings

    async def replace_pool(self) -> None:
        """A new pool of ours in place of the current one, which is closed here when its
        connections belong to this loop (else they went, or go, with their own loop)."""
        assert self._renew is not None, "only a pool of ours is replaced"
        old, self.client = self.client, self._renew()
        mine = self._loop is None or (self._loop is asyncio.get_running_loop() and self._pid == os.getpid())
        self._loop = None
        if mine:
            await old.aclose()

    async def post(self, address: str, message: Union[str, bytes], headers: Mapping[str, str]) -> Answer:
        """The one place that posts: never follows a redirect, reads at most the size limit as sent
        and once decoded, and puts the secrets in only as the bytes are handed on. Runs inside the
        call's :class:`Deadline`."""
        exchange = _CURRENT.get()
        if exchange is None:  # pragma: no cover - only ever called from AsyncClient._exchange
            exchange = Exchange()
            _CURRENT.set(exchange)
        masked = message if isinstance(message, bytes) else message.encode("utf-8")
        if log.isEnabledFor(logging.DEBUG):  # placeholders, not secrets; and redacted by shape
            log.debug("POST %s SOAPAction=%s\n%s", address, headers.get("SOAPAction"),
                      redact(masked.decode("utf-8", "replace"), self._secrets))
        limit = self._settings.max_response_bytes
        connect, read = self._settings.requests_timeout()
        timeout = httpx.Timeout(read, connect=connect, pool=None)  # the Deadline bounds the whole call
        try:
            response = await self.client.send(
                self.client.build_request("POST", address, content=exchange.reveal(masked), timeout=timeout,
                                          headers={**headers, "Accept-Encoding": ACCEPT_ENCODING,
                                                   "User-Agent": user_agent()}),
                stream=True, follow_redirects=False)
        finally:
            if not exchange.tracked:
                exchange.sent = True  # a session or a proxy of the caller's: it may have left
        exchange.sent = exchange.responded = True  # an answer came: the request certainly reached a server
        try:
            raw, coding = await read_raw(response, limit)
        finally:
            await response.aclose()
        status = response.status_code
        checks.check_redirect(status, response.headers.get("Location"), self._secrets)
        checks.check_size(status, raw, limit)
        body = decode_body(coding, raw, limit=limit, status=status)
        if log.isEnabledFor(logging.DEBUG):
            text = redact(body.decode("utf-8", "replace"), self._secrets)  # whole, then cut: no half secret
            log.debug("HTTP %s from %s\n%s", status, address, text[:LOG_BODY_CHARS]
                      + (f"… ({len(body)} bytes)" if len(text) > LOG_BODY_CHARS else ""))
        checks.check_http(status, response.headers.get("Content-Type", ""), body, self._secrets)
        root = checks.check_xml(status, body)
        exchange.answered = True
        return Answer(status, response.headers, body, root)


async def read_raw(response: httpx.Response, limit: int) -> Tuple[bytes, str]:
    """At most ``limit + 1`` bytes of the body as sent, and the content coding to undo
    (decode_body's, bounded). A body already read by a wrapper of httpx (vcrpy 7's stubs, when
    recording a cassette) is httpx's decoded content: nothing left to undo."""
    if response.is_stream_consumed:
        return response.content, ""
    raw = b""
    async for chunk in response.aiter_raw():
        raw += chunk
        if len(raw) > limit:
            break
    return raw, response.headers.get("Content-Encoding", "")


def exchange_context(exchange: Exchange) -> "contextvars.Token[Optional[Exchange]]":
    """Make ``exchange`` the current one of this task (its writes mark it as sent)."""
    return _CURRENT.set(exchange)


def reset_exchange(token: "contextvars.Token[Optional[Exchange]]") -> None:
    _CURRENT.reset(token)


def tls_failure(exc: BaseException) -> Optional[ssl.SSLError]:
    """The ssl error behind an httpx error, if any (httpx reports a refused certificate as a
    ConnectError caused by httpcore's, caused by ssl's)."""
    seen = 0
    current: Optional[BaseException] = exc
    while current is not None and seen < 8:
        if isinstance(current, ssl.SSLError):
            return current
        current = current.__cause__ or current.__context__
        seen += 1
    return None


TLS_EXCEPTIONS: Tuple[ExceptionRule, ...] = ((ssl.SSLError, errors.TLSError, "TLS failed"),)
# This shell's rows of the one exception table (httpx), most specific first; the SOAP layer's
# rows (lxml, zeep once loaded) follow them, from smsc_soap._soap.soap_exceptions().
HTTP_EXCEPTIONS: Tuple[ExceptionRule, ...] = (
    (httpx.ConnectTimeout, errors.TimeoutError, "timed out connecting"),
    (httpx.PoolTimeout, errors.TimeoutError, "timed out waiting for a pooled connection"),
    (httpx.TimeoutException, errors.TimeoutError, "timed out waiting for the answer"),
    (httpx.ConnectError, errors.ConnectionError, "connection failed"),
    (httpx.RemoteProtocolError, errors.ConnectionError, "connection broke mid-answer"),
    (httpx.ReadError, errors.ConnectionError, "connection broke mid-answer"),
    (httpx.WriteError, errors.ConnectionError, "connection broke while sending"),
    (httpx.ProxyError, errors.ConnectionError, "proxy failed"),
    (httpx.NetworkError, errors.ConnectionError, "connection failed"),
    (httpx.DecodingError, errors.ProtocolError, "undecodable answer"),
    (httpx.HTTPError, errors.TransportError, "HTTP request failed"),
    (OSError, errors.ConnectionError, "connection failed"),
)
