"""smsc-soap: a typed, safe client for the SOAP API of the SMSC SMS service.

``import smsc_soap; smsc_soap.Client(login=..., psw=...)`` is the whole entry point; every error
it raises is a :class:`SmscError`.
"""
from typing import TYPE_CHECKING, Any

from ._version import __version__ as __version__  # re-exported: mypy --strict users read it
from .errors import (
    ApiError,
    AuthenticationError,
    ConcurrencyLimited,
    ConnectionError,
    DuplicateRequest,
    InsufficientFunds,
    InvalidPhone,
    InvalidTime,
    IpBlocked,
    MailingNotFound,
    MessageForbidden,
    MessageNotFound,
    OperatorNotFound,
    ParameterError,
    ProtocolError,
    RateLimited,
    RedirectRefused,
    ReportFormatError,
    SendOutcomeUnknown,
    SmscError,
    SoapFault,
    TaskNotFound,
    TaskNotReady,
    TimeoutError,
    TLSError,
    TransportError,
    Undeliverable,
    UnknownApiError,
    UnsupportedOperation,
    ValidationError,
)
from .results import (
    BalanceResult,
    CostResult,
    DeliveryError,
    DeliveryStatus,
    PhoneError,
    SendResult,
    StatusResult,
)

if TYPE_CHECKING:  # pragma: no cover
    from ._async.client import AsyncClient
    from ._base import Reconciliation
    from ._core.retry import RetryPolicy
    from .channels import Binary, Bot, Email, Hlr, Mms, Ping, Push, Social, TelegramCode, Viber, VoiceCall, WhatsApp
    from ._sync.client import Client
    from .hlr import HlrReport, parse_hlr_report

# The clients pull in requests or httpx (zeep only when a call needs it); the package is also
# imported by the pytest plugins in every test run of every user, so those names load on first use only.
_LAZY = {"AsyncClient": "async_client", "Client": "client", "Reconciliation": "_base", "RetryPolicy": "_core.retry",
         "HlrReport": "hlr", "parse_hlr_report": "hlr"}
# The channels' messages: loaded by the first one used (their classes cost ~7 ms to make).
_LAZY.update(dict.fromkeys(("Binary", "Bot", "Email", "Hlr", "Mms", "Ping", "Push", "Social", "TelegramCode", "Viber",
                            "VoiceCall", "WhatsApp"), "channels"))


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> "list[str]":
    """Every public name, the lazily imported ones included, so autocompletion shows them."""
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "ApiError", "AsyncClient", "AuthenticationError", "BalanceResult", "Client", "ConnectionError", "CostResult",
    "DeliveryError", "DeliveryStatus", "DuplicateRequest", "InsufficientFunds", "InvalidPhone",
    "InvalidTime", "IpBlocked", "MessageForbidden", "MessageNotFound", "ParameterError", "PhoneError",
    "ProtocolError", "RateLimited", "Reconciliation", "RedirectRefused", "RetryPolicy", "SendOutcomeUnknown", "SendResult",
    "SmscError", "SoapFault", "StatusResult", "TLSError",
    "TimeoutError", "TransportError", "Undeliverable", "UnknownApiError", "UnsupportedOperation",
    "ValidationError",
    # channels (issue 15): smsc_soap.channels, smsc_soap.hlr
    "Binary", "Bot", "Email", "Hlr", "HlrReport", "Mms", "Ping", "Push", "ReportFormatError", "Social",
    "TelegramCode", "Viber", "VoiceCall", "WhatsApp", "parse_hlr_report",
    # the HTTP pages beside SOAP (smsc_soap.http_api)
    "ConcurrencyLimited", "MailingNotFound", "OperatorNotFound", "TaskNotFound", "TaskNotReady",
]
