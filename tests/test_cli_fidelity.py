"""The command's edges from issue 12, point 7, run as users run it (the installed entry point)."""
from __future__ import annotations

import json
from typing import Dict, Iterator

import pytest

import smsc_soap
from smsc_soap import Client, cli
from smsc_soap.results import DeliveryStatus
from smsc_soap.sandbox import Sandbox
from test_cli import smsc

LOGIN, PASSWORD = "ops", "s3cret-Pa55"
UNDELIVERABLE = "79990000020"  # the sandbox's magic number: final status 20
PHONE = "79991234567"


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox([f"{LOGIN}:{PASSWORD}:50"]) as sb:
        yield sb


@pytest.fixture
def account(sandbox: Sandbox) -> Dict[str, str]:
    return {"SMSC_LOGIN": LOGIN, "SMSC_PASSWORD": PASSWORD, "SMSC_URL": sandbox.url}


# --- a failed final status has its own exit code ------------------------------------------------


def test_the_failure_exit_code_is_distinct_and_documented() -> None:
    assert cli.EXIT_NOT_DELIVERED not in (cli.EXIT_OK, cli.EXIT_SERVICE, cli.EXIT_USAGE, cli.EXIT_TRANSPORT,
                                          cli.EXIT_PENDING, cli.EXIT_INTERRUPTED)
    assert "final status is a failure" in cli.EXIT_CODES[cli.EXIT_NOT_DELIVERED]
    assert "final status is a failure" in smsc("--help").stdout
    final = {status for status in DeliveryStatus if status.final}
    assert cli.DELIVERED_STATUSES < final and DeliveryStatus.EXPIRED not in cli.DELIVERED_STATUSES


def test_send_wait_exits_5_when_not_delivered() -> None:
    result = smsc("send", "--sandbox", "--wait", UNDELIVERABLE, "Hi", "--json")
    assert result.returncode == cli.EXIT_NOT_DELIVERED, result.stderr
    assert json.loads(result.stdout.splitlines()[-1])["status"] == 20
    assert "not delivered" in result.stderr


def test_send_wait_exits_0_when_delivered() -> None:
    result = smsc("send", "--sandbox", "--wait", PHONE, "Hi")
    assert result.returncode == cli.EXIT_OK, result.stderr


def test_status_wait_exits_5_when_not_delivered(sandbox: Sandbox, account: Dict[str, str],
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    with Client(LOGIN, PASSWORD, url=sandbox.url) as client:
        message_id = client.send_sms(UNDELIVERABLE, "Hi").id
    code = cli.main(["status", UNDELIVERABLE, message_id, "--wait"], sleep=sandbox.advance, env=account)
    assert code == cli.EXIT_NOT_DELIVERED
    assert "Impossible to deliver" in capsys.readouterr().err
    # without --wait the status is only shown: exit 0
    assert cli.main(["status", UNDELIVERABLE, message_id], env=account) == cli.EXIT_OK


# --- --id 0, --version, --request-timeout, a URL ending in / ------------------------------------


@pytest.mark.parametrize("value", ["0", "2147483648"])
def test_id_out_of_the_pages_range_is_a_usage_error(value: str) -> None:
    # 004:35 "32-бітне число в діапазоні від 1 до 2147483647"
    result = smsc("send", "--sandbox", "--id", value, PHONE, "Hi")
    assert result.returncode == cli.EXIT_USAGE and "out of range" in result.stderr
    assert smsc("status", "--sandbox", PHONE, value).returncode == cli.EXIT_USAGE


def test_version() -> None:
    result = smsc("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"smsc-soap {smsc_soap.__version__}"


def test_request_timeout_is_the_clients_and_distinct_from_the_wait_timeout(sandbox: Sandbox,
                                                                           account: Dict[str, str]) -> None:
    sandbox.inject("delay", seconds=3, operation="get_balance")
    slow = smsc("balance", "--request-timeout", "1", env=account)
    assert slow.returncode == cli.EXIT_TRANSPORT and "within the call's 1 s" in slow.stderr
    assert smsc("balance", "--request-timeout", "10", env=account).returncode == cli.EXIT_OK
    assert smsc("balance", "--request-timeout", "0", env=account).returncode == cli.EXIT_USAGE
    help_text = smsc("send", "--help").stdout
    assert "--request-timeout" in help_text and "--wait-timeout" in help_text


@pytest.mark.parametrize("how", ["option", "environment"])
def test_a_url_ending_in_slash_is_the_same_endpoint(sandbox: Sandbox, how: str) -> None:
    url = sandbox.url + "/"
    env = {"SMSC_LOGIN": LOGIN, "SMSC_PASSWORD": PASSWORD}
    if how == "option":
        result = smsc("balance", "--url", url, "--json", env=env)
    else:
        result = smsc("balance", "--json", env={**env, "SMSC_URL": url})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["balance"] == "50.00"
