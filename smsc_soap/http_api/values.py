"""The values of a page answer's records, read with the ranges SOAP's answers are read with
(:mod:`smsc_soap.spec`, section "answers"): an absurd value (NaN, -5, 10**30) is a ValueError
naming the field, which the page's reader turns into a ProtocolError (SendOutcomeUnknown for add).
"""
from __future__ import annotations

from decimal import Decimal
from typing import Optional

from .. import spec
from ..results import answer_code, read_decimal, read_int
from .formats import Record


def page_id(record: Record, name: str = "id") -> int:
    """A required id (spec.PAGE_IDS)."""
    value = optional_id(record, name)
    if value is None:
        raise ValueError(f"{name} is missing")
    return value


def optional_id(record: Record, name: str = "id") -> Optional[int]:
    return read_int(record.get(name), name, spec.PAGE_IDS)


def count(record: Record, name: str) -> Optional[int]:
    """``cnt``, ``sent``, ``rptn``: spec.SMS_COUNT."""
    return read_int(record.get(name), name, spec.SMS_COUNT)


def code(record: Record, name: str) -> Optional[int]:
    """A status or ``rpt``: spec.ANSWER_CODES (an unlisted one is kept as its int by the caller)."""
    value = record.get(name)
    return None if value is None or not value.strip() else answer_code(value, name)


def money(record: Record, name: str) -> Optional[Decimal]:
    """``cost`` (never negative) or ``balance`` (spec.NEGATIVE_MONEY_FIELDS)."""
    return read_decimal(record.get(name), name)
