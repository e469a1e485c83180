"""The SMPP page's text conventions (003): a prefix of the text selects the channel.

``__MAIL__: <message>\\nsubj:<subject>``, ``__CALL__: <message>\\nvoice:<voice>``,
``__VIBER__: <message>``, ``__SOC__: <message>``, ``__TGM__: <code>``,
``__BOT__: <message>\\nbot:@<bot_name>``, ``__HLR__``, ``__PING__``. After ``\\n~~~\\n`` comes a
comment for the sender's history -- except for a call, where it is the call's ``param``, and a
binary SMS (SOAP/HTTP ``bin``), where it is ``pid: v1, dcs: v2``. The prefixes and line names are
:data:`smsc_soap.spec.CHANNELS`' ``smpp_prefix`` and ``smpp_line``.

:func:`build_text` and :func:`parse_text` are inverses: ``parse_text(build_text(t)) == t``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple

from . import channels, spec
from .errors import ValidationError
from .message import split_comment

__all__ = ["SmppText", "TAIL_IS_PARAMETER", "build_text", "parse_text", "from_message", "split_tail"]

#: Channels whose text after ``\\n~~~\\n`` is a parameter, not a comment: 003 (a call's param:
#: "после которой передать параметр param") and 004 bin ("pid: значеніе1, dcs: значеніе2").
TAIL_IS_PARAMETER: Tuple[str, ...] = ("call", "binary")

_BY_PREFIX = {c.smpp_prefix: c for c in spec.CHANNELS.values() if c.smpp_prefix is not None}


@dataclass(frozen=True)
class SmppText:
    """The parts of an SMPP message text: the ``channel`` (a name of spec.CHANNELS, "sms" for a
    plain text), its ``text``, the value of its ``subj:``/``voice:``/``bot:`` ``line`` (None when
    absent), and what follows ``\\n~~~\\n`` (``tail``: a comment, or a call's param)."""

    channel: str = "sms"
    text: str = ""
    line: Optional[str] = None
    tail: Optional[str] = None

    @property
    def param(self) -> Optional[str]:
        """The tail when it is a parameter (a call's param), else None."""
        return self.tail if self.channel in TAIL_IS_PARAMETER else None

    @property
    def comment(self) -> Optional[str]:
        """The tail when it is a comment, else None."""
        return None if self.channel in TAIL_IS_PARAMETER else self.tail


def _fail(message: str) -> ValidationError:
    return ValidationError(message, field="mes")


def _facts(name: str) -> spec.Channel:
    facts = spec.CHANNELS.get(name)
    if facts is None or (facts.smpp_prefix is None and name != "sms"):
        raise _fail(f"{name!r} has no SMPP text convention (003 has: sms, "
                    + ", ".join(c.name for c in _BY_PREFIX.values()) + ")")
    return facts


def build_text(message: SmppText) -> str:
    """The SUBMIT_SM text for ``message``; :class:`~smsc_soap.errors.ValidationError` for one
    that the page's format cannot carry (it would read back as something else)."""
    facts = _facts(message.channel)
    if message.channel == "call":
        _check_call(message)
    if spec.COMMENT_SEPARATOR in message.text:
        raise _fail("the text may not hold '\\n~~~\\n': what follows it is a comment or a parameter (003)")
    if facts.smpp_prefix is None:
        if any(message.text.startswith(prefix) for prefix in _BY_PREFIX):
            raise _fail(f"an SMS text starting with a channel prefix would be read as that channel: {message.text[:12]!r}")
        if message.line is not None:
            raise _fail("a plain SMS has no subj:/voice:/bot: line")
        body = message.text
    elif facts.text == spec.TEXT_NONE:
        if message.text or message.line is not None:
            raise _fail(f"{facts.smpp_prefix} carries no text (003)")
        body = facts.smpp_prefix
    else:
        if facts.text == spec.TEXT_CODE:
            low, high = spec.TELEGRAM_CODE_DIGITS
            if not (message.text.isascii() and message.text.isdigit() and low <= len(message.text) <= high):
                raise _fail(f"{facts.smpp_prefix}: only codes of {low} to {high} digits (003), got {message.text!r}")
        body = facts.smpp_prefix + spec.SMPP_PREFIX_SEPARATOR + message.text
        if facts.smpp_line is None and message.line is not None:
            raise _fail(f"{facts.smpp_prefix} has no {message.line!r} line (003)")
        if facts.smpp_line is not None:
            if message.line is None:
                if facts.needs or facts.needs_sender:
                    raise _fail(f"{facts.smpp_prefix} needs its '{facts.smpp_line}:' line (003)")
            elif spec.SMPP_LINE_SEPARATOR in message.line:
                raise _fail(f"the {facts.smpp_line}: line may not hold a newline")
            else:
                body += spec.SMPP_LINE_SEPARATOR + facts.smpp_line + spec.SMPP_LINE_COLON + message.line
    if message.tail is not None:
        body += spec.COMMENT_SEPARATOR + message.tail
    if parse_text(body) != message:  # e.g. a text that itself ends in "\nvoice:..."
        raise _fail(f"{body!r} would read back as {parse_text(body)!r}: the text imitates the format (003)")
    return body


def _call_field(name: str, value: str) -> str:
    """A call's ``voice`` or ``param`` as ``voice=``/``param=`` write it (query's one table, 000:151-166)."""
    from .query import EXTENDED_PARAMS

    return EXTENDED_PARAMS[name].normalise(name, value, {})


def _check_call(message: SmppText) -> None:
    """A call's ``voice:`` line and its param after ``\\n~~~\\n`` (003:9-10) are read by the table
    that reads ``voice=`` and ``param=``, and must be written as it writes them (``m,en``,
    ``20,60,3``), so that both ways carry the same value."""
    for name, value in (("voice", message.line), ("param", message.tail)):
        if value is not None and _call_field(name, value) != value:
            raise _fail(f"a call's {name} {value!r} is written {_call_field(name, value)!r} (as {name}= writes it)")


def parse_text(text: str) -> SmppText:
    """The parts of a SUBMIT_SM text: its channel by prefix, its line and its tail."""
    head, tail = split_comment(text)
    for prefix, facts in _BY_PREFIX.items():
        if facts.text == spec.TEXT_NONE and head == prefix:
            return SmppText(facts.name, "", None, tail)
        start = prefix + spec.SMPP_PREFIX_SEPARATOR
        if facts.text != spec.TEXT_NONE and head.startswith(start):
            body, line = head[len(start):], None
            if facts.smpp_line is not None:
                marker = spec.SMPP_LINE_SEPARATOR + facts.smpp_line + spec.SMPP_LINE_COLON
                before, found, after = body.rpartition(marker)
                if found and spec.SMPP_LINE_SEPARATOR not in after:
                    body, line = before, after
            return SmppText(facts.name, body, line, tail)
    return SmppText("sms", head, None, tail)


def from_message(message: channels.Message, comment: Optional[str] = None) -> SmppText:
    """The SMPP form of a channel helper (an e-mail's sender travels as SUBMIT_SM's
    ``source_addr``, not in the text). A call's param becomes its tail."""
    name = message.channel
    _facts(name)
    if isinstance(message, channels.Email):
        return SmppText(name, message.text, message.subject, comment)
    if isinstance(message, channels.VoiceCall):
        if comment is not None:
            raise _fail("a call's text after '\\n~~~\\n' is its param, not a comment (003)")
        voice = None if message.voice is None else _call_field("voice", message.voice)
        param = None if message.param is None else _call_field("param", message.param)  # type: ignore[arg-type]
        return SmppText(name, message.text, voice, param)
    if isinstance(message, channels.Bot):
        return SmppText(name, message.text, message.bot, comment)
    return SmppText(name, message.mes(), None, comment)


def split_tail(channel: str, mes: str) -> Tuple[str, Optional[str], Optional[str]]:
    """``(text, comment, parameter)`` of a ``mes``: what follows ``\\n~~~\\n`` is the parameter
    for the channels of :data:`TAIL_IS_PARAMETER`, the comment for every other."""
    text, tail = split_comment(mes)
    if channel in TAIL_IS_PARAMETER:
        return text, None, tail
    return text, tail, None
