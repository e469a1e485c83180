"""A call of an HTTP page, from fields to what goes on the wire (pure, no I/O): the page's address,
the flag that selects the operation, the credentials the page allows, the answer format asked for.
"""
from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import Mapping, Optional, Tuple
from urllib.parse import urlsplit, urlunsplit

from .. import spec
from .._core.backoff import Scope, backoff_scopes
from ..errors import SendOutcomeUnknown, TransportError, UnsupportedOperation


def page_url(endpoint: str, page: str) -> str:
    """The address of ``page`` (e.g. ``info.php``) beside the SOAP ``endpoint``: same scheme and
    host, the directory of its path (``https://smsc.ru/sys/soap.php`` -> ``https://smsc.ru/sys/info.php``)."""
    parts = urlsplit(endpoint)
    directory = posixpath.dirname(parts.path) or "/"
    return urlunsplit((parts.scheme, parts.netloc, posixpath.join(directory, page), "", ""))


@dataclass(frozen=True)
class HttpCall:
    """One call of an HTTP page with its wire fields (``request``, secrets included: never shown).

    ``phones`` are the numbers a mailing is for, named in a :class:`~smsc_soap.SendOutcomeUnknown`.
    """

    operation: str
    request: Mapping[str, str] = field(repr=False)
    phones: Tuple[str, ...] = ()

    @property
    def facts(self) -> spec.HttpOperation:
        return spec.HTTP_OPERATIONS[self.operation]

    @property
    def is_send(self) -> bool:
        """A mailing's ``add`` sends messages: never repeated once it may have left."""
        return self.facts.is_send

    @property
    def backoff_scopes(self) -> Tuple[Scope, Scope]:
        return backoff_scopes(self.operation, self.request)

    def outcome_unknown(self, cause: TransportError) -> SendOutcomeUnknown:
        """The error for a mailing that may have been created; it has no client id to look up, so
        the message says where to look instead of ``client.reconcile``."""
        error = SendOutcomeUnknown.for_cause(self.operation, None, self.phones, cause)
        error.args = (f"{self.operation}: the outcome is unknown ({type(cause).__name__}: {cause}); it was not "
                      "repeated. A mailing has no id before it exists: look for it with "
                      "client.mailings.get_all() before adding it again",)
        return error


def prepare(operation: str, fields: Mapping[str, Optional[str]], *, login: Optional[str], psw: str,
            apikey: Optional[str] = None, fmt: int = spec.WIRE_FMT, phones: Tuple[str, ...] = ()) -> HttpCall:
    """The call of ``operation`` with ``fields``: its selecting flag, ``fmt``, and login+psw or the
    API key (refused, saying what to do, where the page lists no ``apikey``)."""
    facts = spec.HTTP_OPERATIONS[operation]
    if apikey and not facts.apikey:
        raise UnsupportedOperation(
            f"{operation}: the mailings page ({facts.page}) accepts only login and psw, not an API key: "
            "create a Client(login=..., psw=...) for mailings", field="apikey")
    flag, value = facts.action
    request = {flag: value}
    request.update({"apikey": apikey} if apikey else {"login": login or "", "psw": psw})
    request["fmt"] = str(fmt)
    request.update((key, text) for key, text in fields.items() if text is not None)
    return HttpCall(operation, request, phones)
