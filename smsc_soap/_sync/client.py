"""The facade: the seven SOAP operations with typed arguments and typed results.

Every operation becomes a :class:`SoapAttempt` handed to the client's engine
(:mod:`smsc_soap._sync.engine`), the one loop where every request, SOAP and page, is gated by
the limits, sent under the call's deadline (repeated only where that is safe), translated and
raised secret-free; the service's ``error`` code becomes an exception. This module,
:mod:`.transport` and :mod:`.engine` are the sync shell: they do the I/O and ask the sans-IO
core (:mod:`smsc_soap._core`) for every decision, as the async shell does.
"""
from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping, Optional, Tuple, Type, TypeVar, Union, cast, overload

from .. import _core
from .._core import calls
from .._core.calls import new_message_id
from .._core.exceptions import ExceptionRule
from .._codec import codec_at
from .._fork import renew_in_children
from .._soap import codec_request, read_soap_answer, request_of, soap_exceptions
from .._base import OPERATION_DOCS, ClientBase, Phones, Reconciliation, reconcile_target
from .._core import reconcile as _reconcile
from .engine import Engine
from ..errors import ApiError, MessageNotFound, SendOutcomeUnknown, SmscError, TransportError, ValidationError  # noqa: F401 - importable from here before
from .._hookset import hook_set
from ..limits import InMemoryLimits, account_key, bulk_concurrency_of, concurrency_of
from ..results import BalanceResult, CostResult, SendResult, StatusResult
from .transport import (
    HTTP_EXCEPTIONS, DEFAULT_TIMEOUT, Exchange, RetryPolicy, SoapTransport, Timeout, TransportSettings, build_session,
)

if TYPE_CHECKING:  # pragma: no cover
    from ..hooks import Hooks
    import requests
    from typing_extensions import Unpack

    from .. import channels
    from .._core.bulk import MessageLike, Outcome
    from ..bulk_options import BulkOptions
    from ..journal import JournaledSend
    from ..http_api.exports import Exports
    from ..http_api.mailings import Mailings
    from ..http_api.operator import OperatorInfo
    from .pages import HttpShell
    from ..limits import Limits
    from ..query import ExtendedParams
    from ..track import StatusChange

__all__ = ["Client", "Reconciliation", "new_message_id"]

T = TypeVar("T")

log = logging.getLogger("smsc_soap")


class Client(ClientBase):
    """A client of the SMSC SOAP service for one account and one endpoint.

    Authenticate with ``login`` and ``psw``, or with ``apikey``. The endpoint is
    ``https://<host>/sys/soap.php`` (``host`` defaults to smsc.ru), or any ``url``; plain http
    only when an http ``url`` is written out. One client may be shared by many threads.

    ``timeout`` is seconds, or ``(connect, read)``: ``connect`` bounds each connection attempt,
    ``read`` the whole call: every call returns or raises :class:`~smsc_soap.TimeoutError` within
    ``read`` seconds (a little more for thread scheduling), retries and back-off included,
    whatever the server does. ``verify`` checks the server's TLS certificate (default); False
    turns that off and logs a warning, a path names a CA bundle. ``retry`` is a
    :class:`~smsc_soap.RetryPolicy`: what is repeated, and the back-off after errors 4 and 9.
    ``limits`` keeps the login's limits (:mod:`smsc_soap.limits`): in this process by default,
    or a :class:`~smsc_soap.limits.RedisLimits` shared by many processes and machines.
    A ``session`` you pass keeps its own adapters and retries: then the deadline holds for each
    socket read but a trickling server can stretch a call. ``hooks`` (:mod:`smsc_soap.hooks`) are told of
    every call and attempt, e.g. :class:`smsc_soap.otel.OpenTelemetryHooks`.
    """

    def __init__(self, login: Optional[str] = None, psw: Optional[str] = None, *,
                 apikey: Optional[str] = None, host: Optional[str] = None, url: Optional[str] = None,
                 timeout: Timeout = DEFAULT_TIMEOUT, verify: Union[bool, str] = True,
                 retry: Optional[RetryPolicy] = None,
                 session: Optional["requests.Session"] = None, limits: Optional["Limits"] = None,
                 hooks: Optional[Iterable["Hooks"]] = None) -> None:
        settings = self._configure(login, psw, apikey, host, url, timeout, verify, retry)
        #: Where the limits of the login live (:mod:`smsc_soap.limits`): this process (default),
        #: or e.g. a RedisLimits shared by every worker; every request, SOAP and page, keeps them.
        self.limits: "Limits" = InMemoryLimits(policy=settings.retry) if limits is None else limits
        self._account = account_key(login, apikey or "")
        self._session = session if session is not None else build_session(settings, concurrency_of(self.limits))
        self._own_session = session is None
        self._transport = transport = SoapTransport(self._session, settings, self._secrets)
        #: Each operation's writer and reader (:mod:`smsc_soap._codec`), from the table of zeep's
        #: reading of the WSDL: zeep loads only when a call needs it (:mod:`smsc_soap._zeep`).
        self._codec = codec_at(self.endpoint)
        self._address = self.endpoint  # the WSDL's address (tests/test_codec.py holds them equal)
        self._engine = Engine(transport=transport, limits=self.limits, account=self._account, secrets=self._secrets,
                              hooks=hook_set(hooks))
        #: Requests of send_bulk/track in flight at once, for every thread using this client:
        #: within the login's bound of the limits (:func:`smsc_soap.limits.bulk_concurrency_of`).
        self.bulk_slots = threading.BoundedSemaphore(bulk_concurrency_of(self.limits))
        renew_in_children(self)

    def renew_after_fork(self) -> None:
        """In a forked child, send_bulk's slots are all free: the parent's threads that held some
        are not in the child (nor, with its own pools, are the parent's connections: see
        :mod:`smsc_soap._fork`). A session of ours gets a copy of its cookie jar, whose lock
        requests takes on every answer (a session passed in is its owner's to make after the fork)."""
        self.bulk_slots = threading.BoundedSemaphore(bulk_concurrency_of(self.limits))
        if self._own_session:
            self._session.cookies = self._session.cookies.copy()  # iterating the old jar takes no lock

    def close(self) -> None:
        """Close pooled connections."""
        self._session.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- send -------------------------------------------------------------------------------

    def send_sms(self, phones: Phones, mes: str, *, id: Union[int, str, None] = None,
                 sender: Optional[str] = None, time: Any = None) -> SendResult:
        fields = calls.send_fields(phones, mes, id, sender, time, {})
        return self._call(self._prepare("send_sms", fields), SendResult)

    def send_sms2(self, phones: Optional[Phones], mes: Union[str, "channels.Message", None], *,
                  id: Union[int, str, None] = None, sender: Optional[str] = None, time: Any = None,
                  query: Optional[str] = None, **extended: "Unpack[ExtendedParams]") -> SendResult:
        fields, extended_fields = calls.send2_fields(phones, mes, id, sender, time, extended)
        return self._call(self._prepare("send_sms2", fields, query, extended_fields), SendResult)

    # --- cost -------------------------------------------------------------------------------

    def get_sms_cost(self, phones: Phones, mes: str) -> CostResult:
        fields = calls.message_fields(phones, mes, {})
        return self._call(self._prepare("get_sms_cost", fields), CostResult)

    def get_sms_cost2(self, phones: Optional[Phones], mes: Union[str, "channels.Message", None], *,
                      query: Optional[str] = None, **extended: "Unpack[ExtendedParams]") -> CostResult:
        fields, extended_fields = calls.cost2_fields(phones, mes, extended)
        return self._call(self._prepare("get_sms_cost2", fields, query, extended_fields), CostResult)

    # --- status -----------------------------------------------------------------------------

    def get_status(self, phone: str, id: Union[int, str], *, all: int = 0) -> StatusResult:
        fields = calls.status_fields(phone, id, all)
        return self._call(self._prepare("get_status", fields), StatusResult)

    def get_status2(self, phone: str, id: Union[int, str], *, all: int = 0, query: Optional[str] = None,
                    **extended: "Unpack[ExtendedParams]") -> StatusResult:
        fields = calls.status_fields(phone, id, all)
        return self._call(self._prepare("get_status2", fields, query, extended), StatusResult)

    # --- balance ----------------------------------------------------------------------------

    def get_balance(self) -> BalanceResult:
        return self._call(self._prepare("get_balance", {}), BalanceResult)

    # --- the HTTP pages beside SOAP (smsc_soap.http_api) --------------------------------------

    def operator(self, phones: Phones) -> Tuple["OperatorInfo", ...]:
        """The operator, country, region, mcc, mnc and tz of each of ``phones`` (page 001)."""
        from ..http_api.operator import lookup
        return lookup(self._http, phones)

    @property
    def exports(self) -> "Exports":
        """Deferred export tasks and their files (page 002): ``get_list``, ``get_file``, ``rows``."""
        from ..http_api.exports import Exports
        return Exports(self._http)

    @property
    def mailings(self) -> "Mailings":
        """Mass mailings (page 000): ``add``, ``delete``, ``cancel``, ``get``, ``get_all``."""
        from ..http_api.mailings import Mailings
        return Mailings(self._http)

    @property
    def _http(self) -> "HttpShell":
        shell = self.__dict__.get("_http_shell")
        if shell is None:
            from .pages import HttpShell
            shell = self.__dict__.setdefault("_http_shell", HttpShell(
                endpoint=self.endpoint, login=self.login, psw=self._psw, apikey=self._apikey, engine=self._engine))
        return cast("HttpShell", shell)

    # --- many messages (smsc_soap.bulk) ---------------------------------------------------------

    @overload
    def send_bulk(self, messages: Iterable["MessageLike"], *, journal: None = None,
                  **options: "Unpack[BulkOptions]") -> Iterator["Outcome"]: ...

    @overload
    def send_bulk(self, messages: Iterable["MessageLike"], *, journal: str,
                  **options: "Unpack[BulkOptions]") -> "JournaledSend": ...

    def send_bulk(self, messages: Iterable["MessageLike"], *, journal: Optional[str] = None,
                  **options: "Unpack[BulkOptions]") -> Iterator["Outcome"]:
        """Send many messages (:class:`~smsc_soap.bulk.Message` or tuples ``(phones, text[, sender,
        time, id])``, any iterable, read lazily) as ``list`` requests, several at once; yield one
        :class:`~smsc_soap.bulk.Sent`, :class:`~smsc_soap.bulk.Failed` or
        :class:`~smsc_soap.bulk.Unknown` per message, in input order (``ordered=False``: as they
        finish). A request whose outcome is unknown is never resent.

        Options: ``concurrency`` (requests at once, default ``spec.BULK_CONCURRENT_REQUESTS``;
        the client never has more than that in flight in all), ``lines_per_request``,
        ``bytes_per_request``, ``progress`` (called with a :class:`~smsc_soap.bulk.Progress`
        after each request), ``before_send`` (called with each :class:`~smsc_soap.bulk.Chunk`
        before it is sent: e.g. to record its id).

        ``journal=PATH`` keeps a journal (:mod:`smsc_soap.journal`) so that the same call can be
        made again after a crash without sending a message twice: locked for the whole run,
        bound to these messages (``source`` names them), and resumed by looking up what may have
        been sent (``on_check(done, total)`` shows that). Errors of the journal raise at once
        (:class:`~smsc_soap.journal.JournalError`), before anything is sent.
        """
        if journal is not None:
            from ..journal import send_bulk as journaled
            return journaled(self, messages, journal, **options)
        if "source" in options or "on_check" in options:
            raise ValidationError("source= and on_check= go with journal= (they describe its run)", field="journal")
        from .bulk import send_bulk
        return send_bulk(self, messages, **options)  # type: ignore[misc]  # journal-only keys refused above

    def track(self, ids_and_phones: Iterable[Tuple[str, str]], **options: Any) -> Iterator["StatusChange"]:
        """Poll the status of each ``(id, phone)`` until it is final or ``timeout`` seconds pass,
        within the service's limit (at most five status requests per message a minute, spread
        out); yield a :class:`~smsc_soap.track.StatusChange` whenever a status changes (the
        first one read included). See :func:`smsc_soap.track.track` for the options.
        """
        from ..track import track
        return track(self, ids_and_phones, **options)

    # --- after a lost answer ----------------------------------------------------------------

    def reconcile(self, error: SendOutcomeUnknown) -> Reconciliation:
        """Ask the service whether the send behind ``error`` happened (with get_status).

        One status request per number, in order, until one is found; so mind the service's limit
        of five status requests per message a minute (a 9 raises :class:`~smsc_soap.RateLimited`
        with ``retry_after``). Ask once the original call's timeout has passed. ``found=False``
        means it is safe to send again, with the same ``id``::

            try:
                client.send_sms(phone, text)
            except smsc_soap.SendOutcomeUnknown as lost:
                if not client.reconcile(lost).found:
                    client.send_sms(phone, text, id=lost.id)
        """
        return self.reconcile_send(*reconcile_target(error))

    def reconcile_send(self, id: Union[int, str], phones: Phones) -> Reconciliation:  # noqa: A002
        """Whether the service has message ``id`` for any of ``phones`` (what a send carried):
        one get_status per number, in order, until one is found. ``found=False``: it has none
        of them, so that send never arrived. For any (id, phones) pair, e.g. one a bulk journal
        or your own database kept: what :meth:`reconcile` does for a ``SendOutcomeUnknown``."""
        return _reconcile.lookup(self.get_status, id, phones)

    def send_list(self, encoded_list: str, *, id: str, sender: Optional[str], time: Optional[str],  # noqa: A002
                  extended: Mapping[str, Any]) -> SendResult:
        """One ``list`` request of a bulk send (:class:`smsc_soap._protocols.BulkSender`):
        send_sms2 with ``list`` already written, ``err=1`` and ``cost=2``."""
        return self.write_list(encoded_list, id=id, sender=sender, time=time, extended=extended)()

    def write_list(self, encoded_list: str, *, id: str, sender: Optional[str], time: Optional[str],  # noqa: A002
                   extended: Mapping[str, Any]) -> Callable[[], SendResult]:
        """:meth:`send_list`'s request, checked and written now (no I/O); calling what comes back
        sends it. A bulk send's thread writing the chunks writes their requests too, so that a
        worker whose answer came has only to send its next request."""
        attempt = SoapAttempt(self, self._list_call(encoded_list, id, sender, time, extended)).written()
        return lambda: self._run(attempt, SendResult)

    # --- the one call path: the engine (smsc_soap._sync.engine) --------------------------------

    def _call(self, call: _core.Call, expected: Type[T]) -> T:
        return self._run(SoapAttempt(self, call), expected)

    def _run(self, attempt: "SoapAttempt", expected: Type[T]) -> T:
        result = self._engine.run(attempt)
        assert isinstance(result, expected), "spec.OPERATIONS names the result type"
        return result


class SoapAttempt:
    """One SOAP request for the engine: the codec's envelope (or zeep's) sent by the transport,
    the answer's tree read by the codec (or zeep) and the core. The fields written hold
    placeholders; the transport puts the secrets in as it hands the bytes on."""

    @property
    def rules(self) -> Tuple[ExceptionRule, ...]:
        """This shell's rows, then the SOAP layer's (zeep's among them once it is loaded)."""
        return HTTP_EXCEPTIONS + soap_exceptions()

    def __init__(self, client: Client, call: _core.Call) -> None:
        self._client = client
        self.call = self.soap = call
        self.where = client.endpoint
        self._written: Optional[Tuple[bytes, Mapping[str, str]]] = None

    def written(self) -> "SoapAttempt":
        """This attempt, its request written now rather than when it is sent, where the codec
        writes it; what zeep writes, and a text the codec refuses, are left to :meth:`send`, inside
        the engine, which translates their errors as for any call."""
        try:
            self._written = codec_request(self._client._codec, self.call)
        except ValueError:  # lxml: a character XML cannot carry; raised again, and translated, by send
            pass
        return self

    def send(self, exchange: Exchange) -> Tuple[int, Any]:
        """The request posted; the answer parsed once: the transport checked it strictly and kept
        the tree (the status and the tree come back, not requests' response, which holds the
        request)."""
        client = self._client
        message, headers = self._written or request_of(client._codec, client.endpoint, self.call)
        response = client._transport.post(client._address, message, headers)
        return response.status_code, response.smsc_root  # type: ignore[attr-defined]

    def read(self, answer: Tuple[int, Any]) -> Any:
        """The codec's or zeep's reading of the tree (a Fault becomes :class:`~smsc_soap.SoapFault`),
        then the core's."""
        return read_soap_answer(self._client._codec, self._client.endpoint, self.call, answer, self._client._secrets)


# The operations' help, kept once for both clients (smsc_soap._base.OPERATION_DOCS).
for _name, _doc in OPERATION_DOCS.items():
    getattr(Client, _name).__doc__ = _doc
