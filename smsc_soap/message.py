"""Text rules of an SMS: the sender's comment, the alphabet, and how many billed parts a text takes.

Pure functions of the client (to show a cost before sending). The sandbox bills with its own
reading of the same pages (:mod:`smsc_soap.sandbox.billing`), and tests compare the two.

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

from decimal import Decimal
from typing import Any, Dict, Iterable, List, Mapping, NamedTuple, Optional, Protocol, Sequence, Tuple, Union

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
    "transliterate",
    "binary_octets",
    "billed_parts",
    "Estimate",
    "estimate",
    "TextInfo",
    "describe",
]

#: The facts (the comment's separator, the two alphabets, the part limits) are those of
#: :mod:`smsc_soap.spec`; these names are kept for old imports.
COMMENT_SEPARATOR = spec.COMMENT_SEPARATOR
GSM7 = spec.GSM7
UCS2 = spec.UCS2
SINGLE_PART_LIMIT = spec.SINGLE_PART_LIMIT
MULTI_PART_LIMIT = spec.MULTI_PART_LIMIT

# GSM 03.38's two tables (facts of spec's ``text`` section); the old private names stay.
_GSM7_BASIC = spec.GSM7_BASIC_CHARACTERS
_GSM7_EXTENSION = spec.GSM7_EXTENSION_CHARACTERS


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


class ChannelMessage(Protocol):
    """What :func:`parts` needs of a channel's message (:class:`smsc_soap.channels.Message`):
    its text and the extended parameters that select its channel. Named here, below the
    channels, so that this module need not import them."""

    def mes(self) -> str: ...

    def extended(self) -> Dict[str, Any]: ...


def parts(mes: Union[str, ChannelMessage], channel: Union[str, spec.Channel, None] = None, *, translit: int = 0,
          maxsms: Optional[int] = None) -> int:
    """How many parts (each billed) a message takes per recipient, as the sandbox bills it.

    ``parts("text")`` is a plain SMS with its comment stripped (the old signature);
    ``parts(Email(...))`` bills a channel's message (see :mod:`smsc_soap.channels`), and
    ``parts("text", "viber")`` a text sent through the channel of that name in
    :data:`smsc_soap.spec.CHANNELS`: binary by octets, the others by the table's rule.
    ``translit`` is the HTTP page's parameter: a transliterated text is billed in the alphabet
    it ends up in; ``maxsms`` cuts a long text to that many parts, as the service does.
    """
    text, extended = (mes, {}) if isinstance(mes, str) else (mes.mes(), mes.extended())
    if channel is not None:
        facts = spec.CHANNELS[channel] if isinstance(channel, str) else channel
        if extended or not isinstance(mes, str):
            raise ValueError("give a channel's message, or a text and a channel name, not both")
        if facts.flag is not None:
            extended = {facts.flag: facts.flag_values[-1] if facts.flag_values else "@name_bot"}
    options = {name: str(int(value)) if isinstance(value, (bool, int)) else str(value)
               for name, value in extended.items()}
    if translit:
        options["translit"] = str(translit)
    if maxsms:
        options["maxsms"] = str(maxsms)
    return billed_parts(text, options)


def transliterate(text: str, mode: int) -> str:
    """``text`` as ``translit=mode`` sends it (0: unchanged; 1 and 2: the HTTP page's two forms,
    tables of :data:`smsc_soap.spec.TRANSLIT_TABLES`)."""
    table = spec.TRANSLIT_TABLES.get(mode)
    if table is None:
        return text
    out = []
    for ch in text:
        low = ch.lower()
        written = table.get(low)
        if written is None:
            out.append(ch)
        else:
            out.append(written if ch == low else written[:1].upper() + written[1:])
    return "".join(out)


def binary_octets(text: str, mode: int) -> int:
    """The octets of a binary ``mes`` (its ``\\n~~~\\n`` pid/dcs stripped): hex digits by two for
    ``bin=2``, one per character for ``bin=1``."""
    body = strip_comment(text)
    return len(body) // 2 if mode == 2 else len(body)


def _channel_of(options: Mapping[str, str]) -> spec.Channel:
    for channel in spec.CHANNELS.values():
        if channel.flag is not None and options.get(channel.flag, "").strip() not in ("", "0"):
            return channel
    return spec.CHANNELS["sms"]


def billed_parts(mes: str, options: Mapping[str, str]) -> int:
    """Parts billed per recipient for ``mes`` sent with the extended parameters ``options`` (the
    strings of ``query``): the client's estimate, tested against the sandbox's own billing."""
    channel = _channel_of(options)
    if channel.billing == spec.BILL_ONE:
        return 1
    if channel.billing == spec.BILL_BYTES:
        octets = binary_octets(mes, int(options.get("bin", "1")))
        if octets <= spec.BINARY_SINGLE_PART_BYTES:
            return 1
        return -(-octets // spec.BINARY_MULTI_PART_BYTES)
    text = transliterate(strip_comment(mes), int(options.get("translit", "0") or 0))
    maxsms = int(options.get("maxsms", "0") or 0)
    if maxsms and spec.MAXSMS_KEEPS_ALPHABET:  # the parts of the whole text, at most maxsms
        return min(len(segments(text)), maxsms)
    if maxsms:
        text = truncate(text, maxsms)
    return len(segments(text))


class TextInfo(NamedTuple):
    """How a plain text is sent: its alphabet, parts, length in that alphabet's units, and how
    many units are left in its last part before it takes one more."""

    encoding: str
    parts: int
    units: int
    left: int


def describe(mes: str, *, translit: int = 0) -> TextInfo:
    """:class:`TextInfo` of ``mes`` (its comment stripped, ``translit`` applied)."""
    text = transliterate(strip_comment(mes), translit)
    enc = encoding(text)
    pieces = segments(text)
    limit = SINGLE_PART_LIMIT[enc] if len(pieces) == 1 else MULTI_PART_LIMIT[enc]
    return TextInfo(enc, len(pieces), units(text), limit - units(pieces[-1]))


class Estimate(NamedTuple):
    """What a send would cost: ``cnt`` billed parts in all, and their ``cost``."""

    cnt: int
    cost: Decimal


Prices = Mapping[str, Decimal]


def _price(prices: Prices, phone: str) -> Decimal:
    best = max((prefix for prefix in prices if phone.startswith(prefix)), key=len, default=None)
    if best is None:
        raise ValueError(f"no price for {phone!r}: give a price for its prefix, or one for '' (any number)")
    return prices[best]


def estimate(messages: Iterable[Tuple[Sequence[str], Union[str, ChannelMessage]]], prices: Prices, *,
             translit: int = 0, maxsms: Optional[int] = None) -> Estimate:
    """The cost of sending each ``(recipients, message)``, offline, as the sandbox bills it.

    ``prices`` maps a number prefix to the price of one part (the longest prefix wins; ``""``
    is any number), like the sandbox's ``PRICE_PER_PART``; recipients are normalised numbers
    (digits, no ``+``), each billed once per message.
    """
    cnt, cost = 0, Decimal("0")
    for recipients, message in messages:
        each = parts(message, translit=translit, maxsms=maxsms)
        for phone in dict.fromkeys(recipients):
            cnt += each
            cost += _price(prices, phone) * each
    return Estimate(cnt, cost)


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
