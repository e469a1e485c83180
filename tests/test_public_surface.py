"""The public surface as users meet it (issue 12, point 8): autocompletion, help() and the
environment shared with the command."""
from __future__ import annotations

import pydoc
from decimal import Decimal
from typing import Iterator, cast

import pytest

import smsc_soap
from smsc_soap import cli, env
from smsc_soap.query import EXTENDED_PARAMS
from smsc_soap.sandbox import Account, Sandbox


def test_dir_lists_client_and_every_public_name() -> None:
    names = dir(smsc_soap)
    assert {"Client", "Reconciliation", "RetryPolicy"} <= set(names)  # the lazy ones too
    assert set(smsc_soap.__all__) <= set(names)


@pytest.mark.parametrize("method", ["send_sms2", "get_sms_cost2", "get_status2"])
def test_help_lists_the_extended_parameters(method: str) -> None:
    plaintext = cast(pydoc.TextDoc, getattr(pydoc, "plaintext"))  # typeshed does not declare pydoc.plaintext
    text = pydoc.render_doc(getattr(smsc_soap.Client, method), renderer=plaintext)
    for name in EXTENDED_PARAMS:
        if name != "apikey":  # given to Client(apikey=...), not to a call
            assert f"``{name}``" in text, name


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox([Account("alex", "123", Decimal("100.00"))]) as sandbox:
        sb_key = "k" * 32
        sandbox.service.add_apikey(sb_key, "alex")
        yield sandbox


def test_the_cli_and_from_env_name_the_same_variables() -> None:
    assert (cli.ENV_LOGIN, cli.ENV_PASSWORD, cli.ENV_APIKEY, cli.ENV_HOST, cli.ENV_URL) == (
        env.ENV_LOGIN, env.ENV_PASSWORD, env.ENV_APIKEY, env.ENV_HOST, env.ENV_URL)
    assert set(cli.ENVIRONMENT) == set(env.VARIABLES)


def test_from_env_with_login_and_password(sb: Sandbox) -> None:
    client = smsc_soap.Client.from_env({"SMSC_LOGIN": "alex", "SMSC_PASSWORD": "123", "SMSC_URL": sb.url})
    assert client.endpoint == sb.url and client.get_balance().balance == Decimal("100.00")


def test_from_env_with_an_api_key_as_the_command_does(sb: Sandbox) -> None:
    client = smsc_soap.Client.from_env({"SMSC_APIKEY": "k" * 32, "SMSC_LOGIN": "ignored", "SMSC_URL": sb.url})
    assert client.send_sms("79999999999", "hi").id
    assert "ignored" not in repr(client)


def test_from_env_reads_os_environ_and_options_win(sb: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMSC_LOGIN", "alex")
    monkeypatch.setenv("SMSC_PASSWORD", "123")
    monkeypatch.setenv("SMSC_HOST", "smsc.kz")
    monkeypatch.delenv("SMSC_APIKEY", raising=False)
    monkeypatch.delenv("SMSC_URL", raising=False)
    assert smsc_soap.Client.from_env().endpoint == "https://smsc.kz/sys/soap.php"
    assert smsc_soap.Client.from_env(timeout=3).login == "alex"


def test_from_env_without_credentials_says_what_is_missing() -> None:
    with pytest.raises(smsc_soap.ValidationError, match="login and psw"):
        smsc_soap.Client.from_env({"SMSC_LOGIN": "alex"})
