"""The client against the sandbox: the service's documented behaviour, end to end over SOAP.

Uses the ``smsc_sandbox`` fixture that users get from the package's pytest plugin.
"""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any, cast

import pytest

import smsc_soap
from smsc_soap import Client, DeliveryError, DeliveryStatus
from smsc_soap.sandbox import Sandbox
from smsc_soap.sandbox import assumptions as A


@pytest.fixture
def client(smsc_sandbox: Sandbox, any_client: Any) -> Client:
    return cast(Client, any_client(login="alex", psw="123", url=smsc_sandbox.url))


def test_the_pages_example_send_is_billed_and_delivered(smsc_sandbox: Sandbox, client: Client) -> None:
    sent = client.send_sms("79999999999", "Hello world!", sender="ivan", time=0)
    assert sent.id and sent.cnt == 1
    assert smsc_sandbox.balance("alex") == A.DEFAULT_BALANCE - A.PRICE_PER_PART["7"]

    assert client.get_status("79999999999", sent.id).status in (DeliveryStatus.WAITING, DeliveryStatus.TRANSFERRED)
    smsc_sandbox.advance(A.QUEUE_SECONDS + A.DELIVERY_SECONDS + 1)
    status = client.get_status("79999999999", sent.id)
    assert status.status is DeliveryStatus.DELIVERED and status.final
    assert status.err is DeliveryError.NO_ERROR
    assert status.last_date is not None  # the page lists last_date, not last_timestamp, for all=0


def test_send_sms2_cost_3_returns_cost_and_new_balance(smsc_sandbox: Sandbox, client: Client) -> None:
    sent = client.send_sms2(["+79999999999", "79998887766"], "Hi", cost=3, tinyurl=1, valid=12)
    assert sent.cnt == 2
    assert sent.cost == 2 * A.PRICE_PER_PART["7"]
    assert sent.balance == smsc_sandbox.balance("alex") == A.DEFAULT_BALANCE - sent.cost


def test_cost_matches_what_a_send_charges_and_charges_nothing(smsc_sandbox: Sandbox, client: Client) -> None:
    long_cyrillic = "Привет! " * 20  # 160 characters of UCS-2: 3 parts of 67
    quoted = client.get_sms_cost("79999999999", long_cyrillic)
    assert quoted.cnt == 3 and smsc_sandbox.balance("alex") == A.DEFAULT_BALANCE
    assert client.send_sms2("79999999999", long_cyrillic, cost=2).cost == quoted.cost


def test_err_1_lists_the_numbers_that_failed(client: Client) -> None:
    sent = client.send_sms2(["79999999999", "79990000008"], "Hi", err=1)
    assert sent.cnt == 1
    assert sent.errors == (("79990000008", DeliveryStatus.UNAVAILABLE_NUMBER),)


@pytest.mark.parametrize(("phone", "status", "err"), [
    ("79990000001", DeliveryStatus.UNDELIVERABLE, DeliveryError.NO_SUBSCRIBER),
    ("79990000020", DeliveryStatus.UNDELIVERABLE, DeliveryError.NO_SMS_SERVICE),
    ("79990000255", DeliveryStatus.UNDELIVERABLE, DeliveryError.REJECTED),
])
def test_magic_numbers_end_as_documented(smsc_sandbox: Sandbox, client: Client, phone: str, status: DeliveryStatus,
                                        err: DeliveryError) -> None:
    sent = client.send_sms(phone, "Hi")
    smsc_sandbox.advance(A.QUEUE_SECONDS + A.DELIVERY_SECONDS + 1)
    result = client.get_status(phone, sent.id, all=1)
    assert (result.status, result.err, result.final) == (status, err, True)


def test_status_detail_levels(smsc_sandbox: Sandbox, client: Client) -> None:
    sent = client.send_sms("79999999999", "Detail", sender="ivan")
    smsc_sandbox.advance(60)
    plain, full, region = (client.get_status("79999999999", sent.id, all=level) for level in (0, 1, 2))
    assert plain.message is None and plain.operator is None
    assert (full.message, full.sender_id, full.phone) == ("Detail", "ivan", "79999999999")
    assert full.cost == A.PRICE_PER_PART["7"] and full.operator is None
    assert (region.operator, region.region) == A.NUMBERING_PLAN["7999"]


def test_scheduled_time_waits(smsc_sandbox: Sandbox, client: Client) -> None:
    sent = client.send_sms2("79999999999", "Later", time=timedelta(minutes=30))
    smsc_sandbox.advance(20 * 60)
    assert client.get_status("79999999999", sent.id).status is DeliveryStatus.WAITING
    smsc_sandbox.advance(11 * 60 + A.QUEUE_SECONDS + A.DELIVERY_SECONDS)
    assert client.get_status("79999999999", sent.id).status is DeliveryStatus.DELIVERED


def test_list_sends_several_messages_under_one_id(smsc_sandbox: Sandbox, client: Client) -> None:
    sent = client.send_sms2(None, None, list=[("79999999999", "First"), ("79998887766", "Second")])
    assert sent.cnt == 2
    assert {(m.phone, m.mes, m.id) for m in smsc_sandbox.messages} == {
        ("79999999999", "First", sent.id), ("79998887766", "Second", sent.id)}


@pytest.mark.smsc_sandbox(apikeys={"K3Y-abc": "alex"})
def test_an_apikey_account_sends_and_reads_status(smsc_sandbox: Sandbox, any_client: Any) -> None:
    client = any_client(apikey="K3Y-abc", url=smsc_sandbox.url)
    sent = client.send_sms("79999999999", "Keyed")
    assert client.get_status("79999999999", sent.id).status is not None
    assert client.get_sms_cost("79999999999", "Keyed").cost == A.PRICE_PER_PART["7"]


# --- the service's errors, from its real semantics -------------------------------------------


def test_wrong_password_is_an_authentication_error(smsc_sandbox: Sandbox, any_client: Any) -> None:
    with pytest.raises(smsc_soap.AuthenticationError):
        any_client(login="alex", psw="wrong", url=smsc_sandbox.url).get_balance()


@pytest.mark.smsc_sandbox(accounts=["poor:pw:1.00"])
def test_insufficient_funds_charges_nothing(smsc_sandbox: Sandbox, any_client: Any) -> None:
    client = any_client(login="poor", psw="pw", url=smsc_sandbox.url)
    with pytest.raises(smsc_soap.InsufficientFunds) as caught:
        client.send_sms("79999999999", "Too dear")
    assert caught.value.code == 3
    assert smsc_sandbox.balance("poor") == Decimal("1.00") and smsc_sandbox.messages == []


def test_an_identical_send_within_a_minute_is_refused_once(smsc_sandbox: Sandbox, client: Client) -> None:
    client.send_sms("79999999999", "Once", id=1)
    with pytest.raises(smsc_soap.DuplicateRequest):
        client.send_sms("79999999999", "Once", id=1)
    assert len(smsc_sandbox.messages) == 1


def test_more_than_five_status_requests_a_minute_is_rate_limited(smsc_sandbox: Sandbox, client: Client) -> None:
    sent = client.send_sms("79999999999", "Polled")
    for _ in range(5):
        client.get_status("79999999999", sent.id)
    with pytest.raises(smsc_soap.RateLimited) as caught:
        client.get_status("79999999999", sent.id)
    assert caught.value.code == 9 and caught.value.operation == "get_status"


def test_an_unknown_message_is_not_found(client: Client) -> None:
    with pytest.raises(smsc_soap.MessageNotFound):
        client.get_status("79999999999", 424242)


@pytest.mark.smsc_sandbox(senders=["SHOP"])
def test_an_unregistered_sender_is_forbidden(smsc_sandbox: Sandbox, any_client: Any) -> None:
    client = any_client(login="alex", psw="123", url=smsc_sandbox.url)
    assert client.send_sms("79999999999", "Hi", sender="SHOP").cnt == 1
    with pytest.raises(smsc_soap.MessageForbidden):
        client.send_sms("79999999999", "Hi", sender="OTHER")
