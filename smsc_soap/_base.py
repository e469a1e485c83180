"""What :class:`~smsc_soap.Client` and :class:`~smsc_soap.AsyncClient` share before any I/O: the
arguments of the constructor, ``from_env``, the repr, and preparing a call (the pattern of httpx's
``BaseClient``). Each client adds its own shell (requests, or httpx; zeep only for what the codec
leaves to it); every decision of a call stays in the sans-IO core (:mod:`smsc_soap._core`).
"""
from __future__ import annotations

import inspect
from typing import Any, Dict, Iterable, Mapping, Optional, Tuple, Type, TypeVar, Union

from . import _core
from ._core import calls
from ._core.reconcile import Reconciliation
from ._core.reconcile import pair as reconcile_pair
from ._core.reconcile import target as reconcile_target
from ._core.retry import RetryPolicy
from ._core.settings import Timeout, TransportSettings
from ._wsdl import endpoint_url
from .errors import ValidationError
from .query import describe_extended
from .redact import Secret

__all__ = ["OPERATION_DOCS", "ClientBase", "Phones", "Reconciliation", "reconcile_pair", "reconcile_target"]

C = TypeVar("C", bound="ClientBase")
#: Numbers as both clients take them: one string, or an iterable of strings.
Phones = Union[str, Iterable[str]]


class ClientBase:
    """The account, the endpoint and the settings of a client; no I/O."""

    login: Optional[str]
    endpoint: str
    retry: RetryPolicy
    _psw: Secret
    _apikey: Secret
    _secrets: Tuple[Secret, Secret]
    _settings: TransportSettings
    _account: str

    @property
    def limits_key(self) -> str:
        """The key this login's limits are kept under (:func:`smsc_soap.limits.account_key`): the
        same in every client, process and machine of the login, so what they share meets there."""
        return self._account

    def _configure(self, login: Optional[str], psw: Optional[str], apikey: Optional[str], host: Optional[str],
                   url: Optional[str], timeout: Timeout, verify: Union[bool, str],
                   retry: Optional[RetryPolicy]) -> TransportSettings:
        """Check the constructor's arguments (credentials, endpoint, settings) and keep them; the
        secrets only wrapped. Returns the transport settings for the shell."""
        calls.check_credentials(login, psw, apikey)
        self.login = login
        self._psw = Secret(psw or "")
        self._apikey = Secret(apikey or "")
        self._secrets = (self._psw, self._apikey)
        self.endpoint = endpoint_url(host, url)
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise ValidationError(f"retry must be a RetryPolicy, got {type(retry).__name__}", field="retry")
        self._settings = settings = TransportSettings(timeout=timeout, verify=verify, retry=retry or RetryPolicy())
        self.retry = settings.retry
        return settings

    @classmethod
    def from_env(cls: Type[C], env: Optional[Mapping[str, str]] = None, **options: Any) -> C:
        """A client from the environment variables the ``smsc-soap`` command reads
        (:mod:`smsc_soap.env`): ``SMSC_APIKEY``, or ``SMSC_LOGIN`` and ``SMSC_PASSWORD``; and
        ``SMSC_HOST`` or ``SMSC_URL``. ``env`` defaults to ``os.environ``; ``options`` are the other
        keywords of the constructor (``timeout``, ``retry``, ...) and win over the environment."""
        import os

        from .env import client_arguments

        arguments: Dict[str, Any] = dict(client_arguments(os.environ if env is None else env))
        arguments.update(options)
        return cls(**arguments)

    def __reduce_ex__(self, protocol: object) -> Any:
        """Refused with a clear error: a client holds a password and open connections, neither of
        which is sent to another process (a pool's worker, a task queue), where it would be
        written down in the clear."""
        raise TypeError(f"a smsc_soap.{type(self).__name__} is not pickled or copied (it holds the password and open "
                        "connections): make one in each process, e.g. with from_env(), and pass what to send")

    def __repr__(self) -> str:
        auth = "apikey" if self._apikey else f"login={self.login!r}"
        return f"<smsc_soap.{type(self).__name__} {auth} endpoint={self.endpoint!r}>"

    def call_seconds(self) -> float:
        """The longest one call may take, its retries and back-off included: a request older than
        this has surely ended (a journal or a task waits that long before looking it up)."""
        return self._settings.call_seconds()

    def _list_call(self, encoded_list: str, id: str, sender: Optional[str], time: Optional[str],  # noqa: A002
                   extended: Mapping[str, Any]) -> _core.Call:
        """The send_sms2 of a bulk request: its ``list`` as written and checked once (not parsed
        and checked again), its channel's parameters, ``err=1`` (which numbers failed) and
        ``cost=2`` (what it cost). No I/O: both clients' ``send_list`` send it."""
        fields = {"phones": "", "mes": "", "id": id, "sender": sender, "time": time}
        call = self._prepare("send_sms2", fields, None, {**dict(extended), "err": 1, "cost": 2})
        masked = dict(call.masked)  # placeholders, not secrets: the transport reveals them as it writes
        masked["query"] += "&list=" + encoded_list
        return _core.Call(call.operation, masked, call.placeholders)

    def _prepare(self, operation: str, fields: Mapping[str, Optional[str]], query: Optional[str] = None,
                 extended: Optional[Mapping[str, Any]] = None) -> _core.Call:
        return _core.prepare(operation, fields, login=self.login, psw=self._psw, apikey=self._apikey,
                             query=query, extended=extended)


#: The help of the operations, the same for both clients (each assigns it to its methods); the
#: ``*2`` operations list the extended parameters, generated from smsc_soap.query's table.
OPERATION_DOCS: Dict[str, str] = {
    "send_sms": """Send ``mes`` to ``phones`` (a string or an iterable of numbers).

        Without ``id`` the client gives the message one derived from the request and its minute
        (``smsc_soap._core.ids``): a send whose answer was lost can be looked up, and the same call
        repeated within the minute is refused by the service with
        :class:`~smsc_soap.DuplicateRequest` (its guard against loops, error 9). A send is never
        repeated by the client once it may have reached
        the service; :class:`~smsc_soap.SendOutcomeUnknown` is raised instead, for
        :meth:`reconcile`.
        """,
    "send_sms2": """Send with extended parameters (``cost=3``, ``err=1``, ``valid=12``, ``list=...``, ...).

        ``mes`` is a text, or a channel's message (:mod:`smsc_soap.channels`: ``Email(...)``,
        ``VoiceCall(...)``, ``Hlr()``, ...); the channel's rules are checked before sending.
        ``phones`` and ``mes`` may be None only when ``list`` carries the recipients and texts.
        """,
    "get_sms_cost": """What sending ``mes`` to ``phones`` would cost; nothing is sent.""",
    "get_sms_cost2": """The cost with extended parameters (channel, ``translit``, ``maxsms``, ...); ``mes`` may be
        a channel's message, as for :meth:`send_sms2`.""",
    "get_status": """The delivery status of message ``id`` to ``phone``; ``all=1``/``2`` adds details.""",
    "get_status2": """The delivery status with extended parameters.""",
    "get_balance": """The account's balance (not with an API key: get_balance has no ``query`` to carry it).""",
}
_EXTENDED_DOC = describe_extended()  # once: it reads the type hints of every extended parameter
for _name in ("send_sms2", "get_sms_cost2", "get_status2"):
    OPERATION_DOCS[_name] = inspect.cleandoc(OPERATION_DOCS[_name]) + "\n\n" + _EXTENDED_DOC
