"""Validation and formatting of the base fields of the SOAP operations.

Every leaf of the WSDL is ``xsd:string``: each function here takes a typed Python value and
returns the exact string for its field, or raises :class:`~smsc_soap.errors.ValidationError`
(with ``field`` set) so that nothing wrong is ever sent -- and charged.

The law is the service's SOAP page (``shared/seeds/004_15f31480a758852c.txt``); its facts, and
the ASSUMPTIONS the sandbox shares, are those of :mod:`smsc_soap.spec`. What only the client
decides is an ASSUMPTION kept in a named constant below.
"""
from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timedelta
from typing import Callable, Iterable, List, Mapping, Optional, Tuple, Union

from . import spec
from .errors import ValidationError
from .message import strip_comment

__all__ = [
    "HOURS",
    "ID_MAX_INT",
    "MES_MAX_CHARS",
    "MIN_TIMESTAMP",
    "PHONE_DIGITS",
    "SENDER_MAX_CHARS",
    "SENDER_MAX_DIGITS",
    "SENDER_SYMBOLS",
    "TIME_YEARS",
    "all_field",
    "id_field",
    "mes_field",
    "phone_field",
    "phones_field",
    "sender_field",
    "split_phones",
    "time_field",
]

Phones = Union[str, Iterable[str]]
TimeValue = Union[None, datetime, timedelta, int, Tuple[int, int], str]

# --- the pages' facts, read from :mod:`smsc_soap.spec` (these names are kept for old imports) --

MES_MAX_CHARS = spec.MES_MAX_CHARS
ID_MAX_INT = spec.ID_INT_RANGE.high
_ID_STRING = spec.ID_STRING
SENDER_MAX_CHARS = spec.SENDER_MAX_CHARS
SENDER_MAX_DIGITS = spec.SENDER_MAX_DIGITS
SENDER_SYMBOLS = spec.SENDER_SYMBOLS
PHONE_DIGITS = spec.PHONE_DIGITS
HOURS = spec.HOUR_WINDOW

# --- ASSUMPTIONS of the client alone (the sandbox has no such choice to make) --------------

#: ASSUMPTION: a contact group is "G" followed by its number (the page: "G<номер группы>").
_GROUP = re.compile(re.escape(spec.GROUP_PREFIX) + r"[0-9]{1,10}")
#: ASSUMPTION: a pragmatic e-mail shape (something@domain.tld), not full RFC 5322.
_EMAIL = re.compile(r"[^\s@,;:]+@[^\s@,;:.]+(?:\.[^\s@,;:.]+)+")
#: ASSUMPTION: a telegram nick follows Telegram's username rule (5..32 of letters, digits, "_",
#: starting with a letter), "@" optional; an ID is "#" and digits (the page: "#ID").
_TELEGRAM = re.compile(r"@?[A-Za-z][A-Za-z0-9_]{4,31}|#[0-9]{1,20}")
#: ASSUMPTION: a naive datetime is written DDMMYYhhmm, so it must fall in the century that
#: ``YY`` names (:data:`smsc_soap.spec.TIME_CENTURY`).
TIME_YEARS = (spec.TIME_CENTURY, spec.TIME_CENTURY + 99)
#: ASSUMPTION: the service tells "0<ts>" from DDMMYYhhmm by length, so a timestamp must have at
#: least 10 digits (after 2001-09-09) or "0<ts>" would be 10 characters and read as a date.
#: Earlier moments are in the past anyway, which the page says means "send now": use 0.
MIN_TIMESTAMP = 10 ** 9

_DIGITS = re.compile(r"\+?[0-9]+")
#: What XML 1.0 cannot carry below U+0020 (the complement of its Char production there); the
#: rest of it, lone surrogates, U+FFFE and U+FFFF, :func:`_uncarried` finds without a class of
#: those characters, which takes ~1 ms to compile at import.
_XML_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SEPARATORS = re.compile("[" + re.escape(spec.PHONE_SEPARATORS) + "]")

#: Recipient kinds beyond phone numbers and groups: (pattern, what it is, the keyword that
#: allows it, the service option behind that keyword).
_OPTIONAL_KINDS = (
    (_EMAIL, "an e-mail address", "allow_email", "mail=1"),
    (_TELEGRAM, "a telegram nick or #ID", "allow_telegram", "tg=1 or bot="),
)


def _type_name(value: object) -> str:
    return type(value).__name__


# --- recipients ---------------------------------------------------------------------------


def _number(entry: str, field: str) -> str:
    """A phone number (``entry`` matches ``_DIGITS``) with as many digits as a number has; unchanged."""
    digits = len(entry) - entry.startswith("+")
    low, high = PHONE_DIGITS
    if not low <= digits <= high:
        raise ValidationError(f"{field}: {entry!r} has {digits} digits; a phone number has {low}..{high}", field=field)
    return entry


def _recipient(entry: str, field: str, allowed: Mapping[str, bool], *, groups: bool = True) -> str:
    """One recipient, checked; returned unchanged."""
    if _DIGITS.fullmatch(entry):
        return _number(entry, field)
    if _GROUP.fullmatch(entry):
        if not groups:
            raise ValidationError(f"{field}: {entry!r} is a contact group; give one recipient", field=field)
        return entry
    for pattern, what, keyword, option in _OPTIONAL_KINDS:
        if pattern.fullmatch(entry):
            if allowed[keyword]:
                return entry
            raise ValidationError(  # a typo'd number may look like one: say what it is not, first
                f"{field}: {entry!r} is not a valid phone number (digits, optional leading '+'); read as {what}, "
                f"it needs {option} ({keyword}=True)", field=field
            )
    bare = re.sub(r"[^0-9]", "", entry)
    if bare and re.fullmatch(r"\+?[0-9 ()\-.]+", entry):
        plus = "+" if entry.startswith("+") else ""
        raise ValidationError(
            f"{field}: {entry!r} has formatting characters; write digits only, e.g. {plus + bare!r}",
            field=field,
        )
    raise ValidationError(
        f"{field}: {entry!r} is not a phone number (digits, optional leading '+') or a contact group G<n>",
        field=field,
    )


def split_phones(text: str, *, keep_empty: bool = False) -> List[str]:
    """The entries of a ``phones`` string, split at ``,`` and ``;`` (the page's separators),
    spaces around each dropped; empty entries too unless ``keep_empty``. No entry is checked:
    this is the client's one splitter, for whoever needs the numbers of a request."""
    entries = [part.strip() for part in _SEPARATORS.split(text)]
    return entries if keep_empty else [entry for entry in entries if entry]


def _split(phones: Phones, field: str) -> List[str]:
    """The entries of a ``,``/``;`` separated string, or of an iterable (one per item)."""
    if isinstance(phones, str):
        entries = split_phones(phones, keep_empty=True)
        if phones.strip() and "" in entries:
            raise ValidationError(
                f"{field}: empty entry in {phones!r} (two separators in a row, or one at an end)", field=field
            )
        return [entry for entry in entries if entry]
    if isinstance(phones, (bytes, bytearray)) or not isinstance(phones, Iterable):
        raise ValidationError(f"{field} must be a str or an iterable of str, got {_type_name(phones)}", field=field)
    entries = []
    for item in phones:
        if not isinstance(item, str):
            raise ValidationError(f"{field}: every recipient must be a str, got {_type_name(item)}", field=field)
        if _SEPARATORS.search(item):
            raise ValidationError(f"{field}: {item!r}: one recipient per item, no ',' or ';'", field=field)
        if not item.strip():
            raise ValidationError(f"{field}: empty recipient in the list", field=field)
        entries.append(item.strip())
    return entries


def phones_field(phones: Phones, *, allow_email: bool = False, allow_telegram: bool = False,
                 field: str = "phones") -> str:
    """``phones``: one or more recipients, comma-joined.

    A str may hold several recipients separated by ``,`` or ``;`` (spaces around them are
    dropped); an iterable holds one recipient per item. A recipient is a phone number (digits
    with an optional leading ``+``, which turns off the service's auto-correction) or a
    contact group ``G<n>``; e-mail addresses need ``allow_email`` (the service's ``mail=1``),
    telegram nicks / ``#ID`` need ``allow_telegram`` (``tg=1`` or ``bot=``).
    """
    if isinstance(phones, str) and (phones.isascii() and phones.isdigit() or _DIGITS.fullmatch(phones)):
        # one number, as most are: nothing to split (isdigit first: a bulk send checks millions)
        return _number(phones, field)
    allowed = {"allow_email": allow_email, "allow_telegram": allow_telegram}
    entries = _split(phones, field)
    if not entries:
        raise ValidationError(f"{field}: no recipient given", field=field)
    return ",".join(_recipient(entry, field, allowed) for entry in entries)


def only_addresses(phones: str, *, field: str = "phones") -> str:
    """``phones`` (as :func:`phones_field` wrote it) of an e-mail: every recipient an e-mail
    address (000:78 "Для e-mail сообщения передается список e-mail адресов получателей")."""
    for entry in phones.split(","):
        if not _EMAIL.fullmatch(entry):
            raise ValidationError(f"{field}: {entry!r}: an e-mail (mail=1) goes to e-mail addresses (000:78)",
                                  field=field)
    return phones


def phone_field(phone: str, *, allow_email: bool = False, allow_telegram: bool = False) -> str:
    """``phone`` of get_status: exactly one recipient (a status is per recipient, not per group)."""
    if not isinstance(phone, str):
        raise ValidationError(f"phone must be a str, got {_type_name(phone)}", field="phone")
    if _SEPARATORS.search(phone):
        raise ValidationError(f"phone: {phone!r}: give exactly one recipient", field="phone")
    if not phone.strip():
        raise ValidationError("phone: no recipient given", field="phone")
    allowed = {"allow_email": allow_email, "allow_telegram": allow_telegram}
    return _recipient(phone.strip(), "phone", allowed, groups=False)


# --- text, id, sender ---------------------------------------------------------------------


def mes_field(mes: str, *, field: str = "mes", xml: bool = True) -> str:
    """``mes``: at most 1000 characters (a ``\\n~~~\\n`` comment included, see
    :data:`smsc_soap.spec.MES_LIMIT_COUNTS_COMMENT`) that an XML 1.0 document can carry; with
    ``xml=False`` (a form post of the HTTP pages, 000:113-118) any text UTF-8 can carry, such as
    a ``bin=1`` message's octets.

    An empty text is allowed (hlr, ping and templates send none).
    """
    if not isinstance(mes, str):
        raise ValidationError(f"{field} must be a str, got {_type_name(mes)}", field=field)
    counted = len(mes if spec.MES_LIMIT_COUNTS_COMMENT else strip_comment(mes))
    if counted > MES_MAX_CHARS:
        raise ValidationError(
            f"{field} is {counted} characters long; the service takes at most {MES_MAX_CHARS}", field=field
        )
    bad = _uncarried(mes, xml)
    if bad is not None:
        carrier = "XML 1.0" if xml else "UTF-8"
        raise ValidationError(
            f"{field} holds U+{ord(mes[bad]):04X} at position {bad}, which {carrier} cannot carry",
            field=field,
        )
    return mes


def _uncarried(mes: str, xml: bool) -> Optional[int]:
    """Where the first character of ``mes`` is that XML 1.0 (``xml``) or else UTF-8 cannot carry."""
    if mes.isprintable():  # no control character, surrogate or noncharacter (U+FFFE, U+FFFF): most texts
        return None
    if mes.isascii():  # no surrogate, no U+FFFE/U+FFFF: only the control characters to look for
        control = _XML_CONTROL.search(mes) if xml else None
        return None if control is None else control.start()
    found: List[int] = []
    try:
        mes.encode("utf-8")  # fails at the first lone surrogate: the one thing UTF-8 cannot carry
    except UnicodeEncodeError as exc:
        found.append(exc.start)
    if xml:
        control = _XML_CONTROL.search(mes)
        found += [at for at in (control.start() if control else -1, mes.find("\ufffe"), mes.find("\uffff")) if at >= 0]
    return min(found, default=None)


def id_field(id: Union[int, str, None]) -> Optional[str]:  # noqa: A002 - the service's name
    """``id``: an int 1..2147483647 or up to 40 of ``[A-Za-z0-9._-]``; None lets the service pick."""
    if id is None:
        return None
    if isinstance(id, bool) or not isinstance(id, (int, str)):
        raise ValidationError(f"id must be an int or a str, got {_type_name(id)}", field="id")
    low, high = spec.ID_INT_RANGE
    if isinstance(id, int):
        if not spec.ID_INT_RANGE.includes(id):  # no f"{id}": a huge int cannot even be printed
            raise ValidationError(f"id is out of range {low}..{high} ({id.bit_length()} bits)", field="id")
        return str(id)
    if id == "":
        raise ValidationError("id is empty; pass None to let the service assign one", field="id")
    if len(id) > spec.ID_MAX_CHARS:  # first: int() of thousands of digits raises ValueError
        raise ValidationError(f"id is {len(id)} characters long; at most {spec.ID_MAX_CHARS}", field="id")
    if id.isascii() and id.isdigit() and not spec.ID_INT_RANGE.includes(int(id)):
        raise ValidationError(f"id {id!r} is a number out of range {low}..{high}", field="id")
    if not _ID_STRING.fullmatch(id):
        bad = next(ch for ch in id if not _ID_STRING.fullmatch(ch))
        raise ValidationError(
            f"id {id!r} holds {bad!r}; only Latin letters, digits and '.', '-', '_' are allowed", field="id"
        )
    return id


def sender_field(sender: Optional[str], *, field: str = "sender") -> Optional[str]:
    """``sender``: up to 11 letters/digits/space/:data:`SENDER_SYMBOLS`, or up to 15 digits.

    None omits it (the account's default sender is used). The name must also be registered
    in the account; that only the service can check.
    """
    if sender is None:
        return None
    if not isinstance(sender, str):
        raise ValidationError(f"{field} must be a str, got {_type_name(sender)}", field=field)
    if not sender:
        raise ValidationError(f"{field} is empty; pass None for the account's default", field=field)
    if re.fullmatch(r"[0-9]+", sender):
        if len(sender) > SENDER_MAX_DIGITS:
            raise ValidationError(
                f"{field} {sender!r} has {len(sender)} digits; at most {SENDER_MAX_DIGITS}", field=field
            )
        return sender
    if len(sender) > SENDER_MAX_CHARS:
        raise ValidationError(
            f"{field} {sender!r} is {len(sender)} characters long; at most {SENDER_MAX_CHARS} "
            f"(or {SENDER_MAX_DIGITS} digits)",
            field=field,
        )
    for ch in sender:
        if not (ch.isascii() and ch.isalnum()) and ch not in SENDER_SYMBOLS:
            raise ValidationError(
                f"{field} {sender!r} holds {ch!r}; allowed are Latin letters, digits and {SENDER_SYMBOLS!r}",
                field=field,
            )
    if not spec.SENDER_EDGE_SPACES and sender != sender.strip():
        raise ValidationError(f"{field} {sender!r} starts or ends with a space", field=field)
    return sender


# --- time ---------------------------------------------------------------------------------


def _bad_time(message: str) -> ValidationError:
    return ValidationError(f"time: {message}", field="time")


def _timestamp(ts: int) -> str:
    if ts < 0:
        raise _bad_time(f"timestamp {ts} is negative")
    if ts == 0:
        return "0"
    if ts < MIN_TIMESTAMP:
        raise _bad_time(
            f"timestamp {ts} is before 2001-09-09 (a short '0<ts>' can read as DDMMYYhhmm); "
            "it is in the past anyway: use 0 to send now"
        )
    if ts > spec.TIME_LATEST_TIMESTAMP:
        raise _bad_time(f"timestamp {ts} is after the year 9999, which no date can show")
    return f"0{ts}"


def _calendar(day: int, month: int, year: int, hour: int, minute: int) -> None:
    try:
        datetime(year, month, day, hour, minute)
    except ValueError as exc:
        raise _bad_time(f"{day:02d}.{month:02d}.{year} {hour:02d}:{minute:02d} is not a real moment ({exc})") from None


def _window(h1: int, h2: int) -> str:
    low, high = HOURS
    if not (low <= h1 < h2 <= high):
        raise _bad_time(f"hour window {h1}-{h2} needs {low} <= h1 < h2 <= {high}")
    return f"{h1}-{h2}"


def _minutes(minutes: int) -> str:
    if minutes < 1:
        raise _bad_time(f"an offset of {minutes} minutes: it must be at least one minute; use 0 to send now")
    return f"+{minutes}"


# Checkers of the string forms: (the string, *regex groups) -> the string, or raise.
def _check_now(s: str) -> str:
    return s


def _check_date(s: str, dd: str, mm: str, yy: str, hh: str, mi: str) -> str:
    _calendar(int(dd), int(mm), spec.TIME_CENTURY + int(yy), int(hh), int(mi))
    return s


def _check_ts(s: str, digits: str) -> str:
    _timestamp(int(digits))
    return s


def _check_offset(s: str, minutes: str) -> str:
    _minutes(int(minutes))
    return s


def _check_window(s: str, h1: str, h2: str) -> str:
    _window(int(h1), int(h2))
    return s


#: The string forms of the page, in the order they are tried (a 10-digit DDMMYYhhmm before
#: "0<ts>", see MIN_TIMESTAMP).
_TIME_FORMS: Tuple[Tuple["re.Pattern[str]", Callable[..., str]], ...] = (
    (re.compile(re.escape(spec.TIME_NOW)), _check_now),
    (spec.TIME_DDMMYYHHMM, _check_date),
    (spec.TIME_DOTTED, _check_date),
    (spec.TIME_TIMESTAMP, _check_ts),
    (spec.TIME_OFFSET, _check_offset),
    (spec.TIME_WINDOW, _check_window),
)


def time_field(time: TimeValue) -> Optional[str]:
    """``time``: when to send. Accepted values:

    * ``None`` -- omit (send now);
    * an aware ``datetime`` -- ``0<unix ts>``, unambiguous whatever the account's zone;
    * a naive ``datetime`` -- ``DDMMYYhhmm``, which the service reads in the time zone given by
      the ``tz`` extended parameter or, without it, in the account's zone (seconds dropped);
    * a ``timedelta`` -- ``+m``, minutes from now: a whole number of minutes, at least one
      (anything else is refused rather than rounded);
    * an ``int`` Unix timestamp -- ``0<ts>``; ``0`` means now;
    * a tuple ``(h1, h2)`` -- the hour window ``h1-h2``, 0 <= h1 < h2 <= 24;
    * a ``str`` in a form of the page, checked and returned as is: ``DDMMYYhhmm``,
      ``DD.MM.YY hh:mm`` (or the page's ``DD.MM.YY hh: mm``), ``h1-h2``, ``0<ts>``, ``+m`` or ``0``.
    """
    if time is None:
        return None
    if isinstance(time, bool):
        raise _bad_time("a bool is not a time")
    if isinstance(time, datetime):
        if time.tzinfo is not None and time.utcoffset() is not None:
            return _timestamp(calendar.timegm(time.utctimetuple()))
        low, high = TIME_YEARS
        if not low <= time.year <= high:
            raise _bad_time(f"year {time.year} cannot be written as YY (years {low}..{high}); use an aware datetime")
        return time.strftime("%d%m%y%H%M")
    if isinstance(time, date):
        raise _bad_time("a date has no hour; pass a datetime")
    if isinstance(time, timedelta):
        if time % timedelta(minutes=1):
            raise _bad_time(f"{time} is not a whole number of minutes")
        return _minutes(time // timedelta(minutes=1))
    if isinstance(time, int):
        return _timestamp(time)
    if isinstance(time, tuple):
        if len(time) != 2 or not all(isinstance(h, int) and not isinstance(h, bool) for h in time):
            raise _bad_time(f"an hour window is a pair of ints (h1, h2), got {time!r}")
        return _window(*time)
    if isinstance(time, str):
        for pattern, check in _TIME_FORMS:
            match = pattern.fullmatch(time)
            if match:
                return check(time, *match.groups())
        raise _bad_time(
            f"{time!r} is none of the forms DDMMYYhhmm, 'DD.MM.YY hh:mm', h1-h2, 0<ts>, +m or 0"
        )
    raise _bad_time(f"unsupported type {_type_name(time)}")


# --- all ----------------------------------------------------------------------------------


def all_field(all: int) -> str:  # noqa: A002 - the service's name
    """``all`` of get_status: 0 plain, 1 full information, 2 full plus operator and region."""
    if isinstance(all, bool) or not isinstance(all, int) or all not in spec.STATUS_DETAIL_LEVELS:
        *first, last = map(str, spec.STATUS_DETAIL_LEVELS)
        raise ValidationError(f"all must be {', '.join(first)} or {last}, got {all!r}", field="all")
    return str(all)
