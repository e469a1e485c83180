"""The facts of the service's pages, in one module: the client, the CLI, the docs and the sandbox
all read them here, so that no two copies can drift apart.

The law is the service's own pages (``/work/shared/seeds``; ``004_…`` is the SOAP page, cited
below as ``004:<line>`` with a few of its words). What the pages do not state but the package
had to decide is an ASSUMPTION, named once here with a comment saying so; where the client and
the sandbox used to decide differently, the comment says which choice both now make and why.

Facts only: constants, tables and small frozen types, no I/O and no logic beyond a membership
test. The sandbox keeps its own *logic* (it is an independent oracle) but reads its *facts* here.
"""
from __future__ import annotations

import re
from typing import Mapping, NamedTuple, Optional, Tuple

#: The SOAP page (smsc.ua, Ukrainian): the law for every base field and for ``query``.
SOAP_PAGE = "seeds/004_15f31480a758852c.txt"
#: The HTTP mailing page (smsc.kz, Russian): same message family, adds translit and nl.
HTTP_PAGE = "seeds/000_d56cf09e53685b82.txt"
#: The SMPP page (Russian): the comment that may follow a text.
SMPP_PAGE = "seeds/003_839db9d8b9d81044.txt"


# === parameters ===


class IntRange(NamedTuple):
    """An inclusive range of whole numbers; a tuple, so ``low, high = r`` and ``r == (a, b)`` work."""

    low: int
    high: int

    def includes(self, value: int) -> bool:
        """``low <= value <= high``."""
        return self.low <= value <= self.high


# --- phones (004:17-24) ---------------------------------------------------------------------

#: 004:17 "розділений комою або крапкою з комою список номерів": recipients in ``phones`` are
#: separated by "," or ";".
PHONE_SEPARATORS = ",;"
#: 004:22 "Для відключення автовиправлення передайте номер зі знаком "+"": a leading "+" is
#: allowed and turns auto-correction off.
PHONE_PLUS = "+"
#: 004:23 "спеціальний код "G<номер группы>"": a contact group.
GROUP_PREFIX = "G"
#: ASSUMPTION (the page says only "в міжнародному форматі", 004:17): a phone number has 7..15
#: digits once written without "+". 15 is E.164's maximum; 7 lets through the shortest real
#: international numbers (e.g. +683 Niue, +500 Falklands: 7..8 digits). ONE CHOICE for the
#: client and the sandbox (they said 7..15 and 10..15): refusing a real number costs the user a
#: message the service would have sent; letting a short wrong one through costs nothing (error 7).
PHONE_DIGITS = IntRange(7, 15)

# --- mes (004:27-32) -------------------------------------------------------------------------

#: 004:27 "Максимальний розмір – 1000 символів". ASSUMPTION: counted in Unicode code points.
MES_MAX_CHARS = 1000
#: ASSUMPTION, ONE CHOICE (the client counted the comment, the sandbox did not): the 1000
#: characters are those of the whole ``mes`` parameter, comment included. The page limits the
#: parameter's size and puts comments inside its text (004:31 "У текст повідомлення можна
#: додавати коментарі"), and counting them keeps us on the side of what the server takes.
MES_LIMIT_COUNTS_COMMENT = True
#: SMPP page, line 10: "специальную комбинацию "\\n~~~\\n"": what follows it is a comment, for
#: the sender's history (004:31-32 "коментарі, призначені для перегляду відправником").
COMMENT_SEPARATOR = "\n~~~\n"
#: The two SMS alphabets that the page's "латиниці" and "кирилиці" stand for: GSM 03.38 7-bit
#: and UCS-2 (see :mod:`smsc_soap.message`).
GSM7 = "gsm7"
UCS2 = "ucs2"
#: 004:29 "Розмір одного SMS – 160 символів у латиниці або 70 символів у кирилиці".
SINGLE_PART_LIMIT: Mapping[str, int] = {GSM7: 160, UCS2: 70}
#: 004:31 "максимальна довжина стає 67 для кирилиці і 153 для латинських букв" (each part of a
#: multi-part SMS carries a joining header).
MULTI_PART_LIMIT: Mapping[str, int] = {GSM7: 153, UCS2: 67}

# --- id (004:35) -----------------------------------------------------------------------------

#: 004:35 "32-бітне число в діапазоні від 1 до 2147483647". ASSUMPTION (ONE CHOICE, issue 12):
#: a string of digits is such a number too, so "0" or "2147483648" is out of range.
ID_INT_RANGE = IntRange(1, 2147483647)
#: 004:35 "рядок довжиною до 40 символів".
ID_MAX_CHARS = 40
#: 004:35 "із латинських букв, цифр і символів ".-_"".
ID_SYMBOLS = ".-_"
ID_STRING = re.compile(r"[A-Za-z0-9._-]{1,%d}" % ID_MAX_CHARS)

# --- sender (004:38-40) ----------------------------------------------------------------------

#: 004:39 "Довжина – 11 символів або 15 цифр".
SENDER_MAX_CHARS = 11
SENDER_MAX_DIGITS = 15
#: ASSUMPTION: 004:39 allows "англійські букви, цифри, пробіл і деякі символи" without listing
#: the symbols. ONE CHOICE for both (the sandbox took any printable ASCII): these, and not
#: ``,`` ``|`` ``:`` ``;``, which separate the parts of a ``list`` line.
SENDER_SYMBOLS = " .-_!?&'()+/@#*"
#: ASSUMPTION: a sender name does not start or end with a space (a phone would not show it).
SENDER_EDGE_SPACES = False

# --- time (004:42-53) and tz (004:66-68) -----------------------------------------------------

#: 004:53 "Якщо time = 0 ... повідомлення буде відправлено негайно".
TIME_NOW = "0"
#: 004:45 "DDMMYYhhmm".
TIME_DDMMYYHHMM = re.compile(r"([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})")
#: 004:45 "DD.MM.YY hh: mm" -- the page's own spelling has a space after the colon.
#: ASSUMPTION, ONE CHOICE (the client refused that spelling, the sandbox took it and a one-digit
#: hour too): both spellings, "hh:mm" and the page's "hh: mm", two digits each; a user who copies
#: the page is not refused, and nothing the page does not show is taken.
TIME_DOTTED = re.compile(r"([0-9]{2})\.([0-9]{2})\.([0-9]{2}) ([0-9]{2}): ?([0-9]{2})")
#: 004:46 "h1-h2. Задає діапазон часу в годиннику".
TIME_WINDOW = re.compile(r"([0-9]{1,2})-([0-9]{1,2})")
#: 004:51 "0ts, де ts-timestamp".
TIME_TIMESTAMP = re.compile(r"0([0-9]+)")
#: 004:52 "+m. задає відносне зміщення часу від поточного в хвилинах".
TIME_OFFSET = re.compile(r"\+([0-9]+)")
#: ASSUMPTION: "YY" is a year of this century, 20YY.
TIME_CENTURY = 2000
#: ASSUMPTION, ONE CHOICE (the sandbox refused later moments, the client sent them): a moment
#: after 9999-12-31 23:59:59 UTC cannot be written as a date (last_date, send_date), so a
#: ``0<ts>`` beyond it is refused (error 5).
TIME_LATEST_TIMESTAMP = 253402300799
#: ASSUMPTION: an hour window h1-h2 needs 0 <= h1 < h2 <= 24; the page describes only a
#: same-day window (before h1 wait, inside send, after it the next day at h1).
HOUR_WINDOW = IntRange(0, 24)
#: 004:66 "Вказується щодо московського часу": tz is relative to Moscow, which is UTC+3 (no DST
#: since 2014; a fact about Moscow, not from the page).
MOSCOW_UTC_OFFSET_HOURS = 3
#: ASSUMPTION (004:67 says only "може бути як позитивним, так і негативним"), ONE CHOICE (the
#: client said -15..11, the sandbox -15..12): whole hours relative to Moscow spanning the
#: world's zones, UTC-12..UTC+14, i.e. -15..11. UTC+15 does not exist.
TZ_RANGE = IntRange(-15, 11)

# --- all of get_status (004:350-352) ---------------------------------------------------------

#: 004:350 "0 – (за замовчуванням) ... 1 – ... повну інформацію ... 2 – ... оператора і Регіон".
STATUS_DETAIL_LEVELS: Tuple[int, ...] = (0, 1, 2)

# --- extended parameters (004 "Додаткові параметри передаються в 'query'") ------------------

#: 0 (by default) or 1: the page's "0 (за замовчуванням) ... 1 – ..." flags.
FLAG: Tuple[int, ...] = (0, 1)
#: The parameters that are such flags (004: flash, push, hlr, ping, mms, mail, soc, viber,
#: whatsapp, tg, call, tinyurl, err, op; the HTTP page: nl).
EXTENDED_FLAGS: Tuple[str, ...] = (
    "flash", "push", "hlr", "ping", "mms", "mail", "soc", "viber", "whatsapp", "tg", "call",
    "tinyurl", "err", "op", "nl",
)
#: Parameters that take one of a few whole numbers.
EXTENDED_CHOICES: Mapping[str, Tuple[int, ...]] = {
    #: 004:85-87 "0 ... 1 – бінарне ... 2 – ... шістнадцяткового рядка (hex)".
    "bin": (0, 1, 2),
    #: 004:168-172 "0 ... звичайна відправка. 1 – отримати вартість ... 2 ... 3 ...".
    "cost": (0, 1, 2, 3),
    #: HTTP page, lines 83-86: "0 (по умолчанию) – не переводить", 1 "translit", 2 "mpaHc/Ium".
    "translit": (0, 1, 2),
}
#: Parameters that take a whole number in a range.
EXTENDED_INT_RANGES: Mapping[str, IntRange] = {
    "tz": TZ_RANGE,
    #: 004:77 "Задається в проміжку від 1 до 1440 хвилин".
    "freq": IntRange(1, 1440),
    #: 004:135 "Діапазон значень від 10 до 999" (days).
    "smsreq": IntRange(10, 999),
    #: 004:193 "Діапазон від 1 до 24 годин" (the int form of valid).
    "valid": IntRange(1, 24),
}
#: 004:193 valid "у форматі чч: мм в діапазоні від 00:01 до 24:00", in minutes.
VALID_MINUTES = IntRange(1, 24 * 60)
#: ASSUMPTION: valid absent means a message lives 24 hours (the page's longest).
VALID_DEFAULT_HOURS = 24
#: 004:71-72 period "число в діапазоні від 0.1 до 720 годин".
PERIOD_HOURS: Tuple[float, float] = (0.1, 720.0)
#: 004:202 maxsms "Максимальна кількість SMS": at least one part. ASSUMPTION: no upper bound
#: (the page gives none).
MAXSMS_MIN = 1
MAXSMS_MAX: Optional[int] = None
#: 004:146-148 voices: m, m2, m3 (default), m4, w, w2, w3, w4; optionally ", en" and the like.
VOICES: Tuple[str, ...] = ("m", "m2", "m3", "m4", "w", "w2", "w3", "w4")
#: param "w,i,n" (004:152-160): w "від 0 до 99" (10..35 used); i works 10..3600 and "менше 10
#: ... буде приведене до 10" -- ASSUMPTION: 0..9 are thus accepted; n works 1..9 and "0 буде
#: приведений до 1". Outside these the page says all three silently fall back to defaults.
VOICE_PARAM_RANGES: Tuple[Tuple[str, IntRange], ...] = (
    ("w", IntRange(0, 99)),
    ("i", IntRange(0, 3600)),
    ("n", IntRange(0, 9)),
)

# --- list (004:175-190) ----------------------------------------------------------------------

#: 004:180 "Рядки розділяються через символ нового рядка (%0A)".
LIST_LINE_SEPARATOR = "\n"
#: 004:175 phones and mes "розділених двокрапкою або крапкою з комою" -- ":" (the form every
#: example shows; issue 12 covers ";").
LIST_TEXT_SEPARATOR = ":"
#: 004:183 "sender1,tz1|phones1:mes1": a line's sender (and optional tz) end at "|", the tz
#: follows the sender after ",".
LIST_SENDER_END = "|"
LIST_TZ_SEPARATOR = ","
#: 004:181 "символ нового рядка, то вкажіть його через \\n": a newline inside a line's mes.
LIST_NEWLINE_ESCAPE = "\\n"


# === operations ===
#
# The seven SOAP operations of 004 (and of the vendored WSDL). Exception classes live in
# smsc_soap.errors, which builds its tables (SEND_ERRORS, ...) from the codes here: a class is
# named, not imported, so this module stays free of the package. Result types are named the
# same way (smsc_soap.results).

#: What an operation does; only sends cost money and reach a phone, so only they are never
#: repeated once they may have left.
SEND, COST, STATUS, BALANCE = "send", "cost", "status", "balance"
KINDS: Tuple[str, ...] = (SEND, COST, STATUS, BALANCE)


class ErrorCode(NamedTuple):
    """One row of an operation's error table: the exception class (by name) and the page's text."""

    exception: str
    meaning: str


_AUTH = ErrorCode("AuthenticationError", "wrong login or password, or the request came from an IP address "
                                         "not in the client's list of allowed addresses")

#: 004:252-280 "Код помилки може приймати наступні значення": the codes of send_sms and send_sms2.
SEND_ERROR_CODES: Mapping[int, ErrorCode] = {
    1: ErrorCode("ParameterError", "error in parameters"),
    2: _AUTH,
    3: ErrorCode("InsufficientFunds", "insufficient funds on the client's account"),
    4: ErrorCode("IpBlocked", "IP address temporarily blocked because of frequent errors in requests"),
    5: ErrorCode("InvalidTime", "invalid date format"),
    6: ErrorCode("MessageForbidden", "message forbidden (by its text or by the sender name)"),
    7: ErrorCode("InvalidPhone", "invalid phone number format"),
    8: ErrorCode("Undeliverable", "the message cannot be delivered to the number"),
    9: ErrorCode("DuplicateRequest", "more than one identical request to send an SMS within a minute"),
}
#: ASSUMPTION: the page lists the returned ``error`` of get_sms_cost/get_sms_cost2 but gives no
#: code table for them; they take the same parameters as send, so their codes are read with
#: send's table (as the digest does).
COST_ERROR_CODES = SEND_ERROR_CODES
#: 004:408-424 (section "Перевірка статусу"): the codes of get_status and get_status2.
STATUS_ERROR_CODES: Mapping[int, ErrorCode] = {
    1: ErrorCode("ParameterError", "error in parameters"),
    2: _AUTH,
    3: ErrorCode("MessageNotFound", "message not found"),
    4: ErrorCode("IpBlocked", "IP address temporarily blocked"),
    9: ErrorCode("RateLimited", "more than five requests for the status of the same message within a minute"),
}
#: 004:444-460 (section "Перевірка стану балансу"): the codes of get_balance (0 means no error).
BALANCE_ERROR_CODES: Mapping[int, ErrorCode] = {
    1: ErrorCode("ParameterError", "error in parameters"),
    2: _AUTH,
    4: ErrorCode("IpBlocked", "IP address temporarily blocked"),
    9: ErrorCode("RateLimited", "more than ten balance requests within a minute"),
}
#: A code the page does not list for the operation: kept as its number.
UNKNOWN_ERROR_CODE = ErrorCode("UnknownApiError", "a code the service's documentation does not list for this method")


class Operation(NamedTuple):
    """One SOAP operation as the page describes it.

    ``twin`` pairs the plain operation with its ``*2`` one, which has the ``query`` string
    (extended parameters, and the only place an API key can travel); get_balance has none.
    """

    name: str
    kind: str
    twin: Optional[str]
    has_query: bool
    errors: Mapping[int, ErrorCode]
    result: str  # the class name in smsc_soap.results


OPERATIONS: Mapping[str, Operation] = {op.name: op for op in (
    Operation("send_sms", SEND, "send_sms2", False, SEND_ERROR_CODES, "SendResult"),
    Operation("send_sms2", SEND, "send_sms", True, SEND_ERROR_CODES, "SendResult"),
    Operation("get_sms_cost", COST, "get_sms_cost2", False, COST_ERROR_CODES, "CostResult"),
    Operation("get_sms_cost2", COST, "get_sms_cost", True, COST_ERROR_CODES, "CostResult"),
    Operation("get_status", STATUS, "get_status2", False, STATUS_ERROR_CODES, "StatusResult"),
    Operation("get_status2", STATUS, "get_status", True, STATUS_ERROR_CODES, "StatusResult"),
    Operation("get_balance", BALANCE, None, False, BALANCE_ERROR_CODES, "BalanceResult"),
)}


class RateLimit(NamedTuple):
    """How many requests the service allows within :data:`RATE_LIMIT_WINDOW_SECONDS` before it
    answers error 9, and which requests count together."""

    requests: int
    counted: str


#: 004:280, 424, 460: every error-9 limit is "протягом хвилини" (within a minute).
RATE_LIMIT_WINDOW_SECONDS = 60.0
#: The error-9 limits by kind (004:280 send, 004:424 status, 004:460 balance). Cost has none of
#: its own on the page (see COST_ERROR_CODES).
RATE_LIMITS: Mapping[str, RateLimit] = {
    SEND: RateLimit(1, "identical send requests"),
    STATUS: RateLimit(5, "status requests for the same message"),
    BALANCE: RateLimit(10, "balance requests"),
}


# === bulk ===
#
# Facts for sending many messages (smsc_soap.bulk) and for the sandbox's concurrency limit.

#: 001:90, 002:101 "при попытке отправки пятнадцати и более запросов одновременно с разных
#: подключений под одним логином (too many concurrent requests)": 15 or more requests in flight
#: at once under one login are answered with error 9.
CONCURRENT_REQUESTS_REFUSED_AT = 15
#: The most requests one login may have in flight without a 9 (one fewer than the above).
CONCURRENT_REQUESTS_ALLOWED = CONCURRENT_REQUESTS_REFUSED_AT - 1
#: ASSUMPTION (a choice, not the page's): the requests one Client keeps in flight at most, for
#: all its threads together: 10 leaves room under the 14 allowed for other programs (a CLI, a
#: status poller) working under the same login at the same time.
BULK_CONCURRENT_REQUESTS = 10
#: ASSUMPTION: the page gives ``list`` no limit on lines or size (004:175-190: "Параметр list
#: дозволяє виконувати множинну розсилку ... одним http-запитом"). 100 lines per request is our
#: choice: 100x fewer requests than one per message, while a chunk that fails (one bad number
#: under error 7, a lost answer) takes at most 100 messages with it.
BULK_LINES_PER_REQUEST = 100
#: ASSUMPTION: at most this many bytes of URL-encoded ``list`` per request (the page names no
#: limit; 64 KiB stays below the POST body limits common web servers ship with, e.g. nginx 1 MiB).
BULK_BYTES_PER_REQUEST = 64 * 1024
#: ASSUMPTION: how many chunks send_bulk prepares ahead of the ones in flight (per request slot):
#: enough to keep every slot busy, few enough that memory does not grow with the input.
BULK_WINDOW_PER_SLOT = 2
#: 004:424 (five status requests per message a minute): the least time between two status
#: requests for the same message that stays within RATE_LIMITS[STATUS].
STATUS_MIN_INTERVAL_SECONDS = RATE_LIMIT_WINDOW_SECONDS / RATE_LIMITS[STATUS].requests
