"""smsc-soap: a typed, safe client for the SOAP API of the SMSC SMS service.

``import smsc_soap; smsc_soap.Client(login=..., psw=...)`` is the whole entry point; every error
it raises is a :class:`SmscError`.
"""
from typing import TYPE_CHECKING, Any

from .errors import (
    ApiError,
    AuthenticationError,
    ConnectionError,
    DuplicateRequest,
    InsufficientFunds,
    InvalidPhone,
    InvalidTime,
    IpBlocked,
    MessageForbidden,
    MessageNotFound,
    ParameterError,
    ProtocolError,
    RateLimited,
    SendOutcomeUnknown,
    SmscError,
    SoapFault,
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
    from .client import Client, Reconciliation
    from .transport import RetryPolicy

__version__ = "0.1.0"

# The client pulls in zeep and requests; the package is also imported by the pytest plugins in
# every test run of every user, so those names load on first use only.
_LAZY = {"Client": "client", "Reconciliation": "client", "RetryPolicy": "transport"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> "list[str]":
    """Every public name, the lazily imported ones included, so autocompletion shows them."""
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "ApiError", "AuthenticationError", "BalanceResult", "Client", "ConnectionError", "CostResult",
    "DeliveryError", "DeliveryStatus", "DuplicateRequest", "InsufficientFunds", "InvalidPhone",
    "InvalidTime", "IpBlocked", "MessageForbidden", "MessageNotFound", "ParameterError", "PhoneError",
    "ProtocolError", "RateLimited", "Reconciliation", "RetryPolicy", "SendOutcomeUnknown", "SendResult",
    "SmscError", "SoapFault", "StatusResult", "TLSError",
    "TimeoutError", "TransportError", "Undeliverable", "UnknownApiError", "UnsupportedOperation",
    "ValidationError",
]
