"""The facts that had drifted (issue 10) are one object now, read by the client and the sandbox.

Each assertion names the two copies that used to differ: the client's name and the sandbox's
name must be the very object of :mod:`smsc_soap.spec` (identity, not a second equal copy).
"""
from __future__ import annotations

from typing import Any, Dict, cast

import pytest

from smsc_soap import message, params, query, spec
from smsc_soap.query import EXTENDED_PARAMS
from smsc_soap.sandbox import assumptions as A
from smsc_soap.sandbox import sendtime
from smsc_soap.sandbox import tables as T


@pytest.mark.parametrize(
    "client, sandbox, fact",
    [
        (query.TZ_RANGE, A.TZ_RANGE, spec.TZ_RANGE),  # were -15..11 and -15..12
        (params.PHONE_DIGITS, A.PHONE_DIGITS, spec.PHONE_DIGITS),  # were 7..15 and 10..15
        (params.MES_MAX_CHARS, T.MAX_MESSAGE_CHARS, spec.MES_MAX_CHARS),
        (params.SENDER_MAX_CHARS, T.MAX_SENDER_CHARS, spec.SENDER_MAX_CHARS),
        (params.SENDER_MAX_DIGITS, T.MAX_SENDER_DIGITS, spec.SENDER_MAX_DIGITS),
        (params.SENDER_SYMBOLS, spec.SENDER_SYMBOLS, spec.SENDER_SYMBOLS),
        (params.HOURS, spec.HOUR_WINDOW, spec.HOUR_WINDOW),
        (message.SINGLE_PART_LIMIT, spec.SINGLE_PART_LIMIT, spec.SINGLE_PART_LIMIT),
        (message.MULTI_PART_LIMIT, spec.MULTI_PART_LIMIT, spec.MULTI_PART_LIMIT),
        (message.COMMENT_SEPARATOR, spec.COMMENT_SEPARATOR, spec.COMMENT_SEPARATOR),
        (T.COST_MODES, spec.EXTENDED_CHOICES["cost"], spec.EXTENDED_CHOICES["cost"]),
        (T.STATUS_DETAIL_LEVELS, spec.STATUS_DETAIL_LEVELS, spec.STATUS_DETAIL_LEVELS),
        (sendtime._DOTTED, spec.TIME_DOTTED, spec.TIME_DOTTED),  # the page's "hh: mm"
        (sendtime._DDMMYYHHMM, spec.TIME_DDMMYYHHMM, spec.TIME_DDMMYYHHMM),
    ],
)
def test_client_and_sandbox_read_the_same_fact(client: object, sandbox: object, fact: object) -> None:
    assert client is fact and sandbox is fact


def test_old_values_kept_where_the_page_states_them() -> None:
    """Old public names keep their values (users' code compares them to tuples and ints)."""
    assert query.TZ_RANGE == (-15, 11)
    assert params.PHONE_DIGITS == (7, 15)
    assert params.MES_MAX_CHARS == 1000
    assert params.ID_MAX_INT == T.MAX_NUMERIC_ID == 2147483647 == spec.ID_INT_RANGE.high
    assert T.MAX_ID_CHARS == spec.ID_MAX_CHARS == 40
    assert message.SINGLE_PART_LIMIT == {"gsm7": 160, "ucs2": 70}
    assert message.MULTI_PART_LIMIT == {"gsm7": 153, "ucs2": 67}
    assert query.PARAM_RANGES == (("w", 0, 99), ("i", 0, 3600), ("n", 0, 9))
    assert params.TIME_YEARS == (2000, 2099)


def test_the_extended_table_and_spec_name_the_same_flags_and_choices() -> None:
    flags = {name for name, row in EXTENDED_PARAMS.items() if row.normalise is query._flag}
    assert flags == set(spec.EXTENDED_FLAGS)
    for name in (*spec.EXTENDED_FLAGS, *spec.EXTENDED_CHOICES, *spec.EXTENDED_INT_RANGES):
        assert name in EXTENDED_PARAMS, name


@pytest.mark.parametrize("name, bounds", sorted(spec.EXTENDED_INT_RANGES.items()))
def test_extended_int_ranges_are_the_clients(name: str, bounds: spec.IntRange) -> None:
    low, high = bounds
    extra: Dict[str, Any] = {"period": 1} if name == "freq" else {}
    for value in (low, high):
        assert query.build_query(**cast(Dict[str, Any], {name: value}), **extra)
    for value in (low - 1, high + 1):
        with pytest.raises(params.ValidationError):  # type: ignore[attr-defined]
            query.build_query(**cast(Dict[str, Any], {name: value}), **extra)


def test_one_phone_splitter_and_one_list_reader() -> None:
    assert params.split_phones(" 79991234567 ; +380501234567,,G5 ") == ["79991234567", "+380501234567", "G5"]
    assert params.split_phones("a,,b", keep_empty=True) == ["a", "", "b"]
    raw = query.build_query(list=[("79991234567,79161234567", "hi\nthere"), ("SHOP", 2, "+380501234567", "x")])
    assert query.list_recipients(raw) == ("79991234567", "79161234567", "+380501234567")
    assert query.list_recipients("cost=1") == ()
    line = query.parse_list_line("SHOP,2|79991234567:a:b")
    assert line == query.ListLine("SHOP", "2", "79991234567", "a:b")
    assert query.parse_list_line("79991234567") == query.ListLine(None, None, "79991234567", None)
