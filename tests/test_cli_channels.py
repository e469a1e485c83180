"""Issue 15, point 5: ``smsc-soap parts`` and the channel options of ``send``/``cost``, generated
from spec.CHANNELS."""
from __future__ import annotations

import json
from typing import Any, Dict, List, Tuple

import pytest

from smsc_soap import cli, spec
from smsc_soap.cli_channels import CHANNEL_OPTIONS
from smsc_soap.sandbox import assumptions as A


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> Tuple[int, str, str]:
    code = cli.main(list(argv), env={})
    out, err = capsys.readouterr()
    return code, out, err


def test_parts_prints_encoding_parts_and_characters_left(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "parts", "Hello\n~~~\nnot billed")
    assert code == 0
    assert [line.split()[:2] for line in out.splitlines()] == [
        ["encoding", "gsm7"], ["parts", "1"], ["characters", "5"], ["left", "155"]]


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["ж" * 71], {"encoding": "ucs2", "parts": 2, "characters": 71, "left": 63}),
        (["--translit", "1", "ж" * 71], {"encoding": "gsm7", "parts": 1, "characters": 142, "left": 18}),
        (["{" * 80], {"encoding": "gsm7", "parts": 1, "characters": 160, "left": 0}),
        (["😀"], {"encoding": "ucs2", "parts": 1, "characters": 2, "left": 68}),
    ],
)
def test_parts_json(capsys: pytest.CaptureFixture[str], argv: List[str], expected: Dict[str, Any]) -> None:
    code, out, _ = run(capsys, "parts", "--json", *argv)
    assert code == 0 and json.loads(out) == {"type": "parts", **expected}


def test_channel_options_are_generated_from_the_channel_table() -> None:
    options = {item.option for item in CHANNEL_OPTIONS}
    assert {"email-subject", "email-sender", "call-voice", "call-param", "mms-subject"} == options
    for channel in spec.CHANNELS.values():
        for param in set(channel.needs + channel.allows) - {channel.flag}:
            assert any(item.channel == channel and item.param == param for item in CHANNEL_OPTIONS)


def test_send_an_email_with_the_channel_options(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "send", "--sandbox", "--json", "ivan@example.com", "Hello",
                         "--email-subject", "News", "--email-sender", "shop@example.com")
    assert code == 0, err
    sent = json.loads(out.splitlines()[0])
    assert sent["cnt"] == 1 and sent["cost"] == str(A.PRICE_PER_PART[""])


def test_a_call_with_its_voice_costs_one_unit(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "cost", "--sandbox", "--json", "79161234567", "Your code is 1234",
                         "--call-voice", "w", "--call-param", "20,60,3")
    assert code == 0, err
    assert json.loads(out)["cnt"] == 1


@pytest.mark.parametrize(
    "argv, says",
    [
        (["send", "--sandbox", "ivan@example.com", "Hello", "--email-subject", "News"], "e-mail address"),
        (["send", "--sandbox", "79161234567", "Hello", "--voice", "m"], "only for Voice call"),
        (["send", "--sandbox", "a@b.cd", "Hi", "--email-sender", "x@y.zz", "--sender", "ivan",
          "--email-subject", "S"], "both give the sender"),
        (["cost", "--sandbox", "79161234567", "Hi", "--viber", "--hlr"], "one channel per request"),
    ],
)
def test_channel_rules_are_usage_errors(capsys: pytest.CaptureFixture[str], argv: List[str], says: str) -> None:
    code, out, err = run(capsys, *argv)
    assert code == cli.EXIT_USAGE and out == ""
    assert says in err
