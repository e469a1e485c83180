"""The sync HTTP side of every call (it lives in :mod:`smsc_soap._sync.transport`, the peer of
:mod:`smsc_soap._async.transport`); this module keeps the names users import.
"""
from ._sync.transport import (  # noqa: F401 - the names this module always had
    DEFAULT_TIMEOUT, IP_BLOCKED_BACKOFF, LOG_BODY_CHARS, MAX_RESPONSE_BYTES, POOL_SIZE, RATE_LIMITED_BACKOFF,
    XML_CONTENT_TYPES, Exchange, RetryPolicy, SoapTransport, Timeout, TransportSettings, build_session,
    current_exchange,
)

__all__ = [
    "DEFAULT_TIMEOUT", "IP_BLOCKED_BACKOFF", "LOG_BODY_CHARS", "MAX_RESPONSE_BYTES", "POOL_SIZE",
    "RATE_LIMITED_BACKOFF", "XML_CONTENT_TYPES", "Exchange", "RetryPolicy", "SoapTransport", "Timeout",
    "TransportSettings", "build_session", "current_exchange",
]
