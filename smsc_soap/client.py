"""The facade: the seven SOAP operations with typed arguments and typed results.

Every operation goes through :meth:`Client._call`, the one call path where the request is
sent (under the call's deadline, repeated only where that is safe), lower-layer errors are
translated, and the service's ``error`` code becomes an exception.
"""
from __future__ import annotations

import hashlib
import logging
import re
import secrets
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, List, Mapping, Optional, Tuple, TypeVar, Union
from urllib.parse import parse_qs

import zeep

from . import params
from ._wsdl import endpoint_url, wsdl_document
from .errors import (
    ApiError, IpBlocked, MessageNotFound, ProtocolError, RateLimited, SendOutcomeUnknown, TransportError,
    UnsupportedOperation, ValidationError, api_error,
)
from .query import build_query, recipient_options
from .redact import Secret
from .results import BalanceResult, CostResult, SendResult, StatusResult
from .transport import (
    DEFAULT_TIMEOUT, RetryPolicy, SoapTransport, Timeout, TransportSettings, build_session, map_exceptions,
)

if TYPE_CHECKING:  # pragma: no cover
    import requests
    from typing_extensions import Unpack

    from .query import ExtendedParams

T = TypeVar("T")
Phones = Union[str, Iterable[str]]
Raw = Dict[str, str]
PhoneErrors = Tuple[Tuple[str, str], ...]

_ZEEP_SETTINGS = zeep.Settings(strict=False, forbid_dtd=True, forbid_entities=True,
                               forbid_external=True, xml_huge_tree=False)

log = logging.getLogger("smsc_soap")

#: What each operation is, for the retry rules: only sends cost money and reach a phone.
_KINDS = {"send_sms": "send", "send_sms2": "send", "get_sms_cost": "cost", "get_sms_cost2": "cost",
          "get_status": "status", "get_status2": "status", "get_balance": "balance"}
_PHONE_SEPARATORS = re.compile(r"[,;]")


def new_message_id() -> str:
    """A message id for a send whose caller gave none: 'c' and 20 random hex digits.

    The page allows up to 40 of ``[A-Za-z0-9._-]``; the letter keeps it from being read as a
    number (numeric ids must be at most 2147483647).
    """
    return "c" + secrets.token_hex(10)


@dataclass(frozen=True)
class Reconciliation:
    """What :meth:`Client.reconcile` learnt about a send whose outcome was unknown.

    ``found`` is True when the service has the message (it was accepted: do not send it again);
    then ``phone`` is the number asked about and ``status`` its delivery status. False means the
    service has no message with this id for any of the numbers: it was not sent.
    """

    id: str
    found: bool
    phone: Optional[str] = None
    status: Optional[StatusResult] = None


class Client:
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
    A ``session`` you pass keeps its own adapters and retries: then the deadline holds for each
    socket read but a trickling server can stretch a call.
    """

    def __init__(self, login: Optional[str] = None, psw: Optional[str] = None, *,
                 apikey: Optional[str] = None, host: Optional[str] = None, url: Optional[str] = None,
                 timeout: Timeout = DEFAULT_TIMEOUT, verify: Union[bool, str] = True,
                 retry: Optional[RetryPolicy] = None,
                 session: Optional["requests.Session"] = None) -> None:
        if apikey is not None and (login is not None or psw is not None):
            raise ValidationError("give login and psw, or apikey, not both", field="apikey")
        if apikey is None and not (login and psw):
            raise ValidationError("login and psw are both required (or give apikey instead)", field="login")
        if apikey is not None:
            build_query(apikey=apikey)  # its shape is checked here, once, not at the first call
        self.login = login
        self._psw = Secret(psw or "")
        self._apikey = Secret(apikey or "")
        self._secrets = (self._psw, self._apikey)
        self.endpoint = endpoint_url(host, url)
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise ValidationError(f"retry must be a RetryPolicy, got {type(retry).__name__}", field="retry")
        self._settings = settings = TransportSettings(timeout=timeout, verify=verify, retry=retry or RetryPolicy())
        self.retry = settings.retry
        self._session = session if session is not None else build_session(settings)
        self._transport = transport = SoapTransport(self._session, settings, self._secrets)
        self._service = zeep.Client(wsdl_document(self.endpoint), transport=transport,
                                    settings=_ZEEP_SETTINGS).service
        self._backoffs = _BackOffs(settings.retry)

    def __repr__(self) -> str:
        auth = "apikey" if self._apikey else f"login={self.login!r}"
        return f"<smsc_soap.Client {auth} endpoint={self.endpoint!r}>"

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
        """Send ``mes`` to ``phones`` (a string or an iterable of numbers).

        Without ``id`` the client gives the message one (:func:`new_message_id`), so that a send
        whose answer was lost can be looked up: a send is never repeated once it may have reached
        the service; :class:`~smsc_soap.SendOutcomeUnknown` is raised instead, for
        :meth:`reconcile`.
        """
        if self._apikey:  # send has no query to carry the key: its twin has
            return self.send_sms2(phones, mes, id=id, sender=sender, time=time)
        return self._call("send_sms", self._send_fields(phones, mes, id, sender, time, {}),
                          SendResult.from_raw)

    def send_sms2(self, phones: Optional[Phones], mes: Optional[str], *, id: Union[int, str, None] = None,
                  sender: Optional[str] = None, time: Any = None, query: Optional[str] = None,
                  **extended: "Unpack[ExtendedParams]") -> SendResult:
        """Send with extended parameters (``cost=3``, ``err=1``, ``valid=12``, ``list=...``, ...).

        ``phones`` and ``mes`` may be None only when ``list`` carries the recipients and texts.
        """
        fields = self._send_fields(phones, mes, id, sender, time, extended)
        fields["query"] = self._query(query, extended)
        return self._call("send_sms2", fields, SendResult.from_raw)

    # --- cost -------------------------------------------------------------------------------

    def get_sms_cost(self, phones: Phones, mes: str) -> CostResult:
        """What sending ``mes`` to ``phones`` would cost; nothing is sent."""
        if self._apikey:
            return self.get_sms_cost2(phones, mes)
        return self._call("get_sms_cost", self._message_fields(phones, mes, {}), CostResult.from_raw)

    def get_sms_cost2(self, phones: Optional[Phones], mes: Optional[str], *, query: Optional[str] = None,
                      **extended: "Unpack[ExtendedParams]") -> CostResult:
        """The cost with extended parameters (channel, ``translit``, ``maxsms``, ...)."""
        fields = self._message_fields(phones, mes, extended)
        fields["query"] = self._query(query, extended)
        return self._call("get_sms_cost2", fields, CostResult.from_raw)

    # --- status -----------------------------------------------------------------------------

    def get_status(self, phone: str, id: Union[int, str], *, all: int = 0) -> StatusResult:
        """The delivery status of message ``id`` to ``phone``; ``all=1``/``2`` adds details."""
        if self._apikey:
            return self.get_status2(phone, id, all=all)
        return self._call("get_status", self._status_fields(phone, id, all), StatusResult.from_raw)

    def get_status2(self, phone: str, id: Union[int, str], *, all: int = 0, query: Optional[str] = None,
                    **extended: "Unpack[ExtendedParams]") -> StatusResult:
        """The delivery status with extended parameters."""
        fields = self._status_fields(phone, id, all)
        fields["query"] = self._query(query, extended)
        return self._call("get_status2", fields, StatusResult.from_raw)

    # --- balance ----------------------------------------------------------------------------

    def get_balance(self) -> BalanceResult:
        """The account's balance."""
        if self._apikey:
            raise UnsupportedOperation(
                "get_balance has only login and psw fields and no query to carry an API key: "
                "create a Client(login=..., psw=...) to read the balance, or read it from "
                "send_sms2(..., cost=3), which returns the new balance after a send", field="apikey")
        return self._call("get_balance", {}, BalanceResult.from_raw)

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
        if not isinstance(error, SendOutcomeUnknown):
            raise TypeError(f"reconcile takes a SendOutcomeUnknown, got {type(error).__name__}")
        if not error.id or not error.phones:
            raise ValidationError("the send carried no id or no phone number to look up", field="id")
        for phone in error.phones:
            try:
                status = self.get_status(phone, error.id)
            except MessageNotFound:
                continue
            return Reconciliation(error.id, True, phone, status)
        return Reconciliation(error.id, False)

    # --- the one call path ------------------------------------------------------------------

    def _call(self, operation: str, fields: Mapping[str, Optional[str]],
              build: Callable[..., T]) -> T:
        request = {"login": self.login or "", "psw": self._psw.reveal()}
        request.update((name, value) for name, value in fields.items() if value is not None)
        scopes = _backoff_scopes(operation, request)
        self._backoffs.check(operation, scopes)
        answer = self._exchange(operation, request)
        try:
            raw, phone_errors = _flatten(answer)
            code = raw.get("error", "").strip() or "0"
            if not code.lstrip("-").isdigit():
                raise ProtocolError(f"{operation}: the answer's error field is not a number: {code!r}")
            if int(code):
                error = api_error(operation, int(code))
                self._backoffs.start(error, scopes)
                raise error
            try:
                return build(raw, phone_errors) if phone_errors else build(raw)
            except ValueError as exc:
                raise ProtocolError(f"{operation}: unexpected answer: {exc}") from None
        except ProtocolError as error:  # an answer we cannot read says nothing sure about a send
            if _KINDS[operation] == "send":
                raise _outcome_unknown(operation, request, error) from error
            raise

    def _exchange(self, operation: str, request: Mapping[str, str]) -> Any:
        """The answer to ``request``: repeated only where safe, all within the call's timeout."""
        policy = self._settings.retry
        is_send = _KINDS[operation] == "send"
        deadline = time.monotonic() + self._settings.call_seconds()
        attempt = 0
        while True:
            attempt += 1
            with self._transport.exchange(deadline) as exchange:
                try:
                    with map_exceptions(operation, self.endpoint, self._secrets, exchange):
                        return self._service[operation](**request)
                except TransportError as error:
                    if is_send:
                        if exchange.sent:  # it may have arrived: never send it twice
                            raise _outcome_unknown(operation, request, error) from error
                        raise  # it provably never left (urllib3 already retried the connection)
                    delay = policy.delay(attempt)
                    if (attempt >= policy.attempts or not policy.retryable(error)
                            or time.monotonic() + delay >= deadline):
                        raise
                    log.info("%s failed (%s: %s); retry %d of %d in %.2f s", operation,
                             type(error).__name__, error, attempt, policy.attempts - 1, delay)
            policy.sleep(delay)

    # --- fields -----------------------------------------------------------------------------

    def _query(self, raw: Optional[str], extended: Mapping[str, Any]) -> str:
        if "apikey" in extended:
            raise ValidationError("give the API key to Client(apikey=...), not to a call", field="apikey")
        if self._apikey:
            extended = {"apikey": self._apikey.reveal(), **extended}
        return build_query(raw, **extended)

    @staticmethod
    def _message_fields(phones: Optional[Phones], mes: Optional[str],
                        extended: Mapping[str, Any]) -> Dict[str, Optional[str]]:
        if extended.get("list") is not None and phones is None and mes is None:
            return {"phones": "", "mes": ""}
        if phones is None or mes is None:
            raise ValidationError("phones and mes are required unless list= gives them", field="phones")
        return {
            "phones": params.phones_field(phones, **recipient_options(extended)),
            "mes": params.mes_field(mes),
        }

    def _send_fields(self, phones: Optional[Phones], mes: Optional[str], id: Union[int, str, None],
                     sender: Optional[str], time: Any, extended: Mapping[str, Any]) -> Dict[str, Optional[str]]:
        fields = self._message_fields(phones, mes, extended)
        message_id = params.id_field(id)
        fields.update(id=message_id if message_id is not None else new_message_id(),
                      sender=params.sender_field(sender), time=params.time_field(time))
        return fields

    @staticmethod
    def _status_fields(phone: str, id: Union[int, str], all: int) -> Dict[str, Optional[str]]:
        message_id = params.id_field(id)
        if message_id is None:
            raise ValidationError("id is required to ask for a status", field="id")
        return {"phone": params.phone_field(phone), "id": message_id, "all": params.all_field(all)}


def _flatten(answer: Any) -> Tuple[Raw, PhoneErrors]:
    """The result element as ``{field: text}`` plus send_sms2's ``errors`` as pairs."""
    if answer is None:
        raise ProtocolError("the answer carries no result element")
    raw: Raw = {}
    phone_errors: List[Tuple[str, str]] = []
    for name in answer:
        value = answer[name]
        if name == "errors":
            phone_errors.extend((str(item["phone"] or ""), str(item["status"] or "")) for item in value or ())
        elif value is not None:
            raw[name] = str(value)
    return raw, tuple(phone_errors)


def _outcome_unknown(operation: str, request: Mapping[str, str], error: TransportError) -> SendOutcomeUnknown:
    return SendOutcomeUnknown.for_cause(operation, request.get("id"), _recipients(request), error)


def _recipients(request: Mapping[str, str]) -> Tuple[str, ...]:
    """The numbers a send request is for: its ``phones``, or those of the lines of ``list``."""
    text = request.get("phones") or ""
    if not text and request.get("query"):
        lines = parse_qs(request["query"], keep_blank_values=True).get("list", [""])[-1].splitlines()
        heads = []
        for line in lines:
            head, bar, rest = line.partition("|")
            if bar and ":" not in head:  # "sender,tz|phones:mes"
                line = rest
            heads.append(line.partition(":")[0])
        text = ",".join(heads)
    return tuple(phone for phone in (p.strip() for p in _PHONE_SEPARATORS.split(text)) if phone)


# --- back-off after errors 4 and 9 ---------------------------------------------------------------

Scope = Tuple[str, ...]


def _backoff_scopes(operation: str, request: Mapping[str, str]) -> Tuple[Scope, Scope]:
    """The scope error 4 blocks (everything) and the one error 9 of ``operation`` limits.

    9 of send: the identical request; of status: the same message (phone, id); of balance:
    every balance call; of cost (no table of its own): the identical request.
    """
    kind = _KINDS[operation]
    if kind == "status":
        key = f"{request.get('phone')}\n{request.get('id')}"
    elif kind == "balance":
        key = ""
    else:  # the same request: everything but the password, hashed so no text is kept
        identity = "\n".join(f"{name}={value}" for name, value in sorted(request.items()) if name != "psw")
        key = hashlib.sha256(identity.encode("utf-8")).hexdigest()
    return ("ip",), ("rate", kind, key)


class _BackOffs:
    """Windows during which the client refuses calls itself, after the service said 4 or 9."""

    def __init__(self, policy: RetryPolicy) -> None:
        self._policy = policy
        self._lock = threading.Lock()
        self._until: Dict[Scope, float] = {}

    def check(self, operation: str, scopes: Iterable[Scope]) -> None:
        """Raise, without sending, if a back-off covers this call."""
        now = self._policy.clock()
        with self._lock:
            for scope in list(self._until):
                if self._until[scope] <= now:
                    del self._until[scope]
            blocked = [(scope, self._until[scope]) for scope in scopes if scope in self._until]
        if not blocked:
            return
        scope, until = max(blocked, key=lambda item: item[1])
        error = api_error(operation, 4 if scope == ("ip",) else 9)
        wait = until - now
        error.retry_after = wait  # type: ignore[union-attr]
        error.refused_locally = True  # type: ignore[union-attr]
        error.args = (f"{operation}: not sent: backing off after error {error.code} ({error.meaning}); "
                      f"retry after {wait:.0f} s",)
        raise error

    def start(self, error: ApiError, scopes: Tuple[Scope, Scope]) -> None:
        """After ``error`` from the service: back off if it is a 4 or a 9, and say so in it."""
        if isinstance(error, IpBlocked):
            scope, seconds = scopes[0], self._policy.ip_blocked_backoff
        elif isinstance(error, RateLimited):
            scope, seconds = scopes[1], self._policy.rate_limited_backoff
        else:
            return
        if seconds <= 0:
            return
        with self._lock:
            self._until[scope] = max(self._until.get(scope, 0.0), self._policy.clock() + seconds)
        error.retry_after = seconds
        note = (f"smsc_soap backs off: {'every call' if scope == ('ip',) else 'the same kind of call'} "
                f"is refused by this client, without sending, for {seconds:g} s")
        if hasattr(error, "add_note"):
            error.add_note(note)
        log.warning("%s: error %d (%s); %s", error.operation, error.code, error.meaning, note)
