"""The operator of a number (page 001, ``/sys/info.php?get_operator=1``): typed entries."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Mapping, Optional, Tuple

from .._fields import Fields
from .. import params, spec
from ..errors import ProtocolError
from .formats import Answer, Record
from .wire import PageAccess, PagePlan

if TYPE_CHECKING:  # pragma: no cover
    from .._sync.pages import HttpShell

OPERATION = "get_operator"


@dataclass(frozen=True)
class OperatorInfo:
    """One number's operator (001:99-112). ``mcc`` and ``mnc`` are codes, kept as the digits the
    service wrote (an mnc may start with 0); ``tz`` is the region's time zone as the service
    writes it. ``phone`` is the number the entry is for: the service names it in the answer to a
    list (001:92); for one number it is the number asked about."""

    phone: str
    country: str
    operator: str
    region: str
    mcc: str
    mnc: str
    tz: str
    raw: Mapping[str, str] = field(repr=False, compare=False, default_factory=dict)

    @classmethod
    def from_record(cls, record: Record, phone: str) -> "OperatorInfo":
        missing = [name for name in spec.OPERATOR_FIELDS if name not in record]
        if missing:
            raise ProtocolError(f"{OPERATION}: the answer lacks {', '.join(missing)}")
        return cls(phone=record.get(spec.OPERATOR_LIST_FIELD) or phone,
                   **{name: record[name] for name in spec.OPERATOR_FIELDS},
                   raw=Fields(record))


def lookup(shell: "HttpShell", phones: params.Phones, *, fmt: Optional[int] = None) -> Tuple[OperatorInfo, ...]:
    """The operator of each of ``phones`` (one number, a comma list, or an iterable), in order."""
    return shell.run(plan_lookup(shell, phones, fmt=fmt))


def plan_lookup(access: PageAccess, phones: params.Phones, *,
                fmt: Optional[int] = None) -> PagePlan[Tuple[OperatorInfo, ...]]:
    """The call of :func:`lookup` and the reading of its answer (no I/O, for both shells)."""
    numbers = params.phones_field(phones, field="phone")
    asked = tuple(numbers.split(","))

    def read(answer: Answer) -> Tuple[OperatorInfo, ...]:
        if len(asked) == 1 and len(answer.records) == 1:
            return (OperatorInfo.from_record(answer.records[0], asked[0]),)
        if any(not record.get(spec.OPERATOR_LIST_FIELD) for record in answer.records):
            raise ProtocolError(f"{OPERATION}: an entry of the answer to a list names no phone")
        return tuple(OperatorInfo.from_record(record, "") for record in answer.records)

    return PagePlan(access.prepare(OPERATION, {"phone": numbers}, fmt=fmt), spec.OPERATOR_FIELDS, read,
                    optional=(spec.OPERATOR_LIST_FIELD,))
