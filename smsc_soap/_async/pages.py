"""The async shell of the HTTP pages: a page call, or the opening of a file, as an *attempt* for
the AsyncClient's engine (:mod:`smsc_soap._async.engine`), which owns the limits, the deadline,
the retries, the translation of exceptions, the secret-free raise and what a cancellation means,
for SOAP and the pages alike. What is sent, how an answer is read and whether a streamed answer
is a file are :mod:`smsc_soap.http_api.wire`'s; the page methods' calls and readings are their
plans (:class:`~smsc_soap.http_api.wire.PagePlan`); decoding :mod:`smsc_soap._core.decoding`'s.

The request (the secrets in its body) is built in a helper whose frame is gone before httpx
runs; what an attempt hands back is plain data, never httpx's response (which holds the request).
"""
from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any, Generic, AsyncIterator, Callable, Iterator, List, Optional, Sequence, Tuple, Union

import httpx

from .. import errors
from .._core.checks import check_redirect
from .._core.decoding import StreamDecoder, content_length
from .._core.exceptions import ExceptionRule
from .._core.settings import TransportSettings, user_agent
from ..http_api import exports as _exports
from ..http_api import formats
from ..spec import TASK_FIELDS
from ..http_api.calls import HttpCall
from ..http_api.wire import (STREAM_CHUNK, PageAccess, PagePlan, R, RawAnswer, file_start_error, log_request,
                             read_plan_answer, request_headers)
from .._files import whole_or_nothing
from ..redact import Secret
from .transport import HTTP_EXCEPTIONS, Exchange, read_raw

if TYPE_CHECKING:  # pragma: no cover
    from datetime import date

    from .. import params
    from ..channels import Message
    from ..http_api.multipart import FileLike
    from ..http_api.exports import ExportTask, TaskRef
    from ..http_api.mailings import Mailing, MailingCreated
    from ..http_api.operator import OperatorInfo
    from .engine import Engine


class AsyncHttpShell(PageAccess):
    """One AsyncClient's way to the HTTP pages; its engine is the client's."""

    def __init__(self, *, endpoint: str, login: Optional[str], psw: Secret, apikey: Secret,
                 engine: "Engine") -> None:
        super().__init__(endpoint=endpoint, login=login, psw=psw, apikey=apikey)
        self._engine = engine

    async def run(self, plan: PagePlan[R]) -> R:
        return await self._engine.run(PageAttempt(self, plan))

    async def call(self, call: HttpCall, fields: Sequence[str], optional: Sequence[str] = ()) -> formats.Answer:
        return await self.run(PagePlan(call, fields, lambda answer: answer, optional))

    @contextlib.asynccontextmanager
    async def stream(self, call: HttpCall, fields: Sequence[str]) -> AsyncIterator[AsyncIterator[bytes]]:
        """The body of a file answer, piece by piece (as the sync shell's ``stream``): the call's
        deadline holds until the first piece, then each piece must come within the call's timeout."""
        async with self._engine.stream(FileAttempt(self, call, fields)) as pieces:
            yield pieces

    async def send(self, call: HttpCall, exchange: Exchange) -> httpx.Response:
        """POST the form; the response streams: read it, then close it."""
        url = self.url(call)
        log_request(url, call, self._secrets)
        http = self._engine.transport.client  # the client's current pool (aclose makes a new one)
        try:
            response = await http.send(_request(http, url, call, self._engine.settings), stream=True,
                                       follow_redirects=False)
        finally:
            if not exchange.tracked:
                exchange.sent = True  # a session or a proxy of the caller's: it may have left
        exchange.sent = exchange.responded = True  # an answer came
        return response


class PageAttempt(Generic[R]):
    """One page call for the engine: the form sent, the answer read by the plan."""

    rules: Tuple[ExceptionRule, ...] = HTTP_EXCEPTIONS
    soap = None

    def __init__(self, shell: AsyncHttpShell, plan: PagePlan[R]) -> None:
        self._shell = shell
        self._plan = plan
        self.call = plan.call
        self.where = shell.url(plan.call)

    async def send(self, exchange: Exchange) -> RawAnswer:
        limit = self._shell._engine.settings.max_response_bytes
        response = await self._shell.send(self.call, exchange)
        try:
            raw, coding = await read_raw(response, limit)
        finally:
            await response.aclose()
        return RawAnswer(response.status_code, response.headers.get("Location"), coding, raw)

    def read(self, answer: RawAnswer) -> R:
        limit = self._shell._engine.settings.max_response_bytes
        return read_plan_answer(self._plan, self.where, answer, limit=limit, secrets=self._shell._secrets)


@dataclass(frozen=True)
class OpenFile:
    """The start of a file answer: its status, its first decoded piece, the rest, and how to
    close it (httpx's response's ``aclose``, not the response: it holds the request)."""

    status: int
    first: bytes
    rest: AsyncIterator[bytes]
    close: Callable[[], Any]


class FileAttempt:
    """The opening of a file answer for the engine: the pieces once it is known to be a file."""

    rules: Tuple[ExceptionRule, ...] = HTTP_EXCEPTIONS
    soap = None

    def __init__(self, shell: AsyncHttpShell, call: HttpCall, fields: Sequence[str]) -> None:
        self._shell = shell
        self.call = call
        self._fields = fields
        self.where = shell.url(call)

    async def send(self, exchange: Exchange) -> OpenFile:
        response = await self._shell.send(self.call, exchange)
        close = response.aclose
        try:
            status = response.status_code
            check_redirect(status, response.headers.get("Location"), self._shell._secrets)
            headers = response.headers
            decoder = StreamDecoder(headers.get("Content-Encoding", ""), chunk=STREAM_CHUNK, status=status,
                                    length=content_length(headers.get("Content-Length"), headers.get("Transfer-Encoding")))
            raw = response.aiter_raw(STREAM_CHUNK)
            del response, headers
            pending: Iterator[bytes] = iter(())
            first = b""
            async for data in raw:
                pending = decoder.feed(data)  # lazy: each piece made as it is taken (bounded)
                first = next(pending, b"")
                if first:
                    break
            exchange.answered = True  # what fails from here on is the answer's reading
            refused = file_start_error(self.call, status, first, fields=self._fields,
                                       limit=self._shell._engine.settings.max_response_bytes,
                                       secrets=self._shell._secrets)
        except BaseException:
            await close()
            raise
        if refused is not None:
            await close()
            raise refused
        return OpenFile(status, first, _rest(first, decoder, pending, raw), close)

    def read(self, opened: OpenFile) -> Tuple[AsyncIterator[bytes], Callable[[], Any]]:
        return opened.rest, opened.close


async def _rest(first: bytes, decoder: StreamDecoder, pending: Iterator[bytes],
                raw: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """The first piece, then the rest as it comes; a compressed file cut short is an error."""
    yield first
    while True:
        piece = next(pending, None)
        while piece is None:
            try:
                data = await raw.__anext__()
            except StopAsyncIteration:
                decoder.end()
                return
            pending = decoder.feed(data)
            piece = next(pending, None)
        yield piece


def _request(http: httpx.AsyncClient, url: str, call: HttpCall, settings: TransportSettings) -> httpx.Request:
    """The request, the secrets in its body; built here so that no frame of the shell holds it
    while httpx sends it (this one has returned)."""
    connect, read = settings.requests_timeout()
    return http.build_request("POST", url, content=call.reveal(call.form()),
                              headers={**request_headers(call), "User-Agent": user_agent()},
                              timeout=httpx.Timeout(read, connect=connect, pool=None))  # the Deadline bounds the call


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
        if isinstance(to, (str, os.PathLike)):
            with whole_or_nothing(to) as out:
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
