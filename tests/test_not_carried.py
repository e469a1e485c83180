"""Nothing accepted and then dropped (issue 12, point 4): an extended parameter whose answer the
WSDL's result elements cannot carry is refused with the reason, before anything is sent.

004:221-223 "op | ... 1 – у відповідь додається список всіх номерів телефонів з відповідними
статусами, значеннями mcc і mnc, вартістю": the WSDL's Send2ResponseType has only id, balance,
cost, cnt, error and ``errors`` (phone, status). 004:216-218 err=1 travels in ``errors``: read
into SendResult.errors. 004:168-172 cost=2/3 travel in cost and balance: read.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Iterator, Literal

import pytest

import smsc_soap
from smsc_soap import spec
from smsc_soap.query import EXTENDED_PARAMS, NOT_CARRIED, RAW_NOT_CARRIED, SEND_ONLY, build_query
from smsc_soap.sandbox import Account, Sandbox

PHONE = "79999999999"
BAD = "79990000008"  # refused at send by the sandbox


@pytest.fixture
def client() -> Iterator[smsc_soap.Client]:
    with Sandbox([Account("alex", "123", Decimal("100.00"))]) as sb:
        yield smsc_soap.Client("alex", "123", url=sb.url)


@pytest.mark.parametrize("value", [1, True])
def test_op_1_is_refused_with_the_reason(value: Literal[1, True]) -> None:
    with pytest.raises(smsc_soap.ValidationError, match="no element for them") as caught:
        build_query(op=value)
    assert caught.value.field == "op" and "err=1" in str(caught.value)


def test_op_0_asks_for_nothing_and_is_sent() -> None:
    assert build_query(op=0) == "op=0"


def test_op_1_refused_by_send_sms2_before_sending(client: smsc_soap.Client) -> None:
    with pytest.raises(smsc_soap.ValidationError, match="op=1"):
        client.send_sms2(PHONE, "Hi", op=1)


@pytest.mark.parametrize("name", sorted(RAW_NOT_CARRIED))
def test_http_answer_parameters_are_refused_in_the_raw_query(name: str) -> None:
    with pytest.raises(smsc_soap.ValidationError, match="refused") as caught:
        build_query(f"{name}=3")
    assert caught.value.field == name


def test_err_1_is_read_into_the_send_result(client: smsc_soap.Client) -> None:
    result = client.send_sms2(f"{PHONE},{BAD}", "Hi", err=1)
    assert [error.phone for error in result.errors] == [BAD]


def test_cost_3_is_read_into_the_send_result(client: smsc_soap.Client) -> None:
    result = client.send_sms2(PHONE, "Hi", cost=3)
    assert result.cost == Decimal("2.00") and result.balance == Decimal("98.00")


@pytest.mark.parametrize("name, value", [("err", 1), ("cost", 3), ("cost", 2), ("cost", 0), ("op", 1)])
def test_a_cost_request_refuses_what_its_result_cannot_carry(client: smsc_soap.Client, name: str,
                                                             value: int) -> None:
    with pytest.raises(smsc_soap.ValidationError, match="refused") as caught:
        client.get_sms_cost2(PHONE, "Hi", **{name: value})  # type: ignore[arg-type]
    assert caught.value.field == name


def test_a_cost_request_keeps_what_it_can_use(client: smsc_soap.Client) -> None:
    assert client.get_sms_cost2(PHONE, "Hi", cost=1, translit=1).cnt == 1


def test_a_status_request_refuses_a_sends_parameters(client: smsc_soap.Client) -> None:
    sent = client.send_sms(PHONE, "Hi")
    with pytest.raises(smsc_soap.ValidationError, match="get_status2"):
        client.get_status2(PHONE, sent.id, tz=3)
    assert client.get_status2(PHONE, sent.id).status is not None


def test_every_parameter_is_audited() -> None:
    """Each row of the table is read into a result, refused where its answer cannot travel, or
    asks nothing of the answer (it shapes the message only)."""
    read = {"err": "SendResult.errors", "cost": "SendResult.cost and .balance"}
    refused = set(NOT_CARRIED) | set(SEND_ONLY)
    shapes_the_message_only = set(EXTENDED_PARAMS) - set(read) - refused
    assert "op" in refused and "fmt" in RAW_NOT_CARRIED and "charset" in RAW_NOT_CARRIED
    assert shapes_the_message_only == {
        "apikey", "tz", "period", "freq", "flash", "bin", "push", "hlr", "ping", "mms", "mail", "soc", "viber",
        "whatsapp", "tg", "bot", "smsreq", "fileurl", "call", "voice", "param", "subj", "list", "valid",
        "tinyurl", "maxsms", "imgcode", "userip", "pp", "translit", "nl",
    }
    assert spec.OPERATIONS["send_sms2"].result == "SendResult"
