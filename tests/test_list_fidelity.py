"""``list`` as the page writes it (issue 12, point 2), in the client and in the sandbox.

004:175 "list | Список номерів телефонів і відповідних їм повідомлень, розділених двокрапкою або
крапкою з комою"; 004:180 "В якості phones можна вказати кілька номерів телефонів через кому";
004:181 "Якщо в повідомленні mes потрібно передати символ нового рядка, то вкажіть його через \\n";
004:182 per-line tz "працює тільки для запитів, в яких параметр time представлений у вигляді
DDMMYYhhmm або DD.MM.YY hh: mm".
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Dict, Iterator
from urllib.parse import quote

import pytest

import smsc_soap
from smsc_soap import spec
from smsc_soap.query import build_query, format_list, list_recipients, parse_list_line
from smsc_soap.sandbox import Sandbox

START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc).timestamp()  # 12:00 in Moscow
AUTH = {"login": "alex", "psw": "123"}


@pytest.fixture
def box() -> Iterator[Sandbox]:
    with Sandbox(["alex:123:100"], start_time=START) as sandbox:
        yield sandbox


def send_list(box: Sandbox, lines: str, **query: str) -> Dict[str, Any]:
    extra = "".join(f"&{name}={quote(value)}" for name, value in query.items())
    return box.call("send_sms2", **AUTH, phones="", mes="", query="list=" + quote(lines) + extra)


# --- the client ----------------------------------------------------------------------------------


def test_the_documented_semicolon_form_is_accepted() -> None:  # 004:175
    assert format_list("79991112233;Hello: world") == "79991112233;Hello: world"
    assert parse_list_line("ivan,1|79991112233,79994445566;Hi").phones == "79991112233,79994445566"
    assert parse_list_line("79991112233;Hi").mes == "Hi"


def test_phones_separated_by_semicolon_in_a_line_are_refused() -> None:  # 004:175, 180
    with pytest.raises(smsc_soap.ValidationError, match="separated by ','"):
        format_list("79991112233;79994445566:Hello")


def test_the_writer_joins_phones_with_commas_and_writes_a_colon() -> None:
    assert format_list([("79991112233;79994445566", "Hi; there")]) == "79991112233,79994445566:Hi; there"
    assert list_recipients(build_query(list=[("79991112233;79994445566", "Hi")])) == ("79991112233", "79994445566")


def test_a_literal_backslash_n_is_refused_and_a_real_newline_escaped() -> None:  # 004:181
    assert spec.LIST_LITERAL_BACKSLASH_N_REFUSED
    with pytest.raises(smsc_soap.ValidationError, match="backslash-n"):
        format_list([("79991112233", "C:\\new folder")])
    assert format_list([("79991112233", "line 1\nline 2")]) == "79991112233:line 1\\nline 2"


def test_a_line_with_no_separator_is_refused() -> None:
    with pytest.raises(smsc_soap.ValidationError, match="':' or ';'"):
        format_list("79991112233 Hello")


# --- the sandbox reads the page's forms ------------------------------------------------------------


def test_the_sandbox_reads_phones_semicolon_text(box: Sandbox) -> None:
    assert send_list(box, "79999999999,79161234567;Hello: there")["cnt"] == "2"
    assert [(m.phone, m.text) for m in box.messages] == [
        ("79999999999", "Hello: there"), ("79161234567", "Hello: there")]


def test_the_sandbox_reads_the_first_separator_as_the_end_of_the_phones(box: Sandbox) -> None:
    send_list(box, "79999999999;79161234567:Hello")
    assert [(m.phone, m.text) for m in box.messages] == [("79999999999", "79161234567:Hello")]


def test_a_lines_tz_applies_to_an_absolute_time(box: Sandbox) -> None:
    # 15:00 in the line's zone (Moscow + 2 = UTC+5) is 10:00 UTC, an hour after START; read in
    # Moscow time it would be 12:00 UTC, three hours after
    box.call("send_sms2", **AUTH, phones="", mes="", time="02.03.26 15:00",
             query="tz=0&list=" + quote("SHOP,2|79999999999:Hi"))
    (message,) = box.messages
    assert message.send_at == START + 3600


def test_a_lines_tz_does_not_apply_to_an_hour_window(box: Sandbox) -> None:
    # 12:00 in Moscow; the window 13-20 is read in the request's zone (tz=0: Moscow), not the
    # line's +5 (where it is already 17:00, inside the window, which would send now)
    box.call("send_sms2", **AUTH, phones="", mes="", time="13-20",
             query="tz=0&list=" + quote("SHOP,5|79999999999:Hi"))
    (message,) = box.messages
    assert message.send_at == START + 3600  # 13:00 Moscow
    assert datetime.fromtimestamp(message.send_at, timezone(timedelta(hours=3))).hour == 13


def test_client_and_sandbox_agree_on_a_semicolon_list(box: Sandbox) -> None:
    client = smsc_soap.Client("alex", "123", url=box.url)
    result = client.send_sms2(None, None, list="79999999999;Hello: there\nivan|79161234567:Hi", cost=3)
    assert result.cnt == 2 and Decimal(str(result.cost)) > 0
    assert [(m.phone, m.text, m.sender) for m in box.messages] == [
        ("79999999999", "Hello: there", None), ("79161234567", "Hi", "ivan")]


def test_a_text_that_starts_with_a_time_is_not_taken_for_phones() -> None:
    assert format_list("79991112233;12:00 meeting") == "79991112233;12:00 meeting"
    with pytest.raises(smsc_soap.ValidationError):
        format_list("79991112233; +79994445566 : Hello")
