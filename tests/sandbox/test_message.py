"""Text rules of smsc_soap.message: alphabet, parts (160/153, 70/67) and the comment."""
from __future__ import annotations

from typing import Callable

import pytest
from hypothesis import given, strategies as st

from smsc_soap import message as m


@pytest.mark.parametrize(
    "text, parts",
    [
        ("", 1),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("ж" * 70, 1),
        ("ж" * 71, 2),
        ("ж" * 134, 2),
        ("ж" * 135, 3),
    ],
)
def test_parts_follow_160_153_and_70_67(text: str, parts: int) -> None:
    assert m.parts(text) == parts


def test_one_cyrillic_letter_makes_the_whole_text_ucs2() -> None:
    assert m.encoding("Hello world!") == m.GSM7
    assert m.encoding("Hello мир") == m.UCS2
    assert m.parts("a" * 69 + "ж") == 1
    assert m.parts("a" * 70 + "ж") == 2


def test_gsm7_extension_characters_take_two_septets() -> None:
    assert m.units("€") == 2
    assert m.parts("€" * 80) == 1
    assert m.parts("€" * 81) == 2
    # a part never splits an escape sequence: 76 "€" fill 152 septets, the 77th moves on
    assert [m.units(s) for s in m.segments("€" * 81)] == [152, 10]


def test_characters_outside_the_bmp_take_two_ucs2_units_and_are_never_split() -> None:
    assert m.units("😀") == 2
    assert m.parts("😀" * 35) == 1
    assert m.parts("😀" * 36) == 2
    assert all(len(s.encode("utf-16-le")) <= 134 for s in m.segments("😀" * 100))
    assert "".join(m.segments("😀" * 100)) == "😀" * 100


def test_the_comment_is_neither_sent_nor_billed() -> None:
    mes = "Hello world!\n~~~\n" + "internal note " * 50
    assert m.split_comment(mes) == ("Hello world!", "internal note " * 50)
    assert m.strip_comment(mes) == "Hello world!"
    assert m.parts(mes) == 1
    # only the exact separator counts; a Cyrillic comment does not make the text UCS-2
    assert m.parts("a" * 160 + "\n~~~\nжжж") == 1
    assert m.split_comment("no comment ~~~ here") == ("no comment ~~~ here", None)


def test_truncate_cuts_to_max_parts() -> None:
    assert m.truncate("a" * 400, 2) == "a" * 306
    assert m.truncate("a" * 400, 1) == "a" * 160
    assert m.truncate("short", 1) == "short"
    with pytest.raises(ValueError):
        m.truncate("x", 0)


@given(st.text(max_size=700))
def test_segments_rebuild_the_text_within_limits(text: str) -> None:
    pieces = m.segments(text)
    assert "".join(pieces) == text
    enc = m.encoding(text)
    limit = m.SINGLE_PART_LIMIT[enc] if len(pieces) == 1 else m.MULTI_PART_LIMIT[enc]
    unit: Callable[[str], int] = (lambda s: sum(2 if ch in "\f^{}\\[~]|€" else 1 for ch in s)) if enc == m.GSM7 else (
        lambda s: len(s.encode("utf-16-le")) // 2)
    assert all(unit(p) <= limit for p in pieces)
    assert m.parts(text) == len(pieces) or m.COMMENT_SEPARATOR in text
