"""The documented semantics of the service (seed 004), each shown on the sandbox's service logic.

Calls go in-process (``Sandbox.call``: the same code the HTTP layer runs, without XML); the wire
is covered by test_wire.py and the client tests.
"""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Dict, Optional, Set

import pytest

from smsc_soap.sandbox import Account, Sandbox
from smsc_soap.sandbox import assumptions as A

START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc).timestamp()  # 12:00 in Moscow
AUTH = {"login": "alex", "psw": "123"}


@pytest.fixture
def box() -> Sandbox:
    return Sandbox(["alex:123:100", "bob:pw:5"], apikeys={"KEY1": "alex"}, start_time=START)


def send(box: Sandbox, mes: str = "Hello world!", phones: str = "79999999999", **extra: str) -> Dict[str, Any]:
    return box.call("send_sms2", **{**AUTH, "phones": phones, "mes": mes, **extra})


# --- authentication --------------------------------------------------------------------------

def test_unknown_login_or_wrong_password_is_error_2(box: Sandbox) -> None:
    assert box.call("get_balance", login="nobody", psw="123") == {"error": "2"}
    assert box.call("get_balance", login="alex", psw="wrong") == {"error": "2"}
    assert box.call("get_balance", login="alex", psw="123") == {"balance": "100.00"}
    assert box.call("send_sms", login="alex", psw="", phones="79999999999", mes="x") == {"error": "2"}


def test_apikey_in_query_replaces_login_and_password(box: Sandbox) -> None:
    ok = box.call("send_sms2", phones="79999999999", mes="by key", query="apikey=KEY1")
    assert ok["id"] and ok["cnt"] == "1"
    assert box.messages[-1].login == "alex"
    assert box.call("get_sms_cost2", phones="79999999999", mes="x", query="apikey=KEY1") == {"cost": "2.00", "cnt": "1"}
    assert box.call("get_status2", phone="79999999999", id=ok["id"], query="apikey=KEY1")["status"] == "-1"
    assert box.call("send_sms2", phones="79999999999", mes="x", query="apikey=NOPE") == {"error": "2"}
    # the key never lands in what the sandbox keeps about the message
    assert "apikey" not in box.messages[-1].options


def test_missing_required_elements_get_their_error_codes(box: Sandbox) -> None:
    # a named assumption: SoapServer does not check minOccurs, the service answers 2 / 1
    assert box.call("get_balance", login="alex") == {"error": "2"}
    assert box.call("get_balance", psw="123") == {"error": "2"}
    assert box.call("send_sms", **AUTH, mes="x") == {"error": "1"}
    assert box.call("send_sms", **AUTH, phones="79999999999") == {"error": "1"}
    assert box.call("get_status", **AUTH, id="1") == {"error": "1"}
    assert box.call("get_status", **AUTH, phone="79999999999") == {"error": "1"}
    assert box.call("get_sms_cost2", **AUTH, phones="79999999999", mes="x") == {"error": "1"}
    # an element given twice arrives as a list (PHP makes it an array)
    assert box.call("send_sms", **AUTH, phones=["79999999999", "79999999998"], mes="x") == {"error": "1"}
    assert box.call("get_balance", login=["alex", "alex"], psw="123") == {"error": "2"}


# --- billing ---------------------------------------------------------------------------------

def test_cost_is_parts_times_numbers_times_price(box: Sandbox) -> None:
    assert box.call("get_sms_cost", **AUTH, phones="79999999999", mes="a" * 160) == {"cost": "2.00", "cnt": "1"}
    assert box.call("get_sms_cost", **AUTH, phones="79999999999,79161234567", mes="a" * 161) == {"cost": "8.00", "cnt": "4"}
    assert box.call("get_sms_cost", **AUTH, phones="79999999999", mes="ж" * 70) == {"cost": "2.00", "cnt": "1"}
    assert box.call("get_sms_cost", **AUTH, phones="79999999999", mes="ж" * 71) == {"cost": "4.00", "cnt": "2"}
    # the price table (an assumption): Ukraine, Kazakhstan, elsewhere
    assert box.call("get_sms_cost", **AUTH, phones="380501234567", mes="x")["cost"] == "1.50"
    assert box.call("get_sms_cost", **AUTH, phones="77011234567", mes="x")["cost"] == "3.00"
    assert box.call("get_sms_cost", **AUTH, phones="4915112345678", mes="x")["cost"] == "5.00"
    assert A.price_per_part("79999999999") == Decimal("2.00")


def test_the_comment_is_neither_sent_nor_billed(box: Sandbox) -> None:
    mes = "a" * 160 + "\n~~~\n" + "a note for the history " * 20
    assert box.call("get_sms_cost", **AUTH, phones="79999999999", mes=mes) == {"cost": "2.00", "cnt": "1"}
    result = send(box, mes=mes, query="cost=3")
    assert (result["cost"], result["cnt"], result["balance"]) == ("2.00", "1", "98.00")
    sent = box.messages[-1]
    assert sent.comment is not None
    assert sent.text == "a" * 160 and sent.comment.startswith("a note") and sent.parts == 1


def test_sending_charges_the_balance(box: Sandbox) -> None:
    send(box, phones="79999999999,79161234567", mes="a" * 200)  # 2 parts x 2 numbers x 2.00
    assert box.balance("alex") == Decimal("92.00")
    assert [m.phone for m in box.messages] == ["79999999999", "79161234567"]
    assert all(m.cost == Decimal("4.00") and m.parts == 2 for m in box.messages)


@pytest.mark.parametrize(
    "cost, fields",
    [("0", {"id", "cnt"}), ("2", {"id", "cost", "cnt"}), ("3", {"id", "cost", "cnt", "balance"})],
)
def test_cost_modes_0_2_3_send_and_report(box: Sandbox, cost: str, fields: Set[str]) -> None:
    result = send(box, query=f"cost={cost}")
    assert set(result) == fields
    assert box.balance("alex") == Decimal("98.00")
    assert len(box.messages) == 1
    if "balance" in result:
        assert result["balance"] == "98.00"


def test_cost_mode_1_computes_only_and_charges_nothing(box: Sandbox) -> None:
    assert send(box, query="cost=1") == {"cost": "2.00", "cnt": "1"}
    assert send(box, query="cost=1") == {"cost": "2.00", "cnt": "1"}  # not a duplicate: nothing was sent
    assert box.balance("alex") == Decimal("100.00")
    assert box.messages == []


def test_send_sms_answers_id_and_cnt(box: Sandbox) -> None:
    assert box.call("send_sms", **AUTH, phones="79999999999", mes="Hello world!", id="", sender="ivan", time="0") == {
        "id": "1", "cnt": "1"}


def test_bad_cost_mode_is_error_1(box: Sandbox) -> None:
    assert send(box, query="cost=4") == {"error": "1"}
    assert send(box, query="cost=x") == {"error": "1"}


def test_error_3_when_the_cost_exceeds_the_balance_and_nothing_is_charged(box: Sandbox) -> None:
    bob = {"login": "bob", "psw": "pw"}
    # bob has 5.00: two parts to one number is 4.00, three parts is 6.00
    assert box.call("send_sms", **bob, phones="79999999999", mes="a" * 459) == {"error": "3"}
    assert box.balance("bob") == Decimal("5.00")
    assert box.messages == []
    assert box.call("send_sms", **bob, phones="79999999999", mes="a" * 306) == {"id": "1", "cnt": "2"}
    assert box.balance("bob") == Decimal("1.00")
    box.set_balance("bob", "2.00")  # exactly the cost: allowed
    assert box.call("send_sms", **bob, phones="79999999999", mes="b")["cnt"] == "1"
    assert box.balance("bob") == Decimal("0.00")


# --- parameters ------------------------------------------------------------------------------

@pytest.mark.parametrize("time", ["tomorrow", "3202261200", "31.02.26 12:00", "12-10", "25-26", "+x", "0abc"])
def test_bad_time_is_error_5(box: Sandbox, time: str) -> None:
    assert send(box, time=time) == {"error": "5"}
    assert box.messages == []


@pytest.mark.parametrize(
    "time, tz, delay",
    [
        ("0", None, 0),
        ("", None, 0),
        ("+5", None, 300),
        ("0203261300", None, 3600),          # DDMMYYhhmm, Moscow time
        ("02.03.26 13:00", None, 3600),       # DD.MM.YY hh:mm
        ("02.03.26 13: 00", None, 3600),      # ... as the page spells it
        ("0203261300", "1", 0),               # 13:00 at Moscow+1 is 12:00 in Moscow: now
        ("0203261500", "-2", 5 * 3600),       # 15:00 at Moscow-2 is 17:00 in Moscow
        ("14-18", None, 2 * 3600),            # before the window: wait for 14:00
        ("9-18", None, 0),                    # inside the window: now
        ("6-9", None, 18 * 3600),             # after it: tomorrow 06:00
        (f"0{int(START) + 600}", None, 600),  # 0 + Unix timestamp
        ("0101201200", None, 0),              # past: now
    ],
)
def test_time_formats_schedule_the_send(box: Sandbox, time: str, tz: Optional[str], delay: int) -> None:
    query = f"tz={tz}" if tz is not None else ""
    assert "id" in send(box, time=time, query=query)
    assert box.messages[-1].send_at - START == pytest.approx(delay)


def test_scheduled_message_waits_for_its_time(box: Sandbox) -> None:
    send(box, time="+10")
    box.advance(300)
    assert box.messages[0].status == -1
    box.advance(300 + A.QUEUE_SECONDS + A.DELIVERY_SECONDS)
    assert box.messages[0].status == 1


def test_unregistered_sender_is_error_6_when_senders_are_registered() -> None:
    box = Sandbox(senders=["ivan", "SHOP"])
    auth = {"login": "alex", "psw": "123", "phones": "79999999999", "mes": "x"}
    assert box.call("send_sms", **auth, sender="mallory") == {"error": "6"}
    assert box.call("send_sms", **auth, sender="shop") == {"error": "6"}  # names match exactly
    assert "id" in box.call("send_sms", **auth, sender="ivan")
    assert "id" in box.call("send_sms", **dict(auth, mes="y"))  # no sender: the default one
    assert box.call("send_sms2", **dict(auth, mes="z"), query="list=" + "mallory|79999999999:hi") == {"error": "6"}


def test_without_registered_senders_any_well_formed_sender_passes(box: Sandbox) -> None:
    assert "id" in send(box, sender="ivan")
    assert "id" in send(box, sender="123456789012345", mes="2")
    assert send(box, sender="TwelveLetter", mes="3") == {"error": "6"}  # over 11 characters
    assert send(box, sender="1234567890123456", mes="4") == {"error": "6"}  # over 15 digits
    assert send(box, sender="Иван", mes="5") == {"error": "6"}  # not Latin


@pytest.mark.parametrize("phones", ["12ab", "123", "+7 999 999 99 99", "G1", "user@example.com", "@nick", ",;"])
def test_malformed_phone_is_error_7(box: Sandbox, phones: str) -> None:
    expected = "1" if phones == ",;" else "7"  # no number at all is a parameter error
    assert send(box, phones=phones) == {"error": expected}
    assert box.balance("alex") == Decimal("100.00")


def test_phone_auto_correction_without_plus(box: Sandbox) -> None:
    for written in ("8 (999) 123-45-67", "9991234567", "+79991234567", "7-999-123-45-67"):
        send(box, phones=written, mes=written)
    assert {m.phone for m in box.messages} == {"79991234567"}


def test_some_bad_numbers_do_not_stop_the_rest_and_err_1_lists_them(box: Sandbox) -> None:
    result = send(box, phones="79999999999,12ab,79990000008,79161234567", query="err=1&cost=2")
    assert result == {
        "id": "1", "cost": "4.00", "cnt": "2",
        "errors": [{"phone": "12ab", "status": "22"}, {"phone": "79990000008", "status": "25"}],
    }
    assert [m.phone for m in box.messages] == ["79999999999", "79161234567"]
    assert "errors" not in send(box, phones="79999999999,12ab", mes="without err=1")


def test_a_number_that_cannot_be_delivered_is_error_8(box: Sandbox) -> None:
    assert send(box, phones="79990000008") == {"error": "8"}
    assert send(box, phones="79990000008,12ab") == {"error": "7"}


def test_message_id_given_or_assigned(box: Sandbox) -> None:
    assert send(box, id="order-17")["id"] == "order-17"
    assert send(box, mes="2")["id"] == "1"
    assert send(box, mes="3")["id"] == "2"
    assert send(box, mes="4", id="2147483647")["id"] == "2147483647"
    for bad in ("0", "2147483648", "with space", "x" * 41, "ü"):
        assert send(box, mes=f"bad {bad}", id=bad) == {"error": "1"}


def test_message_text_rules(box: Sandbox) -> None:
    assert send(box, mes="") == {"error": "1"}
    assert send(box, mes="\n~~~\nonly a comment") == {"error": "1"}
    assert send(box, mes="a" * 1001) == {"error": "1"}
    # the 1000 characters are the whole mes, comment included (spec.MES_LIMIT_COUNTS_COMMENT)
    assert send(box, mes="a" * 1000 + "\n~~~\n" + "c" * 50) == {"error": "1"}
    assert "id" in send(box, mes="a" * 945 + "\n~~~\n" + "c" * 50)
    assert send(box, mes="b" * 1000, query="maxsms=2&cost=2")["cnt"] == "2"
    assert box.messages[-1].text == "b" * 306


def test_duplicate_send_within_a_minute_is_error_9(box: Sandbox) -> None:
    assert "id" in send(box)
    assert send(box) == {"error": "9"}
    assert box.balance("alex") == Decimal("98.00")
    assert "id" in send(box, mes="something else")
    box.advance(59)
    assert send(box) == {"error": "9"}
    box.advance(1)
    assert "id" in send(box)
    assert box.balance("alex") == Decimal("94.00")


def test_more_than_five_status_requests_for_one_message_within_a_minute_is_error_9(box: Sandbox) -> None:
    msg_id = send(box)["id"]
    status = dict(AUTH, phone="79999999999", id=msg_id)
    for _ in range(5):
        assert box.call("get_status", **status)["status"] == "-1"
    assert box.call("get_status", **status) == {"error": "9"}
    # another message is another count
    other = send(box, mes="other")["id"]
    assert box.call("get_status", **dict(status, id=other))["status"] == "-1"
    box.advance(60)
    assert box.call("get_status", **status)["status"] == "1"


def test_more_than_ten_balance_requests_within_a_minute_is_error_9(box: Sandbox) -> None:
    for _ in range(10):
        assert box.call("get_balance", **AUTH) == {"balance": "100.00"}
    assert box.call("get_balance", **AUTH) == {"error": "9"}
    assert box.call("get_balance", login="bob", psw="pw") == {"balance": "5.00"}  # per account
    box.advance(60)
    assert box.call("get_balance", **AUTH) == {"balance": "100.00"}


def test_an_ip_that_keeps_making_errors_is_blocked_with_error_4(box: Sandbox) -> None:
    for _ in range(A.IP_BLOCK_ERRORS - 1):
        assert box.call("get_balance", client_ip="10.0.0.9", login="alex", psw="bad") == {"error": "2"}
    assert box.call("get_balance", client_ip="10.0.0.9", **AUTH) == {"balance": "100.00"}
    assert box.call("get_balance", client_ip="10.0.0.9", login="alex", psw="bad") == {"error": "2"}
    # the threshold is reached: even good requests from that IP are refused, others are not
    assert box.call("get_balance", client_ip="10.0.0.9", **AUTH) == {"error": "4"}
    assert box.call("send_sms", client_ip="10.0.0.9", **AUTH, phones="79999999999", mes="x") == {"error": "4"}
    assert box.call("get_balance", client_ip="10.0.0.10", **AUTH) == {"balance": "100.00"}
    box.advance(A.IP_BLOCK_SECONDS - 1)
    assert box.call("get_balance", client_ip="10.0.0.9", **AUTH) == {"error": "4"}
    box.advance(1)
    assert box.call("get_balance", client_ip="10.0.0.9", **AUTH) == {"balance": "100.00"}


def test_errors_spread_beyond_the_window_do_not_block(box: Sandbox) -> None:
    for _ in range(3 * A.IP_BLOCK_ERRORS):
        assert box.call("get_balance", login="alex", psw="bad") == {"error": "2"}
        box.advance(A.IP_ERROR_WINDOW / (A.IP_BLOCK_ERRORS - 1))
    assert box.call("get_balance", **AUTH) == {"balance": "100.00"}


def test_list_sends_many_messages_under_one_id(box: Sandbox) -> None:
    lines = "79999999999,79161234567:Hello\\nthere\nivan,1|380501234567:Привіт\n\n77011234567:" + "a" * 161
    result = send(box, phones="", mes="", query="cost=3&list=" + __import__("urllib.parse").parse.quote(lines))
    # 1 part x 2 numbers x 2.00 + 1 part x 1.50 + 2 parts x 3.00
    assert result == {"id": "1", "balance": "88.50", "cost": "11.50", "cnt": "5"}
    sent = box.messages
    assert {m.id for m in sent} == {"1"}
    assert [(m.phone, m.text, m.sender) for m in sent] == [
        ("79999999999", "Hello\nthere", None),
        ("79161234567", "Hello\nthere", None),
        ("380501234567", "Привіт", "ivan"),
        ("77011234567", "a" * 161, None),
    ]
    status = box.call("get_status", **AUTH, phone="380501234567", id="1", all="1")
    assert status["message"] == "Привіт" and status["sender_id"] == "ivan"
    assert send(box, phones="", mes="", query="list=no-colon-here") == {"error": "1"}


def test_accounts_from_strings_and_objects() -> None:
    box = Sandbox(["a:p", "b:p:p:7.5", Account("c", "q", Decimal("1"))])
    assert (box.balance("a"), box.balance("b"), box.balance("c")) == (A.DEFAULT_BALANCE, Decimal("7.50"), Decimal("1.00"))
    assert box.call("get_balance", login="b", psw="p:p") == {"balance": "7.50"}
    with pytest.raises(ValueError):
        Account.parse("nopassword")


def test_no_accounts_means_the_demo_account_of_the_pages_examples() -> None:
    box = Sandbox()
    assert box.call("get_balance", login=A.DEMO_LOGIN, psw=A.DEMO_PASSWORD) == {"balance": "100.00"}
    assert (A.DEMO_LOGIN, A.DEMO_PASSWORD) == ("alex", "123")


# --- choices made once in smsc_soap.spec, shared with the client (issue 10, issue 12) ----------

@pytest.mark.parametrize("query", [
    "tz=12", "tz=-16",                      # spec.TZ_RANGE, -15..11 (was -15..12 here)
    "freq=0&period=1", "freq=1441&period=1",  # 004:77, 1..1440
    "smsreq=9", "smsreq=1000",              # 004:135, 10..999
    "period=0.05", "period=721",            # 004:71, 0.1..720
    "flash=2", "err=yes", "bin=3", "translit=3",
    "list=" + "SHOP,12|79999999999:hi",     # a list line's tz too
])
def test_extended_values_outside_the_pages_ranges_are_error_1(box: Sandbox, query: str) -> None:
    assert send(box, query=query) == {"error": "1"}


def test_spec_choices_on_the_sandbox(box: Sandbox) -> None:
    assert "id" in send(box, query="tz=11&freq=1440&period=720&smsreq=10&flash=1", mes="in range")
    assert send(box, time="02.03.26 9:00", mes="one-digit hour") == {"error": "5"}  # spec.TIME_DOTTED: hh
    assert send(box, sender="A,B", mes="comma") == {"error": "6"}  # spec.SENDER_SYMBOLS
    assert send(box, sender=" AB", mes="edge") == {"error": "6"}  # spec.SENDER_EDGE_SPACES
    assert "id" in send(box, phones="6834002", mes="7 digits")  # spec.PHONE_DIGITS, 7..15
    # a number of the wrong length for a zone the sandbox knows (assumptions.NUMBER_LENGTH_BY_PREFIX)
    assert send(box, phones="12345678", mes="short +1") == {"error": "7"}
    assert send(box, phones="7916123456", mes="short +7") == {"error": "7"}


# --- ids the sandbox assigns never collide with a caller's own (issue 11) --------------------


def test_assigned_ids_skip_the_numeric_ids_callers_gave(sb: Sandbox) -> None:
    given = sb.call("send_sms", login="alex", psw="123", phones="79991234567", mes="mine", id="2")
    assert given["id"] == "2"
    sb.call("send_sms", login="alex", psw="123", phones="79991234567", mes="mine too", id="0004")
    assigned = [sb.call("send_sms", login="alex", psw="123", phones="79991234567", mes=f"auto {n}")["id"]
                for n in range(4)]
    assert assigned == ["1", "3", "5", "6"]  # 2 and 4 are the caller's
    mine = sb.call("get_status", login="alex", psw="123", phone="79991234567", id="2", all="1")
    assert mine["message"] == "mine"  # still the caller's message, not one the sandbox numbered 2


def test_an_id_a_caller_reuses_answers_its_latest_message(sb: Sandbox) -> None:
    sb.call("send_sms", login="alex", psw="123", phones="79991234567", mes="first", id="7")
    sb.call("send_sms", login="alex", psw="123", phones="79991234567", mes="second", id="7")
    status = sb.call("get_status", login="alex", psw="123", phone="79991234567", id="7", all="1")
    assert status["message"] == "second"  # ids are "not necessarily unique" (seed 004)


@pytest.mark.parametrize("balance", ["1e30", "NaN", "Infinity", "-1", "1000000000000.01"])
def test_absurd_balances_are_refused_with_a_value_error(balance: str) -> None:
    with pytest.raises(ValueError, match="balance"):
        Sandbox([f"a:b:{balance}"] if balance != "1e30" else [Account("a", "b", Decimal(balance))])
    box = Sandbox()
    with pytest.raises(ValueError, match="balance"):
        box.set_balance("alex", balance)
    assert box.balance() == A.DEFAULT_BALANCE
