"""Issue 15, point 2: the SMPP page's text conventions (003), built and read back."""
from __future__ import annotations

from typing import Optional

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsc_soap import spec
from smsc_soap.channels import Bot, Email, Hlr, Message, Ping, Social, TelegramCode, Viber, VoiceCall
from smsc_soap.errors import ValidationError
from smsc_soap.smpp import SmppText, build_text, from_message, parse_text, split_tail

PROPERTY = settings(max_examples=150, deadline=None)


@pytest.mark.parametrize(
    "message, text",
    [
        (Email("Hello", subject="News", sender="a@b.cd"), "__MAIL__: Hello\nsubj:News"),      # 003 e-mail
        (VoiceCall("Code 1234", voice="w"), "__CALL__: Code 1234\nvoice:w"),                   # 003 call
        (VoiceCall("Hi", voice="m", param=(20, 60, 3)), "__CALL__: Hi\nvoice:m\n~~~\n20,60,3"),
        (Viber("Hi"), "__VIBER__: Hi"),
        (Social("Hi"), "__SOC__: Hi"),
        (TelegramCode("12345"), "__TGM__: 12345"),
        (Bot("Hi", "@shop_bot"), "__BOT__: Hi\nbot:@shop_bot"),
        (Hlr(), "__HLR__"),
        (Ping(), "__PING__"),
    ],
)
def test_each_prefix_of_the_page(message: Message, text: str) -> None:
    smpp = from_message(message)
    assert build_text(smpp) == text
    assert parse_text(text) == smpp


def test_after_the_separator_a_call_has_its_param_and_others_a_comment() -> None:
    call = parse_text("__CALL__: Hi\nvoice:m\n~~~\n20,60,3")
    assert (call.param, call.comment) == ("20,60,3", None)
    viber = parse_text("__VIBER__: Hi\n~~~\nfor the history")
    assert (viber.param, viber.comment) == (None, "for the history")
    assert split_tail("binary", "0001\n~~~\npid: 0, dcs: 4") == ("0001", None, "pid: 0, dcs: 4")
    assert split_tail("sms", "Hi\n~~~\nnote") == ("Hi", "note", None)
    with pytest.raises(ValidationError, match="param, not a comment"):
        from_message(VoiceCall("Hi"), comment="note")


@pytest.mark.parametrize(
    "smpp, says",
    [
        (SmppText("telegram", "12"), "4 to 8 digits"),
        (SmppText("email", "Hi"), "needs its 'subj:' line"),
        (SmppText("hlr", "text"), "carries no text"),
        (SmppText("sms", "__VIBER__: x"), "would be read as that channel"),
        (SmppText("viber", "a\n~~~\nb"), "may not hold"),
        (SmppText("call", "a\nvoice:w"), "would read back"),
        (SmppText("push", "x"), "no SMPP text convention"),
        (SmppText("email", "Hi", "a\nb"), "may not hold a newline"),
    ],
)
def test_what_the_format_cannot_carry_is_refused(smpp: SmppText, says: str) -> None:
    with pytest.raises(ValidationError, match=says):
        build_text(smpp)


_CHANNELS = ["sms"] + [c.name for c in spec.CHANNELS.values() if c.smpp_prefix is not None]
# mypy infers the one-element tuple ("Cs",) as tuple[str], not as a tuple of the category Literal.
_safe = st.text(st.characters(blacklist_characters="\n", blacklist_categories=("Cs",)), max_size=30).filter(  # type: ignore[arg-type]
    lambda t: not t.startswith("__"))
_any = st.lists(st.sampled_from(["a", "\n", "~", ":", "subj", "voice", "bot", "__MAIL__", " ", "€"]),
                max_size=12).map("".join)


def _message(channel: str, text: str, line: Optional[str], tail: Optional[str]) -> SmppText:
    facts = spec.CHANNELS[channel]
    if facts.text == spec.TEXT_NONE:
        text, line = "", None
    if facts.text == spec.TEXT_CODE:
        text = "".join(ch for ch in text if ch.isdigit())[:8].ljust(4, "7")
        text = text if text.isascii() else "1234"
    if facts.smpp_line is None:
        line = None
    elif line is None and (facts.needs or facts.needs_sender):
        line = "x"
    if channel == "call":  # a call's voice and param are read by voice='s and param='s table (issue 22)
        line, tail = ("w,en" if line is not None else None), ("20,60,3" if tail is not None else None)
    return SmppText(channel, text, line, tail)


@PROPERTY
@given(st.sampled_from(_CHANNELS), _safe, st.one_of(st.none(), _safe), st.one_of(st.none(), st.text(max_size=20)))
def test_build_then_parse_is_the_identity_for_every_channel(channel: str, text: str, line: Optional[str],
                                                            tail: Optional[str]) -> None:
    message = _message(channel, text, line, tail)
    assert parse_text(build_text(message)) == message


@PROPERTY
@given(st.sampled_from(_CHANNELS), _any, st.one_of(st.none(), _any), st.one_of(st.none(), _any))
def test_any_text_is_either_refused_or_read_back_unchanged(channel: str, text: str, line: Optional[str],
                                                           tail: Optional[str]) -> None:
    message = SmppText(channel, text, line, tail)
    try:
        built = build_text(message)
    except ValidationError:
        return
    assert parse_text(built) == message


@pytest.mark.parametrize("smpp", [
    SmppText("call", "Hello", "zz"),                 # no such voice (000:151-160)
    SmppText("call", "Hello", "m,english"),          # a language is two letters
    SmppText("call", "Hello", "m", "20,60"),         # param is w,i,n (000:161)
    SmppText("call", "Hello", "m", "20,60,30"),      # n is 0..9
    SmppText("call", "Hello", "m , EN"),             # written otherwise than voice= writes it
])
def test_a_calls_voice_and_param_are_checked_by_the_table_of_voice_and_param(smpp: SmppText) -> None:
    """Issue 22 point 7: build_text refuses what send_sms2(voice=, param=) refuses."""
    with pytest.raises(ValidationError):
        build_text(smpp)


def test_a_calls_param_round_trips_as_param_writes_it() -> None:
    """003:10 (param after '\\n~~~\\n') and 000:161 ('param=w,i,n') carry the same text."""
    from smsc_soap.query import build_query

    call = VoiceCall("Hi", voice="m,EN", param=" 20, 60 ,3")
    smpp = from_message(call)
    assert (smpp.line, smpp.tail) == ("m,en", "20,60,3")
    assert parse_text(build_text(smpp)) == smpp
    assert build_query(call=1, voice="m,EN", param=" 20, 60 ,3") == "call=1&voice=m,en&param=20,60,3"
