"""Answers become immutable typed results; unknown codes stay representable (an unknown member
in a status result, a bare number elsewhere)."""
from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo
from decimal import Decimal

import pytest

import smsc_soap
from smsc_soap import Client, DeliveryError, DeliveryStatus
from support.servers import Responder, soap_answer

STATUS_CODES = [-3, -2, -1, 0, 1, 2, 3, 4, 20, 22, 23, 24, 25]
ERR_CODES = [0, 1, 2, 3, 4, 6, 11, 12, 13, 21, 200, 219, 220] + list(range(237, 256))


def test_the_status_and_err_tables_hold_every_documented_code() -> None:
    assert sorted(int(s) for s in DeliveryStatus) == STATUS_CODES
    assert sorted(int(e) for e in DeliveryError) == ERR_CODES
    assert all(s.title and s.description for s in DeliveryStatus)
    assert DeliveryStatus.DELIVERED.final and not DeliveryStatus.WAITING.final
    assert DeliveryError(255).title == "Rejected by operator"


def test_send_result_is_typed_and_frozen(responder: Responder) -> None:
    responder.answer(soap_answer(responder.url, "send_sms2",
                                 "<id>77</id><balance>989.70</balance><cost>10.30</cost><cnt>2</cnt>"
                                 "<errors><phone>79990000000</phone><status>22</status></errors>"
                                 "<errors><phone>79990000001</phone><status>99</status></errors>"))
    result = Client(login="alex", psw="123", url=responder.url).send_sms2(
        ["79999999999", "79998887766"], "Hi", cost=3, err=1)
    assert result.id == "77" and result.cnt == 2
    assert result.cost == Decimal("10.30") and result.balance == Decimal("989.70")
    assert result.errors == (("79990000000", DeliveryStatus.INVALID_NUMBER), ("79990000001", 99))
    assert result.errors[1].status == 99 and not isinstance(result.errors[1].status, DeliveryStatus)
    assert result.raw["balance"] == "989.70"
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.id = "1"  # type: ignore[misc]
    with pytest.raises(TypeError):
        result.raw["id"] = "1"  # type: ignore[index]


def test_status_result_all_levels(responder: Responder) -> None:
    responder.answer(soap_answer(
        responder.url, "get_status",
        "<status>20</status><last_date>01.02.2024 10:11:12</last_date><last_timestamp>1706771472</last_timestamp>"
        "<err>13</err><send_date>01.02.2024 10:11:00</send_date><send_timestamp>1706771460</send_timestamp>"
        "<phone>79999999999</phone><cost>3.50</cost><sender_id>ivan</sender_id><status_name>Impossible</status_name>"
        "<message>Hi</message><operator>MTS</operator><region>Moscow</region>"))
    status = Client(login="alex", psw="123", url=responder.url).get_status("79999999999", 1, all=2)
    assert status.status is DeliveryStatus.UNDELIVERABLE and status.final
    assert status.err is DeliveryError.SUBSCRIBER_BLOCKED
    assert status.last_timestamp == datetime(2024, 2, 1, 7, 11, 12, tzinfo=timezone.utc)
    assert status.send_timestamp is not None and status.send_timestamp.tzinfo is not None
    # issue 12: aware, Moscow time (004:66); the same moment as last_timestamp
    assert status.last_date == datetime(2024, 2, 1, 10, 11, 12, tzinfo=ZoneInfo("Europe/Moscow"))
    assert status.last_date == status.last_timestamp and status.last_date.utcoffset() == timedelta(hours=3)
    assert (status.phone, status.cost, status.sender_id, status.message) == ("79999999999", Decimal("3.50"), "ivan", "Hi")
    assert (status.operator, status.region) == ("MTS", "Moscow")


def test_unknown_status_and_err_are_kept_as_ints(responder: Responder) -> None:
    responder.answer(soap_answer(responder.url, "get_status", "<status>31</status><err>999</err>"))
    status = Client(login="alex", psw="123", url=responder.url).get_status("79999999999", 1)
    assert (status.status, status.err) == (31, 999)
    assert not status.final and status.last_date is None


def test_balance_and_cost_are_decimal(responder: Responder) -> None:
    responder.answer(soap_answer(responder.url, "get_balance", "<balance>1000.10</balance>"))
    responder.answer(soap_answer(responder.url, "get_sms_cost", "<cost>0.1</cost><cnt>3</cnt>"))
    client = Client(login="alex", psw="123", url=responder.url)
    assert client.get_balance().balance == Decimal("1000.10")
    cost = client.get_sms_cost("79999999999", "Hello")
    assert (cost.cost, cost.cnt) == (Decimal("0.1"), 3)


@pytest.mark.parametrize("fields", ["<balance>lots</balance>", "", "<error>two</error>"])
def test_a_malformed_answer_is_a_protocol_error(responder: Responder, fields: str) -> None:
    responder.answer(soap_answer(responder.url, "get_balance", fields))
    with pytest.raises(smsc_soap.ProtocolError):
        Client(login="alex", psw="123", url=responder.url).get_balance()


# --- types that do not fight users (issue 24) ----------------------------------------------


def test_an_unknown_status_code_is_an_unknown_member_with_a_title() -> None:
    result = smsc_soap.StatusResult.from_raw({"status": "77", "err": "999", "last_date": ""})
    assert isinstance(result.status, DeliveryStatus) and isinstance(result.err, DeliveryError)
    assert (result.status, result.err) == (77, 999) and int(result.status) == 77
    assert not result.status.known and not result.err.known and DeliveryStatus.DELIVERED.known
    assert result.status.title == "Unknown status 77" and result.err.title == "Unknown error 999"
    assert not result.status.final and not result.final  # nothing says it will not change
    assert result.status not in list(DeliveryStatus) and len(DeliveryStatus) == len(STATUS_CODES)
    assert repr(result.status) == "<DeliveryStatus.UNKNOWN: 77>"
    with pytest.raises(ValueError):
        DeliveryStatus(10 ** 6)  # not a code at all


@pytest.mark.parametrize("operation, raw, missing", [
    ("get_status", {"err": "0"}, "status"),
    ("get_status", {"status": "1"}, "err"),
    ("send_sms", {"id": "m1"}, "cnt"),
    ("get_sms_cost", {"cnt": "1"}, "cost"),
    ("get_sms_cost", {"cost": "1.00"}, "cnt"),
])
def test_a_success_answer_without_a_field_the_page_promises_is_a_protocol_error(
        operation: str, raw: "dict[str, str]", missing: str) -> None:
    from smsc_soap._core import answers

    with pytest.raises(smsc_soap.ProtocolError, match=f"carries no {missing}"):
        answers.read_fields(operation, raw)


def test_a_status_result_repr_shows_only_what_was_answered() -> None:
    result = smsc_soap.StatusResult.from_raw({"status": "1", "err": "0", "last_timestamp": "1700000000"})
    text = repr(result)
    assert "None" not in text and "raw" not in text
    assert text.startswith("StatusResult(status=<DeliveryStatus.DELIVERED: 1>, err=<DeliveryError.NO_ERROR: 0>")
    assert "last_timestamp=datetime.datetime(2023, 11, 14" in text
