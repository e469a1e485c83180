"""The sandbox's own billing (smsc_soap.sandbox.billing) against the client's estimate
(smsc_soap.message): two readings of the same pages, compared directly over random texts, and
the cases where they once disagreed, decided from the page.
"""
from __future__ import annotations

import ast
import inspect
from typing import Set

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsc_soap import message, spec
from smsc_soap.sandbox import billing

SMS = spec.CHANNELS["sms"]
BINARY = spec.CHANNELS["binary"]

def _runs(chars: str, longest: int) -> st.SearchStrategy[str]:
    """Texts made of a few runs of one character each: long texts near the part limits."""
    run = st.builds(str.__mul__, st.sampled_from(chars), st.integers(0, longest))
    return st.lists(st.one_of(run, st.text(st.sampled_from(chars), max_size=5)), max_size=4).map("".join)


_gsm7 = _runs("aZ 09@£\n\r.ÄüΔ{}[]~|^€\\\f", 200)
_other = _runs("жЩёЁіЇґ€ä😀a{", 120)
_comment = st.sampled_from(["", "\n~~~\n", "\n~~~\nжж", "\n~~~"])
# texts of one alphabet, and texts whose tail alone makes them UCS-2 (or a comment that must not)
_text = st.builds(lambda a, b, c, d: a + b + c + d, _gsm7, _other, _comment, _gsm7)


def _client(mes: str, channel: spec.Channel, translit: int, maxsms: int, binary: int = 0) -> int:
    options = {}
    if channel.flag is not None:
        options[channel.flag] = str(binary) if channel is BINARY else "1"
    if translit:
        options["translit"] = str(translit)
    if maxsms:
        options["maxsms"] = str(maxsms)
    return message.billed_parts(mes, options)


@settings(max_examples=300, deadline=None)
@given(_text, st.sampled_from([0, 1, 2]), st.sampled_from([0, 1, 2, 3, 7]))
def test_a_text_is_billed_alike_by_the_two_readings(mes: str, translit: int, maxsms: int) -> None:
    assert billing.parts_billed(mes, SMS, translit=translit, maxsms=maxsms) == _client(mes, SMS, translit, maxsms)


@settings(max_examples=200, deadline=None)
@given(_text, st.sampled_from([1, 2, 3, 7]))
def test_the_sent_text_is_cut_alike_by_the_two_readings(text: str, maxsms: int) -> None:
    assert billing.sent_text(text, maxsms) == message.truncate(text, maxsms)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=700), st.sampled_from([0, 1, 2]), st.sampled_from([0, 1, 2]))
def test_any_unicode_text_is_billed_alike(mes: str, translit: int, maxsms: int) -> None:
    assert billing.parts_billed(mes, SMS, translit=translit, maxsms=maxsms) == _client(mes, SMS, translit, maxsms)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=700), st.sampled_from(sorted(spec.CHANNELS)), st.sampled_from([1, 2]))
def test_every_channel_is_billed_alike(mes: str, name: str, binary: int) -> None:
    channel = spec.CHANNELS[name]
    assert billing.parts_billed(mes, channel, binary=binary) == _client(mes, channel, 0, 0, binary)


@pytest.mark.parametrize("text, parts", [
    ("a" * 160, 1), ("a" * 161, 2), ("a" * 306, 2), ("a" * 307, 3),  # 004:29-31: 160, then 153
    ("ж" * 70, 1), ("ж" * 71, 2), ("ж" * 134, 2), ("ж" * 135, 3),  # 004:29-31: 70, then 67
    ("€" * 80, 1), ("€" * 81, 2),  # extension characters: two septets each
    ("a" * 152 + "€" * 77, 3),  # 306 septets, but a "€" is never split from its escape
    ("😀" * 35, 1), ("😀" * 36, 2),  # two UCS-2 units each
    ("Hello\n~~~\n" + "ж" * 500, 1),  # 003:9: the comment is neither sent nor billed
])
def test_parts_follow_the_page(text: str, parts: int) -> None:
    assert billing.parts_billed(text, SMS) == parts


def test_translit_changes_the_alphabet() -> None:
    """000:83-86: a transliterated Cyrillic text is billed in GSM-7."""
    assert billing.parts_billed("Ж" * 71, SMS) == 2
    assert billing.parts_billed("Ж" * 71, SMS, translit=1) == 1  # "zh" * 71 = 142 septets
    assert billing.parts_billed("ж" * 71, SMS, translit=2) == 2  # ">|<": "|" is two septets


def test_case_never_changes_what_a_translit_form_costs() -> None:
    """billing writes a capital letter as its small letter's form; that is exact for billing
    because no form's capital version has other septets (or leaves GSM-7)."""
    septets = {**dict.fromkeys(spec.GSM7_BASIC_CHARACTERS, 1), **dict.fromkeys(spec.GSM7_EXTENSION_CHARACTERS, 2)}
    for table in spec.TRANSLIT_TABLES.values():
        for form in table.values():
            capital = form[:1].upper() + form[1:]
            assert [septets.get(c) for c in capital] == [septets.get(c) for c in form]


def test_binary_is_billed_by_octets() -> None:
    """004:85-87: bin=1 a character per octet, bin=2 two hex digits per octet; pid/dcs after the
    separator are not data."""
    assert billing.parts_billed("00" + "AB" * 139, BINARY, binary=2) == 1  # 140 octets
    assert billing.parts_billed("00" + "AB" * 140, BINARY, binary=2) == 2
    assert billing.parts_billed("\x00" + "x" * 268 + "\n~~~\npid: 0, dcs: 4", BINARY, binary=1) == 3
    assert billing.parts_billed("00" + "AB" * 800, BINARY, binary=2, maxsms=1) == 6  # maxsms: texts only


def test_other_channels_cost_one_unit_per_recipient() -> None:
    for channel in spec.CHANNELS.values():
        if channel.billing == spec.BILL_ONE:
            assert billing.parts_billed("x" * 900, channel) == 1


def test_maxsms_caps_the_parts_and_cuts_the_sent_text() -> None:
    """004:202 maxsms: "the largest number of SMS a long message may be split into"."""
    assert billing.parts_billed("a" * 400, SMS, maxsms=2) == 2
    assert billing.sent_text("a" * 400, 2) == "a" * 306
    assert billing.sent_text("a" * 400, 1) == "a" * 160  # one part has no joining header
    assert billing.sent_text("short", 1) == "short"
    assert billing.sent_text("ж" * 100, 1, translit=1) == "ж" * 80  # "zh" * 80 = 160 septets


def test_maxsms_keeps_the_alphabet_of_the_whole_text() -> None:
    """004:202 maxsms caps the SMS "на які може розбитися довге повідомлення": the text is split
    in its own alphabet (a UCS-2 text here, for its last letter) and two of those parts are sent
    and billed; the cut text is not billed again as if it had been GSM-7 from the start. The two
    readings once disagreed here (the estimate said 1); spec.MAXSMS_KEEPS_ALPHABET names it."""
    mes = "a" * 200 + "ж"
    assert billing.parts_billed(mes, SMS, maxsms=2) == 2
    assert message.parts(mes, maxsms=2) == 2
    assert billing.sent_text(mes, 2) == message.truncate(mes, 2) == "a" * 134  # two parts of 67


def test_the_billing_module_does_not_read_the_clients_estimate() -> None:
    """The sandbox is an independent oracle: its billing reads spec's facts, never
    smsc_soap.message's logic (else the estimate's property tests would compare a function with
    itself)."""
    tree = ast.parse(inspect.getsource(billing))
    imported: Set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            imported.add(module)
            imported.update(f"{module}.{alias.name}" if node.module else module + alias.name for alias in node.names)
    assert not any("message" in name for name in imported), imported
    assert imported <= {"__future__", "__future__.annotations", "typing", "..", "..spec"} | {
        f"typing.{name}" for name in ("Dict", "List", "Mapping", "Optional", "Tuple")}, imported
