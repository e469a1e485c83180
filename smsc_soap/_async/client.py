"""The facade for asyncio applications: :class:`AsyncClient`, the same operations as
:class:`~smsc_soap.Client` as coroutines, over httpx.

It is a thin shell: the arguments are the core's to check (:mod:`smsc_soap._core.calls`), every
request is an attempt handed to the client's engine (:mod:`smsc_soap._async.engine`: limits,
deadline, retries, translation, the secret-free raise), the I/O is
:mod:`smsc_soap._async.transport`'s. What asyncio adds: a call's deadline cancels its task, and a
send cancelled by the caller after its request was written is recorded in
:attr:`AsyncClient.unknown_sends` (and noted on the ``CancelledError``), never silent.
"""
from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, AsyncIterator, Iterable, List, Mapping, Optional, Tuple, Type, TypeVar, Union, cast, overload

from .. import _core
from .engine import Engine
from .transport import HTTP_EXCEPTIONS, AsyncSoapTransport, Exchange, build_http_client
from .._base import OPERATION_DOCS, ClientBase, Phones, Reconciliation, reconcile_target
from .._core import reconcile as _reconcile
from .._compat import add_note
from .._core import calls
from .._core.exceptions import ExceptionRule
from .._core.retry import RetryPolicy
from .._core.settings import DEFAULT_TIMEOUT, Timeout
from .._codec import codec_at
from .._soap import read_soap_answer, request_of, soap_exceptions
from ..errors import SendOutcomeUnknown, SmscError, TransportError, ValidationError
from .._hookset import hook_set
from ..limits import InMemoryLimits, account_key, concurrency_of
from ..results import BalanceResult, CostResult, SendResult, StatusResult

from .transport import POOL_SIZE

if TYPE_CHECKING:  # pragma: no cover
    from ..hooks import Hooks
    import httpx

    from ..limits import Limits
    from typing_extensions import Unpack

    from .. import channels
    from .pages import AsyncExports, AsyncHttpShell, AsyncMailings
    from ..http_api.calls import HttpCall
    from ..http_api.operator import OperatorInfo
    from .._core.bulk import MessageLike, Outcome
    from ..bulk_options import BulkOptions
    from .journal import AsyncJournaledSend
    from ..query import ExtendedParams
    from ..track import StatusChange

__all__ = ["AsyncClient"]

T = TypeVar("T")

log = logging.getLogger("smsc_soap")


class AsyncClient(ClientBase):
    """A client of the SMSC SOAP service for asyncio: the constructor and the operations of
    :class:`~smsc_soap.Client`, each a coroutine (``await client.send_sms(...)``), with the same
    results and exceptions. Use it from one event loop; share it between that loop's tasks, and
    close it with ``await client.aclose()`` or ``async with``.

    ``timeout``'s ``read`` bounds each whole call, retries and back-off included: the call's task
    is cancelled at its deadline and :class:`~smsc_soap.TimeoutError` raised. At most ``limits``'
    ``concurrency`` requests are in flight at once (by default
    :data:`smsc_soap._async.transport.POOL_SIZE`), whatever the number of tasks: the others wait
    for a connection, within their own deadline. ``session`` is an
    ``httpx.AsyncClient`` of yours (not closed by :meth:`aclose`); requests through it count as
    sent once handed to it, and its pool is its own.

    A task cancelled while its send was on the wire cannot know whether the service got it: the
    ``CancelledError`` propagates (asyncio's rule) with a note naming the message id, and the
    :class:`~smsc_soap.SendOutcomeUnknown` is appended to :attr:`unknown_sends`, for
    :meth:`reconcile`. ``hooks`` (:mod:`smsc_soap.hooks`) are told of every call and attempt, as
    :class:`~smsc_soap.Client`'s are.
    """

    def __init__(self, login: Optional[str] = None, psw: Optional[str] = None, *,
                 apikey: Optional[str] = None, host: Optional[str] = None, url: Optional[str] = None,
                 timeout: Timeout = DEFAULT_TIMEOUT, verify: Union[bool, str] = True,
                 retry: Optional[RetryPolicy] = None, session: Optional["httpx.AsyncClient"] = None,
                 limits: Optional["Limits"] = None, hooks: Optional[Iterable["Hooks"]] = None) -> None:
        settings = self._configure(login, psw, apikey, host, url, timeout, verify, retry)
        #: Where the limits of the login live (:mod:`smsc_soap.limits`): this client's own by
        #: default (their ``concurrency`` is the size of its pool, which bounds what is in
        #: flight), or a store shared with other clients and processes (e.g. a
        #: :class:`~smsc_soap.limits.RedisLimits`), asked from a helper thread, never on the loop.
        #: Every request, SOAP and page, keeps them.
        self.limits: "Limits" = (InMemoryLimits(concurrency=POOL_SIZE, policy=settings.retry) if limits is None
                                 else limits)
        self._account = account_key(login, apikey or "")
        self._own_session = session is None
        self._pool_size = concurrency_of(self.limits)
        self._transport = transport = AsyncSoapTransport(
            session if session is not None else self._new_pool(), settings, self._secrets,
            renew=self._new_pool if session is None else None)
        #: Each operation's writer and reader (:mod:`smsc_soap._codec`), from the table of zeep's
        #: reading of the WSDL: zeep loads only when a call needs it (:mod:`smsc_soap._zeep`).
        self._codec = codec_at(self.endpoint)
        self._address = self.endpoint  # the WSDL's address (tests/test_codec.py holds them equal)
        self._engine = Engine(transport=transport, limits=self.limits, account=self._account, secrets=self._secrets,
                              lost=self._lost_by_cancellation, own_limits=limits is None,
                              hooks=hook_set(hooks))
        #: Sends whose task was cancelled after their request was written: each may or may not
        #: have reached the service. Reconcile them (:meth:`reconcile`), then remove them.
        self.unknown_sends: List[SendOutcomeUnknown] = []

    async def aclose(self) -> None:
        """Close pooled connections (not those of a ``session`` you passed). As with
        :meth:`smsc_soap.Client.close`, a later call opens new ones."""
        if self._own_session:
            await self._transport.replace_pool()

    def _new_pool(self) -> "httpx.AsyncClient":
        return build_http_client(self._settings, self._pool_size)

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
        return await _reconcile.lookup_async(self.get_status, id, phones)

    async def send_list(self, encoded_list: str, *, id: str, sender: Optional[str], time: Optional[str],  # noqa: A002
                        extended: Mapping[str, Any]) -> SendResult:
        """One ``list`` request of a bulk send (:class:`smsc_soap._protocols.AsyncBulkSender`):
        send_sms2 with ``list`` already written, ``err=1`` and ``cost=2``."""
        return await self._call(self._list_call(encoded_list, id, sender, time, extended), SendResult)

    # --- the HTTP pages beside SOAP (smsc_soap.http_api; the async shell: smsc_soap._async.pages) --

    async def operator(self, phones: Phones) -> Tuple["OperatorInfo", ...]:
        """The operator, country, region, mcc, mnc and tz of each of ``phones`` (page 001)."""
        from .pages import lookup
        return await lookup(self._pages, phones)

    @property
    def exports(self) -> "AsyncExports":
        """Deferred export tasks and their files (page 002): ``await get_list()``, ``await
        get_file(task, to=path)``, ``async for row in rows(task)``, ``async with stream(task)``."""
        from .pages import AsyncExports
        return AsyncExports(self._pages)

    @property
    def mailings(self) -> "AsyncMailings":
        """Mass mailings (page 000): ``add``, ``delete``, ``cancel``, ``get``, ``get_all``, awaited."""
        from .pages import AsyncMailings
        return AsyncMailings(self._pages)

    @property
    def _pages(self) -> "AsyncHttpShell":
        shell = self.__dict__.get("_pages_shell")
        if shell is None:
            from .pages import AsyncHttpShell
            shell = self.__dict__.setdefault("_pages_shell", AsyncHttpShell(
                endpoint=self.endpoint, login=self.login, psw=self._psw, apikey=self._apikey, engine=self._engine))
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
            from .journal import send_bulk as journaled
            return journaled(self, messages, journal, **options)
        if "source" in options or "on_check" in options:
            raise ValidationError("source= and on_check= go with journal= (they describe its run)", field="journal")
        from .bulk import send_bulk
        return send_bulk(self, messages, **options)  # type: ignore[misc]  # journal-only keys refused above

    def track(self, ids_and_phones: Iterable[Tuple[str, str]], **options: Any) -> AsyncIterator["StatusChange"]:
        """``async for change in client.track(pairs):`` what :meth:`smsc_soap.Client.track` yields,
        with the same options (``sleep`` may be a coroutine function; default ``asyncio.sleep``)."""
        from .bulk import track
        return track(self, ids_and_phones, **options)

    # --- the one call path: the engine (smsc_soap._async.engine) -------------------------------

    async def _call(self, call: _core.Call, expected: Type[T]) -> T:
        result = await self._engine.run(AsyncSoapAttempt(self, call))
        assert isinstance(result, expected), "spec.OPERATIONS names the result type"
        return result

    def _lost_by_cancellation(self, call: Union[_core.Call, "HttpCall"], cancelled: asyncio.CancelledError) -> None:
        """A send cancelled after its request was written: an unknown outcome, recorded and said."""
        lost = call.outcome_unknown(TransportError(f"{call.operation} at {self.endpoint}: the task was "
                                                   "cancelled after the request was sent"))
        self.unknown_sends.append(lost)
        note = (f"smsc_soap: {call.operation} id={lost.id!r} was cancelled after its request was sent: it may "
                "have reached the service; it is in client.unknown_sends, for client.reconcile()")
        add_note(cancelled, note)
        log.warning("%s", note)



class AsyncSoapAttempt:
    """One SOAP request for the engine: the codec's envelope (or zeep's) sent by the async
    transport, the answer's tree read by the codec (or zeep) and the core (as
    :class:`smsc_soap._sync.client.SoapAttempt`). What the codec leaves to zeep loads zeep and
    parses the WSDL the first time, once per process and endpoint, blocking the loop about 0.1 s:
    a Fault, an answer of an unusual shape (rare)."""

    @property
    def rules(self) -> Tuple[ExceptionRule, ...]:
        """This shell's rows, then the SOAP layer's (zeep's among them once it is loaded)."""
        return HTTP_EXCEPTIONS + soap_exceptions()

    def __init__(self, client: AsyncClient, call: _core.Call) -> None:
        self._client = client
        self.call = self.soap = call
        self.where = client.endpoint

    async def send(self, exchange: Exchange) -> Tuple[int, Any]:
        """The request posted; the answer parsed once: the transport checked it strictly and kept
        the tree."""
        client = self._client
        message, headers = request_of(client._codec, client.endpoint, self.call)
        answer = await client._transport.post(client._address, message, headers)
        return answer.status_code, answer.smsc_root

    def read(self, answer: Tuple[int, Any]) -> Any:
        return read_soap_answer(self._client._codec, self._client.endpoint, self.call, answer, self._client._secrets)


# The operations' help is Client's: the same arguments, the same rules (generated parts included).
for _name, _doc in OPERATION_DOCS.items():
    getattr(AsyncClient, _name).__doc__ = _doc
