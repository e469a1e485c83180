"""Statuses move on the clock the test controls; get_status fills what the page lists per ``all``."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from sandbox_helpers import soap

from smsc_soap.sandbox import Sandbox
from smsc_soap.sandbox import assumptions as A
from smsc_soap.sandbox import service as service_module

START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc).timestamp()  # 12:00:00 in Moscow
AUTH = {"login": "alex", "psw": "123"}


@pytest.fixture
def box() -> Sandbox:
    return Sandbox(start_time=START)


def status(box: Sandbox, phone: str, msg_id: str, all: str = "0") -> dict[str, Any]:
    box.advance(60)  # stays clear of the 5-per-minute status limit
    return box.call("get_status", **AUTH, phone=phone, id=msg_id, all=all)


def test_queued_then_transmitted_then_delivered(box: Sandbox) -> None:
    msg_id = box.call("send_sms", **AUTH, phones="79999999999", mes="Hi")["id"]
    seen: list[tuple[Any, Any, Any]] = []
    for _ in range(3):
        result = box.call("get_status", **AUTH, phone="79999999999", id=msg_id)
        seen.append((result["status"], result["last_date"], result["err"]))
        box.advance(A.QUEUE_SECONDS if len(seen) == 1 else A.DELIVERY_SECONDS)
    assert seen == [
        ("-1", "02.03.2026 12:00:00", "0"),
        ("0", "02.03.2026 12:00:02", "0"),
        ("1", "02.03.2026 12:00:07", "0"),
    ]
    assert box.messages[0].status == 1


@pytest.mark.parametrize(
    "phone, final_status, err",
    [
        ("79999999999", "1", "0"),    # ordinary number: delivered
        ("79990000001", "20", "1"),   # unknown subscriber
        ("79990000020", "20", "11"),  # undeliverable
        ("79990000255", "20", "255"),  # rejected by the operator
        ("79990000003", "3", "6"),    # expired
    ],
)
def test_magic_numbers_end_as_documented(box: Sandbox, phone: str, final_status: str, err: str) -> None:
    msg_id = box.call("send_sms", **AUTH, phones=phone, mes="Hi")["id"]

    def now() -> tuple[Any, Any]:
        result = box.call("get_status", **AUTH, phone=phone, id=msg_id)
        return result["status"], result["err"]

    box.advance(A.QUEUE_SECONDS + A.DELIVERY_SECONDS)
    if final_status == "3":
        # an expiring message waits at "transferred" until its validity (24 h by default) runs out
        assert now() == ("0", "0")
        box.advance(A.DEFAULT_VALIDITY_SECONDS - A.QUEUE_SECONDS - A.DELIVERY_SECONDS - 1)
        assert now() == ("0", "0")
        box.advance(1)
    assert now() == (final_status, err)
    assert box.messages[0].outcome == A.MAGIC_PHONES.get(phone, A.DELIVERED).label


def test_valid_shortens_the_life_of_an_expiring_message(box: Sandbox) -> None:
    msg_id = box.call("send_sms2", **AUTH, phones="79990000003", mes="Hi", query="valid=01:30")["id"]
    box.advance(89 * 60)
    assert box.call("get_status", **AUTH, phone="79990000003", id=msg_id)["status"] == "0"
    box.advance(60)
    result = box.call("get_status", **AUTH, phone="79990000003", id=msg_id)
    assert (result["status"], result["err"], result["last_date"]) == ("3", "6", "02.03.2026 13:30:00")
    assert box.call("send_sms2", **AUTH, phones="79999999999", mes="x", query="valid=25") == {"error": "1"}


def test_all_levels_fill_exactly_the_fields_the_page_lists(box: Sandbox) -> None:
    msg_id = box.call("send_sms", **AUTH, phones="79161234567", mes="Hello\n~~~\nnote", sender="ivan")["id"]
    box.advance(10)
    plain = {"status", "last_date", "err"}
    full = plain | {"send_date", "phone", "cost", "sender_id", "status_name", "message"}
    assert set(status(box, "79161234567", msg_id, "0")) == plain
    assert set(status(box, "79161234567", msg_id, "")) == plain  # empty means 0
    one = status(box, "79161234567", msg_id, "1")
    assert set(one) == full
    assert one == {
        "status": "1", "last_date": "02.03.2026 12:00:07", "err": "0",
        "send_date": "02.03.2026 12:00:00", "phone": "79161234567", "cost": "2.00",
        "sender_id": "ivan", "status_name": "Delivered", "message": "Hello\n~~~\nnote",
    }
    two = status(box, "79161234567", msg_id, "2")
    assert set(two) == full | {"operator", "region"}
    assert (two["operator"], two["region"]) == ("MTS", "Moscow")
    assert status(box, "79161234567", msg_id, "3") == {"error": "1"}


def test_status_fields_go_out_in_wsdl_order_without_timestamps_or_sms_cnt(sb: Sandbox) -> None:
    msg_id = soap(sb, "send", **AUTH, phones="79999999999", mes="Hi")["id"]
    sb.advance(10)
    response = soap(sb, "status", **AUTH, phone="79999999999", id=msg_id, all="2")
    assert list(response) == ["status", "last_date", "err", "send_date", "phone", "cost", "sender_id",
                              "status_name", "message", "operator", "region"]
    assert response["sender_id"] == A.DEFAULT_SENDER


def test_operator_and_region_come_from_the_numbering_table(box: Sandbox) -> None:
    box.call("send_sms", **AUTH, phones="380671234567,4915112345678", mes="Hi")
    known = status(box, "380671234567", "1", "2")
    unknown = status(box, "4915112345678", "1", "2")
    assert (known["operator"], known["region"]) == A.NUMBERING_PLAN["38067"]
    assert (unknown["operator"], unknown["region"]) == A.UNKNOWN_NUMBERING


def test_status_lookups(box: Sandbox) -> None:
    box.call("send_sms", **AUTH, phones="79999999999", mes="Hi", id="abc")
    assert status(box, "79999999999", "999") == {"error": "3"}     # not found
    assert status(box, "79161234567", "abc") == {"error": "3"}     # another number
    assert status(box, "+79999999999", "abc")["status"] == "1"     # written differently
    assert status(box, "8 999 999-99-99", "abc")["status"] == "1"
    assert status(box, "12ab", "abc") == {"error": "1"}


def test_reused_id_reports_the_latest_message(box: Sandbox) -> None:
    box.call("send_sms", **AUTH, phones="79999999999", mes="first", id="same")
    box.advance(60)
    box.call("send_sms", **AUTH, phones="79999999999", mes="second", id="same")
    assert status(box, "79999999999", "same", "1")["message"] == "second"


def test_scheduled_message_reports_waiting_with_its_send_date(box: Sandbox) -> None:
    msg_id = box.call("send_sms", **AUTH, phones="79999999999", mes="later", time="+60")["id"]
    result = box.call("get_status", **AUTH, phone="79999999999", id=msg_id, all="1")
    assert (result["status"], result["status_name"], result["send_date"]) == (
        "-1", "Waiting to be sent", "02.03.2026 13:00:00")


def test_a_look_for_status_changes_touches_only_the_messages_still_changing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The callbacks' scan (every CALLBACK_POLL_SECONDS with a real-time clock) costs what falls
    due, not what was ever sent: a finished message is not looked at again."""
    box = Sandbox(["alex:123:100000"], start_time=START)
    service = box.service
    looked: list[object] = []
    changes = service_module._Record.changes

    def counted(record: Any) -> Any:
        looked.append(record)
        return changes(record)

    monkeypatch.setattr(service_module._Record, "changes", counted)
    start = box.now()
    box.call("send_sms", **AUTH, phones=",".join("7916%07d" % i for i in range(1000)), mes="Hi")
    box.advance(A.QUEUE_SECONDS + A.DELIVERY_SECONDS)
    seen = service.status_changes(start, box.now())
    assert [m.status for _, m in seen] == [0] * 1000 + [1] * 1000  # each change once, oldest first
    looked.clear()
    since = box.now()
    box.call("send_sms", **AUTH, phones="79031234567", mes="Hi")
    box.advance(A.QUEUE_SECONDS + A.DELIVERY_SECONDS)
    seen = service.status_changes(since, box.now())
    assert [(m.phone, m.status) for _, m in seen] == [("79031234567", 0), ("79031234567", 1)]
    assert len(looked) <= 10  # the new message's few looks; the 1000 finished ones are not among them
    looked.clear()
    assert service.status_changes(box.now(), box.now() + 3600) == [] and looked == []
    since = box.now()
    service.withdraw("alex", [box.call("send_sms", **AUTH, phones="79211234567", mes="Hi")["id"]])
    box.advance(A.QUEUE_SECONDS + A.DELIVERY_SECONDS)
    assert service.status_changes(since, box.now()) == []  # a message withdrawn (a mailing's cancelled repeat) has none
