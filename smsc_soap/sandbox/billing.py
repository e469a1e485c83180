"""The sandbox's own billing: how many parts one recipient of a message is billed for.

A second reading of the pages, kept apart from :mod:`smsc_soap.message` (the client's offline
estimate) on purpose: the sandbox is the oracle the estimate is tested against, so it reads
only the FACTS of :mod:`smsc_soap.spec` (limits, alphabets, translit tables, channel billing)
and works them out its own way. Where the two readings disagree, a test shows it.

The rules, from the pages: 004:27-31 (``mes``) one SMS holds 160 GSM-7 septets or 70 UCS-2
units, a longer text goes in parts of 153 or 67; 003:9 the text after ``"\\n~~~\\n"`` is a
comment, not billed; 000:83-86 ``translit`` rewrites the text first, so it may change the
alphabet; 004:85-89 ``bin`` is billed by octets (``bin=2``: two hex digits each); 004:202
``maxsms`` caps the parts of a long text; every other channel is one unit per recipient.
"""
from __future__ import annotations

from typing import Dict, List, Mapping, Optional, Tuple

from .. import spec

__all__ = ["split_comment", "parts_billed", "sent_text"]

#: Septets per GSM-7 character; a character missing here makes the whole text UCS-2.
_SEPTETS: Mapping[str, int] = {
    **dict.fromkeys(spec.GSM7_BASIC_CHARACTERS, 1),
    **dict.fromkeys(spec.GSM7_EXTENSION_CHARACTERS, 2),
}


def _both_cases(table: Mapping[str, str]) -> Dict[str, str]:
    """A translit table that also rewrites capital letters. The sandbox writes a capital letter
    as its small letter's form: the case of a Latin form never changes its alphabet or its septets
    (tests/sandbox/test_billing.py checks it over spec's tables), and billing is all that matters."""
    out = dict(table)
    out.update({small.upper(): form for small, form in table.items()})
    return out


_TRANSLIT: Mapping[int, Mapping[str, str]] = {
    mode: _both_cases(table) for mode, table in spec.TRANSLIT_TABLES.items()
}


def split_comment(mes: str) -> Tuple[str, Optional[str]]:
    """``(text, comment)``: what the subscriber gets, and the sender's note after the first
    ``"\\n~~~\\n"`` (None when there is none)."""
    at = mes.find(spec.COMMENT_SEPARATOR)
    if at == -1:
        return mes, None
    return mes[:at], mes[at + len(spec.COMMENT_SEPARATOR):]


def _utf16_units(char: str) -> int:
    return len(char.encode("utf-16-le", "surrogatepass")) // 2


def _weights(text: str, translit: int) -> Tuple[str, List[List[int]]]:
    """The alphabet ``text`` goes out in, and for each of its characters the units of what is
    written for it (one entry, or several when translit writes the letter as several)."""
    rewrite = _TRANSLIT.get(translit, {})
    septets: List[List[int]] = []
    units: List[List[int]] = []
    all_gsm7 = True
    for char in text:
        written = rewrite.get(char, char)
        char_septets = [_SEPTETS.get(w, 0) for w in written]
        all_gsm7 = all_gsm7 and 0 not in char_septets
        septets.append(char_septets)
        units.append([_utf16_units(w) for w in written])
    return (spec.GSM7, septets) if all_gsm7 else (spec.UCS2, units)


def _layout(alphabet: str, weights: List[List[int]], cap: Optional[int]) -> Tuple[int, int]:
    """``(parts, kept)``: the parts the text takes, at most ``cap``, and how many of its
    characters fit in them (all of them unless the cap cut the text)."""
    single = spec.SINGLE_PART_LIMIT[alphabet]
    if sum(map(sum, weights)) <= single:
        return 1, len(weights)
    if cap == 1:  # one part and no joining header: the single part's room
        room = single
        for kept, sizes in enumerate(weights):
            if sum(sizes) > room:
                return 1, kept
            room -= sum(sizes)
    multi = spec.MULTI_PART_LIMIT[alphabet]
    parts, room = 1, multi
    for kept, sizes in enumerate(weights):
        for size in sizes:
            if size > room:
                if parts == cap:
                    return parts, kept
                parts += 1
                room = multi if spec.PART_KEEPS_CHARACTERS_WHOLE else multi + room
            room -= size
    return parts, len(weights)


def parts_billed(mes: str, channel: spec.Channel, *, translit: int = 0, maxsms: int = 0,
                 binary: int = 0) -> int:
    """Parts billed per recipient for ``mes`` sent through ``channel`` (``binary`` is the ``bin``
    value, ``maxsms`` 0 when not given)."""
    if channel.billing == spec.BILL_ONE:
        return 1
    body, _ = split_comment(mes)
    if channel.billing == spec.BILL_BYTES:
        octets = len(body) // 2 if binary == 2 else len(body)  # 004:87 bin=2 is hex
        count = 1 if octets <= spec.BINARY_SINGLE_PART_BYTES else -(-octets // spec.BINARY_MULTI_PART_BYTES)
        return min(count, maxsms) if maxsms and spec.MAXSMS_CUTS_BINARY else count
    alphabet, weights = _weights(body, translit)
    if maxsms and not spec.MAXSMS_KEEPS_ALPHABET:
        kept = _layout(alphabet, weights, maxsms)[1]
        alphabet, weights = _weights(body[:kept], translit)
    return _layout(alphabet, weights, maxsms or None)[0]


def sent_text(text: str, maxsms: int, *, translit: int = 0) -> str:
    """``text`` (no comment) as far as it fits in ``maxsms`` parts: what the subscriber gets of
    it, written as the sender wrote it (whole characters; translit decides only the room)."""
    alphabet, weights = _weights(text, translit)
    return text[:_layout(alphabet, weights, maxsms or None)[1]]
