"""Mass mailings (page 000) against the sandbox: add in every fmt with the page's parameters,
repeats per rpt/rptn whose messages get_status sees, cancel while waiting, delete, get, get_all;
the parameters read by the one table shared with send_sms2; add never repeated blindly."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Dict, Iterator
from urllib.parse import parse_qs

import pytest
from support.servers import Responder

import smsc_soap
from smsc_soap import DeliveryStatus, spec
from smsc_soap.errors import MailingNotFound, SendOutcomeUnknown, UnsupportedOperation, ValidationError
from smsc_soap.http_api.mailings import MailingStatus, Repeat
from smsc_soap.query import EXTENDED_PARAMS, MAILING_PARAMS, MAILING_SHARED, mailing_fields
from smsc_soap.sandbox import Sandbox

START = 1_700_000_000  # a Wednesday, 01:13:20 in Moscow
MSK = timezone(timedelta(hours=3))


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(start_time=START) as sb:
        yield sb


@pytest.fixture
def client(sandbox: Sandbox, any_client: Any) -> Iterator[smsc_soap.Client]:
    """Client, then AsyncClient behind the sync facade (tests/support/clients.py)."""
    with any_client("alex", "123", url=sandbox.url) as client:
        yield client


def form(sandbox: Sandbox) -> Dict[str, str]:
    return {k: v[0] for k, v in parse_qs(sandbox.requests[-1].body.decode(), keep_blank_values=True).items()}


@pytest.mark.parametrize("fmt", [0, 1, 2, 3])
@pytest.mark.parametrize("cost", [0, 2, 3])
def test_add_answers_id_and_count_in_every_fmt(client: smsc_soap.Client, sandbox: Sandbox, fmt: int,
                                               cost: int) -> None:
    created = client.mailings.add("promo", "79161234567", "Hello", fmt=fmt, cost=cost)
    assert (created.id, created.cnt) == (1, 1)
    assert created.cost == (Decimal("2.00") if cost >= 2 else None)
    assert created.balance == (sandbox.balance() if cost == 3 else None)


@pytest.mark.parametrize("fmt", [0, 1, 2, 3])
def test_cost_1_prices_the_mailing_without_creating_it(client: smsc_soap.Client, sandbox: Sandbox, fmt: int) -> None:
    priced = client.mailings.add("promo", ["79161234567", "79031234567"], "Hello", cost=1, fmt=fmt)
    assert (priced.id, priced.cnt, priced.cost) == (None, 2, Decimal("4.00"))
    assert sandbox.messages == [] and client.mailings.get_all() == ()


def test_repeats_follow_rpt_and_rptn_and_their_messages_have_statuses(client: smsc_soap.Client,
                                                                      sandbox: Sandbox) -> None:
    created = client.mailings.add("weekly", "79161234567", "Hi", rpt="workdays", rptn=4, time="+60")
    assert form(sandbox)["rpt"] == str(int(Repeat.WORKDAYS)) and form(sandbox)["rptn"] == "4"
    moments = sorted(m.send_at for m in sandbox.messages)
    days = [datetime.fromtimestamp(t, MSK) for t in moments]
    assert [d.strftime("%a %H:%M") for d in days] == ["Wed 02:13", "Thu 02:13", "Fri 02:13", "Mon 02:13"]
    mailing = client.mailings.get(created.id or 0)
    assert (mailing.status, mailing.rpt, mailing.rptn, mailing.sent) == (MailingStatus.WAITING, Repeat.WORKDAYS, 4, 0)
    assert mailing.time == days[0] and mailing.created == datetime.fromtimestamp(START, MSK)
    sandbox.advance(2 * 3600)
    assert client.get_status("79161234567", "job1-1").status == DeliveryStatus.DELIVERED
    assert client.mailings.get(created.id or 0).sent == 1


def test_cancel_while_waiting_stops_the_rest_and_refunds_it(client: smsc_soap.Client, sandbox: Sandbox) -> None:
    created = client.mailings.add("daily", "79161234567", "Hi", rpt=Repeat.DAILY, rptn=3)
    assert sandbox.balance() == Decimal("94.00")
    sandbox.advance(60)
    client.mailings.cancel(created.id or 0)
    assert sandbox.balance() == Decimal("98.00")
    assert [m.id for m in sandbox.messages] == ["job1-1"]
    assert client.mailings.get(created.id or 0).status is MailingStatus.CANCELLED
    with pytest.raises(smsc_soap.ParameterError):  # nothing waits any more
        client.mailings.cancel(created.id or 0)


@pytest.mark.parametrize("fmt", [0, 1, 2, 3])
def test_delete_get_and_get_all_in_every_fmt(client: smsc_soap.Client, fmt: int) -> None:
    first = client.mailings.add("a", "79161234567", "one")
    second = client.mailings.add("b", "79031234567", "two")
    assert [m.name for m in client.mailings.get_all(fmt=fmt)] == ["a", "b"]
    client.mailings.delete(first.id or 0, fmt=fmt)
    with pytest.raises(MailingNotFound):
        client.mailings.get(first.id or 0, fmt=fmt)
    assert client.mailings.get(second.id or 0, fmt=fmt).name == "b"


def test_get_all_takes_dates_as_the_page_writes_them(client: smsc_soap.Client, sandbox: Sandbox) -> None:
    client.mailings.add("a", "79161234567", "one")
    today = datetime.fromtimestamp(START, MSK).date()
    assert len(client.mailings.get_all(today, today)) == 1
    assert (form(sandbox)["start"], form(sandbox)["end"]) == (today.strftime("%d.%m.%Y"),) * 2
    assert client.mailings.get_all(date(2020, 1, 1), date(2020, 1, 2)) == ()


def test_the_page_only_parameters_go_on_the_wire(client: smsc_soap.Client, sandbox: Sandbox) -> None:
    client.mailings.add("fallback", "79161234567", "Hi", sender2="ALT", mes2="fallback text", translit=1, valid=2)
    sent = form(sandbox)
    assert (sent["sender2"], sent["mes2"], sent[spec.MES2_FLAG], sent["charset"]) == ("ALT", "fallback text", "1",
                                                                                     "utf-8")
    assert (sent["translit"], sent["valid"], sent["name"]) == ("1", "2", "fallback")


def test_a_template_needs_an_empty_mes(client: smsc_soap.Client, sandbox: Sandbox) -> None:
    client.mailings.add("tpl", "79161234567", "", tpl=7)
    assert form(sandbox)["tpl"] == "7" and form(sandbox)["mes"] == ""
    with pytest.raises(ValidationError):
        client.mailings.add("tpl", "79161234567", "text", tpl=7)


@pytest.mark.parametrize("time, wire", [
    ("1512251030", "1512251030"), ("15.12.25 10:30", "15.12.25 10:30"), ("9-18", "9-18"), ("+30", "+30"),
    (datetime(2030, 1, 1, tzinfo=timezone.utc), "01893456000"),
])
def test_time_in_all_four_forms(client: smsc_soap.Client, sandbox: Sandbox, time: object, wire: str) -> None:
    client.mailings.add(f"t{wire}", "79161234567", "Hi", time=time)
    assert form(sandbox)["time"] == wire


def test_one_table_of_parameters_is_read_by_both() -> None:
    assert set(MAILING_SHARED) <= set(EXTENDED_PARAMS)
    assert mailing_fields(tz=2)["tz"] == "2"
    with pytest.raises(ValidationError):  # the shared row's range, as send_sms2 checks it
        mailing_fields(tz=99)
    with pytest.raises(ValidationError):
        mailing_fields(rpt=8)
    with pytest.raises(ValidationError):
        mailing_fields(rptn=3)  # without rpt
    with pytest.raises(ValidationError):
        mailing_fields(charset="koi8-r")
    with pytest.raises(ValidationError):
        mailing_fields(maxsms=2)  # a SOAP parameter page 000 does not list
    assert set(MAILING_PARAMS) >= {"rpt", "rptn", "sender2", "mes2", "tpl", "charset", "cost"}
    assert {r.name.lower(): r.value for r in Repeat} == {v: k for k, v in spec.MAILING_REPEATS.items()}


def test_an_api_key_is_refused_with_what_to_do(any_client: Any) -> None:
    client = any_client(apikey="k" * 20, url="http://127.0.0.1:9/sys/soap.php")
    with pytest.raises(UnsupportedOperation) as caught:
        client.mailings.add("x", "79161234567", "Hi")
    assert "login" in str(caught.value)
    assert client.operator.__doc__  # the other pages take the key


def test_add_is_never_repeated_after_an_ambiguous_failure(responder: Responder, any_client: Any) -> None:
    responder.answer(b"<html>bad gateway</html>", status=502, content_type="text/html")
    with any_client("alex", "123", url=responder.url) as client, \
            pytest.raises(SendOutcomeUnknown) as caught:
        client.mailings.add("x", "79161234567", "Hi")
    assert len(responder.requests) == 1 and caught.value.phones == ("79161234567",)
    assert isinstance(caught.value, smsc_soap.ProtocolError) and "mailings.get_all()" in str(caught.value)


def test_an_identical_add_within_a_minute_is_a_duplicate(client: smsc_soap.Client) -> None:
    client.mailings.add("x", "79161234567", "Hi")
    with pytest.raises(smsc_soap.DuplicateRequest):
        client.mailings.add("x", "79161234567", "Hi")


def test_a_mailing_of_a_list_sends_each_line(client: smsc_soap.Client, sandbox: Sandbox) -> None:
    created = client.mailings.add("per person", list=[("79161234567", "Hi Ann"), ("79031234567", "Hi Bob")])
    assert form(sandbox)["list"] == "79161234567:Hi Ann\n79031234567:Hi Bob"
    assert created.cnt == 2 and sorted((m.phone, m.mes) for m in sandbox.messages) == [
        ("79031234567", "Hi Bob"), ("79161234567", "Hi Ann")]


def test_get_all_without_dates_gives_at_most_ten(client: smsc_soap.Client, sandbox: Sandbox) -> None:
    for n in range(spec.MAILING_LIST_DEFAULT_MAX + 2):
        client.mailings.add(f"m{n}", "79161234567", f"text {n}")
    listed = client.mailings.get_all()
    assert len(listed) == spec.MAILING_LIST_DEFAULT_MAX and listed[-1].name == "m11"
    assert "start" not in form(sandbox) and "end" not in form(sandbox)
