"""The core's calls alone, no sockets: the fields each operation puts on the wire, the message id
the client assigns, the API-key twin rule, and what a send's error knows about its recipients."""
from __future__ import annotations

import re
from typing import Dict, Optional

import pytest

from smsc_soap import ValidationError, spec
from smsc_soap._core import calls
from smsc_soap.errors import SendOutcomeUnknown, TimeoutError, UnsupportedOperation

PHONE = "79999999999"
KEY = "k" * 20


def prepare(operation: str, fields: Dict[str, Optional[str]], apikey: Optional[str] = None,
            **extended: object) -> calls.Call:
    login = None if apikey else "alex"
    return calls.prepare(operation, fields, login=login, psw="" if apikey else "123", apikey=apikey,
                         extended=extended)


def test_send_sms_fields_with_a_client_assigned_id() -> None:
    call = prepare("send_sms", calls.send_fields(PHONE, "Hi", None, None, None, {}))
    assert call.operation == "send_sms" and call.is_send and call.kind == spec.SEND
    assert set(call.request) == {"login", "psw", "phones", "mes", "id"}  # None fields stay off the wire
    assert re.fullmatch(r"c[0-9a-f]{20}", call.request["id"])
    assert call.request["phones"] == PHONE and call.request["mes"] == "Hi"


def test_a_given_id_sender_and_time_go_on_the_wire() -> None:
    call = prepare("send_sms", calls.send_fields([PHONE, "+79999999998"], "Hi", 7, "Shop", "+60", {}))
    assert call.request["id"] == "7" and call.request["sender"] == "Shop"
    assert call.request["phones"] == f"{PHONE},+79999999998" and call.request["time"] == "+60"


def test_send_sms2_has_a_query_and_cost_and_status_have_their_own_fields() -> None:
    send2 = prepare("send_sms2", calls.send_fields(PHONE, "Hi", "m1", None, None, {"cost": 3}), cost=3)
    assert send2.request["query"] == "cost=3"
    cost = prepare("get_sms_cost", calls.message_fields(PHONE, "Hi", {}))
    assert set(cost.request) == {"login", "psw", "phones", "mes"} and not cost.is_send
    status = prepare("get_status", calls.status_fields(PHONE, 5, 1))
    assert {k: status.request[k] for k in ("phone", "id", "all")} == {"phone": PHONE, "id": "5", "all": "1"}
    balance = prepare("get_balance", {})
    assert dict(balance.request) == {"login": "alex", "psw": "123"} and balance.kind == spec.BALANCE


def test_list_carries_recipients_when_phones_and_mes_are_none() -> None:
    fields = calls.send_fields(None, None, "m1", None, None, {"list": f"{PHONE}:one\nShop,3|79999999998:two"})
    call = prepare("send_sms2", fields, list=f"{PHONE}:one\nShop,3|79999999998:two")
    assert call.request["phones"] == "" and call.request["mes"] == ""
    assert call.recipients() == (PHONE, "79999999998")
    with pytest.raises(ValidationError):
        calls.send_fields(None, "Hi", None, None, None, {})


@pytest.mark.parametrize("operation", [name for name, op in spec.OPERATIONS.items() if not op.has_query and op.twin])
def test_with_an_api_key_a_plain_operation_goes_as_its_twin(operation: str) -> None:
    assert calls.wire_operation(operation, with_apikey=False) == operation
    twin = calls.wire_operation(operation, with_apikey=True)
    assert twin == spec.OPERATIONS[operation].twin and spec.OPERATIONS[twin].has_query


def test_the_api_key_travels_in_the_query_and_never_as_an_argument() -> None:
    call = prepare("get_status", calls.status_fields(PHONE, 5, 0), apikey=KEY)
    assert call.operation == "get_status2" and call.request["query"] == f"apikey={KEY}"
    assert call.request["login"] == "" and call.request["psw"] == ""
    with pytest.raises(ValidationError, match="Client\\(apikey"):
        calls.query_field(None, {"apikey": KEY}, None)


def test_get_balance_cannot_carry_an_api_key() -> None:
    with pytest.raises(UnsupportedOperation, match="no query to carry an API key"):
        prepare("get_balance", {}, apikey=KEY)


def test_a_calls_repr_shows_no_secret() -> None:
    call = calls.prepare("get_balance", {}, login="alex", psw="s3cret-pass")
    assert "s3cret" not in repr(call) and "get_balance" in repr(call)


def test_a_lost_send_knows_its_id_and_numbers() -> None:
    call = prepare("send_sms", calls.send_fields(f"{PHONE};79999999998", "Hi", "m9", None, None, {}))
    error = call.outcome_unknown(TimeoutError("no answer"))
    assert isinstance(error, SendOutcomeUnknown) and isinstance(error, TimeoutError)
    assert (error.id, error.phones) == ("m9", (PHONE, "79999999998"))


def test_back_off_scopes_follow_the_kind() -> None:
    status = prepare("get_status", calls.status_fields(PHONE, 5, 0))
    assert status.backoff_scopes == (("ip",), ("rate", "status", f"{PHONE}\n5"))
    assert prepare("get_balance", {}).backoff_scopes[1] == ("rate", "balance", "")
    one = prepare("send_sms", calls.send_fields(PHONE, "Hi", "m1", None, None, {}))
    same = calls.prepare("send_sms", calls.send_fields(PHONE, "Hi", "m1", None, None, {}), login="alex", psw="other")
    assert one.backoff_scopes == same.backoff_scopes  # the password is not part of "the same request"
    assert "123" not in repr(one.backoff_scopes)


@pytest.mark.parametrize(("login", "psw", "apikey"), [
    (None, None, None), ("alex", None, None), ("alex", "123", KEY), (None, "123", KEY), (None, None, "bad key"),
])
def test_credentials_are_one_way_or_the_other_and_well_formed(login: Optional[str], psw: Optional[str],
                                                                 apikey: Optional[str]) -> None:
    with pytest.raises(ValidationError):
        calls.check_credentials(login, psw, apikey)


def test_good_credentials_pass() -> None:
    calls.check_credentials("alex", "123", None)
    calls.check_credentials(None, None, KEY)
