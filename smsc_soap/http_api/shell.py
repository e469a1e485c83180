"""The sync shell of the HTTP pages: the client's own session, deadline, retry policy, back-off
windows, exception table and redaction, around a form-encoded POST.

It decides nothing itself: the checks are :mod:`smsc_soap._core.checks`'s, the retries
:func:`smsc_soap._core.decide`'s, the back-off :class:`smsc_soap._core.BackOffWindows`' (the
client's own windows, so an error 4 from SOAP holds here too), the translation of requests' and
urllib3's exceptions :func:`smsc_soap._core.translate`'s with the sync shell's table.
"""
from __future__ import annotations

import contextlib
import logging
import threading
import time
from typing import TYPE_CHECKING, Iterable, Iterator, Mapping, Optional, Sequence, Tuple

import requests
import urllib3

from .. import _core, errors
from .._core.checks import check_page_answer, check_size, snippet
from ..errors import ApiError, TransportError, http_api_error
from ..redact import Secret, redact
from ..transport import _HTTP_EXCEPTIONS, Exchange, SoapTransport, _cut_short
from . import formats
from .calls import HttpCall, page_url, prepare

if TYPE_CHECKING:  # pragma: no cover
    from ..client import Client

log = logging.getLogger("smsc_soap")

#: Bytes per read of a streamed file.
STREAM_CHUNK = 64 * 1024


@contextlib.contextmanager
def http_boundary(operation: str, address: str, secrets: Iterable[Secret] = ()) -> Iterator[None]:
    """Re-raise requests' and urllib3's errors inside the block as ours, secrets scrubbed, ``from None``."""
    try:
        yield
    except errors.SmscError:
        raise
    except Exception as exc:  # noqa: BLE001 - translated below, or re-raised untouched
        ours = _core.translate(exc, _HTTP_EXCEPTIONS, operation, address, secrets)
        if ours is not None:
            raise ours from None
        raise


class HttpShell:
    """One client's way to the HTTP pages; shared by threads as the client is."""

    def __init__(self, client: "Client") -> None:
        self._client = client
        self._session: requests.Session = client._session
        self._settings = client._settings
        self._transport: SoapTransport = client._transport
        self._secrets: Tuple[Secret, ...] = client._secrets
        self._backoffs: _core.BackOffWindows = client._backoffs
        self._backoffs_lock: threading.Lock = client._backoffs_lock

    # --- preparing ------------------------------------------------------------------------------

    def prepare(self, operation: str, fields: Mapping[str, Optional[str]], *, fmt: Optional[int] = None,
                phones: Tuple[str, ...] = ()) -> HttpCall:
        client = self._client
        kwargs = {} if fmt is None else {"fmt": fmt}
        return prepare(operation, fields, login=client.login, psw=client._psw.reveal(),
                       apikey=client._apikey.reveal() or None, phones=phones, **kwargs)

    def url(self, call: HttpCall) -> str:
        return page_url(self._client.endpoint, call.facts.path)

    # --- one answer -----------------------------------------------------------------------------

    def call(self, call: HttpCall, fields: Sequence[str], optional: Sequence[str] = ()) -> formats.Answer:
        """The answer's records, or raise the page's typed error for its code."""
        self._refuse_during_backoff(call)
        body = self._exchange(call)
        try:
            answer = formats.parse(body, fields, optional=optional, secrets=self._secrets)
        except errors.ProtocolError as error:
            if call.is_send:
                raise call.outcome_unknown(error) from error
            raise
        if answer.error_code is not None:
            self._raise_api_error(call, answer.error_code, answer.error_text)
        return answer

    def _refuse_during_backoff(self, call: HttpCall) -> None:
        with self._backoffs_lock:
            refusal = self._backoffs.refusal(call.operation, call.backoff_scopes, self._settings.retry.clock())
        if refusal is not None:
            raise refusal

    def _raise_api_error(self, call: HttpCall, code: int, text: str) -> None:
        error: ApiError = http_api_error(call.operation, code, text)
        with self._backoffs_lock:
            note = self._backoffs.open(error, call.backoff_scopes, self._settings.retry.clock())
        if note is not None:
            log.warning("%s: error %d (%s); %s", error.operation, error.code, error.meaning, note)
        raise error

    def _exchange(self, call: HttpCall) -> bytes:
        """The answer's bytes: repeated only where safe, all within the call's timeout."""
        policy = self._settings.retry
        deadline = time.monotonic() + self._settings.call_seconds()
        url = self.url(call)
        attempt = 0
        while True:
            attempt += 1
            with self._transport.exchange(deadline) as exchange:
                try:
                    with http_boundary(call.operation, url, self._secrets):
                        return self._post(url, call, exchange)
                except TransportError as error:
                    step = _core.decide(policy, attempt, error, is_send=call.is_send, sent=exchange.sent,
                                        time_left=deadline - time.monotonic())
                    if isinstance(step, _core.RaiseOutcomeUnknown):  # it may have arrived: never twice
                        raise call.outcome_unknown(error) from error
                    if isinstance(step, _core.Raise):
                        raise
                    log.info("%s failed (%s: %s); retry %d of %d in %.2f s", call.operation,
                             type(error).__name__, error, attempt, policy.attempts - 1, step.delay)
            policy.sleep(step.delay)

    def _send(self, url: str, call: HttpCall, exchange: Exchange) -> requests.Response:
        """POST the form (never a password in the URL) under the exchange's deadline."""
        if log.isEnabledFor(logging.DEBUG):
            form = "&".join(f"{name}={value}" for name, value in call.request.items())
            log.debug("POST %s\n%s", url, redact(form, self._secrets))
        remaining = exchange.remaining()
        if remaining <= 0:
            raise errors.TimeoutError(f"POST {url}: no time left of the call's {self._settings.call_seconds():g} s")
        connect, _ = self._settings.requests_timeout()
        exchange.watch()
        return self._session.post(url, data=dict(call.request), verify=self._transport._verify(),
                                  timeout=(min(connect, remaining), remaining), stream=True,
                                  allow_redirects=False)

    def _post(self, url: str, call: HttpCall, exchange: Exchange) -> bytes:
        budget = self._settings.call_seconds()
        limit = self._settings.max_response_bytes
        try:
            response = self._send(url, call, exchange)
            try:
                body: bytes = response.raw.read(limit + 1, decode_content=True)
                if len(body) <= limit and _cut_short(response):
                    raise urllib3.exceptions.ProtocolError("Connection broken: IncompleteRead: the answer "
                                                           "ended before its Content-Length")
            finally:
                exchange.finish()  # before the connection can go back to the pool
                response.close()
        except Exception:
            if exchange.expired:
                raise errors.TimeoutError(f"POST {url}: no complete answer within the call's {budget:g} s") from None
            raise
        if exchange.expired:
            raise errors.TimeoutError(f"POST {url}: no complete answer within the call's {budget:g} s")
        check_size(response.status_code, body, limit)
        self._log_answer(url, response.status_code, body)
        check_page_answer(response.status_code, body, self._secrets)
        exchange.answered = True
        return body

    def _log_answer(self, url: str, status: int, body: bytes) -> None:
        if log.isEnabledFor(logging.DEBUG):
            text = redact(body.decode("utf-8", "replace"), self._secrets)
            cut = _core.LOG_BODY_CHARS
            log.debug("HTTP %s from %s\n%s", status, url, text[:cut] + (f"… ({len(body)} bytes)" if len(text) > cut else ""))

    # --- a streamed file ------------------------------------------------------------------------

    @contextlib.contextmanager
    def stream(self, call: HttpCall, fields: Sequence[str]) -> Iterator[Iterator[bytes]]:
        """The body of a file answer, chunk by chunk, never whole in memory.

        The call's deadline holds until the first bytes of the body arrived (the head of the
        answer, and enough of it to tell a file from an error answer); after that each read
        waits at most the read timeout, so a large file is not cut by the call's timeout.
        An error answer raises the page's typed error before anything is yielded.
        """
        self._refuse_during_backoff(call)
        url = self.url(call)
        deadline = time.monotonic() + self._settings.call_seconds()
        with self._transport.exchange(deadline) as exchange:
            with http_boundary(call.operation, url, self._secrets):
                try:
                    response = self._send(url, call, exchange)
                    chunks = response.raw.stream(STREAM_CHUNK, decode_content=True)
                    first = next(chunks, b"")
                except Exception:
                    if exchange.expired:
                        raise errors.TimeoutError(f"POST {url}: no answer within the call's "
                                                  f"{self._settings.call_seconds():g} s") from None
                    raise
                finally:
                    exchange.finish()
        try:
            if response.status_code != 200 or not first.strip() or first.lstrip()[:1] in (b"{", b"[", b"<") \
                    or first.lstrip().startswith(b"ERROR") or _is_short_error(first):
                rest = b"" if len(first) > self._settings.max_response_bytes else first
                check_page_answer(response.status_code, rest, self._secrets)
                answer = formats.parse(first, fields, secrets=self._secrets)
                if answer.error_code is not None:
                    self._raise_api_error(call, answer.error_code, answer.error_text)
                raise errors.ProtocolError(f"{call.operation}: a file was expected, the answer holds "
                                           f"records: {snippet(first, self._secrets)}")

            def body() -> Iterator[bytes]:
                yield first
                with http_boundary(call.operation, url, self._secrets):
                    yield from chunks

            yield body()
        finally:
            response.close()


def _is_short_error(first: bytes) -> bool:
    """A whole answer of ``0,-N`` (fmt=1's error) is not a one-line CSV file."""
    return len(first) < 32 and formats._CSV_ERROR.match(first.decode("utf-8", "replace").strip()) is not None
