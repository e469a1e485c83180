"""smsc-soap: a typed, safe client for the SOAP API of the SMSC SMS service.

``import smsc_soap; smsc_soap.Client(login=..., psw=...)`` is the whole entry point; every error
it raises is a :class:`SmscError`.
"""
from .client import Client, Reconciliation
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
from .transport import RetryPolicy

__version__ = "0.1.0"

__all__ = [
    "ApiError", "AuthenticationError", "BalanceResult", "Client", "ConnectionError", "CostResult",
    "DeliveryError", "DeliveryStatus", "DuplicateRequest", "InsufficientFunds", "InvalidPhone",
    "InvalidTime", "IpBlocked", "MessageForbidden", "MessageNotFound", "ParameterError", "PhoneError",
    "ProtocolError", "RateLimited", "Reconciliation", "RetryPolicy", "SendOutcomeUnknown", "SendResult", "SmscError", "SoapFault", "StatusResult", "TLSError",
    "TimeoutError", "TransportError", "Undeliverable", "UnknownApiError", "UnsupportedOperation",
    "ValidationError",
]
