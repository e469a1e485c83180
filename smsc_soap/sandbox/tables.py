"""Data taken from the service's pages (not assumptions): codes and their names.

Each table cites where it comes from. ``/work/shared`` paths are the project's source pages:
``seeds/004_…`` is the SOAP page, ``spec/status-codes.md`` collects the ``status``/``err`` lists
the SOAP page links to.
"""
from __future__ import annotations

from typing import Mapping

from .. import spec
from ..results import DeliveryStatus

# --- error codes of the answers: read from spec's per-operation tables (seed 004) ---------


def _code(table: "Mapping[int, spec.ErrorCode]", exception: str) -> int:
    """The code a page's table gives to ``exception`` (tables are keyed by code)."""
    return next(code for code, row in table.items() if row.exception == exception)


ERR_PARAMS = _code(spec.SEND_ERROR_CODES, "ParameterError")           #: error in parameters
ERR_AUTH = _code(spec.SEND_ERROR_CODES, "AuthenticationError")        #: bad login or password
ERR_FUNDS = _code(spec.SEND_ERROR_CODES, "InsufficientFunds")         #: send/cost: insufficient funds
ERR_NOT_FOUND = _code(spec.STATUS_ERROR_CODES, "MessageNotFound")     #: get_status: message not found
ERR_IP_BLOCKED = _code(spec.SEND_ERROR_CODES, "IpBlocked")            #: IP blocked after frequent errors
ERR_DATE = _code(spec.SEND_ERROR_CODES, "InvalidTime")                #: invalid date format (``time``)
ERR_FORBIDDEN = _code(spec.SEND_ERROR_CODES, "MessageForbidden")      #: forbidden by text or sender
ERR_PHONE = _code(spec.SEND_ERROR_CODES, "InvalidPhone")              #: invalid phone number format
ERR_UNDELIVERABLE = _code(spec.SEND_ERROR_CODES, "Undeliverable")     #: cannot be delivered
ERR_RATE = _code(spec.SEND_ERROR_CODES, "DuplicateRequest")           #: a minute's limit was hit

#: The error-9 limits of spec (duplicate send, 5 status requests per message, 10 balance
#: requests, each within a minute).
RATE_WINDOW = spec.RATE_LIMIT_WINDOW_SECONDS
DUPLICATE_SEND_WINDOW = RATE_WINDOW
STATUS_REQUESTS_PER_MINUTE = spec.RATE_LIMITS[spec.STATUS].requests
BALANCE_REQUESTS_PER_MINUTE = spec.RATE_LIMITS[spec.BALANCE].requests

# --- the parameters' facts: read from smsc_soap.spec, the one copy (names kept for imports) ---
MAX_MESSAGE_CHARS = spec.MES_MAX_CHARS
MAX_NUMERIC_ID = spec.ID_INT_RANGE.high
MAX_ID_CHARS = spec.ID_MAX_CHARS
MAX_SENDER_CHARS = spec.SENDER_MAX_CHARS
MAX_SENDER_DIGITS = spec.SENDER_MAX_DIGITS
COST_MODES = spec.EXTENDED_CHOICES["cost"]
STATUS_DETAIL_LEVELS = spec.STATUS_DETAIL_LEVELS

# --- delivery status of a message -----------------------------------------------------------
# The one table of statuses, with their names, is smsc_soap.results.DeliveryStatus (from
# spec/status-codes.md); the sandbox writes them as plain ints.
STATUS_WAITING = int(DeliveryStatus.WAITING)
STATUS_TRANSFERRED = int(DeliveryStatus.TRANSFERRED)
STATUS_DELIVERED = int(DeliveryStatus.DELIVERED)
STATUS_EXPIRED = int(DeliveryStatus.EXPIRED)
STATUS_UNDELIVERABLE = int(DeliveryStatus.UNDELIVERABLE)
STATUS_INVALID_NUMBER = int(DeliveryStatus.INVALID_NUMBER)
STATUS_UNAVAILABLE_NUMBER = int(DeliveryStatus.UNAVAILABLE_NUMBER)


#: The name of each status code (the enum's members carry a ``title``).
_STATUS_NAMES = {int(status): str(getattr(status, "title")) for status in DeliveryStatus}


def status_name(code: int) -> str:
    """The name the answer's ``status_name`` carries (the code itself for an unknown one)."""
    return _STATUS_NAMES.get(code, str(code))
