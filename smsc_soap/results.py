"""Typed, immutable results of the seven operations, and the delivery status and error tables.

Money is ``Decimal``, counts are ``int``, Unix timestamps become aware UTC ``datetime``\\ s. Every
result keeps the fields as the server sent them in ``raw``. A field the service always answers
is never Optional: an answer without it is a ProtocolError. A code the tables do not know stays
representable: the service may add codes, and a client must not crash on them. In a
:class:`StatusResult` it is an unknown member (``DeliveryStatus(99)``: ``known`` False, a title
saying it is unknown, the code as its value), so ``result.status.title`` always works; elsewhere
(``PhoneError``, HLR reports) it is kept as its bare ``int``. Every value is
checked against the ranges of :mod:`smsc_soap.spec` (section "answers") as it is read: one out of
range is a ValueError naming the field (a ProtocolError by the time it reaches the caller).
"""
from __future__ import annotations

import functools

import enum
import re
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta, timezone, tzinfo
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Mapping, NamedTuple, Optional, Tuple, Type, TypeVar, Union, cast

from ._fields import Fields
from . import spec


C = TypeVar("C", bound="_CodeTable")
T = TypeVar("T")
#: What an unknown member's title calls its code ("Unknown status 99").
_KINDS = {"DeliveryStatus": "status", "DeliveryError": "error"}


class _CodeTable(int, enum.Enum):
    """An int enum whose members also carry a title and a description.

    Calling the table with a code it does not list (``DeliveryStatus(99)``) gives an *unknown*
    member: not one of the table's members (not listed, not iterated), ``known`` False, its
    ``name`` ``"UNKNOWN"``, its value the code. A new code of the service stays readable and
    every attribute stays there to read.
    """

    title: str
    description: str
    #: False for a code the table does not list (an unknown member).
    known: bool

    if not TYPE_CHECKING:  # to a type checker, DeliveryStatus(1) is the lookup it is at run time
        def __new__(cls, code: int, title: str, description: str, *rest: object) -> "_CodeTable":
            member = int.__new__(cls, code)
            member._value_ = code
            member.title = title
            member.description = description
            member.known = True
            if rest:  # DeliveryStatus also says whether the status is final
                member.final = bool(rest[0])
            return member

    @classmethod
    def _missing_(cls, value: object) -> Optional["_CodeTable"]:
        """The unknown member of a code in :data:`smsc_soap.spec.ANSWER_CODES` the table lacks."""
        if not isinstance(value, int) or isinstance(value, bool) or not spec.ANSWER_CODES.includes(value):
            return None
        member = int.__new__(cls, value)
        member._value_ = value
        member._name_ = "UNKNOWN"
        kind = _KINDS.get(cls.__name__, "code")
        member.title = f"Unknown {kind} {value}"
        member.description = f"a {kind} code the table does not list (the service may add codes)"
        member.known = False
        member.final = False  # type: ignore[attr-defined]  # keep polling: nothing says it is final
        return member

    @classmethod
    def read(cls: Type[C], value: Union[str, int, None], name: str = "code") -> C:
        """The member for ``value``, the unknown member for a code the table does not list; a
        ValueError when it is absent or not a code (:data:`smsc_soap.spec.ANSWER_CODES`)."""
        if value is None or str(value).strip() == "":
            raise ValueError(f"the answer carries no {name}")
        return cls(answer_code(str(value), name))

    @classmethod
    def parse(cls, value: Union[str, int, None], name: str = "code") -> Union["_CodeTable", int, None]:
        """The member for ``value``, the bare int for a code we do not know, None when absent;
        a ValueError for what is not a code (:data:`smsc_soap.spec.ANSWER_CODES`)."""
        if value is None or str(value).strip() == "":
            return None
        code = answer_code(str(value), name)
        member = cls._value2member_map_.get(code)
        return code if member is None else cast("_CodeTable", member)


class DeliveryStatus(_CodeTable):
    """``status`` of a message (../shared/spec/status-codes.md, the service's status list)."""

    #: True when the status will not change any more (our reading of the status list).
    final: bool

    NOT_FOUND = (-3, "Message not found", "no message exists for this phone and id", False)
    STOPPED = (-2, "Stopped", "a mailing message not yet sent when the mailing was paused", False)
    WAITING = (-1, "Waiting to be sent", "scheduled, or queued briefly before the operator", False)
    TRANSFERRED = (0, "Transferred to operator", "handed to the operator's SMS centre", False)
    DELIVERED = (1, "Delivered", "delivered to the subscriber", True)
    READ = (2, "Read", "opened by the recipient (HTML e-mail only)", True)
    EXPIRED = (3, "Expired", "validity ran out before delivery (phone off, memory full)", True)
    LINK_CLICKED = (4, "Link clicked", "delivered and the short link clicked", True)
    UNDELIVERABLE = (20, "Impossible to deliver",
                     "subscriber blocked or nonexistent, roaming without SMS, no SMS support", True)
    INVALID_NUMBER = (22, "Invalid number", "wrong phone number format", True)
    PROHIBITED = (23, "Prohibited",
                  "a limit fired: duplicates, flooding, blacklist, spam filter on text or sender", True)
    INSUFFICIENT_FUNDS = (24, "Insufficient funds", "not enough money on the account", True)
    UNAVAILABLE_NUMBER = (25, "Unavailable number", "the number does not accept SMS, or no route", True)


class DeliveryError(_CodeTable):
    """``err`` of a message: why it was not delivered (../shared/spec/status-codes.md)."""

    NO_ERROR = (0, "No error", "subscriber exists and is available")
    NO_SUBSCRIBER = (1, "Subscriber does not exist", "")
    MAILBOX_FULL = (2, "Mailbox full", "e-mail")
    MAIL_SERVER_NOT_FOUND = (3, "Recipient server not found", "e-mail")
    MAILBOX_BLOCKED = (4, "Mailbox blocked", "e-mail")
    OFFLINE = (6, "Subscriber offline", "phone off or out of coverage")
    NO_SMS_SERVICE = (11, "No SMS service", "not subscribed, roaming without SMS, or a landline")
    PHONE_ERROR = (12, "Error in subscriber's phone", "handset or SIM fault")
    SUBSCRIBER_BLOCKED = (13, "Subscriber blocked", "by the operator, voluntarily, zero balance in roaming")
    NOT_SUPPORTED = (21, "Service not supported", "the device does not support the service")
    VIRTUAL = (200, "Virtual sending", "the account's test mode is on")
    SIM_REPLACED = (219, "SIM card replaced", "alphanumeric senders blocked for 24 h after a SIM swap")
    QUEUE_OVERFLOW = (220, "Operator queue overflow", "subscriber unreachable while messages keep arriving")
    NO_ANSWER = (237, "Subscriber does not answer", "voice call")
    NO_TEMPLATE = (238, "No template", "only template-based sending allowed")
    FORBIDDEN_IP = (239, "Forbidden IP address", "sent from a non-allowed IP")
    BUSY = (240, "Subscriber busy", "voice call busy or rejected")
    CONVERSION_ERROR = (241, "Conversion error", "text/audio conversion failed or SMS parts missing")
    ANSWERING_MACHINE = (242, "Answering machine detected", "voice call")
    NO_CONTRACT = (243, "No contract", "promotional or mass mailing without a contract")
    MAILING_PROHIBITED = (244, "Mailing prohibited", "")
    STATUS_NOT_RECEIVED = (245, "Status not received", "")
    TIME_RESTRICTION = (246, "Time restriction", "")
    LIMIT_EXCEEDED = (247, "Message limit exceeded", "")
    NO_ROUTE = (248, "No route", "no SMS gateway for the number")
    INVALID_FORMAT = (249, "Invalid number format", "")
    NUMBER_FORBIDDEN_BY_SETTINGS = (250, "Number forbidden by settings", "")
    DAILY_LIMIT = (251, "Per-number daily limit exceeded", "")
    NUMBER_FORBIDDEN = (252, "Number forbidden", "")
    SPAM_FILTER = (253, "Forbidden by spam filter", "")
    UNREGISTERED_SENDER = (254, "Unregistered sender ID", "")
    REJECTED = (255, "Rejected by operator", "no exact code from the operator")


Raw = Mapping[str, str]


_CODE = re.compile(r"-?[0-9]{1,4}")
_WHOLE = re.compile(r"[0-9]{1,12}")
_MONEY = re.compile(rf"-?[0-9]{{1,{spec.MONEY_MAX_INTEGER_DIGITS}}}(?:\.[0-9]{{1,{spec.MONEY_MAX_DECIMALS}}})?")


def answer_code(value: str, name: str) -> int:
    """A code of an answer (``error``, ``status``, ``err``), in :data:`smsc_soap.spec.ANSWER_CODES`."""
    text = value.strip()
    if not _CODE.fullmatch(text) or not spec.ANSWER_CODES.includes(int(text)):
        raise ValueError(f"{name} field is not a number in {spec.ANSWER_CODES.low}..{spec.ANSWER_CODES.high}: {value[:40]!r}")
    return int(text)


def read_decimal(value: Optional[str], name: str) -> Optional[Decimal]:
    """Money: plain digits within spec's bounds, negative only for spec.NEGATIVE_MONEY_FIELDS."""
    if value is None or value.strip() == "":
        return None
    text = value.strip()
    if not _MONEY.fullmatch(text):
        raise ValueError(f"{name} is not an amount of at most {spec.MONEY_MAX_INTEGER_DIGITS} digits and "
                         f"{spec.MONEY_MAX_DECIMALS} decimals: {value[:40]!r}")
    if text.startswith("-") and name not in spec.NEGATIVE_MONEY_FIELDS:
        raise ValueError(f"{name} may not be negative: {value[:40]!r}")
    return Decimal(text)


def read_int(value: Optional[str], name: str, allowed: spec.IntRange = spec.SMS_COUNT) -> Optional[int]:
    """A whole number within ``allowed``; the answer readers of SOAP, the pages and callbacks share it."""
    if value is None or value.strip() == "":
        return None
    text = value.strip()
    if not _WHOLE.fullmatch(text) or not allowed.includes(int(text)):
        raise ValueError(f"{name} is not a whole number in {allowed.low}..{allowed.high}: {value[:40]!r}")
    return int(text)


def read_timestamp(value: Optional[str], name: str) -> Optional[datetime]:
    """Unix seconds within :data:`smsc_soap.spec.TIMESTAMP_SECONDS`; 0 is "not set"."""
    if value is not None and value.strip() == str(spec.TIMESTAMP_UNSET):
        return None
    seconds = read_int(value, name, spec.TIMESTAMP_SECONDS)
    return None if seconds is None else datetime.fromtimestamp(seconds, tz=timezone.utc)


#: The page's format of last_date and send_date ("DD.MM.YYYY hh:mm:ss").
SERVICE_DATE_FORMAT = "%d.%m.%Y %H:%M:%S"


def service_time_zone() -> tzinfo:
    """The service's time zone, :data:`smsc_soap.spec.SERVICE_TIME_ZONE` (Moscow): from the
    system's or the ``tzdata`` package's zone database; without either, Moscow's fixed offset
    since 2014 (:data:`smsc_soap.spec.MOSCOW_UTC_OFFSET_HOURS`), right for every date since."""
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo(spec.SERVICE_TIME_ZONE)
    except Exception:  # ZoneInfoNotFoundError (a KeyError), or a broken zone database
        return timezone(timedelta(hours=spec.MOSCOW_UTC_OFFSET_HOURS), "MSK")


def _service_date(value: Optional[str]) -> Optional[datetime]:
    """An aware datetime: the service writes its dates in Moscow time (004:66, spec)."""
    if value is None or value.strip() == "":
        return None
    return datetime.strptime(value.strip(), SERVICE_DATE_FORMAT).replace(tzinfo=_service_zone())


@functools.lru_cache(maxsize=1)
def _service_zone() -> tzinfo:
    """:func:`service_time_zone`, read once, when a date is first read (not at import)."""
    return service_time_zone()


def _required(value: Optional[T], name: str) -> T:
    """A field the page says every successful answer carries: its absence is a ValueError."""
    if value is None:
        raise ValueError(f"the answer carries no {name}")
    return value


class PhoneError(NamedTuple):
    """One entry of send_sms2's ``errors`` list (``err=1``): a phone and its status code."""

    phone: str
    status: Union[DeliveryStatus, int, None]


@dataclass(frozen=True)
class BalanceResult:
    """The answer of get_balance."""

    balance: Decimal
    raw: Raw = field(repr=False, compare=False)

    @classmethod
    def from_raw(cls, raw: Raw) -> "BalanceResult":
        balance = read_decimal(raw.get("balance"), "balance")
        if balance is None:
            raise ValueError("the answer carries no balance")
        return cls(balance=balance, raw=Fields(raw))


@dataclass(frozen=True)
class CostResult:
    """The answer of get_sms_cost and get_sms_cost2: what a send would cost, and how many SMS."""

    cost: Decimal
    cnt: int
    raw: Raw = field(repr=False, compare=False)

    @classmethod
    def from_raw(cls, raw: Raw) -> "CostResult":
        return cls(cost=_required(read_decimal(raw.get("cost"), "cost"), "cost"),
                   cnt=_required(read_int(raw.get("cnt"), "cnt"), "cnt"), raw=Fields(raw))


@dataclass(frozen=True)
class SendResult:
    """The answer of send_sms and send_sms2.

    ``cost`` and ``balance`` come back only when asked for (``cost=2`` or ``3`` in send_sms2).
    ``errors`` lists failed numbers when ``err=1`` was given.
    """

    id: str
    cnt: int
    cost: Optional[Decimal]
    balance: Optional[Decimal]
    errors: Tuple[PhoneError, ...]
    raw: Raw = field(repr=False, compare=False)

    @classmethod
    def from_raw(cls, raw: Raw, errors: Tuple[Tuple[str, str], ...] = ()) -> "SendResult":
        return cls(
            id=(raw.get("id") or "").strip(),
            cnt=_required(read_int(raw.get("cnt"), "cnt"), "cnt"),
            cost=read_decimal(raw.get("cost"), "cost"),
            balance=read_decimal(raw.get("balance"), "balance"),
            errors=tuple(PhoneError(phone, DeliveryStatus.parse(status, "errors.status")) for phone, status in errors),
            raw=Fields(raw),
        )


def _repr_set_fields(result: object) -> str:
    """``Name(field=value, ...)`` of the fields that hold something: the ones a call's ``all``
    level did not ask for are None, and listing them all hides the few that were answered."""
    shown = (f"{item.name}={getattr(result, item.name)!r}" for item in fields(result)  # type: ignore[arg-type]
             if item.repr and getattr(result, item.name) is not None)
    return f"{type(result).__name__}({', '.join(shown)})"


@dataclass(frozen=True, repr=False)
class StatusResult:
    """The answer of get_status and get_status2.

    ``status`` and ``err`` are always there (every status answer carries them): a code the
    tables lack is an unknown member (``known`` False), so ``result.status.title`` always reads.
    ``all=0`` fills status, last_date, last_timestamp and err; ``all=1`` adds send_date,
    send_timestamp, phone, cost, sender_id, status_name and message; ``all=2`` adds operator and
    region. Every datetime is aware: ``last_date``/``send_date`` in the service's time zone,
    Moscow (``spec.SERVICE_TIME_ZONE``); the ``*_timestamp`` fields in UTC.
    """

    status: DeliveryStatus
    err: DeliveryError
    last_date: Optional[datetime]
    last_timestamp: Optional[datetime]
    send_date: Optional[datetime] = None
    send_timestamp: Optional[datetime] = None
    phone: Optional[str] = None
    cost: Optional[Decimal] = None
    sender_id: Optional[str] = None
    status_name: Optional[str] = None
    message: Optional[str] = None
    operator: Optional[str] = None
    region: Optional[str] = None
    raw: Raw = field(default_factory=dict, repr=False, compare=False)

    @property
    def final(self) -> bool:
        """True when the status will not change any more (our reading of the status list)."""
        return self.status.final

    def __repr__(self) -> str:
        return _repr_set_fields(self)

    @classmethod
    def from_raw(cls, raw: Raw) -> "StatusResult":
        def text(name: str) -> Optional[str]:
            value = raw.get(name)
            return None if value is None or value == "" else value

        return cls(
            status=DeliveryStatus.read(raw.get("status"), "status"),
            err=DeliveryError.read(raw.get("err"), "err"),
            last_date=_service_date(raw.get("last_date")),
            last_timestamp=read_timestamp(raw.get("last_timestamp"), "last_timestamp"),
            send_date=_service_date(raw.get("send_date")),
            send_timestamp=read_timestamp(raw.get("send_timestamp"), "send_timestamp"),
            phone=text("phone"),
            cost=read_decimal(raw.get("cost"), "cost"),
            sender_id=text("sender_id"),
            status_name=text("status_name"),
            message=text("message"),
            operator=text("operator"),
            region=text("region"),
            raw=Fields(raw),
        )
