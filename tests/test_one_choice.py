"""Where the page is silent, client and sandbox make ONE choice, named once in spec (issue 12,
closing paragraph): each choice, at its edges, followed by both.

The client is its validation (smsc_soap.params, smsc_soap.query); the sandbox its own service
logic, in-process, a fresh service per request so that no duplicate guard carries over.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Callable, Dict, Optional

import pytest

from smsc_soap import params, query, spec
from smsc_soap.errors import ValidationError
from smsc_soap.sandbox.clock import Clock
from smsc_soap.sandbox.service import Account, Service

START = 1772442000.0  # 2026-03-02 09:00 UTC
BASE = {"login": "alex", "psw": "123", "phones": "79161234567", "mes": "Hello"}


def sandbox_accepts(**fields: Optional[str]) -> bool:
    service = Service([Account("alex", "123", Decimal("1000000"))], clock=Clock(START))
    request = {name: value for name, value in {**BASE, **fields}.items() if value is not None}
    return "error" not in service.call("send_sms2", request)


def client_accepts(check: Callable[..., Any], *args: Any, **kwargs: Any) -> bool:
    try:
        check(*args, **kwargs)
    except ValidationError:
        return False
    return True


# 004:17 "в міжнародному форматі": spec.PHONE_DIGITS, 7..15 digits. +683 (Niue) has no numbering
# plan of its own in the sandbox, so only the general bounds apply.
@pytest.mark.parametrize("phone, ok", [
    ("+683" + "1" * 3, False), ("+683" + "1" * 4, True),        # 6 and 7 digits
    ("+683" + "1" * 12, True), ("+683" + "1" * 13, False),      # 15 and 16 digits
])
def test_phone_length(phone: str, ok: bool) -> None:
    assert spec.PHONE_DIGITS == (7, 15)
    assert client_accepts(params.phones_field, phone) is ok
    assert sandbox_accepts(phones=phone) is ok


# 004:66-67 tz relative to Moscow, sign either way: spec.TZ_RANGE, -15..11 (UTC-12..UTC+14).
@pytest.mark.parametrize("tz, ok", [(-16, False), (-15, True), (11, True), (12, False)])
def test_tz_range(tz: int, ok: bool) -> None:
    assert spec.TZ_RANGE == (-15, 11)
    assert client_accepts(query.build_query, tz=tz) is ok
    assert sandbox_accepts(query=f"tz={tz}") is ok
    line = f"SHOP,{tz}|79161234567:hi"  # a list line's tz too (004:183)
    assert client_accepts(query.build_query, list=line) is ok
    assert sandbox_accepts(phones=None, mes=None, query="list=" + line.replace("|", "%7C").replace(",", "%2C")) is ok


# 004:27 "Максимальний розмір – 1000 символів", 004:31 comments inside the text:
# spec.MES_LIMIT_COUNTS_COMMENT, the comment counts.
@pytest.mark.parametrize("extra, ok", [(0, True), (1, False)])
def test_a_comment_counts_toward_1000_characters(extra: int, ok: bool) -> None:
    assert spec.MES_LIMIT_COUNTS_COMMENT
    comment = spec.COMMENT_SEPARATOR + "note for the history"
    mes = "a" * (spec.MES_MAX_CHARS - len(comment) + extra) + comment
    assert client_accepts(params.mes_field, mes) is ok
    assert sandbox_accepts(mes=mes) is ok


# 004:45 "DD.MM.YY hh: mm" (the page's own space): spec.TIME_DOTTED, both spellings, two digits.
@pytest.mark.parametrize("time, ok", [
    ("02.03.26 15:00", True), ("02.03.26 15: 00", True), ("02.03.26 5:00", False), ("02.03.26 15:  00", False),
])
def test_the_pages_dotted_time_spelling(time: str, ok: bool) -> None:
    assert client_accepts(params.time_field, time) is ok
    assert sandbox_accepts(time=time) is ok
