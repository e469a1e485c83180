"""Text rules of an SMS: the sender's comment, the alphabet, and how many billed parts a text takes.

Pure functions, shared by the client (to show a cost before sending) and the sandbox (to bill).

From the SOAP page (seed ``004_…``, parameter ``mes``): one SMS holds 160 Latin or 70 Cyrillic
characters; a longer text is split into parts of 153 Latin or 67 Cyrillic characters, each billed.
From the SMPP page (seed ``003_…``): a comment may follow the text after ``"\\n~~~\\n"``; it is
neither sent to the subscriber nor billed.

"Latin" and "Cyrillic" are read as the two SMS alphabets: GSM 03.38 7-bit (GSM-7) and UCS-2.
A text whose every character is in GSM-7 (basic table, or extension table at two septets each)
is GSM-7; any other character makes the whole text UCS-2, counted in UTF-16 code units (a
character outside the BMP, such as an emoji, takes two).
"""
from __future__ import annotations

from typing import List, Optional, Tuple

from . import spec

__all__ = [
    "COMMENT_SEPARATOR",
    "GSM7",
    "UCS2",
    "SINGLE_PART_LIMIT",
    "MULTI_PART_LIMIT",
    "split_comment",
    "strip_comment",
    "is_gsm7",
    "encoding",
    "units",
    "segments",
    "parts",
    "truncate",
]

#: The facts (the comment's separator, the two alphabets, the part limits) are those of
#: :mod:`smsc_soap.spec`; these names are kept for old imports.
COMMENT_SEPARATOR = spec.COMMENT_SEPARATOR
GSM7 = spec.GSM7
UCS2 = spec.UCS2
SINGLE_PART_LIMIT = spec.SINGLE_PART_LIMIT
MULTI_PART_LIMIT = spec.MULTI_PART_LIMIT

# GSM 03.38 default alphabet (one septet each). 0x1B (the escape itself) is left out: it is not
# a character a text can contain.
_GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# GSM 03.38 extension table: escape + one septet, so two septets each.
_GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")


def split_comment(mes: str) -> Tuple[str, Optional[str]]:
    """``(text, comment)``: the part sent to the subscriber, and the comment (``None`` if none)."""
    text, sep, comment = mes.partition(COMMENT_SEPARATOR)
    return (text, comment) if sep else (mes, None)


def strip_comment(mes: str) -> str:
    """The text the subscriber receives: ``mes`` without its ``\\n~~~\\n`` comment."""
    return split_comment(mes)[0]


def is_gsm7(text: str) -> bool:
    """True when every character of ``text`` is in the GSM-7 basic or extension table."""
    return all(ch in _GSM7_BASIC or ch in _GSM7_EXTENSION for ch in text)


def encoding(text: str) -> str:
    """``GSM7`` or ``UCS2``: the alphabet ``text`` must be sent in."""
    return GSM7 if is_gsm7(text) else UCS2


def _char_units(ch: str, enc: str) -> int:
    if enc == GSM7:
        return 2 if ch in _GSM7_EXTENSION else 1
    return 2 if ord(ch) > 0xFFFF else 1


def units(text: str) -> int:
    """Length of ``text`` in its alphabet: septets for GSM-7, UTF-16 code units for UCS-2."""
    enc = encoding(text)
    return sum(_char_units(ch, enc) for ch in text)


def segments(text: str) -> List[str]:
    """``text`` cut into the parts it is sent as (no comment stripping; see :func:`parts`).

    A part never splits an extension character from its escape, nor a surrogate pair, so a part
    may hold one unit less than the limit. An empty text is one empty part.
    """
    enc = encoding(text)
    if units(text) <= SINGLE_PART_LIMIT[enc]:
        return [text]
    limit = MULTI_PART_LIMIT[enc]
    out: List[str] = []
    current: List[str] = []
    used = 0
    for ch in text:
        size = _char_units(ch, enc)
        if used + size > limit:
            out.append("".join(current))
            current, used = [], 0
        current.append(ch)
        used += size
    if current:
        out.append("".join(current))
    return out


def parts(mes: str) -> int:
    """How many SMS parts (each billed) ``mes`` takes once its comment is stripped."""
    return len(segments(strip_comment(mes)))


def truncate(text: str, max_parts: int) -> str:
    """``text`` cut so that it takes at most ``max_parts`` parts (the ``maxsms`` parameter)."""
    if max_parts < 1:
        raise ValueError("max_parts must be at least 1")
    pieces = segments(text)
    if len(pieces) <= max_parts:
        return text
    if max_parts == 1:
        enc = encoding(text)
        out: List[str] = []
        used = 0
        for ch in text:
            size = _char_units(ch, enc)
            if used + size > SINGLE_PART_LIMIT[enc]:
                break
            out.append(ch)
            used += size
        return "".join(out)
    return "".join(pieces[:max_parts])
