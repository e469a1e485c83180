"""The facade for asyncio applications: :class:`AsyncClient`, the same operations as
:class:`~smsc_soap.Client` as coroutines, over zeep's async transport and httpx.

It is a thin shell: the arguments are the core's to check (:mod:`smsc_soap._core.calls`), the
retry, back-off and unknown-outcome decisions are the core's (:mod:`smsc_soap._core`), the I/O is
:mod:`smsc_soap._async.transport`'s. Only what asyncio adds is decided here: a call's deadline
cancels its task, and a send cancelled by the caller after its request was written is recorded
in :attr:`AsyncClient.unknown_sends` (and noted on the ``CancelledError``), never silent.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import logging
import time
from typing import TYPE_CHECKING, Any, AsyncIterator, Iterable, List, Optional, overload, Tuple, Type, TypeVar, Union, cast

import zeep

from . import _core
from ._async.transport import (AsyncSoapTransport, Deadline, Exchange, build_http_client, exchange_context,
                               fresh_cancellation, reset_exchange)
from ._base import ClientBase, reconcile_pair, reconcile_target
from ._compat import add_note
from ._core import calls
from ._core.retry import RetryPolicy
from ._core.settings import DEFAULT_TIMEOUT, Timeout
from ._soap import ZEEP_SETTINGS, read_reply
from ._wsdl import wsdl_document
from .client import Client, Phones, Reconciliation
from .errors import ApiError, MessageNotFound, SendOutcomeUnknown, SmscError, TimeoutError, TransportError, ValidationError
from .results import BalanceResult, CostResult, SendResult, StatusResult

if TYPE_CHECKING:  # pragma: no cover
    import httpx

    from .limits import Limits
    from typing_extensions import Unpack

    from . import channels
    from ._async.pages import AsyncExports, AsyncHttpShell, AsyncMailings
    from .http_api.calls import HttpCall
    from .http_api.operator import OperatorInfo
    from .bulk import MessageLike, Outcome
    from .bulk_options import BulkOptions
    from ._async.journal import AsyncJournaledSend
    from .query import ExtendedParams
    from .track import StatusChange

__all__ = ["AsyncClient"]

T = TypeVar("T")

log = logging.getLogger("smsc_soap")


_RELEASE_EXECUTOR: List["concurrent.futures.ThreadPoolExecutor"] = []


def _releases() -> "concurrent.futures.ThreadPoolExecutor":
    """One thread, for every AsyncClient of the process, that gives shared slots back: a release
    never waits behind calls that are waiting for a slot."""
    if not _RELEASE_EXECUTOR:
        _RELEASE_EXECUTOR.append(concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="smsc-soap-release"))
    return _RELEASE_EXECUTOR[0]


class AsyncClient(ClientBase):
    """A client of the SMSC SOAP service for asyncio: the constructor and the operations of
    :class:`~smsc_soap.Client`, each a coroutine (``await client.send_sms(...)``), with the same
    results and exceptions. Use it from one event loop; share it between that loop's tasks, and
    close it with ``await client.aclose()`` or ``async with``.

    ``timeout``'s ``read`` bounds each whole call, retries and back-off included: the call's task
    is cancelled at its deadline and :class:`~smsc_soap.TimeoutError` raised. At most
    :data:`smsc_soap._async.transport.POOL_SIZE` requests are in flight at once, whatever the number
    of tasks: the others wait for a connection, within their own deadline. ``session`` is an
    ``httpx.AsyncClient`` of yours (not closed by :meth:`aclose`); requests through it count as
    sent once handed to it, and its pool is its own.

    A task cancelled while its send was on the wire cannot know whether the service got it: the
    ``CancelledError`` propagates (asyncio's rule) with a note naming the message id, and the
    :class:`~smsc_soap.SendOutcomeUnknown` is appended to :attr:`unknown_sends`, for
    :meth:`reconcile`.
    """

    def __init__(self, login: Optional[str] = None, psw: Optional[str] = None, *,
                 apikey: Optional[str] = None, host: Optional[str] = None, url: Optional[str] = None,
                 timeout: Timeout = DEFAULT_TIMEOUT, verify: Union[bool, str] = True,
                 retry: Optional[RetryPolicy] = None, session: Optional["httpx.AsyncClient"] = None,
                 limits: Optional["Limits"] = None) -> None:
        settings = self._configure(login, psw, apikey, host, url, timeout, verify, retry)
        #: Limits shared with other processes (e.g. a :class:`~smsc_soap.limits.RedisLimits`), or
        #: None: then the back-off windows live in this client, on its event loop, and its pool
        #: bounds the requests in flight. A shared store's calls block, so they run in the loop's
        #: default executor, never on the loop itself.
        self.limits = limits
        from .limits import account_key

        self._account = account_key(login, apikey or "")
        self._own_session = session is None
        self._http = session if session is not None else build_http_client(settings)
        self._transport = transport = AsyncSoapTransport(self._http, settings, self._secrets)
        self._zeep = zeep.AsyncClient(wsdl_document(self.endpoint), transport=transport,  # type: ignore[no-untyped-call]
                                      settings=ZEEP_SETTINGS)
        self._service = self._zeep.service
        #: Sends whose task was cancelled after their request was written: each may or may not
        #: have reached the service. Reconcile them (:meth:`reconcile`), then remove them.
        self.unknown_sends: List[SendOutcomeUnknown] = []

    async def aclose(self) -> None:
        """Close pooled connections (not those of a ``session`` you passed). As with
        :meth:`smsc_soap.Client.close`, a later call opens new ones."""
        if self._own_session:
            closed, self._http = self._http, build_http_client(self._settings)
            self._transport.client = self._http
            await closed.aclose()

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # --- the operations: the core prepares, _call sends ------------------------------------

    async def send_sms(self, phones: Phones, mes: str, *, id: Union[int, str, None] = None,
                       sender: Optional[str] = None, time: Any = None) -> SendResult:
        fields = calls.send_fields(phones, mes, id, sender, time, {})
        return await self._call(self._prepare("send_sms", fields), SendResult)

    async def send_sms2(self, phones: Optional[Phones], mes: Union[str, "channels.Message", None], *,
                        id: Union[int, str, None] = None, sender: Optional[str] = None, time: Any = None,
                        query: Optional[str] = None, **extended: "Unpack[ExtendedParams]") -> SendResult:
        fields, extended_fields = calls.send2_fields(phones, mes, id, sender, time, extended)
        return await self._call(self._prepare("send_sms2", fields, query, extended_fields), SendResult)

    async def get_sms_cost(self, phones: Phones, mes: str) -> CostResult:
        fields = calls.message_fields(phones, mes, {})
        return await self._call(self._prepare("get_sms_cost", fields), CostResult)

    async def get_sms_cost2(self, phones: Optional[Phones], mes: Union[str, "channels.Message", None], *,
                            query: Optional[str] = None, **extended: "Unpack[ExtendedParams]") -> CostResult:
        fields, extended_fields = calls.cost2_fields(phones, mes, extended)
        return await self._call(self._prepare("get_sms_cost2", fields, query, extended_fields), CostResult)

    async def get_status(self, phone: str, id: Union[int, str], *, all: int = 0) -> StatusResult:
        fields = calls.status_fields(phone, id, all)
        return await self._call(self._prepare("get_status", fields), StatusResult)

    async def get_status2(self, phone: str, id: Union[int, str], *, all: int = 0, query: Optional[str] = None,
                          **extended: "Unpack[ExtendedParams]") -> StatusResult:
        fields = calls.status_fields(phone, id, all)
        return await self._call(self._prepare("get_status2", fields, query, extended), StatusResult)

    async def get_balance(self) -> BalanceResult:
        return await self._call(self._prepare("get_balance", {}), BalanceResult)

    async def reconcile(self, error: SendOutcomeUnknown) -> Reconciliation:
        """Ask the service whether the send behind ``error`` happened, as
        :meth:`smsc_soap.Client.reconcile` does::

            try:
                await client.send_sms(phone, text)
            except smsc_soap.SendOutcomeUnknown as lost:
                if not (await client.reconcile(lost)).found:
                    await client.send_sms(phone, text, id=lost.id)
        """
        return await self.reconcile_send(*reconcile_target(error))

    async def reconcile_send(self, id: Union[int, str], phones: Phones) -> Reconciliation:  # noqa: A002
        """Whether the service has message ``id`` for any of ``phones``, as
        :meth:`smsc_soap.Client.reconcile_send` asks."""
        message_id, numbers = reconcile_pair(id, phones)
        for phone in numbers:
            try:
                status = await self.get_status(phone, message_id)
            except MessageNotFound:
                continue
            return Reconciliation(message_id, True, phone, status)
        return Reconciliation(message_id, False)

    # --- the HTTP pages beside SOAP (smsc_soap.http_api; the async shell: smsc_soap._async.pages) --

    async def operator(self, phones: Phones) -> Tuple["OperatorInfo", ...]:
        """The operator, country, region, mcc, mnc and tz of each of ``phones`` (page 001)."""
        from ._async.pages import lookup
        return await lookup(self._pages, phones)

    @property
    def exports(self) -> "AsyncExports":
        """Deferred export tasks and their files (page 002): ``await get_list()``, ``await
        get_file(task, to=path)``, ``async for row in rows(task)``, ``async with stream(task)``."""
        from ._async.pages import AsyncExports
        return AsyncExports(self._pages)

    @property
    def mailings(self) -> "AsyncMailings":
        """Mass mailings (page 000): ``add``, ``delete``, ``cancel``, ``get``, ``get_all``, awaited."""
        from ._async.pages import AsyncMailings
        return AsyncMailings(self._pages)

    @property
    def _pages(self) -> "AsyncHttpShell":
        shell = self.__dict__.get("_pages_shell")
        if shell is None:
            from ._async.pages import AsyncHttpShell
            shell = self.__dict__.setdefault("_pages_shell", AsyncHttpShell(
                endpoint=self.endpoint, login=self.login, psw=self._psw, apikey=self._apikey,
                http=lambda: self._http, settings=self._settings, backoffs=self._backoffs,
                lost=self._lost_by_cancellation))
        return cast("AsyncHttpShell", shell)

    # --- many messages (smsc_soap.bulk, smsc_soap.track) --------------------------------------

    @overload
    def send_bulk(self, messages: Iterable["MessageLike"], *, journal: None = None,
                  **options: "Unpack[BulkOptions]") -> AsyncIterator["Outcome"]: ...

    @overload
    def send_bulk(self, messages: Iterable["MessageLike"], *, journal: str,
                  **options: "Unpack[BulkOptions]") -> "AsyncJournaledSend": ...

    def send_bulk(self, messages: Iterable["MessageLike"], *, journal: Optional[str] = None,
                  **options: "Unpack[BulkOptions]") -> AsyncIterator["Outcome"]:
        """``async for outcome in client.send_bulk(messages):`` what :meth:`smsc_soap.Client.send_bulk`
        yields, with the same options (``journal=PATH`` included); at most ``concurrency`` requests
        at once (and never more than the client's pool)."""
        if journal is not None:
            from ._async.journal import send_bulk as journaled
            return journaled(self, messages, journal, **options)
        if "source" in options or "on_check" in options:
            raise ValidationError("source= and on_check= go with journal= (they describe its run)", field="journal")
        from ._async.bulk import send_bulk
        return send_bulk(self, messages, **options)  # type: ignore[misc]  # journal-only keys refused above

    def track(self, ids_and_phones: Iterable[Tuple[str, str]], **options: Any) -> AsyncIterator["StatusChange"]:
        """``async for change in client.track(pairs):`` what :meth:`smsc_soap.Client.track` yields,
        with the same options (``sleep`` may be a coroutine function; default ``asyncio.sleep``)."""
        from ._async.bulk import track
        return track(self, ids_and_phones, **options)

    # --- the one call path: I/O here, every decision in smsc_soap._core ----------------------

    async def _call(self, call: _core.Call, expected: Type[T]) -> T:
        if self.limits is not None:
            return await self._call_with_limits(self.limits, call, expected)
        policy = self._settings.retry
        refusal = self._backoffs.refusal(call.operation, call.backoff_scopes, policy.clock())
        if refusal is not None:  # one event loop: no lock needed around the windows
            raise refusal
        answer = await self._exchange(call)
        try:
            result = _core.read_answer(call, answer)
        except ApiError as error:
            note = self._backoffs.open(error, call.backoff_scopes, policy.clock())
            if note is not None:
                log.warning("%s: error %d (%s); %s", error.operation, error.code, error.meaning, note)
            raise
        assert isinstance(result, expected), "spec.OPERATIONS names the result type"
        return result

    async def _call_with_limits(self, limits: "Limits", call: _core.Call, expected: Type[T]) -> T:
        """:meth:`_call` under a shared store of limits, as Client's call path uses it: refused
        during a back-off, inside a slot of the login, and a 4 or 9 opens a window for all."""
        policy, account, loop = self._settings.retry, self._account, asyncio.get_running_loop()
        refusal = await loop.run_in_executor(
            None, limits.refusal, account, call.operation, call.backoff_scopes, policy)
        if refusal is not None:
            raise refusal
        slot = limits.slot(account, self._settings.call_seconds())
        entered = loop.run_in_executor(None, slot.__enter__)
        try:
            await asyncio.shield(entered)
        except asyncio.CancelledError:  # the slot may still be taken: give it back when it is
            entered.add_done_callback(
                lambda done: None if done.cancelled() or done.exception() else slot.__exit__(None, None, None))
            raise
        try:
            answer = await self._exchange(call)
        finally:
            # Not the loop's default executor: its threads may all be waiting for slots there.
            await asyncio.shield(loop.run_in_executor(_releases(), slot.__exit__, None, None, None))
        try:
            result = _core.read_answer(call, answer)
        except ApiError as error:
            note = await loop.run_in_executor(None, limits.opened, account, error, call.backoff_scopes, policy)
            if note is not None:
                log.warning("%s: error %d (%s); %s", error.operation, error.code, error.meaning, note)
            raise
        assert isinstance(result, expected), "spec.OPERATIONS names the result type"
        return result

    async def _exchange(self, call: _core.Call) -> Any:
        """The answer to ``call``: repeated only where the core says it is safe, all under one
        deadline. Errors are raised from this frame, outside any ``except`` block."""
        policy = self._settings.retry
        budget = self._settings.call_seconds()
        deadline = asyncio.get_running_loop().time() + budget
        attempt = 0
        while True:
            attempt += 1
            exchange = Exchange(call)
            token = exchange_context(exchange)
            error: Optional[SmscError] = None
            cancelled: Optional[asyncio.CancelledError] = None
            try:
                async with Deadline(deadline) as timer:
                    try:
                        return await self._invoke(call)
                    except asyncio.CancelledError:
                        raise
                    except Exception as exc:  # noqa: BLE001 - translated below, or re-raised untouched
                        error = self._transport.error_for(exc, call.operation, self.endpoint, exchange)
                        if error is None:
                            raise
            except asyncio.CancelledError as caller_cancelled:  # the caller's, not the deadline's
                cancelled = fresh_cancellation(caller_cancelled)
            finally:
                reset_exchange(token)
            if cancelled is not None:  # raised here: no httpx frame holding the request on its traceback
                if call.is_send and exchange.sent:
                    self._lost_by_cancellation(call, cancelled)
                raise cancelled
            if error is None:  # the deadline cancelled the attempt
                error = TimeoutError(f"{call.operation} at {self.endpoint}: no complete answer within the "
                                     f"call's {budget:g} s")
            await _sleep(policy, _core.delay_or_raise(policy, attempt, error, call, sent=exchange.sent,
                                                      time_left=deadline - asyncio.get_running_loop().time()))

    def _lost_by_cancellation(self, call: Union[_core.Call, "HttpCall"], cancelled: asyncio.CancelledError) -> None:
        """A send cancelled after its request was written: an unknown outcome, recorded and said."""
        lost = call.outcome_unknown(TransportError(f"{call.operation} at {self.endpoint}: the task was "
                                                   "cancelled after the request was sent"))
        self.unknown_sends.append(lost)
        note = (f"smsc_soap: {call.operation} id={lost.id!r} was cancelled after its request was sent: it may "
                "have reached the service; it is in client.unknown_sends, for client.reconcile()")
        add_note(cancelled, note)
        log.warning("%s", note)

    async def _invoke(self, call: _core.Call) -> Any:
        """zeep's async send (``SoapBinding.send_async``) over our transport, without zeep's second
        parse of the answer: the transport checked it strictly and kept the tree."""
        service = self._service
        binding, options = service._binding, service._binding_options
        envelope, headers = binding._create(call.operation, (), call.masked, client=self._zeep, options=options)
        answer = await self._transport.post_xml(options["address"], envelope, headers)  # type: ignore[no-untyped-call]
        return read_reply(binding, call.operation, answer.status_code, answer.smsc_root)


async def _sleep(policy: RetryPolicy, seconds: float) -> None:
    """The policy's back-off sleep without blocking the loop: ``time.sleep`` (the default) becomes
    ``asyncio.sleep``; a replacement (tests' fake clocks) is called, and awaited if it returns an
    awaitable."""
    if policy.sleep is time.sleep:
        await asyncio.sleep(seconds)
        return
    sleep: Any = policy.sleep  # may be a coroutine function, though typed as time.sleep
    result = sleep(seconds)
    if inspect.isawaitable(result):
        await result


# The operations' help is Client's: the same arguments, the same rules (generated parts included).
for _name in ("send_sms", "send_sms2", "get_sms_cost", "get_sms_cost2", "get_status", "get_status2", "get_balance"):
    getattr(AsyncClient, _name).__doc__ = getattr(Client, _name).__doc__
