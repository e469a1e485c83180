"""Absurd numbers in an answer are typed errors naming the field, when the answer is read: the
ranges are smsc_soap.spec's (section "answers"); for a send, the outcome is unknown."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Dict, Tuple

import pytest
from hypothesis import given, settings, strategies as st

import smsc_soap
from smsc_soap import spec
from smsc_soap._core import answers, calls
from support.servers import Responder, soap_answer

#: (operation, field) for every number an answer carries, and a valid answer to put it in.
MONEY: Tuple[Tuple[str, str], ...] = (("get_balance", "balance"), ("get_sms_cost", "cost"), ("send_sms2", "cost"),
                                      ("send_sms2", "balance"), ("get_status2", "cost"))
COUNTS: Tuple[Tuple[str, str], ...] = (("send_sms", "cnt"), ("get_sms_cost2", "cnt"))
TIMESTAMPS: Tuple[Tuple[str, str], ...] = (("get_status", "last_timestamp"), ("get_status2", "send_timestamp"))
CODES: Tuple[Tuple[str, str], ...] = (("get_status", "status"), ("get_status", "err"), ("get_balance", "error"))
BASE: Dict[str, Dict[str, str]] = {
    "get_balance": {"balance": "1.00"}, "get_sms_cost": {"cost": "1.00", "cnt": "1"},
    "get_sms_cost2": {"cost": "1.00", "cnt": "1"}, "send_sms": {"id": "m1", "cnt": "1"},
    "send_sms2": {"id": "m1", "cnt": "1"}, "get_status": {"status": "1", "err": "0"},
    "get_status2": {"status": "1", "err": "0"},
}

LIMIT = 10 ** spec.MONEY_MAX_INTEGER_DIGITS
absurd_money = st.one_of(
    st.sampled_from(["NaN", "nan", "sNaN", "Infinity", "-Infinity", "inf", "1e30", "1E+3", "0x10", "1,5", "١٢",
                     "1.5.0", "--1", "+", ".", "1.", ".5", "1_000"]),
    st.integers(min_value=LIMIT).map(str), st.integers(max_value=-LIMIT).map(str),
    st.decimals(min_value=0, max_value=1, places=spec.MONEY_MAX_DECIMALS + 3).map(
        lambda d: f"{d:.{spec.MONEY_MAX_DECIMALS + 3}f}"),
)
absurd_count = st.one_of(
    st.integers(max_value=spec.SMS_COUNT.low - 1).map(str), st.integers(min_value=spec.SMS_COUNT.high + 1).map(str),
    st.sampled_from(["1.5", "1e3", "NaN", "١٢", "+3", "0x1", "1_0"]))
absurd_timestamp = st.one_of(
    st.integers(min_value=spec.TIMESTAMP_SECONDS.high + 1).map(str),
    st.integers(max_value=spec.TIMESTAMP_SECONDS.low - 1).filter(lambda s: s != spec.TIMESTAMP_UNSET).map(str),
    st.sampled_from(["1e12", "inf", "1706771472.5", "١٢"]))
absurd_code = st.one_of(
    st.integers(min_value=spec.ANSWER_CODES.high + 1).map(str), st.integers(max_value=spec.ANSWER_CODES.low - 1).map(str),
    st.sampled_from(["1.0", "²", "١", "1e2", "NaN", "0x1", "+1"]))


def refused(operation: str, field: str, value: str) -> smsc_soap.ProtocolError:
    with pytest.raises(smsc_soap.ProtocolError) as caught:
        answers.read_fields(operation, {**BASE[operation], field: value})
    assert field in str(caught.value)
    return caught.value


@settings(max_examples=60, deadline=None)
@given(where=st.sampled_from(MONEY), value=absurd_money)
def test_absurd_money_is_refused(where: Tuple[str, str], value: str) -> None:
    refused(*where, value)


@settings(max_examples=40, deadline=None)
@given(where=st.sampled_from(COUNTS), value=absurd_count)
def test_absurd_counts_are_refused(where: Tuple[str, str], value: str) -> None:
    refused(*where, value)


@settings(max_examples=40, deadline=None)
@given(where=st.sampled_from(TIMESTAMPS), value=absurd_timestamp)
def test_absurd_timestamps_are_refused(where: Tuple[str, str], value: str) -> None:
    refused(*where, value)


@settings(max_examples=40, deadline=None)
@given(where=st.sampled_from(CODES), value=absurd_code)
def test_absurd_codes_are_refused(where: Tuple[str, str], value: str) -> None:
    refused(*where, value)


@settings(max_examples=60, deadline=None)
@given(value=st.decimals(min_value=-LIMIT + 1, max_value=LIMIT - 1, places=2))
def test_money_in_range_is_read_exactly(value: Decimal) -> None:
    result = answers.read_fields("get_balance", {"balance": str(value)})
    assert isinstance(result, smsc_soap.BalanceResult) and result.balance == value


def test_negative_money_a_balance_may_be_a_cost_may_not() -> None:
    balance = answers.read_fields("get_balance", {"balance": "-12.50"})
    assert isinstance(balance, smsc_soap.BalanceResult) and balance.balance == Decimal("-12.50")
    assert "negative" in str(refused("get_sms_cost", "cost", "-1.00"))
    refused("get_sms_cost", "cnt", "-1")


def test_timestamps_at_the_bounds_and_unset() -> None:
    low, high = spec.TIMESTAMP_SECONDS
    status = answers.read_fields("get_status", {"status": "1", "err": "0", "last_timestamp": str(high),
                                                "send_timestamp": str(spec.TIMESTAMP_UNSET)})
    assert isinstance(status, smsc_soap.StatusResult)
    assert status.last_timestamp == datetime(2100, 1, 1, tzinfo=timezone.utc) and status.send_timestamp is None
    refused("get_status", "last_timestamp", "9" * 30)  # was a raw OverflowError


@pytest.mark.parametrize("value", ["NaN", "1e30", "-Infinity"])
def test_a_send_with_an_absurd_answer_has_an_unknown_outcome(responder: Responder, value: str) -> None:
    responder.answer(soap_answer(responder.url, "send_sms2", f"<id>m1</id><cnt>1</cnt><cost>{value}</cost>"))
    client = smsc_soap.Client(login="alex", psw="pw-Zx81!secret", url=responder.url)
    with pytest.raises(smsc_soap.SendOutcomeUnknown, match="cost") as caught:
        client.send_sms2("79991234567", "Hi", cost=2)
    assert isinstance(caught.value, smsc_soap.ProtocolError) and caught.value.id and len(responder.requests) == 1


def test_a_status_call_with_an_absurd_answer_is_a_protocol_error() -> None:
    call = calls.prepare("get_status", calls.status_fields("79991234567", 5, 0), login="alex", psw="x")
    with pytest.raises(smsc_soap.ProtocolError, match="last_timestamp"):
        answers.read_fields(call.operation, {"status": "1", "err": "0", "last_timestamp": "99999999999999999999"})
