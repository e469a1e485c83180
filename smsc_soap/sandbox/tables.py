"""Data taken from the service's pages (not assumptions): codes and their names.

Each table cites where it comes from. ``/work/shared`` paths are the project's source pages:
``seeds/004_…`` is the SOAP page, ``spec/status-codes.md`` collects the ``status``/``err`` lists
the SOAP page links to.
"""
from __future__ import annotations

from .. import spec
from ..results import DeliveryStatus

# --- error codes of the answers (seed 004, "Код помилки" tables) ---------------------------
ERR_PARAMS = 1          #: error in parameters
ERR_AUTH = 2            #: bad login or password
ERR_FUNDS = 3           #: send/cost: insufficient funds
ERR_NOT_FOUND = 3       #: get_status: message not found
ERR_IP_BLOCKED = 4      #: IP temporarily blocked after frequent errors
ERR_DATE = 5            #: invalid date format (send ``time``)
ERR_FORBIDDEN = 6       #: message forbidden (by text or sender name)
ERR_PHONE = 7           #: invalid phone number format
ERR_UNDELIVERABLE = 8   #: the message cannot be delivered to the number
ERR_RATE = 9            #: duplicate send / too many status or balance requests within a minute

#: seed 004: "Сервер не приймає більше одного однакового запиту на відправку SMS-повідомлень
#: протягом хвилини" and the limits of get_status (more than 5) and get_balance (more than 10).
DUPLICATE_SEND_WINDOW = 60.0
STATUS_REQUESTS_PER_MINUTE = 5
BALANCE_REQUESTS_PER_MINUTE = 10
RATE_WINDOW = 60.0

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
