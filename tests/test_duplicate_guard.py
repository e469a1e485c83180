"""The service's duplicate guard keeps working through the client (issue 12, point 1).

004:280 "9 | Відправка більше одного однакового запиту на передачу SMS-повідомлення протягом
хвилини" and 004:283 "Сервер не приймає більше одного однакового запиту на відправку
SMS-повідомлень протягом хвилини для захисту від помилок і зациклень в програмі на стороні
клієнта": a repeated identical send within a minute is refused, and charged once. The client's
id for a send without one is derived from the request and its minute (smsc_soap._core.ids), so
identical calls stay identical on the wire; the sandbox implements the page's rule on its own.
"""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Dict, Iterator, List

import pytest

import smsc_soap
from smsc_soap import spec
from smsc_soap._core import calls, ids
from smsc_soap.sandbox import Account, Sandbox
from smsc_soap.testing import CLIENT_ID_PATTERN

PHONE = "79999999999"
#: A moment well inside a window, so that no test straddles a window edge by accident.
NOW = 1_800_000_030.0


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox([Account("alex", "123", Decimal("1000.00"))], start_time=NOW) as sandbox:
        yield sandbox


@pytest.fixture
def wall(monkeypatch: pytest.MonkeyPatch) -> Iterator[List[float]]:
    """The client's wall clock, pinned to the sandbox's start; ``wall[0] += s`` moves it."""
    now = [NOW]
    monkeypatch.setattr(ids, "wall_clock", lambda: now[0])
    yield now


def client(sb: Sandbox) -> smsc_soap.Client:
    retry = smsc_soap.RetryPolicy(rate_limited_backoff=0)  # the service's answer, not our back-off
    return smsc_soap.Client("alex", "123", url=sb.url, retry=retry)


def test_the_window_is_the_pages_minute() -> None:
    assert spec.DUPLICATE_SEND_WINDOW_SECONDS == 60.0  # 004:280 "протягом хвилини"


def test_two_identical_sends_within_the_window_are_sent_and_charged_once(sb: Sandbox, wall: List[float]) -> None:
    c = client(sb)
    first = c.send_sms(PHONE, "Your order has shipped")
    wall[0] += 20
    with pytest.raises(smsc_soap.DuplicateRequest) as caught:
        c.send_sms(PHONE, "Your order has shipped")
    assert caught.value.code == 9 and not caught.value.refused_locally  # the service said it
    assert [m.id for m in sb.messages] == [first.id]
    assert sb.balance("alex") == Decimal("1000.00") - first_cost(sb)


def first_cost(sb: Sandbox) -> Decimal:
    return sum((m.cost for m in sb.messages), Decimal("0"))


def test_send_sms2_identical_within_the_window_is_refused_too(sb: Sandbox, wall: List[float]) -> None:
    c = client(sb)
    c.send_sms2(PHONE, "Код 1234", cost=3, valid=2)
    with pytest.raises(smsc_soap.DuplicateRequest):
        c.send_sms2(PHONE, "Код 1234", cost=3, valid=2)
    assert len(sb.messages) == 1


@pytest.mark.parametrize("second", [
    {"mes": "Your order has shipped!"},
    {"phones": "79999999998"},
    {"sender": "Shop"},
    {"time": "+5"},
])
def test_a_different_request_is_sent(sb: Sandbox, wall: List[float], second: Dict[str, str]) -> None:
    c = client(sb)
    c.send_sms(PHONE, "Your order has shipped")
    call = {"phones": PHONE, "mes": "Your order has shipped", **second}
    c.send_sms(call.pop("phones"), call.pop("mes"), **call)
    assert len(sb.messages) == 2
    assert len({m.id for m in sb.messages}) == 2


def test_after_the_window_the_same_request_is_sent_again(sb: Sandbox, wall: List[float]) -> None:
    c = client(sb)
    first = c.send_sms(PHONE, "Daily report ready")
    wall[0] += 61
    sb.advance(61)
    again = c.send_sms(PHONE, "Daily report ready")
    assert again.id != first.id and len(sb.messages) == 2


def test_a_lost_answer_is_reconciled_by_the_derived_id(sb: Sandbox, wall: List[float]) -> None:
    c = client(sb)
    sb.inject("drop_after", operation="send_sms")
    with pytest.raises(smsc_soap.SendOutcomeUnknown) as caught:
        c.send_sms(PHONE, "Your code is 1234")
    lost = caught.value
    assert lost.id == sb.messages[0].id
    assert c.reconcile(lost).found
    # resending the identical request (same id) within the window: the service refuses it
    with pytest.raises(smsc_soap.DuplicateRequest):
        c.send_sms(PHONE, "Your code is 1234", id=lost.id)
    assert len(sb.messages) == 1


def test_a_lost_request_is_sent_again_with_its_id(sb: Sandbox, wall: List[float]) -> None:
    c = client(sb)
    sb.inject("drop_before", operation="send_sms")
    with pytest.raises(smsc_soap.SendOutcomeUnknown) as caught:
        c.send_sms(PHONE, "Your code is 5678")
    assert not c.reconcile(caught.value).found
    assert c.send_sms(PHONE, "Your code is 5678", id=caught.value.id).id == caught.value.id
    assert len(sb.messages) == 1


def test_an_explicit_id_wins(sb: Sandbox, wall: List[float]) -> None:
    c = client(sb)
    assert c.send_sms(PHONE, "Order 17 shipped", id="order-17").id == "order-17"
    assert c.send_sms(PHONE, "Order 17 shipped", id="order-17.b").id == "order-17.b"  # a new id: sent


# --- the derivation, pure ---------------------------------------------------------------------


def prepared_id(now: float, apikey: str = "", **fields: str) -> str:
    sent = calls.send_fields(fields.pop("phones", PHONE), fields.pop("mes", "hi"), None, None, None, {})
    call = calls.prepare("send_sms", sent, login="" if apikey else "alex", psw="" if apikey else "123",
                         apikey=apikey or None, now=now)
    return call.request["id"]


def test_the_derived_id_follows_the_pages_id_rule() -> None:
    message_id = prepared_id(NOW)
    assert re.fullmatch(r"c[0-9a-f]{20}", message_id)  # 004:35: up to 40 of [A-Za-z0-9.-_], not a number
    assert CLIENT_ID_PATTERN.match(message_id)  # cassettes still match across runs


def test_the_derived_id_is_the_same_within_a_window_only() -> None:
    window = spec.DUPLICATE_SEND_WINDOW_SECONDS
    start = (NOW // window) * window
    assert prepared_id(start) == prepared_id(start + window - 0.001)
    assert prepared_id(start) != prepared_id(start + window)  # the edge: documented


def test_the_derived_id_holds_no_secret() -> None:
    assert prepared_id(NOW, apikey="key-one") == prepared_id(NOW, apikey="key-two")
    same = ids.derived_message_id("send", {"login": "alex", "psw": "1", "phones": PHONE, "mes": "x"}, NOW)
    assert same == ids.derived_message_id("send", {"login": "alex", "psw": "2", "phones": PHONE, "mes": "x"}, NOW)


def test_text_cannot_imitate_another_field() -> None:
    a = ids.derived_message_id("send", {"phones": PHONE, "mes": "x", "sender": "y"}, NOW)
    b = ids.derived_message_id("send", {"phones": PHONE, "mes": "x\nsender=y"}, NOW)
    assert a != b


def test_the_cli_names_the_id_the_client_derives(wall: List[float]) -> None:
    for operation, extended in (("send_sms", {}), ("send_sms2", {"valid": 2})):
        expected = calls.prepare(operation, calls.send_fields(PHONE, "hi", None, "Shop", "+5", extended),
                                 login=None, psw="", apikey="secret-key", extended=extended, now=NOW)
        assert calls.default_send_id(operation, PHONE, "hi", "Shop", "+5", extended, login=None,
                                     now=NOW) == expected.request["id"]


def test_the_sandbox_compares_the_whole_request(sb: Sandbox) -> None:
    """004:283 "одного однакового запиту": the same id with another option is another request."""
    base = {"login": "alex", "phones": PHONE, "mes": "Hi", "id": "order-9"}
    assert "error" not in sb.call("send_sms2", **base, psw="123", query="valid=2")
    assert "error" not in sb.call("send_sms2", **base, psw="123", query="valid=3")
    assert sb.call("send_sms2", **base, psw="123", query="valid=3") == {"error": "9"}
    assert len(sb.messages) == 2
