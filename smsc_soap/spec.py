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
#: SMPP page, 003:9: "специальную комбинацию "\\n~~~\\n"": what follows it is a comment, for
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
#: ASSUMPTION: the language of a voice (000:160 "m,en", "w,fr", "w,de") is a two-letter ISO 639-1
#: code; the client writes it in lower case; the sandbox answers error 1 to another.
VOICE_LANGUAGE = re.compile(r"[A-Za-z]{2}")
#: param "w,i,n" (004:152-160): w "від 0 до 99" (10..35 used); i works 10..3600 and "менше 10
#: ... буде приведене до 10" -- ASSUMPTION: 0..9 are thus accepted; n works 1..9 and "0 буде
#: приведений до 1". Outside these the page says all three silently fall back to defaults.
VOICE_PARAM_RANGES: Tuple[Tuple[str, IntRange], ...] = (
    ("w", IntRange(0, 99)),
    ("i", IntRange(0, 3600)),
    ("n", IntRange(0, 9)),
)
#: 000:166 (004 alike) "При указании значения любого параметра, отличного от возможных, будут
#: использованы значения всех параметров по умолчанию". ASSUMPTION, ONE CHOICE: the client refuses
#: a value outside VOICE_PARAM_RANGES instead of sending it: the service would drop all three
#: settings silently, which is a caller's bug, not a wish (as REFUSE_UNUSED_TEXT). A value inside
#: the ranges but below the working one (w or i under 10, n 0) is sent: the page clamps it.
REFUSE_PARAM_FALLBACK = True
#: 000:109 (004:77 alike) "Без параметра period параметр freq игнорируется". ASSUMPTION, ONE CHOICE:
#: the client refuses freq without period (a value the service ignores is a caller's bug); the
#: sandbox ignores it, as the page says the service does.
REFUSE_IGNORED_FREQ = True

# --- list (004:175-190) ----------------------------------------------------------------------

#: 004:180 "Рядки розділяються через символ нового рядка (%0A)".
LIST_LINE_SEPARATOR = "\n"
#: 004:175 phones and mes "розділених двокрапкою або крапкою з комою": the text follows the
#: first ":" or ";" of a line (after its sender head). The client writes ":" (the form every
#: example shows) and reads both.
LIST_TEXT_SEPARATOR = ":"
LIST_TEXT_SEPARATORS = ":;"
#: 004:180 "В якості phones можна вказати кілька номерів телефонів через кому": inside a list
#: line the phones are separated by "," only, since ";" ends them.
LIST_PHONE_SEPARATOR = ","
#: 004:183 "sender1,tz1|phones1:mes1": a line's sender (and optional tz) end at "|", the tz
#: follows the sender after ",".
LIST_SENDER_END = "|"
LIST_TZ_SEPARATOR = ","
#: 004:181 "символ нового рядка, то вкажіть його через \\n": a newline inside a line's mes.
LIST_NEWLINE_ESCAPE = "\\n"
#: ASSUMPTION, ONE CHOICE (004:181): the page turns "\\n" in a list line's mes into a newline and
#: documents no escape for a literal backslash-n; its nl=1 "special mode" for multi-line texts is
#: not described further. So a text that holds a literal backslash-n cannot travel in ``list``
#: as written: the client refuses it in a (phones, mes) entry (send it with send_sms instead).
LIST_LITERAL_BACKSLASH_N_REFUSED = True
#: 004:182 "працює тільки для запитів, в яких параметр time представлений у вигляді DDMMYYhhmm
#: або DD.MM.YY hh: mm": a line's own tz applies only with these two absolute time forms.
LIST_TZ_TIME_FORMS = (TIME_DDMMYYHHMM, TIME_DOTTED)


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


# === channels ===
#
# The kinds of message besides a plain SMS. Each is selected by an extended parameter of the
# ``*2`` methods (SOAP page 004, "Додаткові параметри") or, over SMPP, by a prefix of the text
# (SMPP page 003). One :class:`Channel` per kind says what it needs, what it forbids, how its text
# is read and how it is billed; smsc_soap.channels (the client's typed helpers and checks),
# smsc_soap.smpp, the sandbox and the docs all read this table.

#: How a channel's ``mes`` is read (the ``text`` field of :class:`Channel`).
TEXT = "text"                      # a text, required (not empty once the comment is stripped)
TEXT_NONE = "none"                 # 004 hlr/ping: "Параметр mes не використовується"
TEXT_CODE = "code"                 # 003: "только числовые коды длиной от 4 до 8 цифр"
TEXT_LINK_TITLE = "link_title"     # 004 push: "посилання і заголовок через переведення рядка"
TEXT_SUBJECT_OR_TEXT = "subject_or_text"  # 004 subj: "Для MMS обов'язковим є указання теми або тексту"
TEXT_BINARY = "binary"             # 004 bin: UDH first, its first byte the header's length

#: How a channel is billed per recipient (the ``billing`` field of :class:`Channel`).
BILL_PARTS = "parts"   # 004 mes: 160/70 characters, parts of 153/67 (GSM-7 / UCS-2)
BILL_BYTES = "bytes"   # binary: by octets (ASSUMPTION: BINARY_*_PART_BYTES below)
BILL_ONE = "one"       # ASSUMPTION: one billed unit per recipient; the pages price no channel


class Channel(NamedTuple):
    """One kind of message as the pages describe it.

    ``flag`` is the extended parameter that selects it (None for a plain SMS) and ``flag_values``
    the values that do (``bot`` takes a name, so its values are empty: any valid name).
    ``needs`` are extended parameters it cannot go without; ``allows`` the channel-only
    parameters (:data:`CHANNEL_ONLY_PARAMS`) it may take besides them: any other channel-only
    parameter is refused. ``needs_sender``: the base ``sender`` field is required (an e-mail
    address for e-mail). ``smpp_prefix``/``smpp_line``: the SMPP text convention (003).
    """

    name: str
    title: str
    flag: Optional[str]
    flag_values: Tuple[int, ...]
    needs: Tuple[str, ...]
    allows: Tuple[str, ...]
    text: str
    needs_sender: bool
    billing: str
    smpp_prefix: Optional[str]
    smpp_line: Optional[str]
    source: str


#: Extended parameters that belong to some channels only: 004 voice "тільки для голосових
#: повідомлень", param "для голосового повідомлення", subj "Тема MMS або e-mail повідомлення",
#: bot (it selects the bot channel itself).
CHANNEL_ONLY_PARAMS: Tuple[str, ...] = ("voice", "param", "subj", "bot")

CHANNELS: Mapping[str, Channel] = {c.name: c for c in (
    Channel("sms", "SMS", None, (), (), (), TEXT, False, BILL_PARTS, None, None,
            "004 mes: 160/70 characters, parts of 153/67"),
    Channel("email", "E-mail", "mail", (1,), ("subj",), (), TEXT, True, BILL_ONE, "__MAIL__", "subj",
            "004 subj: 'При відправці e-mail вказання теми, тексту і адреси відправника обов'язкове'; "
            "003 '__MAIL__: <message>\\nsubj:<subject>'"),
    Channel("call", "Voice call", "call", (1,), (), ("voice", "param"), TEXT, False, BILL_ONE, "__CALL__", "voice",
            "004 call, voice, param; 003 '__CALL__: <message>\\nvoice:<voice>', param after '\\n~~~\\n'"),
    Channel("viber", "Viber", "viber", (1,), (), (), TEXT, False, BILL_ONE, "__VIBER__", None,
            "004 viber; 003 '__VIBER__: <message>'"),
    Channel("soc", "Social networks", "soc", (1,), (), (), TEXT, False, BILL_ONE, "__SOC__", None,
            "004 soc (Odnoklassniki, VKontakte, Mail.Ru Agent); 003 '__SOC__: <message>'"),
    Channel("whatsapp", "WhatsApp", "whatsapp", (1,), (), (), TEXT, False, BILL_ONE, None, None,
            "004 whatsapp (no SMPP prefix on 003)"),
    Channel("telegram", "Telegram code", "tg", (1,), (), (), TEXT_CODE, False, BILL_ONE, "__TGM__", None,
            "004 tg: 'код підтвердження, переданим в параметрі mes'; 003 '__TGM__: <code>', 4..8 digits"),
    Channel("bot", "Telegram bot", "bot", (), ("bot",), (), TEXT, False, BILL_ONE, "__BOT__", "bot",
            "004 bot '@botname_bot'; 003 '__BOT__: <message>\\nbot:@<bot_name>'"),
    Channel("hlr", "HLR request", "hlr", (1,), (), (), TEXT_NONE, False, BILL_ONE, "__HLR__", None,
            "004 hlr: 'Параметр mes не використовується'; 003 '__HLR__'"),
    Channel("ping", "Ping SMS", "ping", (1,), (), (), TEXT_NONE, False, BILL_ONE, "__PING__", None,
            "004 ping: 'Параметр mes не використовується'; 003 '__PING__'"),
    Channel("push", "WAP push", "push", (1,), (), (), TEXT_LINK_TITLE, False, BILL_ONE, None, None,
            "004 push: 'В параметрі mes необхідно передати посилання і заголовок через переведення рядка'"),
    Channel("mms", "MMS", "mms", (1,), (), ("subj",), TEXT_SUBJECT_OR_TEXT, False, BILL_ONE, None, None,
            "004 mms, fileurl; subj: 'Для MMS обов'язковим є указання теми або тексту'"),
    Channel("binary", "Binary SMS", "bin", (1, 2), (), (), TEXT_BINARY, False, BILL_BYTES, None, None,
            "004 bin: 1 binary, 2 hex; UDH first; pid/dcs after '\\n~~~\\n'"),
)}

#: ASSUMPTION: the page does not say what two channel flags in one request mean (each is "ознака"
#: of one kind, "0 (за замовчуванням) – звичайне повідомлення"); the client refuses it and the
#: sandbox answers error 1.
ONE_CHANNEL_PER_REQUEST = True
#: ASSUMPTION, ONE CHOICE: mes is "не використовується" for hlr and ping (004); a text given there
#: would be dropped silently, so the client refuses it (a caller's bug); the sandbox ignores it,
#: as the page says the service does.
REFUSE_UNUSED_TEXT = True
#: 003: "К отправке принимаются только числовые коды длиной от 4 до 8 цифр" (telegram codes).
TELEGRAM_CODE_DIGITS = IntRange(4, 8)
#: ASSUMPTION: "адреси відправника" of an e-mail (004 subj) is an address of at most 254
#: characters (RFC 5321's path limit), with one "@" and a dot in the domain.
EMAIL_ADDRESS_MAX_CHARS = 254
EMAIL_ADDRESS = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
#: 004 push: link and title "через переведення рядка".
PUSH_SEPARATOR = "\n"
#: 004 bin: pid and dcs follow "\n~~~\n" as "pid: значеніе1, dcs: значеніе2" "з точним
#: збереженням пробіл" (000 says the same in Russian). Written as the pages show it, with the
#: spaces (the English digest's "pid:v1,dcs:v2" drops them; the pages win).
BINARY_PARAMS_FORMAT = "pid: {pid}, dcs: {dcs}"
BINARY_PARAMS = re.compile(r"pid: ([0-9]{1,3}), dcs: ([0-9]{1,3})")
#: ASSUMPTION: pid and dcs are one octet each (GSM 03.40 TP-PID, TP-DCS).
OCTET = IntRange(0, 255)
#: ASSUMPTION (the pages give no binary sizes): one binary SMS carries 140 octets (GSM 03.40),
#: UDH included; a longer one is split into parts of 134 (6 octets go to the joining header),
#: each billed -- the same 140 octets as 160 GSM-7 septets and 70 UCS-2 characters.
BINARY_SINGLE_PART_BYTES = 140
BINARY_MULTI_PART_BYTES = 134
#: 004 bin=2: "бінарне повідомлення, представлене у вигляді шістнадцяткового рядка (hex)".
HEX_TEXT = re.compile(r"(?:[0-9A-Fa-f]{2})+")
#: ASSUMPTION: with bin=1 each character of mes is one octet (code points 0..255).
BINARY_CHAR_MAX = 0xFF

# --- SMPP text conventions (003) ---------------------------------------------------------------

#: 003: '"__MAIL__", двоеточие, пробел, текст сообщения': the prefix is followed by ": ".
SMPP_PREFIX_SEPARATOR = ": "
#: 003: 'перевод строки, слово "subj", двоеточие': a line "name:value" after the text.
SMPP_LINE_SEPARATOR = "\n"
SMPP_LINE_COLON = ":"

# --- translit (HTTP page 000, lines 83-86) ---------------------------------------------------------

#: 000:83-86 translit: 1 "перевести в транслит в виде "translit"", 2 'в виде "mpaHc/Ium"'. The
#: page gives no table. ASSUMPTION: these tables (Russian and Ukrainian letters); every other
#: character is kept. Translit changes the alphabet (a Cyrillic text becomes GSM-7) and so the
#: parts and the cost: both the client's estimate and the sandbox bill the transliterated text.
TRANSLIT_LATIN: Mapping[str, str] = dict(zip(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюяіїєґ",
    ["a", "b", "v", "g", "d", "e", "yo", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r", "s",
     "t", "u", "f", "h", "c", "ch", "sh", "sch", "'", "y", "'", "e", "yu", "ya", "i", "yi", "ye", "g"],
))
#: ASSUMPTION: translit=2 writes each letter with Latin look-alikes, as the page's "mpaHc/Ium"
#: (т m, р p, а a, н H, с c, л /I, и u).
TRANSLIT_LOOKALIKE: Mapping[str, str] = dict(zip(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюяіїєґ",
    ["a", "6", "B", "r", "g", "e", "e", ">|<", "3", "u", "u'", "K", "/I", "M", "H", "o", "n", "p", "c",
     "m", "y", "qp", "x", "LL", "4", "LLI", "LLL", "b", "bI", "b", "-)", "I-O", "9I", "i", "i", "e", "r"],
))
TRANSLIT_TABLES: Mapping[int, Mapping[str, str]] = {1: TRANSLIT_LATIN, 2: TRANSLIT_LOOKALIKE}

# --- the HLR delivery report line (003) -------------------------------------------------------------

#: 003: "id:<id> stat:<status> err:<err> imsi:<imsi> msc:<msc> mcc:<mcc> mnc:<mnc> cn:<cn> net:<net>
#: rcn:<rcn> rnet:<rnet>", each field's shape from the page's own regular expression
#: (``id:(\d+) stat:(\w+) err:(\d+) imsi:(\d*) msc:(\d*) mcc:(\d*) mnc:(\d*) cn:([^ ]*) ...``).
HLR_FIELDS: Tuple[Tuple[str, str], ...] = (
    ("id", r"[0-9]+"), ("stat", r"\w+"), ("err", r"[0-9]+"), ("imsi", r"[0-9]*"), ("msc", r"[0-9]*"),
    ("mcc", r"[0-9]*"), ("mnc", r"[0-9]*"), ("cn", r"[^ ]*"), ("net", r"[^ ]*"), ("rcn", r"[^ ]*"),
    ("rnet", r"[^ ]*"),
)
#: 003's example "id:855469 stat:DELIVRD err:000 imsi:250023012345678" stops after imsi, so only
#: these three are required; the others may be absent.
HLR_REQUIRED: Tuple[str, ...] = ("id", "stat", "err")
#: 003: "Строковые данные, например, страна и оператор, закодированы через функцию urlencode".
#: (003:13; PHP's urlencode: a space is written "+", other bytes "%XX", so "cn:United+States" reads
#: "United States" and a "+" itself arrives as "%2B".)
HLR_URLENCODED: Tuple[str, ...] = ("cn", "net", "rcn", "rnet")
#: ASSUMPTION: ``stat`` carries the SMPP delivery-receipt words (SMPP 3.4 appendix B; the page's
#: example is DELIVRD); read as these statuses of smsc_soap.results.DeliveryStatus (by code).
HLR_STAT_WORDS: Mapping[str, int] = {
    "ENROUTE": 0, "ACCEPTD": 0, "DELIVRD": 1, "EXPIRED": 3, "UNDELIV": 20, "REJECTD": 23, "DELETED": 20,
}

# === answers ===
#
# What the client accepts in an answer's fields. The pages give each field's meaning, never its
# range: every bound below is an ASSUMPTION, generous by orders of magnitude, there so that an
# absurd answer (NaN, 1e30, a timestamp in the year 300000) is a ProtocolError naming the field
# when it is read, not a Decimal or datetime that fails later in the user's code.

#: ASSUMPTION: money (balance, cost) is written as plain decimal digits with an optional sign
#: and point, as the page's examples and PHP's number formatting do ("10.50", "0.3", "-12");
#: never an exponent, NaN or Infinity. At most this many digits before the point (|x| < 10**12
#: in the account's currency) ...
MONEY_MAX_INTEGER_DIGITS = 12
#: ... and this many after it (kopecks, tiyn and fractions of them).
MONEY_MAX_DECIMALS = 6
#: ASSUMPTION, per field: may it be negative? A balance may (004:240, 443 say only "the
#: client's (new) balance"; a credit or postpaid account goes below zero and get_balance must
#: still read it). A cost may not (004:243, 318, 384: a price; a refund is not a cost): a
#: negative cost is refused.
NEGATIVE_MONEY_FIELDS: Tuple[str, ...] = ("balance",)
#: ASSUMPTION: ``cnt`` (004:246: SMS parts times recipients of one send) is 0..10**7; the page
#: gives no bound. Negative is refused.
SMS_COUNT = IntRange(0, 10_000_000)
#: ASSUMPTION: ``last_timestamp`` and ``send_timestamp`` (the WSDL's fields; the page does not
#: list them) are Unix seconds between 2000-01-01 and 2100-01-01 UTC ...
TIMESTAMP_SECONDS = IntRange(946_684_800, 4_102_444_800)
#: ... or 0, read as "not set" (None), as a PHP service writes an unset time.
TIMESTAMP_UNSET = 0
#: ASSUMPTION: the codes of an answer (``error``, ``status``, ``err`` and send_sms2's per-phone
#: ``status``) are whole numbers in this range (the pages list -3..255); one outside it is not a
#: code the service could have meant. Inside it, an unlisted code is kept as its int.
ANSWER_CODES = IntRange(-999, 9999)
#: ASSUMPTION: the id of a mailing or an export task (000:198, 002:134, no bound given) is a whole
#: number 1..10**12-1, the widest whole number SOAP's answers are read with. A page answer's
#: counts (``cnt``, ``sent``, ``rptn``) are read with SMS_COUNT, its money as above, its
#: statuses and ``rpt`` as codes (ANSWER_CODES); JSON with a key given twice is refused.
PAGE_IDS = IntRange(1, 999_999_999_999)


# === http apis ===
#
# The three HTTP pages beside SOAP: mass mailings (000, /sys/jobs.php), the operator of a number
# (001, /sys/info.php?get_operator=1) and deferred export tasks (002, /sys/downloads.php); cited
# as ``000:<line>`` etc. Exception classes are named, as in the operations section.

#: The operator-lookup page (smsc.ru, Russian).
OPERATOR_PAGE = "seeds/001_3cf7ec5cc894e955.txt"
#: The export-tasks page (smsc.ua, Ukrainian).
DOWNLOADS_PAGE = "seeds/002_f67015502498c635.txt"
#: The mailings page is :data:`HTTP_PAGE` (000).
JOBS_PAGE = HTTP_PAGE

#: 000:62, 001:56, 002:63: every page's address is ``https://<host>/sys/<page>``. ASSUMPTION (for
#: an explicit ``url``): the pages live in the same directory as the SOAP endpoint's path.
JOBS_PHP, INFO_PHP, DOWNLOADS_PHP = "jobs.php", "info.php", "downloads.php"

#: 001:66-81, 002:77-92: ``fmt`` 0 text, 1 comma list, 2 XML, 3 JSON. OUR CHOICE for the wire:
#: 3 (JSON): its values are typed and quoted (a comma or " = " inside a region or a task's name
#: cannot split a field), its error is a named key, and it is parsed without an XML parser.
#: Every other shape is still read (a proxy or an old account may answer in another).
FMT_TEXT, FMT_CSV, FMT_XML, FMT_JSON = 0, 1, 2, 3
WIRE_FMT = FMT_JSON
#: The ``fmt`` values the pages list (001:66-81, 002:77-92, 000:172-176): any other is refused.
PAGE_FMTS: Tuple[int, ...] = (FMT_TEXT, FMT_CSV, FMT_XML, FMT_JSON)
#: ASSUMPTION (the pages show no empty list): a list with no entries (get_all, get_list) is an
#: empty body in fmt 0 and 1, whose shapes are lines of entries; fmt 2 and 3 have an empty
#: element or array. An empty body where one entry is due (add, get, del) is a ProtocolError.
EMPTY_LIST_ANSWER_FMTS: Tuple[int, ...] = (FMT_TEXT, FMT_CSV)

#: 001:96 (success, fmt=1 "<country>,<operator>,<region>,<mcc>,<mnc>,<tz>"): the fields of one
#: operator entry, in the order fmt=1 writes them.
OPERATOR_FIELDS: Tuple[str, ...] = ("country", "operator", "region", "mcc", "mnc", "tz")
#: 001:92 "в ответ Сервера добавляется параметр "phone"" for a list of numbers. ASSUMPTION: the
#: page does not show where; in fmt=1 it comes first (an entry of 7 values), in fmt 0/2/3 it is
#: named. 001:63 "список номеров через запятую": numbers are joined by ",".
OPERATOR_LIST_FIELD = "phone"
#: 002:106-108: the fields of one export task, in fmt=1 order.
TASK_FIELDS: Tuple[str, ...] = ("id", "name", "status", "created", "time", "file")
#: 002:124-126: in fmt=3 a task's ``"id": id`` is a JSON number, ``"status": "status"`` and the
#: others strings.
TASK_JSON_NUMBERS: Tuple[str, ...] = ("id",)
#: 002:136 "0-очікує виконання, 1-виконується, 2-виконано, 3-скасовано, 4-помилка виконання".
TASK_STATUSES: Mapping[int, str] = {0: "waiting", 1: "running", 2: "done", 3: "cancelled", 4: "failed"}
#: 002:141 "Після присвоєння ... статусу 2 (виконано) з'явиться можливість завантажити файл".
TASK_DONE = 2
#: ASSUMPTION (002:137-138 say only "дата створення" and "час запуску"): ``created`` and ``time``
#: are written "DD.MM.YYYY hh:mm:ss" (the SOAP page's date format, 004 last_date) in Moscow time
#: (UTC+3, :data:`MOSCOW_UTC_OFFSET_HOURS`, the service's reference zone per 004:66). The same
#: holds for the dates of a mailing. An empty value (a task not started) is None.
HTTP_DATE_FORMAT = "%d.%m.%Y %H:%M:%S"

#: 000:97-105: ``rpt``, how often a new mailing repeats.
MAILING_REPEATS: Mapping[int, str] = {
    0: "manual", 1: "hourly", 2: "daily", 3: "workdays", 4: "weekends", 5: "weekly", 6: "monthly", 7: "yearly",
}
#: 000:168 "windows-1251 (default) ... Варианты: utf-8 и koi8-r". We always send UTF-8 and say so.
MAILING_CHARSETS: Tuple[str, ...] = ("windows-1251", "utf-8", "koi8-r")
#: 000:147 mes2 needs "флаг fl[5], равный 1".
MES2_FLAG = "fl[5]"
#: 000:200-201: ``start``/``end`` of get_all are 'дд.мм.гггг'; without them "за последние 2 месяца,
#: но не более 10".
MAILING_DATE_FORMAT = "%d.%m.%Y"
MAILING_LIST_DEFAULT_MONTHS = 2
MAILING_LIST_DEFAULT_MAX = 10
#: ASSUMPTION (000:200-201 state the cap of 10 only for a missing ``start`` or ``end``): with both
#: dates given every mailing between them is listed; "2 months" are calendar months of Moscow's
#: calendar (the same day two months back, or that month's last day), not a count of days.
MAILING_LIST_CAP_WITH_BOTH_DATES = False
#: 000:106 rptn "максимальное количество повторов для отложенной периодической рассылки": repeats of
#: a periodic mailing. ASSUMPTION: rptn without rpt (a manual mailing, rpt=0) has no period to
#: repeat in; the client refuses it and the sandbox answers error 1.
RPTN_NEEDS_RPT = True
#: 000:74-75, 196-197 list login and psw only, no apikey. ASSUMPTION: the service ignores an
#: ``apikey`` on jobs.php as any unknown field, so a request without login and psw is refused as
#: unauthenticated (error 2, the shared code); the client refuses to send it at all
#: (UnsupportedOperation, saying to use login and psw).
JOBS_ACCEPTS_APIKEY = False
#: 000:174 vs 000:169-171, the page's own inconsistency: the ``cost`` row lists 0 and 1 ("add the
#: cost"), the ``fmt`` row answers cost=1 with "cost,count", cost=2 with "id,count,cost" and cost=3
#: with "...,balance" (the SOAP meanings). ONE CHOICE: cost takes 0..3 with the ``fmt`` row's (and
#: SOAP's) meanings, so cost=1 computes the cost without creating the mailing.
MAILING_COST_CHOICES: Tuple[int, ...] = (0, 1, 2, 3)

#: 000:129 mms "Файлы передаются в теле http-запроса", 000:132 mail "Файлы ... передаются методом
#: POST в теле http-запроса", 000:148 call (the same): the channels a mailing attaches files to.
MAILING_FILE_CHANNELS: Tuple[str, ...] = ("mms", "email", "call")
#: 000:129: an MMS carries "текст (txt), изображения ... (jpg, gif, png), музыку (wav, amr, mp3, mid)
#: и видео (mp4, 3gp)". ASSUMPTION: the type is the file name's extension (any case); the page
#: lists no types for e-mail and calls, so theirs are not checked.
MMS_FILE_TYPES: Tuple[str, ...] = ("txt", "jpg", "gif", "png", "wav", "amr", "mp3", "mid", "mp4", "3gp")
#: ASSUMPTION (the pages state no size): the files of one request are at most this many bytes in
#: all, so that the whole POST stays under 1 MiB, nginx's default client_max_body_size (the
#: sandbox's limit too): a larger upload would be refused by the server after it was sent.
MAILING_FILES_MAX_BYTES = 1024 * 1024 - 64 * 1024
#: ASSUMPTION (the page names no field): the files go as the multipart parts ``file0``,
#: ``file1``, ... (PHP reads every file part into $_FILES, whatever its name).
MAILING_FILE_FIELD = "file{}"

#: What kind of HTTP call each is, for the back-off scopes (9: the identical request).
LOOKUP, EXPORT, MAILING = "lookup", "export", "mailing"

#: 001:85-90: the codes of the operator lookup.
OPERATOR_ERROR_CODES: Mapping[int, ErrorCode] = {
    1: ErrorCode("ParameterError", "error in parameters"),
    2: _AUTH,
    3: ErrorCode("OperatorNotFound", "operator not found"),
    4: ErrorCode("IpBlocked", "IP address temporarily blocked"),
    9: ErrorCode("RateLimited", "more than three identical requests, or any 100 operator requests, within a "
                                "minute; or fifteen or more concurrent requests under one login"),
}
#: 002:96-101: the codes of the export tasks.
DOWNLOADS_ERROR_CODES: Mapping[int, ErrorCode] = {
    1: ErrorCode("ParameterError", "error in parameters"),
    2: _AUTH,
    4: ErrorCode("IpBlocked", "IP address temporarily blocked"),
    5: ErrorCode("TaskNotFound", "the deferred task or the file to download was not found"),
    9: ErrorCode("RateLimited", "more than three identical requests for the task list or a file within a "
                                "minute; or fifteen or more concurrent requests under one login"),
}
#: ASSUMPTION (000 has no error table, 000:205 "Сервер возвращает Клиенту подтверждение"): jobs.php
#: answers errors in the shapes of 001/002; ``add`` takes send's parameters, so its codes are send's
#: (004); the other operations take the codes every page shares (1, 2, 4, 9), 3 meaning "no such
#: mailing" (as get_status's 3 means "no such message").
JOBS_ADD_ERROR_CODES = SEND_ERROR_CODES
JOBS_ERROR_CODES: Mapping[int, ErrorCode] = {
    1: ErrorCode("ParameterError", "error in parameters"),
    2: _AUTH,
    3: ErrorCode("MailingNotFound", "mailing not found"),
    4: ErrorCode("IpBlocked", "IP address temporarily blocked"),
    9: ErrorCode("RateLimited", "too many requests within a minute, or fifteen or more concurrent requests "
                                "under one login"),
}
#: 001:90, 002:101: error 9 "also" when fifteen or more requests run at once under one login,
#: "(too many concurrent requests)". ASSUMPTION: the code alone does not say which 9 it is; the
#: service's text does, so an error 9 whose text holds this phrase is the concurrent case.
CONCURRENT_REQUESTS = 15
CONCURRENT_PHRASE = "too many concurrent requests"


class HttpOperation(NamedTuple):
    """One call of an HTTP page: where it goes, the flag that selects it, and its facts."""

    name: str
    page: str  # the seed it is documented on
    path: str  # the page's file under /sys/
    action: Tuple[str, str]  # the field that selects the operation, e.g. ("get_operator", "1")
    kind: str
    apikey: bool  # whether the page lists apikey
    is_send: bool  # creates messages: never repeated once it may have left
    errors: Mapping[int, ErrorCode]


HTTP_OPERATIONS: Mapping[str, HttpOperation] = {op.name: op for op in (
    # 001:56, 62 (apikey)
    HttpOperation("get_operator", OPERATOR_PAGE, INFO_PHP, ("get_operator", "1"), LOOKUP, True, False,
                  OPERATOR_ERROR_CODES),
    # 002:63-64, 70 (apikey)
    HttpOperation("exports.get_list", DOWNLOADS_PAGE, DOWNLOADS_PHP, ("get_list", "1"), EXPORT, True, False,
                  DOWNLOADS_ERROR_CODES),
    HttpOperation("exports.get_file", DOWNLOADS_PAGE, DOWNLOADS_PHP, ("get_file", "1"), EXPORT, True, False,
                  DOWNLOADS_ERROR_CODES),
    # 000:62-70; 000:74-75 and 196-197 list login and psw only: no apikey (JOBS_ACCEPTS_APIKEY)
    HttpOperation("jobs.add", JOBS_PAGE, JOBS_PHP, ("add", "1"), MAILING, JOBS_ACCEPTS_APIKEY, True,
                  JOBS_ADD_ERROR_CODES),
    HttpOperation("jobs.del", JOBS_PAGE, JOBS_PHP, ("del", "1"), MAILING, JOBS_ACCEPTS_APIKEY, False,
                  JOBS_ERROR_CODES),
    HttpOperation("jobs.cancel", JOBS_PAGE, JOBS_PHP, ("cancel", "1"), MAILING, JOBS_ACCEPTS_APIKEY, False,
                  JOBS_ERROR_CODES),
    HttpOperation("jobs.get", JOBS_PAGE, JOBS_PHP, ("get", "1"), MAILING, JOBS_ACCEPTS_APIKEY, False,
                  JOBS_ERROR_CODES),
    HttpOperation("jobs.get_all", JOBS_PAGE, JOBS_PHP, ("get_all", "1"), MAILING, JOBS_ACCEPTS_APIKEY, False,
                  JOBS_ERROR_CODES),
)}

#: 001:136-138: lookups allowed per minute, identical and in all; 002:143: identical export
#: requests per minute. (The sandbox enforces these; the client backs off after a 9.)
LOOKUP_IDENTICAL_PER_MINUTE = 3
LOOKUP_ANY_PER_MINUTE = 100
EXPORT_IDENTICAL_PER_MINUTE = 3
#: ASSUMPTION (002:141 says only "у форматі csv"): the export file is UTF-8 (a BOM tolerated), its
#: fields separated by ";" (the usual choice of Russian-language CSV, whose texts hold commas),
#: quoted as Python's csv module does, with a header row.
EXPORT_CSV_ENCODING = "utf-8-sig"
EXPORT_CSV_DELIMITER = ";"

# --- mailings' answers (000 gives only add's, 000:172-176) -----------------------------------

#: 000:173-174: add answers fmt=0 "OK - 1 SMS, ID - 1234"; fmt=1 "1234,1" (id, count), with
#: cost=2 "1234,1,1.40", with cost=3 "1234,1,1.40,100.50", with cost=1 "1.40,1" (cost, count).
#: ASSUMPTION: fmt=0 adds ", COST - 1.40" and ", BALANCE - 100.50" when asked (cost=1 writes
#: "COST - 1.40, 1 SMS"), and fmt 2/3 name the same fields id, cnt, cost, balance.
MAILING_ADD_FIELDS_BY_COST: Mapping[int, Tuple[str, ...]] = {
    0: ("id", "cnt"), 1: ("cost", "cnt"), 2: ("id", "cnt", "cost"), 3: ("id", "cnt", "cost", "balance"),
}
#: ASSUMPTION (000:205 "подтверждение с указанием результата", no shape): del and cancel answer
#: the mailing's id, and get/get_all one record per mailing with these fields, in the record
#: shapes of 001/002 (fmt=1 in this order).
MAILING_ID_FIELDS: Tuple[str, ...] = ("id",)
MAILING_FIELDS: Tuple[str, ...] = ("id", "name", "status", "created", "time", "rpt", "rptn", "sent", "cnt", "cost")
#: ASSUMPTION (000 names no statuses): a mailing is waiting while a send of it is still to come,
#: done when every repeat was sent, cancelled after ``cancel``.
MAILING_STATUSES: Mapping[int, str] = {0: "waiting", 1: "done", 2: "cancelled"}


# === fidelity ===
#
# Facts added for issue 12 (the duplicate guard and the service's clock).

#: 004:280 "Відправка більше одного однакового запиту на передачу SMS-повідомлення протягом
#: хвилини" and 004:283 "Сервер не приймає більше одного однакового запиту на відправку ...
#: протягом хвилини для захисту від помилок і зациклень в програмі на стороні клієнта": the
#: window of the duplicate guard. The id a client makes for a send is derived per window of this
#: length (smsc_soap._core.ids), so that identical calls within it stay identical on the wire.
DUPLICATE_SEND_WINDOW_SECONDS = RATE_LIMIT_WINDOW_SECONDS
#: 004:284-286 "Сервер також блокує надсилання більше 50 повідомлень одному абоненту, які були
#: відправлені з перервою між повідомленнями менше 2-х хвилин": a run of messages to one
#: subscriber, each less than two minutes after the one before, is blocked past its 50th.
FLOOD_MAX_MESSAGES = 50
FLOOD_GAP_SECONDS = 120
#: ASSUMPTION (the page says "блокує надсилання", of messages, and names no error code): the
#: request is accepted and the message is what fails: the 51st and later of a run get status 23
#: (the status list's "prohibited": "a limit fired: ... flooding") with err 247 ("message limit
#: exceeded"), and are not charged (the rule is there against "зайвого списання коштів"). Every
#: message the client sent counts in the run, a blocked one too, by its send time, per login.
FLOOD_STATUS = 23
FLOOD_ERR = 247
FLOOD_CHARGED = False
#: ASSUMPTION (the client's, for send_bulk's FloodWarning): the client does not know when each
#: message leaves, so it counts by messages, not minutes: a number's messages are one run while
#: fewer than this many other messages are queued between two of them (at a bulk send's pace, far
#: less than FLOOD_GAP_SECONDS). It also bounds the memory of the count, whatever the input's size.
FLOOD_RUN_GAP_MESSAGES = 10_000
#: 004:66 "Вказується щодо московського часу" (tz is relative to Moscow time) and 004:366
#: last_date "DD.MM.YYYY HH:mm: ss" with no zone: the service's dates are Moscow time. The IANA
#: name of that zone (a fact about Moscow, not from the page); results carry it as tzinfo.
SERVICE_TIME_ZONE = "Europe/Moscow"


# === bulk ===
#
# Facts for sending many messages (smsc_soap.bulk) and for the sandbox's concurrency limit.

#: 001:90, 002:101 "при попытке отправки пятнадцати и более запросов одновременно с разных
#: подключений под одним логином (too many concurrent requests)": 15 or more requests in flight
#: at once under one login are answered with error 9 (the fact is CONCURRENT_REQUESTS above).
CONCURRENT_REQUESTS_REFUSED_AT = CONCURRENT_REQUESTS
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


# === text ===
#
# The two SMS alphabets that the SOAP page's "латиниці" (160/153) and "кирилиці" (70/67) stand for
# (004:29-31), as character tables. The tables are GSM 03.38 (3GPP TS 23.038, section 6.2.1: the
# default alphabet; 6.2.1.1: its extension table), not the page's; smsc_soap.message (the client's
# estimate) and smsc_soap.sandbox.billing (the sandbox's own billing) both read them here.

#: GSM 03.38 default alphabet: one septet each. 0x1B (the escape itself) is left out: it is not a
#: character a text can contain.
GSM7_BASIC_CHARACTERS = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
#: GSM 03.38 extension table: the escape and one septet, so two septets each (a text holding
#: them is still GSM-7, it only takes more room).
GSM7_EXTENSION_CHARACTERS = frozenset("\f^{}\\[~]|€")
#: ASSUMPTION (the page counts "символів" per part and says nothing of a character that does not
#: fit): a part never splits a character, neither an extension character from its escape nor a
#: character outside the BMP (two UCS-2 units, an emoji) into its halves; such a character moves
#: whole to the next part, which may leave one unit of the part unused (3GPP TS 23.040's rule
#: for concatenated messages).
PART_KEEPS_CHARACTERS_WHOLE = True
#: ASSUMPTION (004:202 maxsms "Максимальна кількість SMS, на які може розбитися довге
#: повідомлення", said of a text): maxsms caps the parts of a text only; a binary message
#: (``bin``) is billed by all its octets, since cutting it would break the data its UDH
#: describes, and the other channels bill one unit anyway.
MAXSMS_CUTS_BINARY = False
#: 004:202 read as: the message is split in its own alphabet and at most maxsms of those parts
#: are sent and billed. ONE CHOICE (the client's estimate used to cut the text, then bill the cut
#: text in the alphabet it fell into, so "a"*200 + "ж" with maxsms=2 cost 1 part there and 2 in
#: the sandbox): the cut text keeps the alphabet of the whole, a part of UCS-2 is not re-sent as
#: GSM-7 because the letter that made it UCS-2 was cut off.
MAXSMS_KEEPS_ALPHABET = True


# === workers ===
#
# Facts and choices for many processes sending under one login (smsc_soap.limits, smsc_soap.celery).

#: ASSUMPTION (a choice, not the page's): requests in flight at once under one login, for ALL
#: workers sharing a :class:`smsc_soap.limits.RedisLimits`: 10 like one client's bulk, leaving 4
#: of the 14 the service allows (CONCURRENT_REQUESTS_ALLOWED) to programs outside the pool.
SHARED_CONCURRENT_REQUESTS = 10
#: ASSUMPTION (the page does not say how long the service works on a request whose client is
#: gone): a slot's lease outlives the call's own deadline by this much, so a live call never loses
#: its slot (the deadline ends the call first), and a crashed worker's slot is free again this long
#: after its call's deadline. A call that gave up on a request the service had not begun to answer
#: (its deadline passed, or its caller cancelled it) keeps its slot this long after it ended, in
#: this process's limits as in Redis: the service may be working on it still.
SLOT_LEASE_MARGIN_SECONDS = 10.0


# === callbacks ===
#
# The service calls the customer's handler URL when a message's status changes, when an SMS
# comes in and when a number is confirmed by a call. NONE of this is in the five pages: it is
# the research of issue 23 (the service's own handler page, cut off after its list of signature
# algorithms, and two independent PHP handlers that agree with each other). So every constant of
# this section is an ASSUMPTION, cited to that research; smsc_soap.callbacks reads them, the
# sandbox's own writer (smsc_soap.sandbox.callbacks) writes by them, the docs list them.

#: Where the facts below come from (shown by the docs with every assumption).
CALLBACK_EVIDENCE = ("issue 23: the service's handler page (charset, fmt, md5/sha1/crc32 in the URL; cut off "
                     "after that) and two independent PHP handlers")
#: ASSUMPTION (handler page): ``?charset=`` on the handler URL picks the encoding of what the
#: service sends: one of these, **windows-1251 when absent** (the page's words: "по умолчанию").
CALLBACK_CHARSET_PARAM = "charset"
CALLBACK_CHARSETS: Tuple[str, ...] = ("utf-8", "koi8-r", "windows-1251")
CALLBACK_DEFAULT_CHARSET = "windows-1251"
#: ASSUMPTION (handler page): ``?fmt=2`` on the URL asks for XML, ``?fmt=3`` for JSON (the same
#: numbers as the HTTP pages' fmt, FMT_XML and FMT_JSON above); without it, form fields
#: (``application/x-www-form-urlencoded``, FMT_FORM is our name for that).
CALLBACK_FMT_PARAM = "fmt"
CALLBACK_FMT_FORM = 0
CALLBACK_FMTS: Tuple[int, ...] = (CALLBACK_FMT_FORM, FMT_XML, FMT_JSON)
#: ASSUMPTION (handler page: "md5, sha1 или crc32" may be put in the URL against spoofing):
#: the customer writes ``md5=SECRET`` (or ``sha1=SECRET``) on the URL; the service keeps that
#: value to itself and sends, in a field named like the algorithm, the lowercase hex digest of
#: the event's signed fields joined by ":" with the secret last. The service calls the URL as
#: written minus that parameter (fmt and charset stay, so a handler reads them in its query).
CALLBACK_SIGNATURES: Mapping[str, str] = {"md5": "md5", "sha1": "sha1"}  # field -> hashlib name
CALLBACK_SIGNATURE_SEPARATOR = ":"
#: ASSUMPTION: crc32 has no known recipe (no handler we found checks one) and 32 bits are no
#: protection against a forger: a URL or a signature naming it is refused, never accepted.
CALLBACK_SIGNATURES_REFUSED: Tuple[str, ...] = ("crc32",)
#: The kinds of event one handler URL receives.
CALLBACK_STATUS, CALLBACK_INCOMING, CALLBACK_CALL = "status", "incoming", "call"
#: ASSUMPTION (the two handlers): the fields signed, in order, for each kind: a status
#: ``md5("id:phone:status:SECRET")`` (both handlers); an incoming SMS ``phone:mes:to:SECRET`` and a
#: call confirmation ``phone:ts:SECRET`` (one handler). The string is hashed in the callback's
#: charset, as a PHP handler hashes the bytes it received.
CALLBACK_SIGNED_FIELDS: Mapping[str, Tuple[str, ...]] = {
    CALLBACK_STATUS: ("id", "phone", "status"),
    CALLBACK_INCOMING: ("phone", "mes", "to"),
    CALLBACK_CALL: ("phone", "ts"),
}
#: ASSUMPTION (the handlers' tests): how a kind is told. A ``status`` field makes a status
#: event; otherwise ``mes`` makes an incoming SMS; otherwise ``waitcall`` a call confirmation.
#: Anything else is an unknown kind, kept raw (with a secret set it cannot be verified, so it is
#: refused as unsigned).
CALLBACK_KIND_FIELDS: Tuple[Tuple[str, str], ...] = (
    ("status", CALLBACK_STATUS), ("mes", CALLBACK_INCOMING), ("waitcall", CALLBACK_CALL))
#: ASSUMPTION (fields the handlers read): every field an event may carry.
CALLBACK_FIELDS: Tuple[str, ...] = (
    "id", "phone", "status", "err", "type", "flag", "ts", "time", "cost", "cnt", "mes", "to", "waitcall",
    "imsi", "msc", "mcc", "mnc", "cn", "net", "rcn", "rnet",
)
#: ASSUMPTION (handlers): ``type`` of a status event, the kinds of message named so far.
CALLBACK_MESSAGE_TYPES: Mapping[int, str] = {0: "sms", 7: "call", 10: "viber"}
#: ASSUMPTION (handlers): ``time`` is "DD.MM.YYYY hh:mm:ss" in the service's zone (as
#: HTTP_DATE_FORMAT) and ``ts`` Unix seconds.
CALLBACK_TIME_FORMAT = HTTP_DATE_FORMAT
#: ASSUMPTION (handlers): a handler answers HTTP 200 with this body; it takes GET and POST and
#: reads the query and the body together (a field in both is refused: a duplicate).
CALLBACK_ANSWER = "OK"
CALLBACK_METHODS: Tuple[str, ...] = ("GET", "POST")
#: ASSUMPTION (fmt=2 is not shown anywhere): one root element whose children are the fields,
#: each with its value as text (the shape of the HTTP pages' fmt=2 answers); we write ``result``.
CALLBACK_XML_ROOT = "result"
#: ASSUMPTION (our bounds, generous for ~20 short fields): a callback body of at most this many
#: bytes, this many fields, and (JSON) one flat object: values are strings or numbers.
CALLBACK_MAX_BODY_BYTES = 64 * 1024
CALLBACK_MAX_FIELDS = 100
CALLBACK_JSON_MAX_DEPTH = 1
#: ASSUMPTION (unknown: "Retries: unknown"): the sandbox tries a delivery this many times in all,
#: waiting CALLBACK_RETRY_SECONDS (real time) after each failure (a non-2xx answer or no answer).
CALLBACK_ATTEMPTS = 3
CALLBACK_RETRY_SECONDS = 0.2
#: ASSUMPTION (our choice): the events a handler remembers to drop a repeated POST of the same
#: (id, phone, status): enough for the status changes of a busy minute; the oldest is forgotten.
CALLBACK_DEDUP_SIZE = 10_000
