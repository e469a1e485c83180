"""Every error code of every method becomes the exception its page gives it (seed 004)."""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Callable, Dict, Tuple, Type

import pytest

import smsc_soap
from smsc_soap import Client
from smsc_soap.errors import ERRORS_BY_OPERATION
from support.servers import Responder, soap_answer

CALLS: Dict[str, Callable[[Client], object]] = {
    "send_sms": lambda c: c.send_sms("79999999999", "Hello"),
    "send_sms2": lambda c: c.send_sms2("79999999999", "Hello", cost=2),
    "get_sms_cost": lambda c: c.get_sms_cost("79999999999", "Hello"),
    "get_sms_cost2": lambda c: c.get_sms_cost2("79999999999", "Hello", cost=1),
    "get_status": lambda c: c.get_status("79999999999", 5),
    "get_status2": lambda c: c.get_status2("79999999999", 5, all=1),
    "get_balance": lambda c: c.get_balance(),
}

# The page's tables, restated: (exception, words the meaning must contain).
SEND = {1: (smsc_soap.ParameterError, "parameters"), 2: (smsc_soap.AuthenticationError, "login or password"),
        3: (smsc_soap.InsufficientFunds, "insufficient funds"), 4: (smsc_soap.IpBlocked, "blocked"),
        5: (smsc_soap.InvalidTime, "date format"), 6: (smsc_soap.MessageForbidden, "forbidden"),
        7: (smsc_soap.InvalidPhone, "phone number format"), 8: (smsc_soap.Undeliverable, "cannot be delivered"),
        9: (smsc_soap.DuplicateRequest, "identical request")}
STATUS = {1: (smsc_soap.ParameterError, "parameters"), 2: (smsc_soap.AuthenticationError, "login or password"),
          3: (smsc_soap.MessageNotFound, "not found"), 4: (smsc_soap.IpBlocked, "blocked"),
          9: (smsc_soap.RateLimited, "five requests for the status")}
BALANCE = {1: (smsc_soap.ParameterError, "parameters"), 2: (smsc_soap.AuthenticationError, "login or password"),
           4: (smsc_soap.IpBlocked, "blocked"), 9: (smsc_soap.RateLimited, "ten balance requests")}
PAGE: Dict[str, Dict[int, Tuple[Type[smsc_soap.ApiError], str]]] = {
    "send_sms": SEND, "send_sms2": SEND, "get_sms_cost": SEND, "get_sms_cost2": SEND,
    "get_status": STATUS, "get_status2": STATUS, "get_balance": BALANCE}
CASES = [(operation, code) for operation, table in PAGE.items() for code in table]


def test_the_tables_have_exactly_the_pages_codes() -> None:
    assert {op: set(table) for op, table in ERRORS_BY_OPERATION.items()} == {op: set(t) for op, t in PAGE.items()}


@pytest.mark.parametrize(("operation", "code"), CASES, ids=[f"{op}-{code}" for op, code in CASES])
def test_error_code_raises_its_exception(responder: Responder, operation: str, code: int, any_client: Any) -> None:
    responder.answer(soap_answer(responder.url, operation, f"<error>{code}</error>"))
    client = any_client(login="alex", psw="123", url=responder.url)
    expected, words = PAGE[operation][code]

    with pytest.raises(expected) as caught:
        CALLS[operation](client)

    error = caught.value
    assert type(error) is expected
    assert isinstance(error, smsc_soap.ApiError) and isinstance(error, smsc_soap.SmscError)
    assert (error.code, error.operation) == (code, operation)
    assert words in error.meaning
    assert str(error) == f"{operation}: error {code}: {error.meaning}"


@pytest.mark.parametrize("operation", list(CALLS))
def test_an_undocumented_code_is_kept_as_its_number(responder: Responder, operation: str, any_client: Any) -> None:
    responder.answer(soap_answer(responder.url, operation, "<error>42</error>"))
    with pytest.raises(smsc_soap.UnknownApiError) as caught:
        CALLS[operation](any_client(login="alex", psw="123", url=responder.url))
    assert caught.value.code == 42 and caught.value.operation == operation


@pytest.mark.parametrize("fields", ["", "<error>0</error>", "<error></error>"])
def test_absent_empty_and_zero_error_all_mean_success(responder: Responder, fields: str, any_client: Any) -> None:
    responder.answer(soap_answer(responder.url, "get_balance", f"<balance>5.00</balance>{fields}"))
    assert any_client(login="alex", psw="123", url=responder.url).get_balance().balance == Decimal("5.00")


def test_three_and_nine_mean_different_things_per_method() -> None:
    assert ERRORS_BY_OPERATION["send_sms"][3][0] is smsc_soap.InsufficientFunds
    assert ERRORS_BY_OPERATION["get_status"][3][0] is smsc_soap.MessageNotFound
    meanings = {ERRORS_BY_OPERATION[op][9][1] for op in ("send_sms", "get_status", "get_balance")}
    assert len(meanings) == 3


def test_an_unknown_outcome_always_has_a_str_id_empty_when_the_send_carried_none() -> None:
    cause = smsc_soap.TimeoutError("no answer")
    assert smsc_soap.SendOutcomeUnknown.for_cause("send_sms", "m1", ("79999999999",), cause).id == "m1"
    lost = smsc_soap.SendOutcomeUnknown.for_cause("jobs.add", None, ("79999999999",), cause)
    assert lost.id == "" and isinstance(lost, smsc_soap.TimeoutError)
