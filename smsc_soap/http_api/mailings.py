"""Mass mailings (page 000, ``/sys/jobs.php``): ``add`` (a send: never repeated once it may have
left), ``delete``, ``cancel``, ``get`` and ``get_all``, with typed results.

The parameters are read by the one table of :mod:`smsc_soap.query` (the rows shared with the
SOAP ``*2`` methods, plus :data:`smsc_soap.query.MAILING_PARAMS`); phones, mes, sender and time
by :mod:`smsc_soap.params`, as for a SOAP send.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Dict, Mapping, Optional, Sequence, Tuple, Union

from .._fields import Fields
from .. import channels, params, spec
from ..errors import ProtocolError, ValidationError
from .._core.calls import message_fields
from ..query import mailing_fields
from . import multipart, values
from .multipart import FileLike
from .dates import page_date, service_datetime
from .formats import Answer, Record
from .wire import PageAccess, PagePlan

if TYPE_CHECKING:  # pragma: no cover
    from .._sync.pages import HttpShell

class Repeat(int, enum.Enum):
    """``rpt`` of a mailing (000:97-105): how often it is sent again (names: spec.MAILING_REPEATS)."""

    MANUAL = 0
    HOURLY = 1
    DAILY = 2
    WORKDAYS = 3
    WEEKENDS = 4
    WEEKLY = 5
    MONTHLY = 6
    YEARLY = 7

    @property
    def title(self) -> str:
        return spec.MAILING_REPEATS[self.value]


class MailingStatus(int, enum.Enum):
    """A mailing's status (ASSUMPTION: spec.MAILING_STATUSES)."""

    WAITING = 0
    DONE = 1
    CANCELLED = 2

    @property
    def title(self) -> str:
        return spec.MAILING_STATUSES[self.value]


@dataclass(frozen=True)
class MailingCreated:
    """The answer to ``add`` (000:172-176): the mailing's ``id`` and its SMS count ``cnt``; ``cost``
    with cost=1 (then nothing was created and ``id`` is None), 2 or 3; ``balance`` with cost=3."""

    id: Optional[int]
    cnt: Optional[int]
    cost: Optional[Decimal]
    balance: Optional[Decimal]
    raw: Mapping[str, str] = field(repr=False, compare=False, default_factory=dict)


@dataclass(frozen=True)
class Mailing:
    """A mailing as get/get_all return it (the fields: spec.MAILING_FIELDS, an ASSUMPTION)."""

    id: int
    name: str
    status: Union[MailingStatus, int]
    created: Optional[datetime]
    time: Optional[datetime]
    rpt: Union[Repeat, int]
    rptn: Optional[int]
    sent: int
    cnt: Optional[int]
    cost: Optional[Decimal]
    raw: Mapping[str, str] = field(repr=False, compare=False, default_factory=dict)

    @classmethod
    def from_record(cls, record: Record) -> "Mailing":
        try:
            status = values.code(record, "status")
            if status is None:
                raise ValueError("status is missing")
            rpt = values.code(record, "rpt") or 0
            return cls(id=values.page_id(record), name=record.get("name", ""),
                       status=MailingStatus(status) if status in spec.MAILING_STATUSES else status,
                       created=service_datetime(record.get("created")), time=service_datetime(record.get("time")),
                       rpt=Repeat(rpt) if rpt in spec.MAILING_REPEATS else rpt, rptn=values.count(record, "rptn"),
                       sent=values.count(record, "sent") or 0, cnt=values.count(record, "cnt"),
                       cost=values.money(record, "cost"), raw=Fields(record))
        except (KeyError, ValueError, ArithmeticError) as exc:
            raise ProtocolError(f"jobs.get: an unreadable mailing: {exc}") from None


class Mailings:
    """``client.mailings``: the calls of page 000 (login and psw only: the page lists no apikey)."""

    def __init__(self, shell: "HttpShell") -> None:
        self._shell = shell

    def add(self, name: str, phones: Optional[params.Phones] = None, mes: Union[str, channels.Message, None] = None, *,
            sender: Optional[str] = None, time: Any = None, fmt: Optional[int] = None,
            files: Optional[Sequence[FileLike]] = None, **extended: Any) -> MailingCreated:
        """Create a mailing ``name`` of ``mes`` to ``phones`` (or of ``list=``), 000:62 and 000:72-197.

        ``mes`` is a text or a channel helper (``Email(...)``, ``Hlr()``, ...) as for ``send_sms2``,
        and the same channel rules apply (:func:`smsc_soap.channels.check`). The text goes in a
        form post, so a ``bin=1`` message's octets (``"\\x00hello"``) are carried (000:113-118).

        ``files`` (an MMS's, an e-mail's or a call's: 000:129-134, 148) are
        :class:`~smsc_soap.http_api.multipart.Attachment` objects or ``(name, bytes)`` pairs, sent in a
        ``multipart/form-data`` POST; an MMS's types are the page's (spec.MMS_FILE_TYPES).

        ``extended`` takes every parameter the page lists: ``rpt`` (0..7 or "hourly", "daily", ...),
        ``rptn``, ``sender2``, ``mes2`` (sent with ``fl[5]=1``), ``tpl`` (with ``mes=""``),
        ``cost`` (0..3, see spec.MAILING_COST_CHOICES), ``tz``, ``period``/``freq``, the channel
        flags, ``valid``, ``translit``, ... A mailing is a send: after an ambiguous failure it is
        not repeated, :class:`~smsc_soap.SendOutcomeUnknown` is raised instead.
        """
        return self._shell.run(plan_add(self._shell, name, phones, mes, sender=sender, time=time, fmt=fmt,
                                        files=files, **extended))

    def delete(self, id: int, *, fmt: Optional[int] = None) -> None:  # noqa: A002 - the page's name
        """Delete mailing ``id`` (000:64)."""
        self._shell.run(plan_by_id(self._shell, "jobs.del", id, fmt))

    def cancel(self, id: int, *, fmt: Optional[int] = None) -> None:  # noqa: A002
        """Stop mailing ``id`` while it waits to be sent (000:66)."""
        self._shell.run(plan_by_id(self._shell, "jobs.cancel", id, fmt))

    def get(self, id: int, *, fmt: Optional[int] = None) -> Mailing:  # noqa: A002
        """Mailing ``id`` (000:68)."""
        return self._shell.run(plan_get(self._shell, id, fmt))

    def get_all(self, start: Optional[date] = None, end: Optional[date] = None, *,
                fmt: Optional[int] = None) -> Tuple[Mailing, ...]:
        """The mailings created from ``start`` to ``end`` (dates, 000:200-201); without them the
        page's defaults: the last two months, at most ten."""
        return self._shell.run(plan_get_all(self._shell, start, end, fmt))


# --- the plans (no I/O): what each call sends and how its answer is read, for both shells ------


def plan_add(access: PageAccess, name: str, phones: Optional[params.Phones] = None,
             mes: Union[str, channels.Message, None] = None, *, sender: Optional[str] = None, time: Any = None,
             fmt: Optional[int] = None, files: Optional[Sequence[FileLike]] = None,
             **extended: Any) -> PagePlan[MailingCreated]:
    if not isinstance(name, str) or not name.strip():
        raise ValidationError("name: a mailing needs a name (000:76)", field="name")
    fields: Dict[str, Optional[str]] = {"name": name}
    template = extended.get("tpl") is not None
    if template and mes not in (None, ""):
        raise ValidationError("tpl: the template is the text, so mes must be empty (000:188)", field="mes")
    # send_sms2's channel rules (channels.check, spec.CHANNELS), a channel helper unfolded as there
    unfolded = channels.prepare(None if template else mes, sender, extended)
    extended = unfolded.extended
    # a send's phones and mes, but in a form post, not XML (000:113-118): bin=1's octets are carried
    fields.update(message_fields(phones, "" if template else unfolded.mes, extended, xml=False))
    fields.update(sender=unfolded.address_sender or params.sender_field(unfolded.sms_sender),
                  time=params.time_field(time))
    fields.update(mailing_fields(**extended))
    cost = int(extended.get("cost") or 0)
    attached = multipart.attachments(files or (), channels.channel_of(extended))
    recipients = tuple(params.split_phones(fields.get("phones") or ""))
    call = access.prepare("jobs.add", fields, fmt=fmt, phones=recipients, files=attached)

    def read(answer: Answer) -> MailingCreated:
        if len(answer.records) != 1:
            raise call.outcome_unknown(ProtocolError("jobs.add: the answer holds no single result"))
        record = answer.records[0]
        try:
            return MailingCreated(id=values.optional_id(record), cnt=values.count(record, "cnt"),
                                  cost=values.money(record, "cost"), balance=values.money(record, "balance"),
                                  raw=Fields(record))
        except (ValueError, ArithmeticError) as exc:
            error = call.outcome_unknown(ProtocolError(f"jobs.add: an unreadable answer: {exc}"))
        raise error

    return PagePlan(call, spec.MAILING_ADD_FIELDS_BY_COST[cost], read)


def plan_get(access: PageAccess, id: int, fmt: Optional[int]) -> PagePlan[Mailing]:  # noqa: A002
    def read(answer: Answer) -> Mailing:
        if len(answer.records) != 1:
            raise ProtocolError(f"jobs.get: {len(answer.records)} mailings in the answer, 1 expected")
        return Mailing.from_record(answer.records[0])

    return PagePlan(access.prepare("jobs.get", {"id": _id(id)}, fmt=fmt), spec.MAILING_FIELDS, read)


def plan_get_all(access: PageAccess, start: Optional[date], end: Optional[date],
                 fmt: Optional[int]) -> PagePlan[Tuple[Mailing, ...]]:
    fields = {"start": page_date(start) if start is not None else None,
              "end": page_date(end) if end is not None else None}
    return PagePlan(access.prepare("jobs.get_all", fields, fmt=fmt), spec.MAILING_FIELDS,
                    lambda answer: tuple(Mailing.from_record(record) for record in answer.records), listing=True)


def plan_by_id(access: PageAccess, operation: str, id: int, fmt: Optional[int]) -> PagePlan[None]:  # noqa: A002
    return PagePlan(access.prepare(operation, {"id": _id(id)}, fmt=fmt), spec.MAILING_ID_FIELDS, lambda answer: None)


def _id(value: int) -> str:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError(f"id must be a mailing id (a whole number >= 1), got {value!r}", field="id")
    return str(value)
