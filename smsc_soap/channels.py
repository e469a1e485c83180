"""Typed messages for every channel of the pages (e-mail, voice call, Viber, Telegram, HLR, ...),
and the checks that refuse what the pages forbid before anything is sent.

Each helper is a small frozen value that any ``*2`` method takes in place of the text::

    client.send_sms2("ivan@example.com", Email("Hello", subject="News", sender="shop@example.com"))
    client.get_sms_cost2("79991234567", Hlr())

The rules are not here but in :data:`smsc_soap.spec.CHANNELS` (one description per channel,
citing the page); :func:`check` applies them to the final combination of text, sender and
extended parameters, so ``send_sms2(phones, "hi", mail=1)`` is refused the same way as an
``Email`` without a subject. The sandbox reads the same table, so it refuses and bills alike.
"""
from __future__ import annotations

import binascii
from dataclasses import dataclass
from typing import Any, ClassVar, Dict, Mapping, NamedTuple, Optional, Tuple, Union

from . import spec
from .errors import ValidationError
from .message import split_comment, strip_comment

__all__ = [
    "Message", "Email", "VoiceCall", "Viber", "Social", "WhatsApp", "TelegramCode", "Bot", "Hlr",
    "Ping", "Push", "Mms", "Binary", "HELPERS", "Prepared", "channel_of", "check", "prepare",
    "wire_form",
]


def _fail(rule: str, field: str) -> ValidationError:
    return ValidationError(rule, field=field)


@dataclass(frozen=True)
class Message:
    """A message for one channel: its ``mes`` text and the extended parameters that select it."""

    channel: ClassVar[str] = "sms"

    def mes(self) -> str:
        """The ``mes`` field this message is sent with."""
        raise NotImplementedError

    def extended(self) -> Dict[str, Any]:
        """The extended parameters: the channel's flag and its own parameters."""
        facts = spec.CHANNELS[self.channel]
        return {facts.flag: 1} if facts.flag is not None else {}

    def sender_field(self) -> Optional[str]:
        """The ``sender`` this message needs (an e-mail's address), or None."""
        return None


@dataclass(frozen=True)
class _Text(Message):
    text: str

    def mes(self) -> str:
        return self.text


@dataclass(frozen=True)
class Email(Message):
    """An e-mail (``mail=1``): recipients are addresses; ``subject`` and ``sender`` (an e-mail
    address) are required (004 subj)."""

    channel: ClassVar[str] = "email"
    text: str
    subject: str
    sender: str

    def mes(self) -> str:
        return self.text

    def extended(self) -> Dict[str, Any]:
        return {"mail": 1, "subj": self.subject}

    def sender_field(self) -> Optional[str]:
        return self.sender


@dataclass(frozen=True)
class VoiceCall(Message):
    """A voice call (``call=1``) reading ``text`` with ``voice`` (m, m2, ..., w4, optionally
    ``",en"``) and ``param`` ``(wait, interval, attempts)`` (004 voice, param)."""

    channel: ClassVar[str] = "call"
    text: str
    voice: Optional[str] = None
    param: Union[str, Tuple[int, int, int], None] = None

    def mes(self) -> str:
        return self.text

    def extended(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {"call": 1}
        if self.voice is not None:
            out["voice"] = self.voice
        if self.param is not None:
            out["param"] = self.param
        return out


@dataclass(frozen=True)
class Viber(_Text):
    """A Viber message (``viber=1``)."""

    channel: ClassVar[str] = "viber"


@dataclass(frozen=True)
class Social(_Text):
    """A message to Odnoklassniki, VKontakte or Mail.Ru Agent users (``soc=1``)."""

    channel: ClassVar[str] = "soc"


@dataclass(frozen=True)
class WhatsApp(_Text):
    """A WhatsApp message (``whatsapp=1``)."""

    channel: ClassVar[str] = "whatsapp"


@dataclass(frozen=True)
class TelegramCode(Message):
    """A Telegram confirmation code (``tg=1``): 4 to 8 digits (003)."""

    channel: ClassVar[str] = "telegram"
    code: str

    def mes(self) -> str:
        return self.code


@dataclass(frozen=True)
class Bot(Message):
    """A message to a Telegram chat bot (``bot=@name_bot``)."""

    channel: ClassVar[str] = "bot"
    text: str
    bot: str

    def mes(self) -> str:
        return self.text

    def extended(self) -> Dict[str, Any]:
        return {"bot": self.bot}


@dataclass(frozen=True)
class Hlr(Message):
    """An HLR request (``hlr=1``): no text; the answer comes as a delivery status."""

    channel: ClassVar[str] = "hlr"

    def mes(self) -> str:
        return ""


@dataclass(frozen=True)
class Ping(Message):
    """A ping SMS (``ping=1``), not shown on the phone: no text."""

    channel: ClassVar[str] = "ping"

    def mes(self) -> str:
        return ""


@dataclass(frozen=True)
class Push(Message):
    """A WAP-push (``push=1``): ``link`` and ``title``, sent as ``link\\ntitle`` (004 push)."""

    channel: ClassVar[str] = "push"
    link: str
    title: str

    def mes(self) -> str:
        return f"{self.link}{spec.PUSH_SEPARATOR}{self.title}"


@dataclass(frozen=True)
class Mms(Message):
    """An MMS (``mms=1``): a ``subject`` or a ``text`` (004 subj), and optionally ``fileurl``."""

    channel: ClassVar[str] = "mms"
    text: str = ""
    subject: Optional[str] = None
    fileurl: Optional[str] = None

    def mes(self) -> str:
        return self.text

    def extended(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {"mms": 1}
        if self.subject is not None:
            out["subj"] = self.subject
        if self.fileurl is not None:
            out["fileurl"] = self.fileurl
        return out


@dataclass(frozen=True)
class Binary(Message):
    """A binary SMS sent as hex (``bin=2``): ``data`` (bytes, or a hex str) after ``udh`` (the
    header's elements; its length byte is written for you, ``00`` when empty), and optionally
    ``pid`` and ``dcs`` (004 bin)."""

    channel: ClassVar[str] = "binary"
    data: Union[bytes, str]
    udh: bytes = b""
    pid: Optional[int] = None
    dcs: Optional[int] = None

    def payload(self) -> bytes:
        """The octets sent: the UDH length byte, the UDH, the data."""
        data = self.data
        if isinstance(data, str):
            if not spec.HEX_TEXT.fullmatch(data):
                raise _fail("binary data given as a str must be even-length hex (004 bin=2)", "mes")
            data = binascii.unhexlify(data)
        if len(self.udh) > spec.OCTET.high:
            raise _fail(f"the UDH is {len(self.udh)} octets; its length must fit its first byte", "mes")
        return bytes([len(self.udh)]) + bytes(self.udh) + bytes(data)

    def mes(self) -> str:
        text = self.payload().hex().upper()
        if self.pid is None and self.dcs is None:
            return text
        if self.pid is None or self.dcs is None:
            raise _fail("binary: pid and dcs go together ('pid: v1, dcs: v2', 004 bin)", "mes")
        return text + spec.COMMENT_SEPARATOR + spec.BINARY_PARAMS_FORMAT.format(pid=self.pid, dcs=self.dcs)

    def extended(self) -> Dict[str, Any]:
        return {"bin": 2}


#: Each channel of :data:`smsc_soap.spec.CHANNELS` (but the plain SMS) and its helper.
HELPERS: Mapping[str, type] = {cls.channel: cls for cls in (
    Email, VoiceCall, Viber, Social, WhatsApp, TelegramCode, Bot, Hlr, Ping, Push, Mms, Binary)}


# --- the rules -----------------------------------------------------------------------------------


def _set(value: Any) -> bool:
    """A flag or parameter that is given: not None, not 0/False/""."""
    return value is not None and value is not False and value != 0 and value != ""


def channel_of(extended: Mapping[str, Any]) -> spec.Channel:
    """The one channel the extended parameters select (a plain SMS when none does)."""
    chosen = [c for c in spec.CHANNELS.values() if c.flag is not None and _set(extended.get(c.flag))]
    if len(chosen) > 1 and spec.ONE_CHANNEL_PER_REQUEST:
        names = " and ".join(f"{c.flag}= ({c.title})" for c in chosen)
        raise _fail(f"{names}: one channel per request (spec.ONE_CHANNEL_PER_REQUEST)", chosen[1].flag or "query")
    return chosen[0] if chosen else spec.CHANNELS["sms"]


def _owners(param: str) -> str:
    owners = [c for c in spec.CHANNELS.values() if param in c.needs + c.allows]
    return " or ".join(f"{c.title} ({c.flag}=)" for c in owners)


def _check_text(channel: spec.Channel, mes: str, extended: Mapping[str, Any]) -> None:
    text = strip_comment(mes)
    name = channel.title
    if channel.text == spec.TEXT and not text:
        raise _fail(f"{name}: a text is required ({channel.source})", "mes")
    if channel.text == spec.TEXT_NONE and mes and spec.REFUSE_UNUSED_TEXT:
        raise _fail(f"{name}: mes is not used, leave it empty ({channel.source})", "mes")
    if channel.text == spec.TEXT_CODE:
        low, high = spec.TELEGRAM_CODE_DIGITS
        if not (text.isascii() and text.isdigit() and low <= len(text) <= high):
            raise _fail(f"{name}: the code must be {low} to {high} digits, got {text!r} ({channel.source})", "mes")
    if channel.text == spec.TEXT_LINK_TITLE:
        link, sep, title = mes.partition(spec.PUSH_SEPARATOR)
        if not (sep and link.strip() and title.strip()):
            raise _fail(f"{name}: mes must be a link and a title separated by a newline ({channel.source})", "mes")
    if channel.text == spec.TEXT_SUBJECT_OR_TEXT and not text and not _set(extended.get("subj")):
        raise _fail(f"{name}: a subject (subj=) or a text is required ({channel.source})", "mes")
    if channel.text == spec.TEXT_BINARY:
        _check_binary(mes, extended)


def _check_binary(mes: str, extended: Mapping[str, Any]) -> None:
    body, params = split_comment(mes)
    if int(extended.get("bin") or 0) == 2:
        if not spec.HEX_TEXT.fullmatch(body):
            raise _fail("bin=2: mes must be even-length hex, two digits per octet (004 bin)", "mes")
        octets = binascii.unhexlify(body)
        if octets[0] + 1 > len(octets):
            raise _fail(f"bin=2: the first octet says the UDH is {octets[0]} octets, but only "
                        f"{len(octets) - 1} follow (004 bin: 'перший байт задає довжину заголовка')", "mes")
    elif any(ord(ch) > spec.BINARY_CHAR_MAX for ch in body):
        raise _fail("bin=1: every character of mes is one octet (0..255)", "mes")
    elif not body or ord(body[0]) + 1 > len(body):
        raise _fail("bin=1: mes starts with the UDH's length octet (\\x00 without a UDH) and holds "
                    "that many more (004 bin: 'перший байт задає довжину заголовка')", "mes")
    if params is not None:
        match = spec.BINARY_PARAMS.fullmatch(params)
        if not match or not all(spec.OCTET.includes(int(v)) for v in match.groups()):
            raise _fail(f"binary: after '\\n~~~\\n' comes {spec.BINARY_PARAMS_FORMAT!r}, octets 0..255, "
                        f"spaces kept (004 bin), got {params!r}", "mes")


def check(mes: Optional[str], sender: Optional[str], extended: Mapping[str, Any], *, sending: bool = True) -> spec.Channel:
    """Refuse what the pages forbid for the channel the extended parameters select; the channel.

    ``mes`` is None (its rules are not checked) when ``list`` carries the texts. ``sending`` is
    False for a cost request, which has no ``sender`` field.
    """
    channel = channel_of(extended)
    for param in spec.CHANNEL_ONLY_PARAMS:
        if _set(extended.get(param)) and param not in channel.needs + channel.allows:
            raise _fail(f"{param}= is only for {_owners(param)}, not for {channel.title}", param)
    for param in channel.needs:
        if not _set(extended.get(param)):
            raise _fail(f"{channel.title}: {param}= is required ({channel.source})", param)
    if channel.needs_sender and sending:
        if not sender or len(sender) > spec.EMAIL_ADDRESS_MAX_CHARS or not spec.EMAIL_ADDRESS.fullmatch(sender):
            raise _fail(f"{channel.title}: sender must be the sender's e-mail address, at most "
                        f"{spec.EMAIL_ADDRESS_MAX_CHARS} characters ({channel.source}), got {sender!r}", "sender")
    if mes is not None and extended.get("list") is None:
        _check_text(channel, mes, extended)
    return channel


def wire_form(message: Union[str, Message, None], text: Optional[str] = None) -> Tuple[str, Dict[str, Any]]:
    """``(mes, extended)`` of a message: a str is a plain SMS (or the text for the extended
    parameters given separately); a :class:`Message` gives its own."""
    if isinstance(message, Message):
        return message.mes(), message.extended()
    return (message if message is not None else text or ""), {}


class Prepared(NamedTuple):
    """A call's text, sender and extended parameters once a channel helper is unfolded.

    ``sms_sender`` goes through the SMS sender-name check; ``address_sender`` (an e-mail's
    address, already checked here) goes on the wire as it is.
    """

    mes: Optional[str]
    sms_sender: Optional[str]
    extended: Dict[str, Any]
    address_sender: Optional[str]


def prepare(message: Union[str, Message, None], sender: Optional[str], extended: Mapping[str, Any], *,
            sending: bool = True) -> Prepared:
    """Unfold ``message`` (a str, None or a :class:`Message`) into the call's fields and check the
    channel's rules (:func:`check`). A parameter given both by the helper and as a keyword, or
    a sender given both ways, is refused rather than one of them silently winning."""
    merged = {name: value for name, value in extended.items() if value is not None}
    mes: Optional[str] = message if not isinstance(message, Message) else None
    if isinstance(message, Message):
        mes = message.mes()
        for name, value in message.extended().items():
            if name in merged:
                raise _fail(f"{name}= is given by the {type(message).__name__} and as a keyword", name)
            merged[name] = value
        own = message.sender_field()
        if own is not None:
            if sender is not None:
                raise _fail(f"sender is given by the {type(message).__name__} and as a keyword", "sender")
            sender = own
    channel = check(mes, sender, merged, sending=sending)
    if channel.needs_sender:
        return Prepared(mes, None, merged, sender if sending else None)
    return Prepared(mes, sender, merged, None)

