"""Every exception smsc_soap raises, in one tree rooted at :class:`SmscError`.

Three branches, so callers can catch by what went wrong:

* :class:`ValidationError` -- bad input, raised before anything is sent (nothing charged);
* :class:`ApiError` -- the service answered with a non-zero ``error`` code;
* :class:`TransportError` -- the answer never came, or was not a SOAP answer. For a send that
  may have reached the service it is a :class:`SendOutcomeUnknown`: not repeated, to reconcile.

Errors 4 and 9 (:class:`IpBlocked`, :class:`RateLimited`) carry ``retry_after``: how long the
client itself now refuses such calls.
"""
from __future__ import annotations

from typing import Dict, Mapping, Optional, Tuple, Type, cast

from . import spec


class SmscError(Exception):
    """Base of every error raised by smsc_soap.

    Every one crosses a process boundary whole (pickled: a multiprocessing pool's worker, a task
    queue's result): its class, message and attributes. Python rebuilds an exception by calling
    its class with ``args``, which the error classes here do not take (``ApiError(code, meaning,
    operation)`` has one message in ``args``); a pool whose worker raised one could not read it
    back, and waited for ever."""

    def __reduce__(self) -> Tuple[object, ...]:
        return (_rebuilt, (type(self), self.args, dict(vars(self))))


def _rebuilt(cls: Type[SmscError], args: Tuple[object, ...], state: Dict[str, object]) -> SmscError:
    """An error as pickled: ``args`` and the attributes, without its class's ``__init__``."""
    error = cls.__new__(cls, *args)  # BaseException.__new__ keeps the args
    error.__dict__.update(state)
    return error


# --- input ------------------------------------------------------------------------------


class ValidationError(SmscError, ValueError):
    """An argument is not something the service accepts; raised before sending."""

    def __init__(self, message: str, *, field: Optional[str] = None) -> None:
        super().__init__(message)
        self.field = field


class UnsupportedOperation(ValidationError):
    """The call cannot be made with this client's credentials or options."""


# --- the service's answers --------------------------------------------------------------


class ApiError(SmscError):
    """The service answered with a non-zero ``error`` code.

    ``code`` is the service's number, ``meaning`` the page's text for it in this method,
    ``operation`` the SOAP operation that got it.
    """

    def __init__(self, code: int, meaning: str, operation: str) -> None:
        super().__init__(f"{operation}: error {code}: {meaning}")
        self.code = code
        self.meaning = meaning
        self.operation = operation


class ParameterError(ApiError):
    """Error 1: the service found an error in the parameters."""


class AuthenticationError(ApiError):
    """Error 2: wrong login or password, or a request from an IP not in the allowed list."""


class InsufficientFunds(ApiError):
    """Error 3 of send and cost: the account's balance does not cover the cost."""


class MessageNotFound(ApiError):
    """Error 3 of get_status: no message with this phone and id."""


class _BackOff:
    """What errors 4 and 9 carry: how long the client now refuses calls of this kind.

    ``retry_after`` is in seconds (``None`` when back-off is turned off); ``refused_locally`` is
    True when this error was raised by the client itself during a back-off, without sending.
    """

    retry_after: Optional[float] = None
    refused_locally: bool = False


class IpBlocked(_BackOff, ApiError):
    """Error 4: the IP address is temporarily blocked after frequent errors."""


class InvalidTime(ApiError):
    """Error 5: the ``time`` parameter has a wrong format."""


class MessageForbidden(ApiError):
    """Error 6: the message is forbidden (by its text or its sender name)."""


class InvalidPhone(ApiError):
    """Error 7: a phone number has a wrong format."""


class Undeliverable(ApiError):
    """Error 8: the message cannot be delivered to the number."""


class RateLimited(_BackOff, ApiError):
    """Error 9: a request limit of the service was hit; what limit depends on the method."""


class DuplicateRequest(RateLimited):
    """Error 9 of send: the same send request was already made within the last minute."""


class UnknownApiError(ApiError):
    """A code the service's pages do not list for this method; kept as its number."""


# Per-method error tables, built from the one copy of the page's codes (smsc_soap.spec, seed 004):
# {code: (exception class, the page's meaning)}.
ErrorTable = Mapping[int, Tuple[Type[ApiError], str]]


def _classes(codes: Mapping[int, spec.ErrorCode]) -> ErrorTable:
    return {code: (_api_error_class(row.exception), row.meaning) for code, row in codes.items()}


def _api_error_class(name: str) -> Type[ApiError]:
    cls = globals()[name]
    assert isinstance(cls, type) and issubclass(cls, ApiError), name
    return cls


ERRORS_BY_OPERATION: Dict[str, ErrorTable] = {
    name: _classes(operation.errors) for name, operation in spec.OPERATIONS.items()}
SEND_ERRORS = ERRORS_BY_OPERATION["send_sms"]
COST_ERRORS = ERRORS_BY_OPERATION["get_sms_cost"]
STATUS_ERRORS = ERRORS_BY_OPERATION["get_status"]
BALANCE_ERRORS = ERRORS_BY_OPERATION["get_balance"]


def api_error(operation: str, code: int) -> ApiError:
    """The exception for ``code`` as ``operation``'s table defines it."""
    table = ERRORS_BY_OPERATION.get(operation) or HTTP_ERRORS_BY_OPERATION[operation]
    cls, meaning = table.get(code, (UnknownApiError, spec.UNKNOWN_ERROR_CODE.meaning))
    return cls(code, meaning, operation)


# --- transport --------------------------------------------------------------------------


class TransportError(SmscError):
    """No usable SOAP answer came back: network, HTTP or protocol trouble."""


class TimeoutError(TransportError):  # noqa: A001 - deliberately smsc_soap.TimeoutError
    """Connecting or waiting for the answer took longer than the configured timeout."""


class ConnectionError(TransportError):  # noqa: A001 - deliberately smsc_soap.ConnectionError
    """The connection could not be made, or it broke before the answer was read."""


class TLSError(ConnectionError):
    """The TLS handshake failed or the server's certificate did not verify."""


class ProtocolError(TransportError):
    """The answer was not a SOAP answer of this service (HTTP error, HTML, bad XML, too big)."""

    def __init__(self, message: str, *, status_code: Optional[int] = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class RedirectRefused(ProtocolError):
    """The server answered with a redirect (HTTP 3xx); the client never follows one.

    Following would post the request, login and password or API key included, to wherever the
    ``Location`` points (a 307/308 keeps the body), or loop posting the same send again and
    again. ``location`` is where it pointed, with any secret in it redacted; ``status_code`` is
    the 3xx. Exactly one request was made, and a 3xx is never retried.

    For a send this is an unknown outcome (:class:`SendOutcomeUnknown`, also a
    ``RedirectRefused``): the server that answered did not process the request as the service
    does, but it may be a proxy or load balancer in front of the service that had already
    forwarded the request before it answered with a redirect. Nothing in a 3xx proves the
    message was not sent, so the money-safe reading is "unknown": reconcile before resending.
    """

    def __init__(self, message: str, *, location: str = "", status_code: Optional[int] = None) -> None:
        super().__init__(message, status_code=status_code)
        self.location = location


class SoapFault(ProtocolError):
    """The server answered with a SOAP Fault instead of a result."""

    def __init__(self, faultcode: str, faultstring: str, *, status_code: Optional[int] = None) -> None:
        super().__init__(f"SOAP Fault {faultcode}: {faultstring}", status_code=status_code)
        self.faultcode = faultcode
        self.faultstring = faultstring


class SendOutcomeUnknown(TransportError):
    """A send may or may not have reached the service; it was not repeated: check before resending.

    Raised instead of the transport error ``cause`` when a send timed out waiting for its answer,
    lost its connection after the request went out, or got something that is not a SOAP answer.
    The error is also an instance of the cause's class, so ``except smsc_soap.TimeoutError``
    still catches a send that timed out: catch ``SendOutcomeUnknown`` first, and never wrap a
    send in a generic "retry on TransportError" (docs/reliability.rst). ``id`` is the message id the request carried (the
    client assigns one when the caller gives none) and ``phones`` the numbers it was for:
    ``client.reconcile(error)`` asks the service whether the message exists. ``id`` is ``""`` for
    a send that carries no id of ours (a mailing's ``jobs.add``).
    """

    id: str

    def __init__(self, operation: str, id: Optional[str], phones: Tuple[str, ...],  # noqa: A002
                 cause: "TransportError") -> None:
        # Not super(): in the classes made by for_cause the next __init__ is the cause's own.
        Exception.__init__(
            self, f"{operation}: the outcome of the send is unknown ({type(cause).__name__}: {cause}); it was "
                  f"not repeated. Its id is {id!r}: call client.reconcile(error) to learn whether it was "
                  f"sent before sending it again")
        self.__dict__.update({k: v for k, v in vars(cause).items() if not k.startswith("_")})
        self.operation = operation
        self.id = id or ""
        self.phones = tuple(phones)
        self.cause = cause

    @classmethod
    def for_cause(cls, operation: str, id: Optional[str], phones: Tuple[str, ...],  # noqa: A002
                  cause: "TransportError") -> "SendOutcomeUnknown":
        """The error for ``cause``: a SendOutcomeUnknown that is also a ``type(cause)``."""
        return cast(SendOutcomeUnknown, _outcome_class(type(cause))(operation, id, phones, cause))

    def __reduce__(self) -> Tuple[object, ...]:
        """Made again for its cause (its class is made per cause), then given its attributes."""
        return (SendOutcomeUnknown.for_cause, (self.operation, self.id, self.phones, self.cause), dict(vars(self)))


_OUTCOME_CLASSES: Dict[type, type] = {}


def _outcome_class(cause: type) -> type:
    if issubclass(cause, SendOutcomeUnknown) or cause is TransportError:
        return SendOutcomeUnknown
    known = _OUTCOME_CLASSES.get(cause)
    if known is None:
        made = type("SendOutcomeUnknown", (SendOutcomeUnknown, cause), {
            "__module__": __name__, "__qualname__": "SendOutcomeUnknown", "__doc__": SendOutcomeUnknown.__doc__})
        known = _OUTCOME_CLASSES.setdefault(cause, made)  # one class per cause, even across threads
    return known


# --- reports the service sends (added for the channels: smsc_soap.hlr) -------------------------


class ReportFormatError(SmscError, ValueError):
    """A report line (e.g. an HLR delivery report, SMPP page 003) is not in the page's format;
    ``field`` names the part that is wrong."""

    def __init__(self, message: str, *, field: Optional[str] = None) -> None:
        super().__init__(message)
        self.field = field


# --- the HTTP pages beside SOAP (000 mailings, 001 operator lookup, 002 export tasks) ----------


class OperatorNotFound(ApiError):
    """Error 3 of the operator lookup (001): the number's operator is not known."""


class TaskNotFound(ApiError):
    """Error 5 of the export tasks (002): no deferred task, or no file, by that id or name."""


class MailingNotFound(ApiError):
    """Error 3 of a mailing call other than ``add`` (an ASSUMPTION: page 000 has no error table)."""


class ConcurrencyLimited(RateLimited):
    """Error 9 for fifteen or more concurrent requests under one login (001, 002)."""


class TaskNotReady(ValidationError):
    """The export task's file cannot be fetched yet: its status is not "done" (002).

    ``status`` is the task's status when asked; nothing was downloaded.
    """

    def __init__(self, message: str, *, status: object = None) -> None:
        super().__init__(message, field="id")
        self.status = status


#: The HTTP pages' tables, as ERRORS_BY_OPERATION is for SOAP: {operation: {code: (class, meaning)}}.
HTTP_ERRORS_BY_OPERATION: Dict[str, ErrorTable] = {
    name: _classes(operation.errors) for name, operation in spec.HTTP_OPERATIONS.items()}
OPERATOR_ERRORS = HTTP_ERRORS_BY_OPERATION["get_operator"]
DOWNLOADS_ERRORS = HTTP_ERRORS_BY_OPERATION["exports.get_list"]
JOBS_ERRORS = HTTP_ERRORS_BY_OPERATION["jobs.get"]


def http_api_error(operation: str, code: int, text: str = "") -> ApiError:
    """The exception for ``code`` of an HTTP page's ``operation``; a 9 whose ``text`` is the
    pages' "too many concurrent requests" is a :class:`ConcurrencyLimited`."""
    error = api_error(operation, code)
    if isinstance(error, RateLimited) and spec.CONCURRENT_PHRASE in text.lower():
        error = ConcurrencyLimited(code, f"{error.meaning} ({spec.CONCURRENT_PHRASE})", operation)
    return error


# --- callbacks: what the service POSTs to the customer's handler (smsc_soap.callbacks) --------


class CallbackError(SmscError, ValueError):
    """A callback request that is not handed to user code (HTTP 400 or 403 from the adapters)."""


class CallbackFormatError(CallbackError):
    """The callback is not in a format we read: too big, nested, duplicate or wrongly typed
    fields, a wrong charset or XML/JSON that does not parse (HTTP 400); ``field`` names the part."""

    def __init__(self, message: str, *, field: Optional[str] = None) -> None:
        super().__init__(message)
        self.field = field


class CallbackSignatureError(CallbackError):
    """With a secret configured, the callback's signature is absent, wrong, or of an algorithm
    we refuse (crc32) or did not configure (HTTP 403). Never says the secret or the digest expected."""
