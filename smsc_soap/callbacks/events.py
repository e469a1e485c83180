"""The typed, frozen events a callback carries, read from its text fields (pure).

Statuses are the :class:`~smsc_soap.results.DeliveryStatus` that ``get_status`` returns, times
are aware (``time`` in the service's zone, ``ts`` in UTC), money is ``Decimal``. Every event
keeps its fields as they came in ``raw``; a kind we do not know is an :class:`UnknownEvent`,
never dropped. A field of the wrong shape is a :class:`~smsc_soap.errors.CallbackFormatError`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Callable, Mapping, Optional, Tuple, TypeVar, Union

from .._fields import Fields
from .. import spec
from ..errors import CallbackFormatError
from ..results import DeliveryError, DeliveryStatus, read_decimal, read_int, read_timestamp, service_time_zone

Raw = Mapping[str, str]
T = TypeVar("T")


def _read(name: str, value: Optional[str], reader: Callable[[Optional[str]], T]) -> T:
    try:
        return reader(value)
    except ValueError as exc:
        raise CallbackFormatError(f"{name}: {exc}", field=name) from None


def _time(value: Optional[str]) -> Optional[datetime]:
    if value is None or value.strip() == "":
        return None
    return datetime.strptime(value.strip(), spec.CALLBACK_TIME_FORMAT).replace(tzinfo=service_time_zone())


def _required(raw: Raw, name: str) -> str:
    value = raw.get(name, "").strip()
    if not value:
        raise CallbackFormatError(f"the event has no {name}", field=name)
    return value


def _text(raw: Raw, name: str) -> Optional[str]:
    value = raw.get(name)
    return None if value is None or value == "" else value


def _ts(raw: Raw) -> Optional[datetime]:
    return _read("ts", raw.get("ts"), lambda v: read_timestamp(v, "ts"))


@dataclass(frozen=True)
class StatusEvent:
    """A message's status changed (``id``, ``phone``, ``status`` and what else came)."""

    id: str
    phone: str
    status: DeliveryStatus
    err: Optional[DeliveryError] = None
    type: Optional[int] = None
    time: Optional[datetime] = None
    ts: Optional[datetime] = None
    cost: Optional[Decimal] = None
    cnt: Optional[int] = None
    raw: Raw = field(default_factory=dict, repr=False, compare=False)

    @property
    def final(self) -> bool:
        """True when the status will not change any more (as :attr:`StatusResult.final`)."""
        return bool(self.status.final)

    @property
    def key(self) -> Tuple[str, str, str]:
        """What makes a repeated POST the same event: ``(id, phone, status)``."""
        return (self.id, self.phone, str(int(self.status)))


@dataclass(frozen=True)
class IncomingMessage:
    """An SMS came in to one of the account's numbers (``to``) from ``phone``."""

    phone: str
    mes: str
    to: Optional[str] = None
    id: Optional[str] = None
    time: Optional[datetime] = None
    ts: Optional[datetime] = None
    raw: Raw = field(default_factory=dict, repr=False, compare=False)

    @property
    def key(self) -> Tuple[str, str, str]:
        if self.id is not None:
            return (self.id, self.phone, spec.CALLBACK_INCOMING)
        return (self.raw.get("ts", ""), self.phone, f"{spec.CALLBACK_INCOMING}:{self.mes}")


@dataclass(frozen=True)
class CallConfirmation:
    """``phone`` called to confirm its number (the "confirm with a call" service)."""

    phone: str
    ts: Optional[datetime] = None
    waitcall: Optional[str] = None
    raw: Raw = field(default_factory=dict, repr=False, compare=False)

    @property
    def key(self) -> Tuple[str, str, str]:
        return (self.raw.get("ts", ""), self.phone, "call")


@dataclass(frozen=True)
class UnknownEvent:
    """A callback of a kind we cannot tell (:data:`smsc_soap.spec.CALLBACK_KIND_FIELDS`): its fields."""

    raw: Raw = field(default_factory=dict, compare=True)

    @property
    def key(self) -> Tuple[str, str, str]:
        return (self.raw.get("id", ""), self.raw.get("phone", ""), repr(sorted(self.raw.items())))


Event = Union[StatusEvent, IncomingMessage, CallConfirmation, UnknownEvent]


def kind_of(raw: Raw) -> Optional[str]:
    """The kind of event the fields make (spec.CALLBACK_KIND_FIELDS), None for an unknown one."""
    return next((kind for name, kind in spec.CALLBACK_KIND_FIELDS if name in raw), None)


def event(raw: Raw) -> Event:
    """The typed event for a callback's fields."""
    kind = kind_of(raw)
    if kind == spec.CALLBACK_STATUS:
        status = _read("status", raw.get("status"), lambda v: DeliveryStatus.read(v, "status"))
        kind_code = _read("type", raw.get("type"), lambda v: read_int(v, "type", spec.ANSWER_CODES))
        return StatusEvent(
            id=_required(raw, "id"), phone=_required(raw, "phone"), status=status,
            err=_read("err", raw.get("err"), lambda v: None if v is None or not v.strip() else DeliveryError.read(v, "err")),
            type=kind_code, time=_read("time", raw.get("time"), _time), ts=_ts(raw),
            cost=_read("cost", raw.get("cost"), lambda v: read_decimal(v, "cost")),
            cnt=_read("cnt", raw.get("cnt"), lambda v: read_int(v, "cnt")), raw=Fields(raw))
    if kind == spec.CALLBACK_INCOMING:
        return IncomingMessage(phone=_required(raw, "phone"), mes=raw.get("mes", ""), to=_text(raw, "to"),
                               id=_text(raw, "id"), time=_read("time", raw.get("time"), _time), ts=_ts(raw),
                               raw=Fields(raw))
    if kind == spec.CALLBACK_CALL:
        return CallConfirmation(phone=_required(raw, "phone"), ts=_ts(raw), waitcall=_text(raw, "waitcall"),
                                raw=Fields(raw))
    return UnknownEvent(raw=Fields(raw))
