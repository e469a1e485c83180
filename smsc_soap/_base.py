"""What :class:`~smsc_soap.Client` and :class:`~smsc_soap.AsyncClient` share before any I/O: the
arguments of the constructor, ``from_env``, the repr, and preparing a call (the pattern of httpx's
``BaseClient``). Each client adds its own shell (requests + zeep, or httpx + zeep's async client);
every decision of a call stays in the sans-IO core (:mod:`smsc_soap._core`).
"""
from __future__ import annotations

from typing import Any, Dict, Iterable, Mapping, Optional, Tuple, Type, TypeVar, Union

from . import _core
from ._core import calls
from ._core.retry import RetryPolicy
from ._core.settings import Timeout, TransportSettings
from ._wsdl import endpoint_url
from .errors import SendOutcomeUnknown, ValidationError
from .redact import Secret

__all__ = ["ClientBase", "reconcile_pair", "reconcile_target"]

C = TypeVar("C", bound="ClientBase")


class ClientBase:
    """The account, the endpoint and the settings of a client; no I/O."""

    login: Optional[str]
    endpoint: str
    retry: RetryPolicy
    _psw: Secret
    _apikey: Secret
    _secrets: Tuple[Secret, Secret]
    _settings: TransportSettings
    _backoffs: _core.BackOffWindows

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
        self._backoffs = _core.BackOffWindows(settings.retry)
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

    def __repr__(self) -> str:
        auth = "apikey" if self._apikey else f"login={self.login!r}"
        return f"<smsc_soap.{type(self).__name__} {auth} endpoint={self.endpoint!r}>"

    def _prepare(self, operation: str, fields: Mapping[str, Optional[str]], query: Optional[str] = None,
                 extended: Optional[Mapping[str, Any]] = None) -> _core.Call:
        return _core.prepare(operation, fields, login=self.login, psw=self._psw, apikey=self._apikey,
                             query=query, extended=extended)


def reconcile_target(error: SendOutcomeUnknown) -> Tuple[str, Tuple[str, ...]]:
    """The message id and the numbers to ask about, in order, to reconcile ``error``
    (``reconcile`` asks get_status for each until one is found); refuses what cannot be
    reconciled."""
    if not isinstance(error, SendOutcomeUnknown):
        raise TypeError(f"reconcile takes a SendOutcomeUnknown, got {type(error).__name__}")
    if not error.id or not error.phones:
        raise ValidationError("the send carried no id or no phone number to look up", field="id")
    return reconcile_pair(error.id, error.phones)


def reconcile_pair(id: Union[int, str], phones: Union[str, Iterable[str]]) -> Tuple[str, Tuple[str, ...]]:  # noqa: A002
    """``reconcile_send``'s arguments checked: the id as a string and the numbers to ask about
    in order (a string is split at ``,`` and ``;`` as the page's ``phones`` is)."""
    from .params import split_phones

    if isinstance(id, bool) or not isinstance(id, (int, str)) or not str(id).strip():
        raise ValidationError(f"id must be the message id the send carried, got {id!r}", field="id")
    numbers = split_phones(phones) if isinstance(phones, str) else [str(phone).strip() for phone in phones]
    numbers = [phone for phone in numbers if phone]
    if not numbers:
        raise ValidationError("give at least one phone number the send went to", field="phones")
    return str(id).strip(), tuple(numbers)
