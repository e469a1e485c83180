"""A call of an HTTP page, from fields to what goes on the wire (pure, no I/O): the page's address,
the flag that selects the operation, the credentials the page allows, the answer format asked for.
"""
from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import Dict, Mapping, Optional, Tuple, Union
from urllib.parse import quote_plus, urlencode, urlsplit, urlunsplit

from .. import spec
from .._core.backoff import Scope, backoff_scopes
from .._core.calls import placeholder
from ..errors import SendOutcomeUnknown, TransportError, UnsupportedOperation, ValidationError
from ..redact import Secret
from . import multipart
from .multipart import Attachment

#: The body's type without files (a form post).
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


def page_url(endpoint: str, page: str) -> str:
    """The address of ``page`` (e.g. ``info.php``) beside the SOAP ``endpoint``: same scheme and
    host, the directory of its path (``https://smsc.ru/sys/soap.php`` -> ``https://smsc.ru/sys/info.php``)."""
    parts = urlsplit(endpoint)
    directory = posixpath.dirname(parts.path) or "/"
    return urlunsplit((parts.scheme, parts.netloc, posixpath.join(directory, page), "", ""))


@dataclass(frozen=True)
class HttpCall:
    """One call of an HTTP page with its wire fields, the password and the API key as placeholders
    (``masked``, as :class:`smsc_soap._core.Call` keeps them): the shell form-encodes ``masked``
    and puts the secrets in with :meth:`reveal` only as the bytes are handed to the socket layer.

    ``phones`` are the numbers a mailing is for, named in a :class:`~smsc_soap.SendOutcomeUnknown`.
    """

    operation: str
    masked: Mapping[str, str] = field(repr=False)
    phones: Tuple[str, ...] = ()
    placeholders: Mapping[str, Secret] = field(default_factory=dict, repr=False)
    #: Files (a mailing's): the body is then ``multipart/form-data`` (:mod:`.multipart`).
    files: Tuple[Attachment, ...] = ()

    @property
    def request(self) -> Dict[str, str]:
        """The wire fields with the secrets in (for tests and tools; never kept by a shell)."""
        fields = dict(self.masked)
        for name, value in fields.items():
            for token, secret in self.placeholders.items():
                value = value.replace(token, secret.reveal())
            fields[name] = value
        return fields

    def form(self) -> bytes:
        """The body, placeholders in place of the secrets: the form, or with files the multipart
        body (:attr:`content_type` says which)."""
        if self.files:
            return multipart.body(self.masked, self.files, self._boundary())
        return urlencode(self.masked).encode("ascii")

    @property
    def content_type(self) -> str:
        """The body's Content-Type."""
        return multipart.content_type(self._boundary()) if self.files else FORM_CONTENT_TYPE

    def _boundary(self) -> str:
        text = multipart.boundary(self.masked, self.files)
        if any(text in secret.reveal() for secret in self.placeholders.values()):  # pragma: no cover - 2**-160
            raise ValidationError("the multipart boundary occurs in a credential", field="psw")
        return text

    def reveal(self, form: bytes) -> bytes:
        """``form`` with each placeholder replaced by its secret (percent-encoded in a form, as
        it is in a multipart part); call it inline as the argument of the write, so that no
        variable of the shell holds the result."""
        for token, secret in self.placeholders.items():
            if self.files:
                form = form.replace(token.encode("ascii"), secret.reveal().encode("utf-8"))
            else:
                form = form.replace(quote_plus(token).encode("ascii"), quote_plus(secret.reveal()).encode("ascii"))
        return form

    @property
    def fmt(self) -> int:
        """The answer format asked for."""
        return int(self.masked["fmt"])

    @property
    def facts(self) -> spec.HttpOperation:
        return spec.HTTP_OPERATIONS[self.operation]

    @property
    def is_send(self) -> bool:
        """A mailing's ``add`` sends messages: never repeated once it may have left."""
        return self.facts.is_send

    @property
    def backoff_scopes(self) -> Tuple[Scope, Scope]:
        return backoff_scopes(self.operation, self.masked)

    def outcome_unknown(self, cause: TransportError) -> SendOutcomeUnknown:
        """The error for a mailing that may have been created; it has no client id to look up, so
        the message says where to look instead of ``client.reconcile``."""
        error = SendOutcomeUnknown.for_cause(self.operation, None, self.phones, cause)
        error.args = (f"{self.operation}: the outcome is unknown ({type(cause).__name__}: {cause}); it was not "
                      "repeated. A mailing has no id before it exists: look for it with "
                      "client.mailings.get_all() before adding it again",)
        return error


def prepare(operation: str, fields: Mapping[str, Optional[str]], *, login: Optional[str],
            psw: Union[str, Secret], apikey: Union[str, Secret, None] = None, fmt: int = spec.WIRE_FMT,
            phones: Tuple[str, ...] = (), files: Tuple[Attachment, ...] = ()) -> HttpCall:
    """The call of ``operation`` with ``fields``: its selecting flag, ``fmt``, and login+psw or the
    API key (refused, saying what to do, where the page lists no ``apikey``)."""
    if isinstance(fmt, bool) or not isinstance(fmt, int) or fmt not in spec.PAGE_FMTS:
        raise ValidationError(f"fmt must be one of {', '.join(map(str, spec.PAGE_FMTS))} (the pages' answer "
                              f"formats), got {fmt!r}", field="fmt")
    psw = psw if isinstance(psw, Secret) else Secret(psw)
    apikey = apikey if isinstance(apikey, Secret) or apikey is None else Secret(apikey)
    facts = spec.HTTP_OPERATIONS[operation]
    if apikey and not facts.apikey:
        raise UnsupportedOperation(
            f"{operation}: the mailings page ({facts.page}) accepts only login and psw, not an API key: "
            "create a Client(login=..., psw=...) for mailings", field="apikey")
    flag, value = facts.action
    request = {flag: value}
    placeholders: Dict[str, Secret] = {}
    if apikey:
        request["apikey"] = placeholder("apikey", apikey)
        placeholders[request["apikey"]] = apikey
    else:
        request.update(login=login or "", psw=placeholder("psw", psw) if psw else "")
        if psw:
            placeholders[request["psw"]] = psw
    request["fmt"] = str(fmt)
    request.update((key, text) for key, text in fields.items() if text is not None)
    return HttpCall(operation, request, phones, placeholders, files)
