"""The sync shell of the HTTP pages: a page call, or the opening of a file, as an *attempt* for the
client's engine (:mod:`smsc_soap._sync.engine`), which owns the limits, the deadline, the
retries, the translation of exceptions and the secret-free raise, for SOAP and the pages alike.

An attempt only says how to send (a form POST through the client's session, the secrets put in
as the argument of the write, never a redirect followed, the body read as sent: at most the
size limit) and how to read (:mod:`smsc_soap.http_api.wire`: checked, decoded bounded, parsed;
the page's error code raised as its typed error).
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Generic, Iterator, Optional, Sequence, Tuple

import requests

from .. import errors
from .._core.checks import check_redirect
from .._core.decoding import content_length, decode_stream
from .._core.exceptions import ExceptionRule
from ..redact import Secret
from .transport import HTTP_EXCEPTIONS, Exchange, read_raw
from ..http_api import formats
from ..http_api.calls import HttpCall
from ..http_api.wire import (STREAM_CHUNK, PageAccess, PagePlan, R, RawAnswer, file_start_error, log_request,
                   read_plan_answer, request_headers)

if TYPE_CHECKING:  # pragma: no cover
    from .engine import Engine

__all__ = ["STREAM_CHUNK", "HttpShell"]


class HttpShell(PageAccess):
    """One client's way to the HTTP pages; shared by threads as the client is. Its engine is the
    client's: the same session, settings, limits and secrets as the SOAP calls."""

    def __init__(self, *, endpoint: str, login: Optional[str], psw: Secret, apikey: Secret,
                 engine: "Engine") -> None:
        super().__init__(endpoint=endpoint, login=login, psw=psw, apikey=apikey)
        self._engine = engine

    def run(self, plan: PagePlan[R]) -> R:
        """The result of a page method's plan."""
        return self._engine.run(PageAttempt(self, plan))

    def call(self, call: HttpCall, fields: Sequence[str], optional: Sequence[str] = ()) -> formats.Answer:
        """The answer's records, or raise the page's typed error for its code."""
        return self.run(PagePlan(call, fields, lambda answer: answer, optional))

    @contextlib.contextmanager
    def stream(self, call: HttpCall, fields: Sequence[str]) -> Iterator[Iterator[bytes]]:
        """The body of a file answer, chunk by chunk, never whole in memory (a compressed one is
        decoded piece by piece, each at most :data:`STREAM_CHUNK` bytes). The call's deadline
        holds until the first piece; then each piece must come within the call's timeout, so a
        large file is not cut, but a trickle is. An error answer raises the page's typed error
        before anything is yielded."""
        with self._engine.stream(FileAttempt(self, call, fields)) as pieces:
            yield pieces

    # --- what both attempts share ------------------------------------------------------------

    def post(self, call: HttpCall, exchange: Exchange) -> requests.Response:
        """POST the form (never a password in the URL) under the exchange's deadline; the secrets
        go in only as the argument of the write. The response streams: read it, then close it."""
        url = self.url(call)
        engine = self._engine
        settings, transport = engine.settings, engine.transport
        log_request(url, call, self._secrets)
        remaining = exchange.remaining()
        if remaining <= 0:
            raise errors.TimeoutError(f"POST {url}: no time left of the call's {settings.call_seconds():g} s")
        connect, _ = settings.requests_timeout()
        exchange.watch()
        if not transport.watches(url):
            exchange.sent = True  # a session of the caller's cannot tell when a byte left: say it may have
        response = transport.session.post(url, data=call.reveal(call.form()), headers=request_headers(call),
                                          verify=transport.verify_for_requests(),
                                          timeout=(min(connect, remaining), remaining), stream=True,
                                          allow_redirects=False)
        exchange.sent = exchange.responded = True  # an answer came: the request certainly reached a server
        return response

    def refuse_redirect(self, response: requests.Response) -> None:
        check_redirect(response.status_code, response.headers.get("Location"), self._secrets)
        if response.history:  # a session's hook followed one after all: the first hop is the answer
            first = response.history[0]
            check_redirect(first.status_code, first.headers.get("Location"), self._secrets)


class PageAttempt(Generic[R]):
    """One page call for the engine: the form sent, the answer read by the plan."""

    rules: Tuple[ExceptionRule, ...] = HTTP_EXCEPTIONS
    soap = None

    def __init__(self, shell: HttpShell, plan: PagePlan[R]) -> None:
        self._shell = shell
        self._plan = plan
        self.call = plan.call
        self.where = shell.url(plan.call)

    def send(self, exchange: Exchange) -> RawAnswer:
        limit = self._shell._engine.settings.max_response_bytes
        response = self._shell.post(self.call, exchange)
        try:
            raw = read_raw(response, limit)  # as sent: decode_body decodes, bounded
        finally:
            exchange.finish()  # before the connection can go back to the pool
            response.close()
        if exchange.expired:
            raise errors.TimeoutError(f"POST {self.where}: no complete answer within the call's "
                                      f"{self._shell._engine.settings.call_seconds():g} s")
        self._shell.refuse_redirect(response)
        return RawAnswer(response.status_code, response.headers.get("Location"),
                         response.headers.get("Content-Encoding", ""), raw)

    def read(self, answer: RawAnswer) -> R:
        limit = self._shell._engine.settings.max_response_bytes
        return read_plan_answer(self._plan, self.where, answer, limit=limit, secrets=self._shell._secrets)


@dataclass(frozen=True)
class OpenFile:
    """The start of a file answer: its status, its first decoded piece, the rest, and how to
    close it (urllib3's response: requests' would hold the request)."""

    status: int
    first: bytes
    pieces: Iterator[bytes]
    close: Callable[[], None]


class FileAttempt:
    """The opening of a file answer for the engine: the rest of the pieces once it is a file."""

    rules: Tuple[ExceptionRule, ...] = HTTP_EXCEPTIONS
    soap = None

    def __init__(self, shell: HttpShell, call: HttpCall, fields: Sequence[str]) -> None:
        self._shell = shell
        self.call = call
        self._fields = fields
        self.where = shell.url(call)

    def send(self, exchange: Exchange) -> OpenFile:
        response = self._shell.post(self.call, exchange)
        raw = response.raw
        close = _closer(raw)
        try:
            self._shell.refuse_redirect(response)
            status = response.status_code
            headers = response.headers
            pieces = decode_stream(headers.get("Content-Encoding", ""), raw.stream(STREAM_CHUNK, decode_content=False),
                                   chunk=STREAM_CHUNK, status=status,
                                   length=content_length(headers.get("Content-Length"), headers.get("Transfer-Encoding")))
            del response, headers
            first = next(pieces, b"")
            if exchange.expired:
                raise errors.TimeoutError(f"POST {self.where}: no answer within the call's "
                                          f"{self._shell._engine.settings.call_seconds():g} s")
            exchange.answered = True  # what fails from here on is the answer's reading
            refused = file_start_error(self.call, status, first, fields=self._fields,
                                       limit=self._shell._engine.settings.max_response_bytes,
                                       secrets=self._shell._secrets)
        except BaseException:
            close()
            raise
        if refused is not None:
            close()
            raise refused
        return OpenFile(status, first, _chain(first, pieces), close)

    def read(self, opened: OpenFile) -> Tuple[Iterator[bytes], Callable[[], None]]:
        return opened.pieces, opened.close


def _chain(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest


def _closer(raw: object) -> Callable[[], None]:
    """Close urllib3's response and give its connection back (what requests' ``close`` does)."""
    def close() -> None:
        getattr(raw, "close")()
        release = getattr(raw, "release_conn", None)
        if release is not None:
            release()
    return close
