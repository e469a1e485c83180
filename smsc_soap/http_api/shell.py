"""The sync shell of the HTTP pages: the client's own session, deadline, retry policy, back-off
windows, exception table and redaction, around a form-encoded POST.

It decides nothing itself: the checks are :mod:`smsc_soap._core.checks`'s, the retries
:func:`smsc_soap._core.decide`'s, the back-off :class:`smsc_soap._core.BackOffWindows`' (the
client's own windows, so an error 4 from SOAP holds here too), the translation of requests' and
urllib3's exceptions :func:`smsc_soap._core.translate`'s with the sync shell's table
(:data:`smsc_soap.transport.HTTP_EXCEPTIONS`), the body read :func:`smsc_soap.transport.read_raw`'s
and its decoding :mod:`smsc_soap._core.decoding`'s (bounded). As the SOAP shell does, it keeps the
password and the API key as placeholders until the form's bytes are handed on, never follows a
redirect, and raises its errors outside ``except`` blocks, detached from what they crossed.
"""
from __future__ import annotations

import contextlib
import logging
import threading
import time
from typing import Iterator, Optional, Sequence, Tuple, Union

import requests

from .. import _core, errors
from .._core.checks import check_redirect
from .._core.decoding import decode_stream
from ..errors import ApiError, SmscError, http_api_error
from ..redact import Secret
from ..transport import HTTP_EXCEPTIONS, Exchange, SoapTransport, read_raw
from . import formats
from .calls import HttpCall
from .wire import (FORM_HEADERS, STREAM_CHUNK, PageAccess, PagePlan, R, file_start_error, log_request, read_answer,
                   request_headers)

log = logging.getLogger("smsc_soap")

_FORM_HEADERS = FORM_HEADERS  # the name of old
__all__ = ["STREAM_CHUNK", "HttpShell"]


class HttpShell(PageAccess):
    """One client's way to the HTTP pages; shared by threads as the client is. The client hands
    over what the two shells share: its session, settings, transport, secrets and back-off windows."""

    def __init__(self, *, endpoint: str, login: Optional[str], psw: Secret, apikey: Secret,
                 session: requests.Session, transport: SoapTransport, backoffs: _core.BackOffWindows,
                 backoffs_lock: threading.Lock) -> None:
        super().__init__(endpoint=endpoint, login=login, psw=psw, apikey=apikey)
        self._session = session
        self._transport = transport
        self._settings = transport.transport_settings
        self._backoffs = backoffs
        self._backoffs_lock = backoffs_lock

    # --- one answer -----------------------------------------------------------------------------

    def run(self, plan: PagePlan[R]) -> R:
        """The result of a page method's plan."""
        return plan.read(self.call(plan.call, plan.fields, plan.optional))

    def call(self, call: HttpCall, fields: Sequence[str], optional: Sequence[str] = ()) -> formats.Answer:
        """The answer's records, or raise the page's typed error for its code."""
        self._refuse_during_backoff(call)
        answer = self._exchange(call, fields, optional)
        if answer.error_code is not None:
            self._raise_api_error(call, http_api_error(call.operation, answer.error_code, answer.error_text))
        return answer

    def _refuse_during_backoff(self, call: HttpCall) -> None:
        with self._backoffs_lock:
            refusal = self._backoffs.refusal(call.operation, call.backoff_scopes, self._settings.retry.clock())
        if refusal is not None:
            raise refusal

    def _raise_api_error(self, call: HttpCall, error: ApiError) -> None:
        with self._backoffs_lock:
            note = self._backoffs.open(error, call.backoff_scopes, self._settings.retry.clock())
        if note is not None:
            log.warning("%s: error %d (%s); %s", error.operation, error.code, error.meaning, note)
        raise error

    def _exchange(self, call: HttpCall, fields: Sequence[str], optional: Sequence[str]) -> formats.Answer:
        """The answer, read: repeated only where safe, all within the call's timeout. Errors are
        raised from this frame, outside any ``except`` block (see smsc_soap._core, step 3)."""
        policy = self._settings.retry
        deadline = time.monotonic() + self._settings.call_seconds()
        url = self.url(call)
        attempt = 0
        while True:
            attempt += 1
            with self._transport.exchange(deadline) as exchange:
                error: Optional[SmscError] = None
                try:
                    return self._post(url, call, exchange, fields, optional)
                except Exception as exc:  # noqa: BLE001 - translated below, or re-raised untouched
                    error = self._error_for(exc, call.operation, url, exchange)
                    if error is None:
                        raise
            policy.sleep(_core.delay_or_raise(policy, attempt, error, call, sent=exchange.sent,
                                              time_left=deadline - time.monotonic()))

    def _error_for(self, exc: BaseException, operation: str, url: str,
                   exchange: Optional[Exchange]) -> Optional[SmscError]:
        """Ours for ``exc``, to raise outside the ``except`` block; None: not ours (re-raise it)."""
        if exchange is not None and exchange.expired and not exchange.answered:
            return errors.TimeoutError(f"POST {url}: no complete answer within the call's "
                                       f"{self._settings.call_seconds():g} s")
        if isinstance(exc, SmscError):
            return _core.detach(exc)
        return _core.translate(exc, HTTP_EXCEPTIONS, operation, url, self._secrets)

    def _send(self, url: str, call: HttpCall, exchange: Exchange) -> requests.Response:
        """POST the form (never a password in the URL) under the exchange's deadline; the secrets go
        in only as the argument of the write."""
        log_request(url, call, self._secrets)
        remaining = exchange.remaining()
        if remaining <= 0:
            raise errors.TimeoutError(f"POST {url}: no time left of the call's {self._settings.call_seconds():g} s")
        connect, _ = self._settings.requests_timeout()
        exchange.watch()
        if not self._transport.watches(url):
            exchange.sent = True  # a session of the caller's cannot tell when a byte left: say it may have
        response = self._session.post(url, data=call.reveal(call.form()), headers=request_headers(call),
                                      verify=self._transport.verify_for_requests(),
                                      timeout=(min(connect, remaining), remaining), stream=True,
                                      allow_redirects=False)
        exchange.sent = True  # an answer came: the request certainly reached a server
        return response

    def _refuse_redirect(self, response: requests.Response) -> None:
        check_redirect(response.status_code, response.headers.get("Location"), self._secrets)
        if response.history:  # a session's hook followed one after all: the first hop is the answer
            first = response.history[0]
            check_redirect(first.status_code, first.headers.get("Location"), self._secrets)

    def _post(self, url: str, call: HttpCall, exchange: Exchange, fields: Sequence[str],
              optional: Sequence[str]) -> formats.Answer:
        limit = self._settings.max_response_bytes
        response = self._send(url, call, exchange)
        try:
            raw = read_raw(response, limit)  # as sent: decode_body decodes, bounded
        finally:
            exchange.finish()  # before the connection can go back to the pool
            response.close()
        if exchange.expired:
            raise errors.TimeoutError(f"POST {url}: no complete answer within the call's "
                                      f"{self._settings.call_seconds():g} s")
        self._refuse_redirect(response)
        answer = read_answer(url, response.status_code, response.headers.get("Location"),
                             response.headers.get("Content-Encoding", ""), raw, limit=limit, fields=fields,
                             optional=optional, secrets=self._secrets)
        exchange.answered = True
        return answer

    # --- a streamed file ------------------------------------------------------------------------

    @contextlib.contextmanager
    def stream(self, call: HttpCall, fields: Sequence[str]) -> Iterator[Iterator[bytes]]:
        """The body of a file answer, chunk by chunk, never whole in memory (a compressed one is
        decoded piece by piece, each at most :data:`STREAM_CHUNK` bytes).

        The call's deadline holds until the first bytes of the body arrived (the head of the
        answer, and enough of it to tell a file from an error answer); after that each read
        waits at most the read timeout, so a large file is not cut by the call's timeout.
        An error answer raises the page's typed error before anything is yielded.
        """
        self._refuse_during_backoff(call)
        url = self.url(call)
        deadline = time.monotonic() + self._settings.call_seconds()
        opened: Union[Tuple[requests.Response, bytes, Iterator[bytes]], SmscError, None] = None
        with self._transport.exchange(deadline) as exchange:
            try:
                opened = self._open(url, call, exchange, fields)
            except Exception as exc:  # noqa: BLE001 - translated below, or re-raised untouched
                opened = self._error_for(exc, call.operation, url, exchange)
                if opened is None:
                    raise
        if isinstance(opened, SmscError):
            raise opened
        assert opened is not None
        response, first, pieces = opened
        try:
            yield self._pieces(call.operation, url, first, pieces)
        finally:
            response.close()

    def _open(self, url: str, call: HttpCall, exchange: Exchange,
              fields: Sequence[str]) -> Tuple[requests.Response, bytes, Iterator[bytes]]:
        """The answer and its first decoded piece, once it is known to be a file."""
        response = self._send(url, call, exchange)
        try:
            self._refuse_redirect(response)
            status = response.status_code
            pieces = decode_stream(response.headers.get("Content-Encoding", ""),
                                   response.raw.stream(STREAM_CHUNK, decode_content=False),
                                   chunk=STREAM_CHUNK, status=status)
            first = next(pieces, b"")
            if exchange.expired:
                raise errors.TimeoutError(f"POST {url}: no answer within the call's "
                                          f"{self._settings.call_seconds():g} s")
        except BaseException:
            response.close()
            raise
        finally:
            exchange.finish()
        try:
            refused = file_start_error(call, status, first, fields=fields, limit=self._settings.max_response_bytes,
                                       secrets=self._secrets)
        except BaseException:
            response.close()
            raise
        if refused is not None:
            response.close()
            if isinstance(refused, ApiError):
                self._raise_api_error(call, refused)
            raise refused
        return response, first, pieces

    def _pieces(self, operation: str, url: str, first: bytes, pieces: Iterator[bytes]) -> Iterator[bytes]:
        """``first``, then the rest; a failure mid-file raised as ours, outside ``except``."""
        yield first
        while True:
            error: Optional[SmscError] = None
            piece: Optional[bytes] = None
            try:
                piece = next(pieces, None)
            except Exception as exc:  # noqa: BLE001 - translated below, or re-raised untouched
                error = self._error_for(exc, operation, url, None)
                if error is None:
                    raise
            if error is not None:
                raise error
            if piece is None:
                return
            yield piece

