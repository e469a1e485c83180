"""Data taken from the service's pages (not assumptions): codes and their names.

Each table cites where it comes from. ``/work/shared`` paths are the project's source pages:
``seeds/004_…`` is the SOAP page, ``spec/status-codes.md`` collects the ``status``/``err`` lists
the SOAP page links to.
"""
from __future__ import annotations

from typing import Dict

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

#: seed 004, parameter ``mes``: "Максимальний розмір – 1000 символів".
MAX_MESSAGE_CHARS = 1000

#: seed 004, parameter ``id``: an integer 1..2147483647 or up to 40 of ``[A-Za-z0-9.\-_]``.
MAX_NUMERIC_ID = 2147483647
MAX_ID_CHARS = 40

#: seed 004, parameter ``sender``: "Довжина – 11 символів або 15 цифр".
MAX_SENDER_CHARS = 11
MAX_SENDER_DIGITS = 15

#: seed 004, parameter ``cost``: 0 send, 1 cost only, 2 send + cost, 3 send + cost + balance.
COST_MODES = (0, 1, 2, 3)

#: seed 004, ``all`` of get_status: 0 plain, 1 full, 2 full + operator and region.
STATUS_DETAIL_LEVELS = (0, 1, 2)

# --- delivery status of a message (spec/status-codes.md, "status") --------------------------
STATUS_NOT_FOUND = -3
STATUS_STOPPED = -2
STATUS_WAITING = -1
STATUS_TRANSFERRED = 0
STATUS_DELIVERED = 1
STATUS_READ = 2
STATUS_EXPIRED = 3
STATUS_CLICKED = 4
STATUS_UNDELIVERABLE = 20
STATUS_INVALID_NUMBER = 22
STATUS_PROHIBITED = 23
STATUS_NO_FUNDS = 24
STATUS_UNAVAILABLE_NUMBER = 25

STATUS_NAMES: Dict[int, str] = {
    -3: "Message not found",
    -2: "Stopped",
    -1: "Waiting to be sent",
    0: "Transferred to operator",
    1: "Delivered",
    2: "Read",
    3: "Expired",
    4: "Link clicked",
    20: "Impossible to deliver",
    22: "Invalid number",
    23: "Prohibited",
    24: "Insufficient funds",
    25: "Unavailable number",
}

# --- why a message was not delivered (spec/status-codes.md, "err") ---------------------------
DELIVERY_ERRORS: Dict[int, str] = {
    0: "No error",
    1: "Subscriber does not exist",
    2: "Mailbox full",
    3: "Recipient server not found",
    4: "Mailbox blocked",
    6: "Subscriber offline",
    11: "No SMS service",
    12: "Error in subscriber's phone",
    13: "Subscriber blocked",
    21: "Service not supported",
    200: "Virtual sending",
    219: "SIM card replaced",
    220: "Operator queue overflow",
    237: "Subscriber does not answer",
    238: "No template",
    239: "Forbidden IP address",
    240: "Subscriber busy",
    241: "Conversion error",
    242: "Answering machine detected",
    243: "No contract",
    244: "Mailing prohibited",
    245: "Status not received",
    246: "Time restriction",
    247: "Message limit exceeded",
    248: "No route",
    249: "Invalid number format",
    250: "Number forbidden by settings",
    251: "Per-number daily limit exceeded",
    252: "Number forbidden",
    253: "Forbidden by spam filter",
    254: "Unregistered sender ID",
    255: "Rejected by operator",
}
