"""An answer's result fields to a typed result, or to the typed error of its code.

A shell hands over the result element (anything with names to iterate and index, as zeep's
objects are), or the fields already flat; the result type and the error table come from
:data:`smsc_soap.spec.OPERATIONS`.
"""
from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

from .. import results, spec
from ..errors import ProtocolError, api_error
from ..results import BalanceResult, CostResult, SendResult, StatusResult
from .calls import Call

Raw = Dict[str, str]
PhoneErrors = Tuple[Tuple[str, str], ...]
Result = Union[SendResult, CostResult, StatusResult, BalanceResult]


def result_type(operation: str) -> type:
    """The result class the page's table names for ``operation``."""
    cls = getattr(results, spec.OPERATIONS[operation].result)
    assert isinstance(cls, type)
    return cls


def flatten(element: Any) -> Tuple[Raw, PhoneErrors]:
    """The result element as ``{field: text}`` plus send_sms2's ``errors`` as (phone, status) pairs."""
    if element is None:
        raise ProtocolError("the answer carries no result element")
    raw: Raw = {}
    phone_errors: List[Tuple[str, str]] = []
    for name in element:
        value = element[name]
        if name == "errors":
            phone_errors.extend((str(item["phone"] or ""), str(item["status"] or "")) for item in value or ())
        elif value is not None:
            raw[name] = str(value)
    return raw, tuple(phone_errors)


def read_fields(operation: str, raw: Mapping[str, str], phone_errors: PhoneErrors = ()) -> Result:
    """The typed result, or raise: the ApiError of a non-zero ``error``, or a ProtocolError for
    fields that cannot be read (as is)."""
    try:
        code = results.answer_code(raw.get("error", "").strip() or "0", "error")
    except ValueError as exc:
        raise ProtocolError(f"{operation}: the answer's {exc}") from None
    if code:
        raise api_error(operation, code)
    cls: Any = result_type(operation)
    try:
        result: Result = cls.from_raw(raw, phone_errors) if phone_errors else cls.from_raw(raw)
    except (ValueError, ArithmeticError) as exc:  # ranges: smsc_soap.spec, section "answers"
        raise ProtocolError(f"{operation}: unexpected answer: {exc}") from None
    return result


def read_answer(call: Call, element: Any, flat: Optional[Tuple[Raw, PhoneErrors]] = None) -> Result:
    """:func:`read_fields` of the result element of ``call``'s answer (or of its fields, ``flat``,
    when the shell read them already). An answer that cannot be read says nothing sure about a
    send: for a send, a ProtocolError becomes SendOutcomeUnknown."""
    try:
        return read_fields(call.operation, *(flatten(element) if flat is None else flat))
    except ProtocolError as error:
        if call.is_send:
            raise call.outcome_unknown(error) from error
        raise
