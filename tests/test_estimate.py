"""Issue 15, point 4: parts and cost before sending match the sandbox's billing exactly.

The sandbox is driven in-process through its service layer (as tests/test_spec_agreement.py
does), with random texts: GSM-7 with extension-table characters, UCS-2 (emoji included),
comments, translit on and off, maxsms, binary hex, and the other channels.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Dict, List, Optional, Union

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsc_soap import message
from smsc_soap.channels import Binary, Hlr, Message, Viber, VoiceCall, wire_form
from smsc_soap.query import build_query
from smsc_soap.sandbox import assumptions as A
from smsc_soap.sandbox.clock import Clock
from smsc_soap.sandbox.service import Account, Service

PROPERTY = settings(max_examples=300, deadline=None)
PHONES = ["79161234567", "77011234567", "380501234567", "4915112345678"]


def _sandbox_cost(phones: List[str], mes: Union[str, Message], **extended: Any) -> Dict[str, Any]:
    text, own = wire_form(mes)
    service = Service([Account("alex", "123", Decimal("1000000"))], clock=Clock(1772442000.0))
    return service.call("get_sms_cost2", {"login": "alex", "psw": "123", "phones": ",".join(phones), "mes": text,
                                          "query": build_query(**{**own, **extended})})


_gsm = st.text(st.sampled_from("abcXYZ 0123@£$\n.,!?ÄÖü_"), max_size=400)
_extension = st.text(st.sampled_from("ab{}[]~|^€\\"), max_size=200)
_ucs2 = st.text(st.sampled_from("абвгдеёжзийклмнопрстуфхцчшщъыьэюяЖЩ 12€ä😀"), min_size=1, max_size=300)
_text = st.one_of(_gsm, _extension, _ucs2, st.builds(str.__add__, _gsm, _ucs2)).filter(lambda t: t.strip() != "")
_comment = st.one_of(st.none(), st.text(max_size=40).filter(lambda c: "\x00" not in c))


@PROPERTY
@given(_text, _comment, st.sampled_from([0, 1, 2]), st.sampled_from([None, 1, 2, 3]),
       st.lists(st.sampled_from(PHONES), min_size=1, max_size=4, unique=True))
def test_a_text_costs_what_the_sandbox_bills(text: str, comment: Optional[str], translit: int, maxsms: Optional[int],
                                             phones: List[str]) -> None:
    mes = text if comment is None else text + "\n~~~\n" + comment
    if len(mes) > 1000 or "\r" in mes:
        return
    answer = _sandbox_cost(phones, mes, translit=translit or None, maxsms=maxsms)
    options = {"translit": str(translit)} if translit else {}
    if maxsms:
        options["maxsms"] = str(maxsms)
    each = message.billed_parts(mes, options)
    expected = message.Estimate(each * len(phones), sum((A.price_per_part(p) * each for p in phones), Decimal(0)))
    assert (int(answer["cnt"]), Decimal(answer["cost"])) == expected
    assert message.estimate([(phones, mes)], A.PRICE_PER_PART, translit=translit, maxsms=maxsms) == expected


@PROPERTY
@given(st.binary(max_size=420), st.binary(max_size=12), st.one_of(st.none(), st.integers(0, 255)),
       st.lists(st.sampled_from(PHONES), min_size=1, max_size=3, unique=True))
def test_a_binary_message_costs_what_the_sandbox_bills_by_octets(data: bytes, udh: bytes, pid: Optional[int],
                                                                 phones: List[str]) -> None:
    binary = Binary(data, udh=udh, pid=pid, dcs=None if pid is None else 4)
    if len(binary.mes()) > 1000:
        return
    answer = _sandbox_cost(phones, binary)
    estimate = message.estimate([(phones, binary)], A.PRICE_PER_PART)
    assert (int(answer["cnt"]), Decimal(answer["cost"])) == estimate
    octets = 1 + len(udh) + len(data)
    assert estimate.cnt == len(phones) * (1 if octets <= 140 else -(-octets // 134))


@pytest.mark.parametrize("channel", [Viber("x" * 900), Hlr(), VoiceCall("Hello", voice="w")])
def test_other_channels_cost_what_the_sandbox_bills(channel: Message) -> None:
    answer = _sandbox_cost(PHONES, channel)
    assert (int(answer["cnt"]), Decimal(answer["cost"])) == message.estimate([(PHONES, channel)], A.PRICE_PER_PART)


def test_parts_keeps_its_old_signature_and_counts_the_extension_table_twice() -> None:
    assert message.parts("Hello\n~~~\na comment that is not billed" + "x" * 200) == 1
    assert message.parts("€" * 80) == 1 and message.parts("€" * 81) == 2  # 160 / 162 septets
    assert message.parts("ж" * 70) == 1 and message.parts("ж" * 71) == 2
    assert message.parts("ж" * 71, translit=1) == 1  # "zh" * 71 = 142 GSM-7 characters
    assert message.parts("ж" * 71, translit=2) == 2  # ">|<" * 71: '|' is an extension char


def test_estimate_needs_a_price_for_each_number() -> None:
    with pytest.raises(ValueError, match="no price"):
        message.estimate([(["79161234567"], "hi")], {"380": Decimal("1")})


def test_parts_of_a_text_through_a_named_channel() -> None:
    assert message.parts("x" * 900, "viber") == 1
    assert message.parts("00" + "AB" * 140, "binary") == 2  # bin=2: 141 octets
    assert message.parts("x" * 161, "sms") == 2
    with pytest.raises(ValueError, match="not both"):
        message.parts(Viber("x"), "viber")


def test_maxsms_bills_the_parts_of_the_whole_texts_alphabet() -> None:
    """004:202 maxsms: the text is split in its own alphabet, at most maxsms parts are sent. Found
    by comparing the two readings: the estimate used to bill the cut text as GSM-7 (1 part)."""
    mes = "a" * 200 + "ж"  # UCS-2 for its last letter: 201 units, 4 parts of 67
    answer = _sandbox_cost(PHONES[:1], mes, maxsms=2)
    assert int(answer["cnt"]) == 2 == message.estimate([(PHONES[:1], mes)], A.PRICE_PER_PART, maxsms=2).cnt
