"""Issue 15, point 1 (one description per channel; typed helpers; validation naming the rule; the
sandbox refuses and bills alike) and issue 12, point 6 (the sandbox bills like the page: translit,
bin=2 by bytes, out-of-range values are error 1).

Pages: 004 (SOAP, the extended parameters), 003 (SMPP: telegram codes of 4..8 digits), 000
(HTTP: translit).
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Dict, Optional

import pytest

from smsc_soap import Client, channels, message, spec
from smsc_soap.channels import (
    Binary, Bot, Email, Hlr, Mms, Ping, Push, Social, TelegramCode, Viber, VoiceCall, WhatsApp,
)
from smsc_soap.errors import ValidationError
from smsc_soap.sandbox import Sandbox
from smsc_soap.sandbox import assumptions as A
from smsc_soap.sandbox.clock import Clock
from smsc_soap.sandbox.service import Account, Service

RU = "79161234567"


def sandbox(query: str, mes: str = "Hello", phones: str = RU, operation: str = "send_sms2",
            sender: Optional[str] = None) -> Dict[str, Any]:
    service = Service([Account("alex", "123", Decimal("1000"))], clock=Clock(1772442000.0))
    request = {"login": "alex", "psw": "123", "phones": phones, "mes": mes, "query": query}
    if sender is not None:
        request["sender"] = sender
    return service.call(operation, request)


# --- the table -------------------------------------------------------------------------------


def test_every_channel_cites_its_page_and_names_known_parameters() -> None:
    from smsc_soap.query import EXTENDED_PARAMS

    for channel in spec.CHANNELS.values():
        assert channel.source and channel.title
        assert channel.flag is None or channel.flag in EXTENDED_PARAMS
        assert set(channel.needs + channel.allows) <= set(EXTENDED_PARAMS)
    assert set(channels.HELPERS) == set(spec.CHANNELS) - {"sms"}


@pytest.mark.parametrize(
    "helper, mes, extended",
    [
        (Email("Hi", subject="News", sender="shop@example.com"), "Hi", {"mail": 1, "subj": "News"}),
        (VoiceCall("Your code is 1234", voice="w,en", param=(20, 60, 3)), "Your code is 1234",
         {"call": 1, "voice": "w,en", "param": (20, 60, 3)}),
        (Viber("Hi"), "Hi", {"viber": 1}),
        (Social("Hi"), "Hi", {"soc": 1}),
        (WhatsApp("Hi"), "Hi", {"whatsapp": 1}),
        (TelegramCode("123456"), "123456", {"tg": 1}),
        (Bot("Hi", bot="@shop_bot"), "Hi", {"bot": "@shop_bot"}),
        (Hlr(), "", {"hlr": 1}),
        (Ping(), "", {"ping": 1}),
        (Push("https://example.com", "Sale"), "https://example.com\nSale", {"push": 1}),
        (Mms(subject="Photo", fileurl="https://example.com/a.jpg"), "",
         {"mms": 1, "subj": "Photo", "fileurl": "https://example.com/a.jpg"}),
        (Binary(b"\x01\x02", pid=0, dcs=4), "000102\n~~~\npid: 0, dcs: 4", {"bin": 2}),
        (Binary("0a0b", udh=b"\x00\x03\x01\x02\x01"), "0500030102010A0B", {"bin": 2}),
    ],
)
def test_each_helper_unfolds_into_the_pages_fields(helper: channels.Message, mes: str, extended: Dict[str, Any]) -> None:
    prepared = channels.prepare(helper, None, {})
    assert (prepared.mes, prepared.extended) == (mes, extended)


@pytest.mark.parametrize(
    "mes, sender, extended, says",
    [
        ("hi", None, {"mail": 1}, "subj= is required"),
        ("hi", None, {"mail": 1, "subj": "S"}, "sender must be the sender's e-mail address"),
        ("hi", "x" * 250 + "@a.bc", {"mail": 1, "subj": "S"}, "at most 254"),
        ("", "a@b.cd", {"mail": 1, "subj": "S"}, "a text is required"),
        ("hi", None, {"voice": "m"}, "voice= is only for Voice call (call=)"),
        ("hi", None, {"viber": 1, "param": "10,10,1"}, "param= is only for Voice call (call=), not for Viber"),
        ("hi", None, {"subj": "S"}, "subj= is only for E-mail (mail=) or MMS (mms=), not for SMS"),
        ("hi", None, {"hlr": 1}, "mes is not used"),
        ("hi", None, {"ping": 1, "viber": 1}, "one channel per request"),
        ("12", None, {"tg": 1}, "4 to 8 digits"),
        ("123456789", None, {"tg": 1}, "4 to 8 digits"),
        ("https://x.example", None, {"push": 1}, "a link and a title"),
        ("", None, {"mms": 1}, "a subject (subj=) or a text"),
        ("0A0", None, {"bin": 2}, "even-length hex"),
        ("05AA", None, {"bin": 2}, "the UDH is 5 octets"),
        ("00AA\n~~~\npid:1,dcs:2", None, {"bin": 2}, "spaces kept"),
        ("\u0400", None, {"bin": 1}, "one octet"),
    ],
)
def test_what_a_page_forbids_is_refused_with_the_rule(mes: str, sender: Optional[str], extended: Dict[str, Any],
                                                      says: str) -> None:
    with pytest.raises(ValidationError) as refused:
        channels.prepare(mes, sender, extended)
    assert says in str(refused.value)


def test_a_parameter_given_twice_is_refused() -> None:
    with pytest.raises(ValidationError, match="given by the Email and as a keyword"):
        channels.prepare(Email("x", subject="a", sender="a@b.cd"), None, {"subj": "b"})
    with pytest.raises(ValidationError, match="sender is given"):
        channels.prepare(Email("x", subject="a", sender="a@b.cd"), "ivan", {})


def test_a_cost_request_needs_no_email_sender() -> None:
    assert channels.prepare("hi", None, {"mail": 1, "subj": "S"}, sending=False).extended["mail"] == 1


# --- the sandbox refuses the same (error 1) and accepts what the client accepts ----------------


@pytest.mark.parametrize(
    "query, mes, sender",
    [
        ("mail=1", "hi", "a@b.cd"),                       # no subject
        ("mail=1&subj=S", "hi", "ivan"),                   # sender not an address
        ("voice=m", "hi", None),                           # voice outside a call
        ("subj=S", "hi", None),                            # subj outside e-mail and MMS
        ("viber=1&soc=1", "hi", None),                     # two channels
        ("tg=1", "12", None),                              # code too short (003)
        ("push=1", "https://x.example", None),             # no title
        ("bin=2", "0A0", None),                            # odd hex
        ("bin=2", "00AA\n~~~\npid:1,dcs:2", None),         # pid/dcs without the page's spaces
        ("viber=1", "\n~~~\nonly a comment", None),        # no text
    ],
)
def test_the_sandbox_refuses_what_the_client_refuses(query: str, mes: str, sender: Optional[str]) -> None:
    phones = "a@example.com" if "mail" in query else RU
    assert sandbox(query, mes, phones, sender=sender) == {"error": "1"}
    extended = dict(pair.split("=") for pair in query.split("&"))
    with pytest.raises(ValidationError):
        channels.prepare(mes, sender, {k: int(v) if v.isdigit() else v for k, v in extended.items()})


def test_the_sandbox_ignores_an_hlr_text_that_the_client_refuses() -> None:
    """spec.REFUSE_UNUSED_TEXT: the page says mes is unused; the client refuses one given."""
    assert sandbox("hlr=1", "ignored")["cnt"] == "1"


# --- billing (issue 12 point 6; issue 15 point 4) ---------------------------------------------


def test_translit_changes_the_alphabet_and_so_the_parts_and_the_cost() -> None:
    """000:83-86: translit. 70 Cyrillic letters are two UCS-2 parts with 71; transliterated they
    are one GSM-7 part."""
    text = "привет" * 12  # 72 letters: UCS-2, 2 parts
    assert message.parts(text) == 2
    assert message.parts(text, translit=1) == 1
    plain = sandbox("", text, operation="get_sms_cost2")
    translit = sandbox("translit=1", text, operation="get_sms_cost2")
    assert (plain["cnt"], translit["cnt"]) == ("2", "1")
    assert Decimal(translit["cost"]) == A.PRICE_PER_PART["7"]


def test_hex_is_billed_by_octets_not_by_characters() -> None:
    """004 bin=2: 140 octets (280 hex digits) are one binary SMS, not two text parts."""
    hex_text = "00" + "AB" * 139
    assert message.parts(hex_text) == 2  # read as text: 280 characters
    assert message.parts(Binary(bytes(139))) == 1
    assert message.parts(Binary(bytes(140))) == 2  # 141 octets with the UDH length byte
    assert sandbox("bin=2", hex_text, operation="get_sms_cost2")["cnt"] == "1"
    assert sandbox("bin=2", "00" + "AB" * 140, operation="get_sms_cost2")["cnt"] == "2"


def test_channels_other_than_sms_and_binary_are_one_unit_per_recipient() -> None:
    """spec.BILL_ONE (an ASSUMPTION: the pages price no channel)."""
    long_text = "x" * 500
    assert message.parts(Viber(long_text)) == 1
    assert sandbox("viber=1", long_text, operation="get_sms_cost2")["cnt"] == "1"
    assert sandbox("hlr=1", "", phones=f"{RU},79161234568", operation="get_sms_cost2")["cnt"] == "2"


@pytest.mark.parametrize("query", ["cost=4", "bin=3", "translit=3", "hlr=2", "tz=12", "smsreq=9", "valid=25",
                                   "freq=0", "period=721"])
def test_values_out_of_their_range_are_error_1(query: str) -> None:
    """Issue 12 point 6, third clause (already on main; verified here)."""
    assert sandbox(query) == {"error": "1"}


# --- end to end over SOAP ------------------------------------------------------------------------


@pytest.fixture
def client(smsc_sandbox: Sandbox) -> Client:
    return Client(login="alex", psw="123", url=smsc_sandbox.url)


def test_an_email_is_sent_to_addresses_with_its_sender_address(smsc_sandbox: Sandbox, client: Client) -> None:
    sent = client.send_sms2("ivan@example.com", Email("Hello", subject="News", sender="shop@example.com"))
    assert sent.cnt == 1
    (stored,) = smsc_sandbox.messages
    assert (stored.phone, stored.sender, stored.options["subj"]) == ("ivan@example.com", "shop@example.com", "News")


@pytest.mark.parametrize("helper", [
    VoiceCall("Code 1234", voice="w", param="20,60,3"), Viber("Hi"), TelegramCode("1234"),
    Bot("Hi", "@shop_bot"), Hlr(), Ping(), Push("https://example.com", "Sale"), Mms("Hi", subject="S"),
    Binary(b"\x01\x02", pid=0, dcs=4), Social("Hi"), WhatsApp("Hi"),
])
def test_every_helper_is_accepted_and_billed_as_estimated(client: Client, helper: channels.Message) -> None:
    cost = client.get_sms_cost2(RU, helper)
    assert cost.cnt == message.parts(helper)
    assert cost.cost == message.estimate([([RU], helper)], A.PRICE_PER_PART).cost
    assert client.send_sms2(RU, helper).cnt == cost.cnt


def test_the_client_refuses_before_sending(smsc_sandbox: Sandbox, client: Client) -> None:
    with pytest.raises(ValidationError, match="only for Voice call"):
        client.send_sms2(RU, "hi", voice="m")
    with pytest.raises(ValidationError, match="subj= is required"):
        client.get_sms_cost2("a@b.cd", "hi", mail=1)
    assert smsc_sandbox.requests == []


# --- property: the client's channel rules and the sandbox's agree ---------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from smsc_soap.query import build_query  # noqa: E402

_FLAGS = [c.flag for c in spec.CHANNELS.values() if c.flag not in (None, "bot", "bin")]
_extended = st.fixed_dictionaries({}, optional={
    **{flag: st.just(1) for flag in _FLAGS},
    "bin": st.sampled_from([1, 2]), "bot": st.just("@shop_bot"), "subj": st.just("News"),
    "voice": st.sampled_from(["m", "w,en"]), "param": st.just("20,60,3"),
})
_mes = st.sampled_from(["", "Hello", "1234", "12", "https://x.example\nSale", "00AB", "0A0", "05AA",
                        "00AB\n~~~\npid: 1, dcs: 4", "00AB\n~~~\npid:1,dcs:4", "Hi\n~~~\nnote", "\n~~~\nnote"])


@settings(max_examples=400, deadline=None)
@given(_extended, _mes, st.sampled_from([None, "shop@example.com", "ivan"]))
def test_the_client_and_the_sandbox_agree_on_every_channel_rule(extended: Dict[str, Any], mes: str,
                                                                 sender: Optional[str]) -> None:
    email = bool(extended.get("mail"))
    if not email and sender == "shop@example.com":
        sender = None  # an address is no SMS sender name: params.sender_field's rule, not a channel's
    try:
        channels.prepare(mes, sender, extended)
        client_ok = True
    except ValidationError:
        client_ok = False
    answer = sandbox(build_query(**extended), mes, "ivan@example.com" if email else RU, sender=sender)
    sandbox_ok = "error" not in answer
    if not client_ok and sandbox_ok and (extended.get("hlr") or extended.get("ping")) and mes:
        return  # spec.REFUSE_UNUSED_TEXT: the one named difference
    assert client_ok == sandbox_ok, (extended, mes, sender, answer)
    assert sandbox_ok or answer["error"] == "1"
