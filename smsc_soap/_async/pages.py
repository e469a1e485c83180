"""The async shell of the HTTP pages: :class:`~smsc_soap.AsyncClient`'s pool, deadline and back-off
windows around a form-encoded POST. I/O only: what is sent, how an answer is read and whether a
streamed answer is a file are :mod:`smsc_soap.http_api.wire`'s; the page methods' calls and
readings are their plans (:class:`~smsc_soap.http_api.wire.PagePlan`); retries are
:func:`smsc_soap._core.decide`'s; decoding :mod:`smsc_soap._core.decoding`'s (bounded).

As the async SOAP path: one :class:`~smsc_soap._async.transport.Deadline` per call, "sent" seen at
the first byte written, secrets put in only as the request is built (in a helper whose frame is
gone before httpx runs), errors raised outside ``except`` blocks and detached, a cancellation
re-raised as a fresh ``CancelledError`` (no httpx frame on its traceback), a mailing cancelled
after it was written recorded in ``client.unknown_sends``.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import IO, TYPE_CHECKING, Any, AsyncIterator, Callable, Iterator, List, Optional, Sequence, Tuple, Union

import httpx

from .. import _core, errors
from .._core.backoff import BackOffWindows
from .._core.checks import check_redirect
from .._core.decoding import StreamDecoder
from .._core.exceptions import detach, translate
from .._core.settings import TransportSettings, user_agent
from ..errors import ApiError, SmscError, http_api_error
from ..http_api import exports as _exports
from ..http_api import formats
from ..spec import TASK_FIELDS
from ..http_api.calls import HttpCall
from ..http_api.wire import (STREAM_CHUNK, PageAccess, PagePlan, R, file_start_error, log_request, read_answer,
                             request_headers)
from ..redact import Secret
from .transport import (_HTTP_EXCEPTIONS, _TLS_EXCEPTIONS, Deadline, Exchange, _read_raw, _tls_failure,
                        exchange_context, fresh_cancellation, reset_exchange)

if TYPE_CHECKING:  # pragma: no cover
    import os
    from datetime import date

    from .. import params
    from ..channels import Message
    from ..http_api.multipart import FileLike
    from ..http_api.exports import ExportTask, TaskRef
    from ..http_api.mailings import Mailing, MailingCreated
    from ..http_api.operator import OperatorInfo

log = logging.getLogger("smsc_soap")

#: What the client does with a send cancelled after it was written (records it, notes it).
LostByCancellation = Callable[[HttpCall, asyncio.CancelledError], None]


class AsyncHttpShell(PageAccess):
    """One AsyncClient's way to the HTTP pages (one event loop: the windows need no lock)."""

    def __init__(self, *, endpoint: str, login: Optional[str], psw: Secret, apikey: Secret,
                 http: Callable[[], httpx.AsyncClient], settings: TransportSettings, backoffs: BackOffWindows,
                 lost: LostByCancellation) -> None:
        super().__init__(endpoint=endpoint, login=login, psw=psw, apikey=apikey)
        self._http = http  # the client's current pool (aclose makes a new one)
        self._settings = settings
        self._backoffs = backoffs
        self._lost = lost

    async def run(self, plan: PagePlan[R]) -> R:
        return plan.read(await self.call(plan.call, plan.fields, plan.optional))

    async def call(self, call: HttpCall, fields: Sequence[str], optional: Sequence[str] = ()) -> formats.Answer:
        self._refuse_during_backoff(call)
        answer = await self._exchange(call, fields, optional)
        if answer.error_code is not None:
            self._raise_api_error(call, http_api_error(call.operation, answer.error_code, answer.error_text))
        return answer

    def _refuse_during_backoff(self, call: HttpCall) -> None:
        refusal = self._backoffs.refusal(call.operation, call.backoff_scopes, self._settings.retry.clock())
        if refusal is not None:
            raise refusal

    def _raise_api_error(self, call: HttpCall, error: ApiError) -> None:
        note = self._backoffs.open(error, call.backoff_scopes, self._settings.retry.clock())
        if note is not None:
            log.warning("%s: error %d (%s); %s", error.operation, error.code, error.meaning, note)
        raise error

    def _timeout_error(self, url: str) -> errors.TimeoutError:
        return errors.TimeoutError(f"POST {url}: no complete answer within the call's "
                                   f"{self._settings.call_seconds():g} s")

    async def _exchange(self, call: HttpCall, fields: Sequence[str], optional: Sequence[str]) -> formats.Answer:
        """As AsyncClient._exchange: repeated only where the core says so, all under one deadline;
        errors raised from this frame, outside any ``except`` block."""
        from ..async_client import _sleep

        policy = self._settings.retry
        deadline = asyncio.get_running_loop().time() + self._settings.call_seconds()
        url = self.url(call)
        attempt = 0
        while True:
            attempt += 1
            exchange = Exchange()
            token = exchange_context(exchange)
            error: Optional[SmscError] = None
            cancelled: Optional[asyncio.CancelledError] = None
            try:
                async with Deadline(deadline):
                    try:
                        return await self._post(url, call, exchange, fields, optional)
                    except asyncio.CancelledError:
                        raise
                    except Exception as exc:  # noqa: BLE001 - translated below, or re-raised untouched
                        error = _page_error(exc, call.operation, url, self._secrets)
                        if error is None:
                            raise
            except asyncio.CancelledError as caller_cancelled:  # the caller's, not the deadline's
                cancelled = fresh_cancellation(caller_cancelled)
            finally:
                reset_exchange(token)
            if cancelled is not None:
                if call.is_send and exchange.sent:
                    self._lost(call, cancelled)
                raise cancelled
            if error is None:
                error = self._timeout_error(url)
            await _sleep(policy, _core.delay_or_raise(policy, attempt, error, call, sent=exchange.sent,
                                                      time_left=deadline - asyncio.get_running_loop().time()))

    async def _send(self, url: str, call: HttpCall, exchange: Exchange) -> httpx.Response:
        log_request(url, call, self._secrets)
        http = self._http()
        try:
            response = await http.send(_request(http, url, call, self._settings), stream=True, follow_redirects=False)
        finally:
            if not exchange.tracked:
                exchange.sent = True  # a session or a proxy of the caller's: it may have left
        exchange.sent = True
        return response

    async def _post(self, url: str, call: HttpCall, exchange: Exchange, fields: Sequence[str],
                    optional: Sequence[str]) -> formats.Answer:
        limit = self._settings.max_response_bytes
        response = await self._send(url, call, exchange)
        try:
            raw, coding = await _read_raw(response, limit)
        finally:
            await response.aclose()
        answer = read_answer(url, response.status_code, response.headers.get("Location"), coding, raw,
                             limit=limit, fields=fields, optional=optional, secrets=self._secrets)
        exchange.answered = True
        return answer

    # --- a streamed file ------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def stream(self, call: HttpCall, fields: Sequence[str]) -> AsyncIterator[AsyncIterator[bytes]]:
        """The body of a file answer, piece by piece (as the sync shell's ``stream``): the call's
        deadline holds until the first piece, then each read waits at most the read timeout."""
        self._refuse_during_backoff(call)
        url = self.url(call)
        deadline = asyncio.get_running_loop().time() + self._settings.call_seconds()
        exchange = Exchange()
        token = exchange_context(exchange)
        opened: Union[_Opened, SmscError, None] = None
        cancelled: Optional[asyncio.CancelledError] = None
        try:
            async with Deadline(deadline):
                try:
                    opened = await self._open(url, call, exchange, fields)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # noqa: BLE001 - translated below, or re-raised untouched
                    opened = _page_error(exc, call.operation, url, self._secrets)
                    if opened is None:
                        raise
        except asyncio.CancelledError as caller_cancelled:
            cancelled = fresh_cancellation(caller_cancelled)
        finally:
            reset_exchange(token)
        if cancelled is not None:
            raise cancelled
        if opened is None:
            raise self._timeout_error(url)
        if isinstance(opened, SmscError):
            if isinstance(opened, ApiError):
                self._raise_api_error(call, opened)
            raise opened
        response, rest = opened
        try:
            yield self._pieces(call.operation, url, rest)
        finally:
            await response.aclose()

    async def _open(self, url: str, call: HttpCall, exchange: Exchange, fields: Sequence[str]) -> _Opened:
        """The answer, its first decoded piece once it is known to be a file, and the rest to come."""
        response = await self._send(url, call, exchange)
        try:
            status = response.status_code
            check_redirect(status, response.headers.get("Location"), self._secrets)
            decoder = StreamDecoder(response.headers.get("Content-Encoding", ""), chunk=STREAM_CHUNK, status=status)
            raw = response.aiter_raw(STREAM_CHUNK)
            pending: Iterator[bytes] = iter(())
            first = b""
            async for data in raw:
                pending = decoder.feed(data)  # lazy: each piece made as it is taken (bounded)
                first = next(pending, b"")
                if first:
                    break
            refused = file_start_error(call, status, first, fields=fields, limit=self._settings.max_response_bytes,
                                       secrets=self._secrets)
        except BaseException:
            await response.aclose()
            raise
        if refused is not None:
            await response.aclose()
            raise refused
        return response, _Rest(first, decoder, pending, raw)

    async def _pieces(self, operation: str, url: str, rest: "_Rest") -> AsyncIterator[bytes]:
        """The first piece, then the rest; a failure mid-file raised as ours, outside ``except``."""
        yield rest.first
        pending = rest.pending
        while True:
            error: Optional[SmscError] = None
            piece: Optional[bytes] = None
            try:
                piece = next(pending, None)
                while piece is None:
                    pending = rest.decoder.feed(await rest.raw.__anext__())
                    piece = next(pending, None)
            except StopAsyncIteration:
                piece = None
            except Exception as exc:  # noqa: BLE001 - translated below, or re-raised untouched
                error = _page_error(exc, operation, url, self._secrets)
                if error is None:
                    raise
            if error is not None:
                raise error
            if piece is None:
                rest.decoder.end()  # a compressed file cut short is an error, not a shorter file
                return
            yield piece


class _Rest:
    """What is left of a streamed file once its first piece is known."""

    def __init__(self, first: bytes, decoder: StreamDecoder, pending: Iterator[bytes], raw: AsyncIterator[bytes]) -> None:
        self.first = first
        self.decoder = decoder
        self.pending = pending
        self.raw = raw


_Opened = Tuple[httpx.Response, _Rest]


def _request(http: httpx.AsyncClient, url: str, call: HttpCall, settings: TransportSettings) -> httpx.Request:
    """The request, the secrets in its body; built here so that no frame of the shell holds it
    while httpx sends it (this one has returned)."""
    connect, read = settings.requests_timeout()
    return http.build_request("POST", url, content=call.reveal(call.form()),
                              headers={**request_headers(call), "User-Agent": user_agent()},
                              timeout=httpx.Timeout(read, connect=connect, pool=None))  # the Deadline bounds the call


def _page_error(exc: BaseException, operation: str, url: str, secrets: Sequence[Secret]) -> Optional[SmscError]:
    """Ours for ``exc`` (to raise outside the ``except`` block); None: not ours, re-raise it."""
    if isinstance(exc, SmscError):
        return detach(exc)
    rules = _HTTP_EXCEPTIONS
    cause = _tls_failure(exc)
    if cause is not None:
        exc, rules = cause, _TLS_EXCEPTIONS
    return translate(exc, rules, operation, url, secrets)


# --- the pages as AsyncClient offers them: the sync pages' plans, awaited ----------------------


async def lookup(shell: AsyncHttpShell, phones: "params.Phones", *, fmt: Optional[int] = None) -> Tuple["OperatorInfo", ...]:
    from ..http_api.operator import plan_lookup
    return await shell.run(plan_lookup(shell, phones, fmt=fmt))


class AsyncMailings:
    """``aclient.mailings``: :class:`smsc_soap.http_api.mailings.Mailings`' calls as coroutines."""

    def __init__(self, shell: AsyncHttpShell) -> None:
        self._shell = shell

    async def add(self, name: str, phones: Optional["params.Phones"] = None, mes: Union[str, "Message", None] = None, *,
                  sender: Optional[str] = None, time: Any = None, fmt: Optional[int] = None,
                  files: Optional[Sequence["FileLike"]] = None, **extended: Any) -> "MailingCreated":
        from ..http_api.mailings import plan_add
        return await self._shell.run(plan_add(self._shell, name, phones, mes, sender=sender, time=time, fmt=fmt,
                                              files=files, **extended))

    async def delete(self, id: int, *, fmt: Optional[int] = None) -> None:  # noqa: A002 - the page's name
        from ..http_api.mailings import plan_by_id
        await self._shell.run(plan_by_id(self._shell, "jobs.del", id, fmt))

    async def cancel(self, id: int, *, fmt: Optional[int] = None) -> None:  # noqa: A002
        from ..http_api.mailings import plan_by_id
        await self._shell.run(plan_by_id(self._shell, "jobs.cancel", id, fmt))

    async def get(self, id: int, *, fmt: Optional[int] = None) -> "Mailing":  # noqa: A002
        from ..http_api.mailings import plan_get
        return await self._shell.run(plan_get(self._shell, id, fmt))

    async def get_all(self, start: Optional["date"] = None, end: Optional["date"] = None, *,
                      fmt: Optional[int] = None) -> Tuple["Mailing", ...]:
        from ..http_api.mailings import plan_get_all
        return await self._shell.run(plan_get_all(self._shell, start, end, fmt))


class AsyncExports:
    """``aclient.exports``: :class:`smsc_soap.http_api.exports.Exports`' calls for asyncio."""

    def __init__(self, shell: AsyncHttpShell) -> None:
        self._shell = shell

    async def get_list(self, cnt: Optional[int] = None, after_id: Optional[int] = None, *,
                       fmt: Optional[int] = None) -> Tuple["ExportTask", ...]:
        return await self._shell.run(_exports.plan_get_list(self._shell, cnt, after_id, fmt=fmt))

    @contextlib.asynccontextmanager
    async def stream(self, task: Optional["TaskRef"] = None, *,
                     name: Optional[str] = None) -> AsyncIterator[AsyncIterator[bytes]]:
        """``async with aclient.exports.stream(task) as pieces: async for piece in pieces: ...``"""
        async with self._shell.stream(_exports.file_call(self._shell, task, name), TASK_FIELDS) as pieces:
            yield pieces

    async def get_file(self, task: Optional["TaskRef"] = None, *, name: Optional[str] = None,
                       to: Union[str, "os.PathLike[str]", IO[bytes]]) -> int:
        """As the sync ``get_file``: a path gets the whole file or nothing. The writes to ``to``
        are plain (blocking) writes of one piece each (ASSUMPTION: a local file keeps up)."""
        import os

        if isinstance(to, (str, os.PathLike)):
            with _exports.whole_or_nothing(to) as out:
                return await self.get_file(task, name=name, to=out)
        written = 0
        async with self.stream(task, name=name) as pieces:
            async for piece in pieces:
                to.write(piece)
                written += len(piece)
        return written

    async def rows(self, task: Optional["TaskRef"] = None, *, name: Optional[str] = None) -> AsyncIterator[List[str]]:
        """``async for row in aclient.exports.rows(task):`` the file's CSV rows (the header first),
        read as they arrive."""
        records = _exports.Records()
        async with self.stream(task, name=name) as pieces:
            async for piece in pieces:
                for row in _exports.csv_rows(records.feed(piece)):
                    yield row
            for row in _exports.csv_rows(records.end()):
                yield row
