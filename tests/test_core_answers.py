"""The core's reading of answers alone, no sockets: result fields to a typed result, or the
exception the page gives each (operation, code)."""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Dict, List

import pytest

import smsc_soap
from smsc_soap import spec
from smsc_soap._core import answers, calls
from smsc_soap.errors import ERRORS_BY_OPERATION

CASES = [(name, code) for name, op in spec.OPERATIONS.items() for code in op.errors]


@pytest.mark.parametrize(("operation", "code"), CASES, ids=[f"{op}-{code}" for op, code in CASES])
def test_each_code_of_each_operation_raises_the_pages_exception(operation: str, code: int) -> None:
    with pytest.raises(smsc_soap.ApiError) as caught:
        answers.read_fields(operation, {"error": str(code)})
    row = spec.OPERATIONS[operation].errors[code]
    assert type(caught.value).__name__ == row.exception and caught.value.meaning == row.meaning
    assert (caught.value.code, caught.value.operation) == (code, operation)
    assert ERRORS_BY_OPERATION[operation][code] == (type(caught.value), row.meaning)


@pytest.mark.parametrize("operation", list(spec.OPERATIONS))
def test_an_unlisted_code_is_kept_and_a_non_number_is_a_protocol_error(operation: str) -> None:
    with pytest.raises(smsc_soap.UnknownApiError) as caught:
        answers.read_fields(operation, {"error": "42"})
    assert caught.value.code == 42
    with pytest.raises(smsc_soap.ProtocolError, match="not a number"):
        answers.read_fields(operation, {"error": "oops"})


SUCCESS: Dict[str, Dict[str, str]] = {
    "send_sms": {"id": "m1", "cnt": "1"}, "send_sms2": {"id": "m1", "cnt": "2", "cost": "4.00", "balance": "6.00"},
    "get_sms_cost": {"cost": "2.00", "cnt": "1"}, "get_sms_cost2": {"cost": "2.00", "cnt": "1"},
    "get_status": {"status": "1", "err": "0"}, "get_status2": {"status": "-1", "err": "0"},
    "get_balance": {"balance": "5.00", "error": "0"},
}


@pytest.mark.parametrize("operation", list(spec.OPERATIONS))
def test_a_success_becomes_the_result_type_the_table_names(operation: str) -> None:
    result = answers.read_fields(operation, SUCCESS[operation])
    assert type(result).__name__ == spec.OPERATIONS[operation].result
    assert dict(result.raw) == SUCCESS[operation]


def test_send_sms2_errors_pairs_become_phone_errors() -> None:
    result = answers.read_fields("send_sms2", {"id": "m1", "cnt": "1"}, (("79999999998", "22"),))
    assert isinstance(result, smsc_soap.SendResult)
    assert result.errors == (smsc_soap.PhoneError("79999999998", smsc_soap.DeliveryStatus.INVALID_NUMBER),)


class Element:
    """What zeep hands over: names to iterate, values to index."""

    def __init__(self, **fields: Any) -> None:
        self._fields = fields

    def __iter__(self) -> Any:
        return iter(self._fields)

    def __getitem__(self, name: str) -> Any:
        return self._fields[name]


def test_flatten_reads_an_element_and_its_errors_list() -> None:
    items: List[Dict[str, Any]] = [{"phone": "79999999998", "status": 22}, {"phone": None, "status": None}]
    raw, pairs = answers.flatten(Element(id="m1", cnt=1, cost=None, errors=items))
    assert raw == {"id": "m1", "cnt": "1"} and pairs == (("79999999998", "22"), ("", ""))


def _call(operation: str) -> calls.Call:
    fields = calls.send_fields("79999999999", "Hi", "m1", None, None, {}) if operation.startswith("send") else {}
    return calls.prepare(operation, fields, login="alex", psw="123")


def test_an_unreadable_answer_to_a_send_is_an_unknown_outcome() -> None:
    with pytest.raises(smsc_soap.SendOutcomeUnknown) as caught:
        answers.read_answer(_call("send_sms"), None)
    assert isinstance(caught.value, smsc_soap.ProtocolError) and caught.value.id == "m1"
    with pytest.raises(smsc_soap.ProtocolError) as plain:
        answers.read_answer(_call("get_balance"), Element(balance="lots"))
    assert not isinstance(plain.value, smsc_soap.SendOutcomeUnknown)


def test_read_answer_returns_the_typed_result() -> None:
    result = answers.read_answer(_call("get_balance"), Element(balance="5.00", error=None))
    assert isinstance(result, smsc_soap.BalanceResult) and result.balance == Decimal("5.00")
