"""Every behaviour of the sandbox that the service's pages do NOT state, in one place.

Each constant or table below is an assumption, named and commented, so that it can be changed
(or proven wrong by the live service) in one spot. What the pages do state lives in
:mod:`smsc_soap.spec` with a citation (:mod:`smsc_soap.sandbox.tables` holds the codes). Where an
assumption is one the client makes too (phone length, ``tz`` range, ...), it is named once in
:mod:`smsc_soap.spec` and only aliased here, so the client and the sandbox cannot drift apart.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Dict, Mapping, Optional, Tuple

from .. import spec
from . import tables as T

# --- accounts and money ----------------------------------------------------------------------

#: The account served when none is given: the login and password of the page's own examples
#: (seed 004: ``'login'=>'alex', 'psw'=>'123'``), so that those examples run unchanged.
DEMO_LOGIN = "alex"
DEMO_PASSWORD = "123"
#: Balance of the demo account, and of any account given without one (``LOGIN:PSW``).
DEFAULT_BALANCE = Decimal("100.00")

#: Price of ONE SMS part by number prefix (longest prefix wins; "" is every other number), in
#: the account's currency. The pages give no prices; these round numbers only make costs easy to
#: check: Russia 2.00, Kazakhstan 3.00, Ukraine 1.50, anywhere else 5.00.
PRICE_PER_PART: Dict[str, Decimal] = {
    "7": Decimal("2.00"),
    "76": Decimal("3.00"),
    "77": Decimal("3.00"),
    "380": Decimal("1.50"),
    "": Decimal("5.00"),
}

#: Money is kept and written with two decimals ("100.00"), as PHP answers in wsdl-evidence.md.
MONEY_QUANTUM = Decimal("0.01")
#: The largest balance an account may be given (a trillion; no real account holds more, and two
#: decimals of it stay well inside Decimal's 28 digits). A balance is also at least 0: the
#: pages say nothing of credit. Outside 0..MAX_BALANCE, or not a finite number: refused.
MAX_BALANCE = Decimal("1000000000000")

# --- time -------------------------------------------------------------------------------------

#: The service's clock runs on Moscow time (UTC+3, no DST): ``tz`` is "relative to Moscow"
#: (seed 004), so ``last_date``/``send_date`` are written and ``time`` is read in Moscow time.
SERVICE_UTC_OFFSET_HOURS = spec.MOSCOW_UTC_OFFSET_HOURS
#: ``tz`` absent means "the account's setting"; every sandbox account is set to Moscow (0).
ACCOUNT_TZ = 0
#: Accepted range of ``tz`` (hours relative to Moscow); outside it: error 1. The choice is
#: :data:`smsc_soap.spec.TZ_RANGE`, shared with the client.
TZ_RANGE = spec.TZ_RANGE
#: ``time`` forms: :data:`smsc_soap.spec.TIME_DOTTED` and its neighbours (the page's own
#: "hh: mm" spelling is taken, a choice shared with the client). A 10-digit ``time`` is
#: DDMMYYhhmm; ``0`` followed by other digits is a Unix timestamp.

#: ``valid`` (hours, 1..24, or hh:mm 00:01..24:00) absent: the message lives
#: :data:`smsc_soap.spec.VALID_DEFAULT_HOURS` hours.
DEFAULT_VALIDITY_SECONDS = spec.VALID_DEFAULT_HOURS * 3600

#: Status progression on the sandbox clock, from the moment a message is to be sent:
#: "waiting" (-1) for QUEUE_SECONDS, "transferred to operator" (0) for DELIVERY_SECONDS more,
#: then the final status (1 delivered unless a magic number says otherwise). An "expired" magic
#: number stays at 0 until its validity runs out.
QUEUE_SECONDS = 2.0
DELIVERY_SECONDS = 5.0

# --- phone numbers ------------------------------------------------------------------------------

#: An international number has this many digits once written without "+": the choice is
#: :data:`smsc_soap.spec.PHONE_DIGITS`, shared with the client.
PHONE_DIGITS = spec.PHONE_DIGITS
#: Auto-correction of numbers written without "+" (seed 004 says such numbers "may be corrected";
#: how is not stated). Separators are dropped, then the Russian trunk prefix 8 and a bare
#: 10-digit mobile number starting with 9 become +7. A number written with "+" is taken as is.
PHONE_SEPARATORS = re.compile(r"[\s\-().]")
AUTOCORRECT_RULES: Tuple[Tuple["re.Pattern[str]", str], ...] = (
    (re.compile(r"^8(\d{10})$"), r"7\1"),
    (re.compile(r"^(9\d{9})$"), r"7\1"),
)
#: The length of a whole number (country code included) in the few zones whose numbering plans
#: the sandbox knows, by number prefix (longest prefix wins): +1 (NANP) and +7 (Russia,
#: Kazakhstan) 1 + 10 digits, +380 (Ukraine) 3 + 9. A number of another length there is error 7,
#: as on a service that knows the numbering plans; the client checks only the general bounds of
#: :data:`smsc_soap.spec.PHONE_DIGITS`, so here the sandbox is stricter on purpose.
NUMBER_LENGTH_BY_PREFIX: Dict[str, int] = {"1": 11, "7": 11, "380": 12}
#: Contact groups ("G<n>") and telegram nicks are not modelled: such entries are malformed
#: numbers (error 7, or status 22 in ``errors``). With ``mail=1`` the recipients are e-mail
#: addresses (004 phones "Для E-mail повідомлення передається список e-mail адрес"), kept as
#: written and priced at the "" row of PRICE_PER_PART, one unit each (spec.BILL_ONE).
#: The same number twice in one request is sent (and billed) once.


@dataclass(frozen=True)
class Outcome:
    """How a message to a number ends (status and err of get_status), or that it is refused."""

    label: str
    status: int
    err: int
    refused_at_send: bool = False


DELIVERED = Outcome("delivered", T.STATUS_DELIVERED, 0)

#: "Magic" numbers, in the range +7 999 000 xxxx that the sandbox reserves for tests. Every other
#: well-formed number is delivered. The seed's example number 79999999999 is an ordinary one.
MAGIC_PHONES: Dict[str, Outcome] = {
    "79990000001": Outcome("unknown subscriber", T.STATUS_UNDELIVERABLE, 1),
    "79990000003": Outcome("expired", T.STATUS_EXPIRED, 6),
    "79990000020": Outcome("undeliverable", T.STATUS_UNDELIVERABLE, 11),
    "79990000255": Outcome("rejected by operator", T.STATUS_UNDELIVERABLE, 255),
    # Refused when sent: error 8 ("cannot be delivered") if it is the only number, otherwise
    # reported in ``errors`` and not billed.
    "79990000008": Outcome("cannot be delivered (refused at send)", T.STATUS_UNAVAILABLE_NUMBER, 0, True),
}

#: Status an entry of ``errors`` (send_sms2 with err=1) carries for a number that failed at send.
ERRORS_STATUS_MALFORMED = T.STATUS_INVALID_NUMBER          # 22, "Invalid number"
ERRORS_STATUS_UNDELIVERABLE = T.STATUS_UNAVAILABLE_NUMBER  # 25, "Unavailable number"

#: ``operator`` and ``region`` of get_status all=2, by number prefix (longest prefix wins). A
#: small illustrative table, not authoritative; a number no prefix matches gets empty strings.
NUMBERING_PLAN: Dict[str, Tuple[str, str]] = {
    "7999": ("Sandbox Mobile", "Sandbox test range"),
    "7903": ("Beeline", "Moscow"),
    "7916": ("MTS", "Moscow"),
    "7921": ("MegaFon", "Saint Petersburg"),
    "7701": ("Kcell", "Kazakhstan"),
    "7705": ("Beeline KZ", "Kazakhstan"),
    "7707": ("Tele2 KZ", "Kazakhstan"),
    "38050": ("Vodafone Ukraine", "Ukraine"),
    "38063": ("lifecell", "Ukraine"),
    "38067": ("Kyivstar", "Ukraine"),
}
UNKNOWN_NUMBERING = ("", "")

# --- request rules the page leaves open --------------------------------------------------------

#: A required element that is missing (SoapServer does not check; wsdl-evidence.md) reaches the
#: service logic: login/psw give error 2, any other one error 1. An element given twice (which
#: SoapServer turns into an array) is treated the same way.
MISSING_AUTH_ERROR = T.ERR_AUTH
MISSING_PARAM_ERROR = T.ERR_PARAMS
#: An empty ``mes`` is error 1 (except for hlr/ping, where mes is unused); a ``mes`` over
#: MAX_MESSAGE_CHARS is error 1, not cut (whether its comment counts:
#: :data:`smsc_soap.spec.MES_LIMIT_COUNTS_COMMENT`).
#: An empty ``phones`` (without ``list``) is error 1.
#: A sender name outside the page's format (11 of Latin letters, digits and
#: :data:`smsc_soap.spec.SENDER_SYMBOLS`, or 15 digits) is error 6, like an unregistered one.
#: Registered names are matched exactly (case-sensitive).
SENDER_CHARS = re.compile("^[A-Za-z0-9" + re.escape(spec.SENDER_SYMBOLS) + "]+$")
#: ``cost``/``all``/``maxsms``/``valid``/``tz`` outside their documented range: error 1.
#: The sender name get_status reports for a message sent without ``sender`` (the account's
#: default sender name on the real service; "SMSC.RU" is the service's own).
DEFAULT_SENDER = "SMSC.RU"

#: An "identical" send is one with the same account and the same parameters (phones, mes, id,
#: sender, time and every ``query`` parameter except apikey). Only accepted sends count; cost=1
#: sends nothing and is never a duplicate.
#: The status and balance limits count the requests that were answered (not those refused with 9)
#: per account; a status request is "for one message" by (id, phone).

#: Error 4: an IP is blocked for IP_BLOCK_SECONDS once it has had IP_BLOCK_ERRORS answers with
#: one of IP_BLOCK_COUNTED_ERRORS (request errors: parameters, login, date, sender, phone) within
#: IP_ERROR_WINDOW seconds. While blocked every request from it gets error 4.
IP_BLOCK_ERRORS = 10
IP_ERROR_WINDOW = 60.0
IP_BLOCK_SECONDS = 300.0
IP_BLOCK_COUNTED_ERRORS = frozenset({T.ERR_PARAMS, T.ERR_AUTH, T.ERR_DATE, T.ERR_FORBIDDEN, T.ERR_PHONE})

#: Message ids the sandbox assigns when the client gives none: 1, 2, 3, ... per sandbox, skipping
#: every id a message already has (a caller's own numeric ids included), so an assigned id never
#: collides with a caller's. The page says ids are the client's choice and "not necessarily
#: unique" (seed 004): a caller may reuse an id; then get_status for that (id, phone) answers the
#: latest message sent with it (messages are kept by (login, id, phone)).
FIRST_MESSAGE_ID = 1

# --- answers ---------------------------------------------------------------------------------

#: A successful answer carries no ``error`` element (PHP's SoapServer omits unset fields;
#: wsdl-evidence.md). Clients must treat absent, empty and 0 alike.
#: ``status_name`` is written in English, from spec/status-codes.md.
#: ``message`` of get_status all=1 is the text as submitted, comment included (the page says the
#: comment is for the sender's history).
#: get_status fills exactly the fields seed 004 lists for each ``all`` level; the WSDL's
#: ``last_timestamp`` and ``send_timestamp`` are listed at no level and are never filled, and the
#: page's ``sms_cnt`` (all=1) has no element in the WSDL, so a SoapServer cannot send it.

# --- HTTP -------------------------------------------------------------------------------------

#: Largest request body accepted; a bigger one gets HTTP 413 without being read. 1 MiB is nginx's
#: default ``client_max_body_size`` (the service most likely runs PHP behind nginx).
MAX_BODY_BYTES = 1024 * 1024
#: Idle or stalled connections are closed after this many seconds without a byte.
SOCKET_TIMEOUT = 30.0
#: A request body must arrive in full within this many seconds.
BODY_READ_SECONDS = 30.0
#: A request head (request line and headers) is at most this many bytes: past it, in the request
#: line, HTTP 414, in the headers, 431 (Request Header Fields Too Large), and the connection
#: closes. 32 KiB is nginx's default ``large_client_header_buffers`` (4 x 8 KiB) in all.
MAX_HEAD_BYTES = 32 * 1024
#: A whole request head (request line and headers) must arrive within this many seconds of its
#: first byte, else the connection is closed without an answer (nginx's ``client_header_timeout``
#: is 60 s; a shorter bound suits a local test server). Each read also has SOCKET_TIMEOUT.
HEAD_SECONDS = 10.0
#: Open connections served at once, at most (each holds one thread and one file descriptor).
#: The default is this cap, or the open-file limit less FD_MARGIN when that is lower. Past the
#: cap the oldest idle keep-alive connection is closed to make room; when none is idle, new
#: connections wait in the listen backlog (each busy one ends within HEAD_SECONDS +
#: BODY_READ_SECONDS plus its answer), so a burst is queued, never refused.
MAX_CONNECTIONS = 256
#: File descriptors kept free for everything else (listening socket, logs, pipes, files).
FD_MARGIN = 32
#: Listen backlog asked for (the kernel bounds it by /proc/sys/net/core/somaxconn): room for a
#: burst of several hundred connections before SYNs are dropped.
LISTEN_BACKLOG = 1024
#: After accept() fails for lack of resources (EMFILE, ENFILE, ENOBUFS, ENOMEM) the server waits
#: this long before trying again, instead of spinning on a listening socket that stays readable.
ACCEPT_BACKOFF_SECONDS = 0.1
#: A Content-Length of more digits than this is not a length (400); a smaller one over
#: MAX_BODY_BYTES is a body too large (413).
MAX_LENGTH_DIGITS = 18
#: Recorded requests kept by a sandbox (oldest dropped first).
REQUEST_LOG_LIMIT = 1000
#: ... and at most about this many bytes of them (bodies, answers, headers, parameters; oldest
#: dropped first, the newest always kept): a thousand requests of a megabyte would hold gigabytes.
REQUEST_LOG_BYTES = 64 * 1024 * 1024
#: A ``multipart/form-data`` POST (a mailing's files) is read by the sandbox's own reader within
#: these bounds, and one beyond them is a bad request (HTTP 400), so that no body costs more than
#: a pass over its bytes. The pages say nothing of multipart; PHP's own defaults are 1000 fields
#: (``max_input_vars``) and 20 files (``max_file_uploads``). At most this many parts:
MULTIPART_MAX_PARTS = 1000
#: A part's headers (Content-Disposition, Content-Type) end within this many bytes: the size of one
#: of nginx's default ``large_client_header_buffers`` (8 KiB), its bound on one request header line.
MULTIPART_MAX_PART_HEAD_BYTES = 8 * 1024
#: A part's header carries at most this many ``; name=value`` parameters (form-data needs two:
#: ``name`` and ``filename``).
MULTIPART_MAX_PARAMS = 8

# --- callbacks (the sandbox's side; the facts are spec's "callbacks" section) ----------------

#: Callbacks waiting to be delivered, at most; past it a new one is dropped, counted and logged.
CALLBACK_QUEUE_LIMIT = 10_000
#: One delivery attempt waits this long for the handler's answer (or for its connect to be
#: answered); a stop of the sandbox cuts a connected attempt at once.
CALLBACK_ATTEMPT_SECONDS = 5.0
#: With a real-time clock, statuses are looked at this often for changes to call back.
CALLBACK_POLL_SECONDS = 0.5
#: The deliveries a sandbox keeps for tests to look at (oldest dropped first).
CALLBACK_LOG_LIMIT = 1000
#: The account's number an incoming SMS is sent to when none is given.
CALLBACK_INCOMING_TO = "79000000000"
#: XML 1.0 cannot carry these control characters: in fmt=2 each is sent as "?" (as a character
#: the charset lacks is). The service's XML is not shown anywhere.
CALLBACK_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def longest_prefix(table: Mapping[str, object], phone: str) -> Optional[str]:
    """The longest key of ``table`` that ``phone`` starts with (``None`` if none does)."""
    best: Optional[str] = None
    for prefix in table:
        if phone.startswith(prefix) and (best is None or len(prefix) > len(best)):
            best = prefix
    return best


def price_per_part(phone: str) -> Decimal:
    """Price of one part to ``phone`` (a normalised number) from :data:`PRICE_PER_PART`."""
    return PRICE_PER_PART[longest_prefix(PRICE_PER_PART, phone) or ""]


def numbering(phone: str) -> Tuple[str, str]:
    """``(operator, region)`` of ``phone`` from :data:`NUMBERING_PLAN`."""
    prefix = longest_prefix(NUMBERING_PLAN, phone)
    return NUMBERING_PLAN[prefix] if prefix is not None else UNKNOWN_NUMBERING


def outcome(phone: str) -> Outcome:
    """How a message to ``phone`` ends: a magic number's outcome, otherwise delivered."""
    return MAGIC_PHONES.get(phone, DELIVERED)
