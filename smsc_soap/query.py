"""The extended parameters of the ``*2`` methods, validated and URL-encoded into ``query``.

send_sms2, get_sms_cost2 and get_status2 take one more string, ``query``:
``param1=value1&param2=value2``. :data:`EXTENDED_PARAMS` is the one table of every parameter
we know, each citing the page it comes from, with the function that checks a Python value
and writes its string. :func:`build_query` checks every name and value and encodes them so
that the server (and ``urllib.parse.parse_qs``) reads back exactly the value given.

The pages' ranges and choices, and the ASSUMPTIONS the sandbox shares, are those of
:mod:`smsc_soap.spec`; the assumptions only the client makes are named constants here.
"""
from __future__ import annotations

import ipaddress
import re
from datetime import timedelta
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Dict,
    Iterable,
    List,
    Literal,
    Mapping,
    NamedTuple,
    Optional,
    Tuple,
    TypedDict,
    Union,
    cast,
)
from urllib.parse import parse_qs, quote, unquote_plus, urlsplit

from . import spec
from .errors import ValidationError
from .params import Phones, mes_field, phones_field, sender_field, split_phones

if TYPE_CHECKING:  # typing.Unpack is 3.11+; type checkers ship typing_extensions' stubs
    from typing_extensions import Unpack

__all__ = [
    "EXTENDED_PARAMS",
    "ExtendedParams",
    "Param",
    "REQUIRES",
    "build_query",
    "refuse_not_carried",
    "describe_extended",
    "ListLine",
    "format_list",
    "list_recipients",
    "parse_list",
    "recipient_options",
]

#: The pages cited by the table (the names are those of :mod:`smsc_soap.spec`).
SOAP_PAGE = spec.SOAP_PAGE
HTTP_PAGE = spec.HTTP_PAGE

#: The ranges of the pages and the ASSUMPTIONS shared with the sandbox live in
#: :mod:`smsc_soap.spec`; these names are kept for old imports.
TZ_RANGE = spec.TZ_RANGE
PARAM_RANGES = tuple((label, bounds.low, bounds.high) for label, bounds in spec.VOICE_PARAM_RANGES)

# --- ASSUMPTIONS of the client alone (the pages do not state these) -----------------------

#: The language of a voice (spec.VOICE_LANGUAGE, an ASSUMPTION shared with the sandbox).
VOICE_LANGUAGE = spec.VOICE_LANGUAGE
#: ASSUMPTION: a telegram bot name is "@" + Telegram's username rule, ending in "bot".
BOT_NAME = re.compile(r"@[A-Za-z][A-Za-z0-9_]{1,28}[Bb][Oo][Tt]")
#: ASSUMPTION: an API key is printable ASCII without spaces.
APIKEY = re.compile(r"[\x21-\x7e]+")
#: ASSUMPTION: a partner id (pp) is a positive integer.
PARTNER_ID = re.compile(r"[1-9][0-9]*")
#: Parameters that are meaningless without another one: a value the server would silently
#: ignore is a caller's bug, so we refuse it. name -> (needs, why).
REQUIRES: Mapping[str, Tuple[str, str]] = {
    **({"freq": ("period", f"{SOAP_PAGE}, 000:109: without period, freq is ignored "
                           "(spec.REFUSE_IGNORED_FREQ)")} if spec.REFUSE_IGNORED_FREQ else {}),
    "imgcode": ("userip", f"{SOAP_PAGE}: imgcode is used together with userip"),
}
#: Characters left readable in encoded values: never ``&``, ``=``, ``+``, ``%``, ``;``, ``#``
#: or space, which a query parser would read as structure.
QUERY_SAFE = ",:/@"
#: What ``quote(..., safe=QUERY_SAFE)`` writes for each byte 0..255 (one call, cut into its 256
#: pieces), and the bytes it leaves as they are.
_ENCODED_BYTES = [piece.encode("ascii") for piece in
                  re.findall("%..|.", quote(bytes(range(256)), safe=QUERY_SAFE), re.DOTALL)]
_KEPT_BYTES = bytes(byte for byte in range(256) if len(_ENCODED_BYTES[byte]) == 1)
#: ASSUMPTION: a name in a raw query string (after decoding): an identifier, optionally with
#: one ``[key]`` suffix, as in the HTTP page's ``fl[5]``.
_RAW_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\[[A-Za-z0-9_]*\])?")
#: What may not appear in an already URL-encoded raw query: anything but RFC 3986 unreserved
#: characters, sub-delims, ":@/?[]" and "%XX" escapes.
_RAW_BAD = re.compile(r"[^A-Za-z0-9\-._~!$'()*+,;:@/?=&%\[\]]|%(?![0-9A-Fa-f]{2})")

# --- what the SOAP answer cannot carry: refused, never sent and silently lost --------------

#: Values of extended parameters that ask the answer for something the WSDL's result elements
#: have no element for (wsdl/soap.wsdl: Send2ResponseType is id, balance, cost, cnt, error and
#: ``errors`` of phone and status; cost's is cost, cnt, error). name -> (the values that ask, why).
NOT_CARRIED: Mapping[str, Tuple[Tuple[int, ...], str]] = {
    "op": ((1,), f"{SOAP_PAGE}:221-223: op=1 adds each number's status, mcc, mnc and cost to the answer, "
                 "and the WSDL's result has no element for them (its errors list holds only a phone and a "
                 "status): use err=1 for the numbers that failed, or get_status(phone, id, all=2) per number"),
}
#: Extended parameters whose answer only send_sms2's result can carry, by what they ask for.
SEND_ONLY: Mapping[str, Tuple[Tuple[int, ...], str]] = {
    "err": ((1,), "err=1 asks for the errors list, an element of send_sms2's result only"),
    "cost": ((0, 2, 3), "cost=0/2/3 ask for a send (and its cost and balance); a cost request's result has "
                        "only cost and cnt (cost=1 is what it does anyway)"),
}
#: Names of the HTTP API that change the answer's form or the request's encoding; in a raw
#: query they would be accepted by the server and break or silently change the SOAP call.
RAW_NOT_CARRIED: Mapping[str, str] = {
    "fmt": "the answer of a SOAP call is the SOAP envelope; fmt asks the HTTP API for another format",
    "charset": f"{SOAP_PAGE}:3: every SOAP parameter is UTF-8; charset would make the server read them otherwise",
    "op": NOT_CARRIED["op"][1],
}
#: ASSUMPTION: the page lists no extended parameter for get_status2 but ``apikey`` (004:341):
#: a send's parameters given to a status request would be ignored by the server, so they are
#: refused (a parameter we do not know still goes in the raw query).
STATUS_PARAMS = frozenset({"apikey"})


def refuse_not_carried(kind: str, extended: Mapping[str, Any]) -> None:
    """Refuse, with the reason, an extended parameter that the SOAP answer of an operation of
    ``kind`` (spec.SEND, spec.COST, spec.STATUS) could not carry, or that it would ignore."""
    given = {name: value for name, value in extended.items() if value is not None}
    if kind == spec.STATUS:
        for name in given:
            if name not in STATUS_PARAMS:
                raise _fail(name, f"the page lists no extended parameter {name!r} for get_status2; a "
                                  "send's parameters would be ignored by it")
    rules = dict(NOT_CARRIED, **SEND_ONLY) if kind == spec.COST else NOT_CARRIED
    for name, (asking, why) in rules.items():
        if name in given and isinstance(given[name], int) and int(given[name]) in asking:
            raise _fail(name, f"refused, not sent and lost: {why}")


# --- the Python types of the table --------------------------------------------------------

Flag = Union[bool, Literal[0, 1]]
ListEntry = Union[Tuple[Phones, str], Tuple[Optional[str], Optional[int], Phones, str]]
Normaliser = Callable[[str, Any, Mapping[str, Any]], str]


class ExtendedParams(TypedDict, total=False):
    """Every extended parameter and its Python type: annotate ``**extended: Unpack[...]``."""

    apikey: str
    tz: int
    period: Union[int, float]
    freq: int
    flash: Flag
    bin: Literal[0, 1, 2]
    push: Flag
    hlr: Flag
    ping: Flag
    mms: Flag
    mail: Flag
    soc: Flag
    viber: Flag
    whatsapp: Flag
    tg: Flag
    bot: str
    smsreq: int
    fileurl: str
    call: Flag
    voice: str
    param: Union[str, Tuple[int, int, int]]
    subj: str
    cost: Literal[0, 1, 2, 3]
    list: Union[str, Iterable[ListEntry]]
    valid: Union[int, str, timedelta]
    tinyurl: Flag
    maxsms: int
    imgcode: str
    userip: Union[str, ipaddress.IPv4Address, ipaddress.IPv6Address]
    err: Flag
    op: Flag
    pp: Union[int, str]
    translit: Literal[0, 1, 2]
    nl: Flag


class Param(NamedTuple):
    """One row of the table: where it is documented, and how a value is checked and written."""

    source: str
    normalise: Normaliser


# --- validators (factories return a Normaliser: (name, value, all given) -> str) ----------


def _fail(name: str, message: str) -> ValidationError:
    return ValidationError(f"{name}: {message}", field=name)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _choice(*allowed: int) -> Normaliser:
    """An int among ``allowed``; a bool too when the choice is 0/1 (a flag)."""
    flag = allowed == (0, 1)

    def check(name: str, value: Any, given: Mapping[str, Any]) -> str:
        if (_is_int(value) or (flag and isinstance(value, bool))) and value in allowed:
            return str(int(value))
        kinds = "a bool or " if flag else ""
        raise _fail(name, f"expected {kinds}one of {', '.join(map(str, allowed))}, got {value!r}")

    return check


_flag = _choice(*spec.FLAG)


def _int_range(low: int, high: Optional[int] = None, unit: str = "") -> Normaliser:
    """An int in ``low..high`` (no upper bound when ``high`` is None)."""

    def check(name: str, value: Any, given: Mapping[str, Any]) -> str:
        top = "" if high is None else f"..{high}"
        if not _is_int(value) or value < low or (high is not None and value > high):
            raise _fail(name, f"expected an int {low}{top}{unit}, got {value!r}")
        return str(value)

    return check


def _hours(name: str, value: Any, given: Mapping[str, Any]) -> str:
    """period: 0.1..720 hours, an int or a float, written shortest."""
    low, high = spec.PERIOD_HOURS
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not low <= value <= high:
        raise _fail(name, f"expected a number of hours {low:g}..{high:g}, got {value!r}")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value)


def _text(pattern: Optional["re.Pattern[str]"] = None, shape: str = "", *, secret: bool = False) -> Normaliser:
    """A str (optionally of a given shape) that UTF-8 can carry (no lone surrogates).

    A ``secret`` value is never repeated in the error message.
    """

    def check(name: str, value: Any, given: Mapping[str, Any]) -> str:
        if not isinstance(value, str):
            raise _fail(name, f"expected a str, got {type(value).__name__}")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise _fail(name, "holds a lone surrogate, which UTF-8 cannot carry") from None
        if pattern is not None and not pattern.fullmatch(value):
            raise _fail(name, f"expected {shape}" + ("" if secret else f", got {value!r}"))
        return value

    return check


def _tz(name: str, value: Any, given: Mapping[str, Any]) -> str:
    low, high = spec.TZ_RANGE
    if not _is_int(value) or not spec.TZ_RANGE.includes(value):
        raise _fail(name, f"expected whole hours relative to Moscow, {low}..{high}, got {value!r}")
    return str(value)


def _fileurl(name: str, value: Any, given: Mapping[str, Any]) -> str:
    url = _text()(name, value, given)
    try:
        parts = urlsplit(url)
        ok = parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:  # e.g. an unbalanced "[" in the host
        ok = False
    if not ok:
        raise _fail(name, f"expected a full http(s) URL with a host, got {value!r}")
    return url


def _voice(name: str, value: Any, given: Mapping[str, Any]) -> str:
    """m, m2, m3, m4, w, w2, w3, w4, optionally ``,lang`` (spaces around the comma dropped)."""
    text = _text()(name, value, given)
    voice, comma, language = (part.strip() for part in text.partition(","))
    if voice not in spec.VOICES:
        *first, last = spec.VOICES
        raise _fail(name, f"expected {', '.join(first)} or {last} (optionally ',lang'), got {value!r}")
    if not comma:
        return voice
    if not VOICE_LANGUAGE.fullmatch(language):
        raise _fail(name, f"the language after ',' must be a two-letter code such as 'en', got {language!r}")
    return f"{voice},{language.lower()}"


def _param(name: str, value: Any, given: Mapping[str, Any]) -> str:
    """Voice call settings ``w,i,n``: a str or a tuple of three ints."""
    if isinstance(value, str):
        parts: List[Any] = [part.strip() for part in value.split(",")]
        if all(re.fullmatch(r"[0-9]{1,4}", part) for part in parts):
            parts = [int(part) for part in parts]
    elif isinstance(value, tuple):
        parts = list(value)
    else:
        raise _fail(name, f"expected 'w,i,n' or a tuple (w, i, n), got {type(value).__name__}")
    if len(parts) != len(PARAM_RANGES) or not all(_is_int(part) for part in parts):
        raise _fail(name, f"expected three whole numbers w,i,n, got {value!r}")
    for part, (label, low, high) in zip(parts, PARAM_RANGES):
        if not low <= part <= high and spec.REFUSE_PARAM_FALLBACK:
            raise _fail(name, f"{label}={part} is out of {low}..{high}: the service would drop all three "
                              "for its defaults (000:166; spec.REFUSE_PARAM_FALLBACK)")
    return ",".join(map(str, parts))


def _valid(name: str, value: Any, given: Mapping[str, Any]) -> str:
    """Lifetime: 1..24 hours as an int, ``hh:mm`` 00:01..24:00, or a whole-minute timedelta."""
    hours, minutes_range = spec.EXTENDED_INT_RANGES["valid"], spec.VALID_MINUTES
    if _is_int(value):
        if not hours.includes(value):
            raise _fail(name, f"expected {hours.low}..{hours.high} hours, got {value}")
        return str(value)
    if isinstance(value, timedelta):
        if value % timedelta(minutes=1):
            raise _fail(name, f"{value} is not a whole number of minutes")
        minutes = value // timedelta(minutes=1)
    elif isinstance(value, str):
        match = re.fullmatch(r"([0-9]{2}):([0-5][0-9])", value)
        if not match:
            raise _fail(name, f"expected 'hh:mm' (minutes 00..59), got {value!r}")
        minutes = int(match.group(1)) * 60 + int(match.group(2))
    else:
        raise _fail(name, f"expected an int, 'hh:mm' or a timedelta, got {type(value).__name__}")
    if not minutes_range.includes(minutes):
        raise _fail(name, f"{value!r} is out of {_hh_mm(minutes_range.low)}..{_hh_mm(minutes_range.high)}")
    return _hh_mm(minutes)


def _hh_mm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _userip(name: str, value: Any, given: Mapping[str, Any]) -> str:
    if not isinstance(value, (str, ipaddress.IPv4Address, ipaddress.IPv6Address)):
        raise _fail(name, f"expected an IP address (str or ipaddress object), got {type(value).__name__}")
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise _fail(name, f"{value!r} is not an IPv4 or IPv6 address") from None


def _pp(name: str, value: Any, given: Mapping[str, Any]) -> str:
    text = str(value) if _is_int(value) else value
    if not isinstance(text, str) or not PARTNER_ID.fullmatch(text):
        raise _fail(name, f"expected a partner id (a positive integer), got {value!r}")
    return text


def recipient_options(extended: Mapping[str, Any]) -> Dict[str, bool]:
    """The keywords of :func:`~smsc_soap.params.phones_field` that these extended parameters
    allow: e-mail addresses with ``mail=1``, telegram nicks with ``tg=1`` or ``bot=``."""
    return {
        "allow_email": bool(extended.get("mail")),
        "allow_telegram": bool(extended.get("tg")) or extended.get("bot") is not None,
    }


# --- the list grammar (spec, 004:175-190): the client's one reader and writer of it --------


class ListLine(NamedTuple):
    """One line of ``list`` as written, unchecked: ``[sender[,tz]|]phones:mes``.

    ``sender``/``tz`` are None when the line has no such head (``tz`` also when the head has no
    ``,``); ``mes`` is None when the line has no ``:`` (a malformed line), and keeps the
    page's ``\\n`` escapes as written.
    """

    sender: Optional[str]
    tz: Optional[str]
    phones: str
    mes: Optional[str]


_TEXT_SEPARATOR = re.compile("[%s]" % re.escape(spec.LIST_TEXT_SEPARATORS))
#: A text that begins like more phones and a ":" (``p1;p2:text``): the server reads the ";" as
#: the end of the phones, so the line would send "p2:text" to p1.
_PHONES_THEN_COLON = re.compile(r"\s*(?:\+?[0-9]{%d,}\s*[,;]\s*)*\+?[0-9]{%d,}\s*:"
                                % (spec.PHONE_DIGITS.low, spec.PHONE_DIGITS.low))


def _split_list_line(line: str) -> Tuple[Optional[str], Optional[str], str, Optional[str], str]:
    """sender, tz, phones, mes and the separator found ("" when none); 004:175, 183."""
    first = _TEXT_SEPARATOR.search(line)
    bar = line.find(spec.LIST_SENDER_END)
    sender: Optional[str] = None
    tz: Optional[str] = None
    if bar != -1 and (first is None or bar < first.start()):
        sender, comma, tz_text = line[:bar].partition(spec.LIST_TZ_SEPARATOR)
        tz = tz_text if comma else None
        line = line[bar + 1:]
    found = _TEXT_SEPARATOR.search(line)
    if found is None:
        return sender, tz, line, None, ""
    return sender, tz, line[:found.start()], line[found.end():], found.group()


def parse_list_line(line: str) -> ListLine:
    """The parts of one line of ``list`` as the server reads them: the text follows the first
    ":" or ";" (004:175); no part is checked (see :func:`format_list`)."""
    return ListLine(*_split_list_line(line)[:4])


def parse_list(text: str) -> List[ListLine]:
    """The lines of a ``list`` value (split at the page's ``%0A``), unchecked."""
    return [parse_list_line(line) for line in text.split(spec.LIST_LINE_SEPARATOR)]


def list_recipients(query: str) -> Tuple[str, ...]:
    """The recipients named by the ``list`` parameter of a URL-encoded ``query`` string, in
    order, as written (``()`` when there is no ``list``). For whoever needs the numbers of a
    request that was sent with ``list`` (e.g. to look a lost send up)."""
    values = parse_qs(query, keep_blank_values=True).get("list")
    if not values:
        return ()
    return tuple(phone for line in parse_list(values[-1]) for phone in split_phones(line.phones))


def _list_line(index: int, entry: Any, options: Mapping[str, bool]) -> str:
    return written_line(index, entry, options)[0]


def plain_line(phones: object, mes: object) -> Optional[str]:
    """:func:`written_line`'s line for what most lines of a bulk send are, one phone number of
    digits and a printable text with no backslash-n, in a few steps instead of its checks one by
    one (they were nearly a third of the time send_bulk's chunking spends on a message); None for
    anything else, which written_line checks and writes. Held to it by tests/test_query.py."""
    if (type(phones) is str and type(mes) is str and phones.isdigit() and phones.isascii()
            and spec.PHONE_DIGITS.low <= len(phones) <= spec.PHONE_DIGITS.high
            and len(mes) <= spec.MES_MAX_CHARS and mes.isprintable() and spec.LIST_NEWLINE_ESCAPE not in mes):
        return phones + spec.LIST_TEXT_SEPARATOR + mes
    return None


def written_line(index: int, entry: Any, options: Mapping[str, bool]) -> Tuple[str, str]:
    """One line of ``list`` from entry ``index``, checked, and its phones as written (joined
    with ","): what format_list writes for that entry, for a caller that writes one line at a time."""
    if not isinstance(entry, tuple) or len(entry) not in (2, 4):
        raise _fail("list", f"list entry {index}: expected (phones, mes) or (sender, tz, phones, mes), got {entry!r}")
    if len(entry) == 2:
        sender = tz = None
        recipients, mes = entry
    else:
        sender, tz, recipients, mes = entry
    # always joined with "," (004:180); the options named, not unpacked: once per line of a bulk send
    phones = phones_field(recipients, field="list", allow_email=options.get("allow_email", False),
                          allow_telegram=options.get("allow_telegram", False))
    checked = mes_field(mes, field="list")
    if spec.LIST_LITERAL_BACKSLASH_N_REFUSED and spec.LIST_NEWLINE_ESCAPE in checked:
        raise _fail("list", f"list entry {index}: the text holds a literal backslash-n, which the server turns into a "
                            "newline in a list line (004:181) and which has no documented escape: send this "
                            "message with send_sms, or write a real newline")
    text = checked if "\n" not in checked and "\r" not in checked else re.sub(  # 004:181
        r"\r\n|\r|\n", lambda _: spec.LIST_NEWLINE_ESCAPE, checked)
    prefix = ""
    if sender is not None:
        prefix = sender_field(sender, field="list") or ""
        if tz is not None:
            prefix += spec.LIST_TZ_SEPARATOR + _tz("list", tz, {})
        prefix += spec.LIST_SENDER_END
    elif tz is not None:  # ASSUMPTION: the page's per-line form always starts with a sender
        raise _fail("list", f"list entry {index}: a tz needs a sender ('sender,tz|phones:mes')")
    return f"{prefix}{phones}{spec.LIST_TEXT_SEPARATOR}{text}", phones


def _check_list_string(value: str, options: Mapping[str, bool]) -> str:
    """A list given as the page's text: every line ``[sender[,tz]|]phones:mes``, checked."""
    _text()("list", value, {})
    for index, text in enumerate(value.split(spec.LIST_LINE_SEPARATOR)):
        *_, separator = _split_list_line(text)
        line = parse_list_line(text)
        if line.mes is None:
            raise _fail("list", f"line {index} {text!r} has no ':' or ';' between phones and mes")
        if separator == ";" and _PHONES_THEN_COLON.match(line.mes):
            raise _fail("list", f"line {index} {text!r}: phones in a list line are separated by ',' (004:180); "
                                "the server reads the first ';' as the end of the phones (004:175), so the "
                                "rest would be the text")
        if line.sender is not None:
            sender_field(line.sender, field="list")
        if line.tz is not None:
            if not re.fullmatch(r"-?[0-9]{1,2}", line.tz):
                raise _fail("list", f"line {index}: tz {line.tz!r} is not whole hours")
            _tz("list", int(line.tz), {})
        phones_field(line.phones, field="list", **options)
        mes_field(line.mes, field="list")
    return value


def format_list(entries: Union[str, Iterable[ListEntry]], *, allow_email: bool = False,
                allow_telegram: bool = False) -> str:
    """The ``list`` parameter: one line per message, ``phones:mes`` or ``sender,tz|phones:mes``.

    Entries are ``(phones, mes)`` or ``(sender, tz, phones, mes)`` (tz may be None; it only
    applies with a DDMMYYhhmm time). Newlines inside mes are written ``\\n`` as the page asks,
    so ``nl=1`` is not needed. A str is taken as the page's text and checked line by line.
    """
    options = {"allow_email": allow_email, "allow_telegram": allow_telegram}
    if isinstance(entries, str):
        return _check_list_string(entries, options)
    if isinstance(entries, (bytes, bytearray, tuple)) or not isinstance(entries, Iterable):
        raise _fail("list", f"expected a str or an iterable of entries, got {type(entries).__name__}")
    lines = [_list_line(index, entry, options) for index, entry in enumerate(entries)]
    if not lines:
        raise _fail("list", "no entries")
    return "\n".join(lines)


def _list(name: str, value: Any, given: Mapping[str, Any]) -> str:
    return format_list(value, **recipient_options(given))


# --- THE table ----------------------------------------------------------------------------

#: Every extended parameter, in the order :func:`build_query` writes them.
EXTENDED_PARAMS: Mapping[str, Param] = {
    "apikey": Param(SOAP_PAGE, _text(APIKEY, "printable ASCII without spaces", secret=True)),
    "tz": Param(SOAP_PAGE, _tz),
    "period": Param(SOAP_PAGE, _hours),
    "freq": Param(SOAP_PAGE, _int_range(*spec.EXTENDED_INT_RANGES["freq"], " minutes")),
    "flash": Param(SOAP_PAGE, _flag),
    "bin": Param(SOAP_PAGE, _choice(*spec.EXTENDED_CHOICES["bin"])),
    "push": Param(SOAP_PAGE, _flag),
    "hlr": Param(SOAP_PAGE, _flag),
    "ping": Param(SOAP_PAGE, _flag),
    "mms": Param(SOAP_PAGE, _flag),
    "mail": Param(SOAP_PAGE, _flag),
    "soc": Param(SOAP_PAGE, _flag),
    "viber": Param(SOAP_PAGE, _flag),
    "whatsapp": Param(SOAP_PAGE, _flag),
    "tg": Param(SOAP_PAGE, _flag),
    "bot": Param(SOAP_PAGE, _text(BOT_NAME, "a bot name such as '@name_bot'")),
    "smsreq": Param(SOAP_PAGE, _int_range(*spec.EXTENDED_INT_RANGES["smsreq"], " days")),
    "fileurl": Param(SOAP_PAGE, _fileurl),
    "call": Param(SOAP_PAGE, _flag),
    "voice": Param(SOAP_PAGE, _voice),
    "param": Param(SOAP_PAGE, _param),
    "subj": Param(SOAP_PAGE, _text()),
    "cost": Param(SOAP_PAGE, _choice(*spec.EXTENDED_CHOICES["cost"])),
    "list": Param(SOAP_PAGE, _list),
    "valid": Param(SOAP_PAGE, _valid),
    "tinyurl": Param(SOAP_PAGE, _flag),
    "maxsms": Param(SOAP_PAGE, _int_range(spec.MAXSMS_MIN, spec.MAXSMS_MAX)),
    "imgcode": Param(SOAP_PAGE, _text()),
    "userip": Param(SOAP_PAGE, _userip),
    "err": Param(SOAP_PAGE, _flag),
    "op": Param(SOAP_PAGE, _flag),  # op=1 is refused by build_query (NOT_CARRIED)
    "pp": Param(SOAP_PAGE, _pp),
    "translit": Param(HTTP_PAGE, _choice(*spec.EXTENDED_CHOICES["translit"])),
    "nl": Param(HTTP_PAGE, _flag),
}


# --- the query string ---------------------------------------------------------------------


def _raw_pairs(raw: str) -> List[Tuple[str, str]]:
    """The ``(decoded name, piece)`` pairs of an already URL-encoded raw query string.

    Empty pieces (``a=1&&b=2``, a leading or trailing ``&``) are dropped: every parser
    ignores them.
    """
    if not isinstance(raw, str):
        raise ValidationError(f"query must be a str, got {type(raw).__name__}", field="query")
    bad = _RAW_BAD.search(raw)
    if bad:
        what = "a '%' not followed by two hex digits" if bad.group() == "%" else repr(bad.group())
        raise ValidationError(
            f"query is not URL-encoded: {what} at position {bad.start()} "
            "(encode values with urllib.parse.quote, or pass known parameters as keywords)",
            field="query",
        )
    pairs = []
    for piece in filter(None, raw.split("&")):
        encoded_name, equals, _ = piece.partition("=")
        name = unquote_plus(encoded_name)
        if not equals or not _RAW_NAME.fullmatch(name):
            raise ValidationError(f"query: {piece!r} is not name=value", field="query")
        pairs.append((name, piece))
    return pairs


def _closest(name: str, names: Iterable[str]) -> List[str]:
    """The known name ``name`` is probably a misspelling of (one or none); difflib loads here,
    for a misspelt name only: it costs ~0.6 ms at start-up."""
    import difflib

    return difflib.get_close_matches(name, list(names), n=1)


def _unknown(name: str) -> ValidationError:
    close = _closest(name, EXTENDED_PARAMS)
    hint = f"; did you mean {close[0]!r}?" if close else "; pass it in the raw query string"
    return ValidationError(f"unknown extended parameter {name!r}{hint}", field=name)


def encode_value(text: str) -> str:
    """``text`` percent-encoded as ``urllib.parse.quote(text, safe=QUERY_SAFE)`` encodes it (UTF-8;
    ``,:/@`` and RFC 3986's unreserved characters left as they are). One ``bytes.replace`` per
    distinct byte to encode, not urllib's loop over every byte: a bulk send encodes a whole
    request's ``list`` (~8 kB) at once, ~5x faster."""
    raw = text.encode("utf-8")
    encoded = set(raw.translate(None, _KEPT_BYTES))
    if not encoded:
        return text
    if 0x25 in encoded:  # "%" first: the other replacements write "%"s of their own
        encoded.discard(0x25)
        raw = raw.replace(b"%", _ENCODED_BYTES[0x25])
    for byte in encoded:
        raw = raw.replace(bytes((byte,)), _ENCODED_BYTES[byte])
    return raw.decode("ascii")


def encoded_length(text: str) -> int:
    """``len(encode_value(text))``, without writing it."""
    raw = text.encode("utf-8")
    return len(raw) + 2 * len(raw.translate(None, _KEPT_BYTES))


def build_query(raw: Optional[str] = None, **extended: Unpack[ExtendedParams]) -> str:
    """The ``query`` string for the ``*2`` methods: ``name=value&...``, or ``""``.

    Every keyword is checked against :data:`EXTENDED_PARAMS` (a value of None is omitted) and
    written in the table's order, each value percent-encoded (``+`` as ``%2B``, space as
    ``%20``) so the server reads back exactly what was given. ``raw`` is an already
    URL-encoded string for parameters the table does not know (e.g. ``fl%5B5%5D=1``); it
    is appended, and may not repeat or bypass a known parameter.
    """
    given = {name: value for name, value in extended.items() if value is not None}
    for name in given:
        if name not in EXTENDED_PARAMS:
            raise _unknown(name)
    pieces = [
        f"{name}={encode_value(spec.normalise(name, given[name], given))}"
        for name, spec in EXTENDED_PARAMS.items()
        if name in given
    ]
    for name, (asking, why) in NOT_CARRIED.items():
        if name in given and int(cast(int, given[name])) in asking:  # checked as a flag above
            raise _fail(name, f"refused, not sent and lost: {why}")
    for name, (needs, why) in REQUIRES.items():
        if name in given and needs not in given:
            raise ValidationError(f"{name} needs {needs} ({why})", field=name)
    seen = set()
    for name, piece in _raw_pairs(raw) if raw is not None else ():
        if name in given:
            raise ValidationError(f"query: {name!r} is given both as a keyword and in the raw string", field=name)
        if name.lower() in RAW_NOT_CARRIED:
            raise ValidationError(f"query: {name!r} is refused: {RAW_NOT_CARRIED[name.lower()]}", field=name)
        if name in EXTENDED_PARAMS:
            raise ValidationError(
                f"query: pass {name!r} as a keyword ({name}=...) so that it is validated", field=name
            )
        if name in seen:
            raise ValidationError(f"query: {name!r} appears twice in the raw string", field="query")
        seen.add(name)
        pieces.append(piece)
    return "&".join(pieces)


# --- the mailings page (000): the same table, plus the parameters only it has ----------------------

#: The rows of :data:`EXTENDED_PARAMS` that the mailings page (000) lists too (000:80-196): a
#: mailing's messages take them with the same rules, read from the same rows.
MAILING_SHARED: Tuple[str, ...] = (
    "tz", "period", "freq", "flash", "bin", "push", "hlr", "ping", "mms", "mail", "soc", "viber", "whatsapp",
    "bot", "smsreq", "fileurl", "call", "voice", "param", "subj", "list", "valid", "tinyurl", "translit", "nl",
)


def _repeat(name: str, value: Any, given: Mapping[str, Any]) -> str:
    """``rpt``: 0..7, or its name from spec.MAILING_REPEATS ("daily", ...)."""
    names = {label: code for code, label in spec.MAILING_REPEATS.items()}
    if isinstance(value, str) and value in names:
        return str(names[value])
    if _is_int(value) and value in spec.MAILING_REPEATS:
        return str(int(value))  # an int enum (http_api.mailings.Repeat) too
    raise _fail(name, f"must be one of {sorted(spec.MAILING_REPEATS)} or {sorted(names)}, got {value!r}")


def _sender2(name: str, value: Any, given: Mapping[str, Any]) -> str:
    return str(sender_field(value, field=name))


def _mes2(name: str, value: Any, given: Mapping[str, Any]) -> str:
    return mes_field(value, field=name, xml=False)  # a form post of page 000, not XML


def _charset(name: str, value: Any, given: Mapping[str, Any]) -> str:
    """The client always sends UTF-8 and says so; another charset would mislabel the text."""
    if value != "utf-8":
        raise _fail(name, f"the client sends UTF-8 text and says so; {value!r} would mislabel it "
                          f"(the page's choices: {', '.join(spec.MAILING_CHARSETS)})")
    return "utf-8"


#: The parameters only the mailings page has (000), checked as the shared rows are.
MAILING_PARAMS: Mapping[str, Param] = {
    "rpt": Param(HTTP_PAGE, _repeat),
    "rptn": Param(HTTP_PAGE, _int_range(1)),
    "sender2": Param(HTTP_PAGE, _sender2),
    "mes2": Param(HTTP_PAGE, _mes2),
    "tpl": Param(HTTP_PAGE, _int_range(1)),
    "charset": Param(HTTP_PAGE, _charset),
    "cost": Param(HTTP_PAGE, _choice(*spec.MAILING_COST_CHOICES)),
}


def mailing_fields(**given: Any) -> Dict[str, str]:
    """The fields of a mailing's extended parameters, each read by its row: the shared rows of
    :data:`EXTENDED_PARAMS` (as send_sms2's ``query`` reads them) and :data:`MAILING_PARAMS`.
    ``mes2`` brings the page's ``fl[5]=1`` (000:147); ``charset`` is always utf-8."""
    values = {name: value for name, value in given.items() if value is not None}
    rows = {name: EXTENDED_PARAMS[name] for name in MAILING_SHARED}
    rows.update(MAILING_PARAMS)
    fields: Dict[str, str] = {}
    for name, value in values.items():
        row = rows.get(name)
        if row is None:
            close = _closest(name, rows)
            hint = f"; did you mean {close[0]!r}?" if close else " (page 000 does not list it)"
            raise ValidationError(f"unknown mailing parameter {name!r}{hint}", field=name)
        fields[name] = row.normalise(name, value, values)
    for name, (needs, why) in REQUIRES.items():
        if name in values and needs not in values:
            raise ValidationError(f"{name} needs {needs} ({why})", field=name)
    if spec.RPTN_NEEDS_RPT and "rptn" in values and fields.get("rpt") in (None, "0"):
        raise ValidationError("rptn needs rpt (a repeat period) (000:106: the number of repeats; "
                              "spec.RPTN_NEEDS_RPT)", field="rptn")
    if "mes2" in fields:
        fields[spec.MES2_FLAG] = "1"
    fields["charset"] = "utf-8"
    return fields


# --- the table, for help() -------------------------------------------------------------------


def _type_text(hint: Any) -> str:
    """A short reading of an :class:`ExtendedParams` type hint: ``int``, ``0, 1 or 2``, ..."""
    import typing

    origin = typing.get_origin(hint)
    if origin is Literal:
        return " or ".join(map(repr, typing.get_args(hint)))
    if origin is Union:
        return " or ".join(_type_text(arg) for arg in typing.get_args(hint) if arg is not type(None))
    if isinstance(hint, type):
        return hint.__name__
    if origin is not None and getattr(origin, "__name__", "") == "Iterable":
        return "an iterable of (phones, mes) or (sender, tz, phones, mes)"
    return str(hint).replace("typing.", "").replace("smsc_soap.query.", "")


def describe_extended() -> str:
    """The extended parameters as a reST list (name, Python type, the page that documents it):
    appended to the docstrings of the ``*2`` methods, so ``help(Client.send_sms2)`` lists them."""
    import typing

    hints = typing.get_type_hints(ExtendedParams)
    pages = {SOAP_PAGE: "SOAP page", HTTP_PAGE: "HTTP page"}
    lines = ["Extended parameters (keywords, checked by :func:`smsc_soap.query.build_query`):", ""]
    lines += [f"* ``{name}``: {_type_text(hints[name])} ({pages.get(param.source, param.source)})"
              + (f"; {name}={' or '.join(map(str, NOT_CARRIED[name][0]))} is refused: the SOAP answer "
                 "cannot carry what it asks for" if name in NOT_CARRIED else "")
              for name, param in EXTENDED_PARAMS.items() if name != "apikey"]
    return "\n".join(lines)
