"""The ``smsc-soap`` command, run as users run it: the installed entry point in a subprocess,
against ``--sandbox`` (inside the command) or a sandbox server started here (``SMSC_URL``).

``status --wait`` also runs in-process, with the sandbox clock as its sleep, so no test sleeps.
"""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, cast

import lxml.etree
import pytest

from smsc_soap import Client, cli
from smsc_soap.cli.main import _interrupted
from smsc_soap.query import EXTENDED_PARAMS
from smsc_soap.sandbox import Sandbox
from support.signals import ctrl_c_reaches_python

COMMAND = Path(sys.executable).parent / "smsc-soap"
LOGIN, PASSWORD, APIKEY = "ops", "s3cret-Pa55", "k3y-for-ops"
PHONE = "79991234567"


def smsc(*args: str, env: Dict[str, str] = {}) -> subprocess.CompletedProcess[str]:
    """Run the installed command, stdin not a terminal, with only the SMSC_* variables given."""
    clean = {name: value for name, value in os.environ.items() if not name.startswith("SMSC_")}
    return subprocess.run([str(COMMAND), *args], env={**clean, **env}, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=60)


def fields(stdout: str) -> List[List[str]]:
    """Human output as [label, value] pairs."""
    return [line.split(None, 1) for line in stdout.splitlines()]


def assert_one_line_error(result: subprocess.CompletedProcess[str], code: int, *needles: str) -> None:
    assert result.returncode == code, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("smsc-soap: "), result.stderr
    for needle in needles:
        assert needle in lines[0]


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox([f"{LOGIN}:{PASSWORD}:50"], apikeys={APIKEY: LOGIN}) as sb:
        yield sb


@pytest.fixture
def account(sandbox: Sandbox) -> Dict[str, str]:
    return {"SMSC_LOGIN": LOGIN, "SMSC_PASSWORD": PASSWORD, "SMSC_URL": sandbox.url}


def test_the_entry_point_is_installed() -> None:
    assert COMMAND.exists(), f"install the package (pip install -e .): no {COMMAND}"


# --- the main job on the embedded sandbox ---------------------------------------------------


def test_main_job_prints_id_parts_cost_balance_then_the_delivery_status() -> None:
    result = smsc("send", "--sandbox", PHONE, "Hello from smsc-soap")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = fields(result.stdout)
    assert [label for label, _ in lines] == ["id", "parts", "cost", "balance", "status"]
    assert dict(lines) == {"id": lines[0][1], "parts": "1", "cost": "2.00", "balance": "98.00",
                           "status": "1 Delivered"}


def test_json_is_one_object_per_result_with_money_as_strings() -> None:
    result = smsc("send", "--sandbox", "--json", f"{PHONE},79990000001", "Hello from smsc-soap")
    assert result.returncode == 0, result.stderr
    sent, *statuses = map(json.loads, result.stdout.splitlines())
    assert sent["type"] == "send" and sent["cnt"] == 2
    assert (sent["cost"], sent["balance"]) == ("4.00", "96.00")
    assert [(s["type"], s["phone"], s["id"], s["status"], s["final"]) for s in statuses] == [
        ("status", PHONE, sent["id"], 1, True),
        ("status", "79990000001", sent["id"], 20, True),  # the sandbox's "unknown subscriber"
    ]


# --- the account from the environment, against a sandbox server ---------------------------------


def test_extended_options_reach_the_service_validated_and_encoded(sandbox: Sandbox, account: Dict[str, str]) -> None:
    result = smsc("send", "--json", "--sender", "ivan", "--translit", "1", "--valid", "01:30", "--tinyurl",
                  "--cost", "2", "--id", "order-17", PHONE, "Hi + bye", env=account)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"type": "send", "id": "order-17", "cnt": 1, "cost": "2.00"}
    request = sandbox.requests[-1]
    assert request.operation == "send_sms2"
    assert request.params is not None
    assert request.params["sender"] == "ivan" and request.params["mes"] == "Hi + bye"
    assert request.params["query"] == "cost=2&valid=01:30&tinyurl=1&translit=1"


def test_cost_balance_and_status(sandbox: Sandbox, account: Dict[str, str]) -> None:
    cost = smsc("cost", PHONE, "Hello", "--json", env=account)
    assert json.loads(cost.stdout) == {"type": "cost", "cost": "2.00", "cnt": 1}
    balance = smsc("balance", env=account)
    assert fields(balance.stdout) == [["balance", "50.00"]]
    with Client(LOGIN, PASSWORD, url=sandbox.url) as client:
        sent = client.send_sms(PHONE, "Hello")
    sandbox.advance(60)
    status = smsc("status", PHONE, sent.id, "--all", "1", "--wait", "--json", env=account)
    assert status.returncode == 0, status.stderr
    answer = json.loads(status.stdout)
    assert (answer["status"], answer["final"], answer["phone"], answer["message"]) == (1, True, PHONE, "Hello")


def test_an_api_key_from_the_environment(sandbox: Sandbox) -> None:
    env = {"SMSC_APIKEY": APIKEY, "SMSC_URL": sandbox.url}
    assert json.loads(smsc("cost", "--json", PHONE, "Hi", env=env).stdout)["cost"] == "2.00"
    assert sandbox.requests[-1].params is not None
    assert "apikey=" in sandbox.requests[-1].params["query"]
    refused = smsc("balance", env=env)  # get_balance has no query to carry a key
    assert_one_line_error(refused, 2, "get_balance", "login")


# --- exit codes -------------------------------------------------------------------------------


@pytest.mark.parametrize("args, needle", [
    (["send", "--sandbox", PHONE, "Hi", "--valid", "99"], "valid"),
    (["send", "--sandbox", "12-34", "Hi"], "phones"),
    (["status", "--sandbox", PHONE, "bad id!"], "id"),
])
def test_validation_error_exits_2(args: List[str], needle: str) -> None:
    assert_one_line_error(smsc(*args), 2, needle)


def test_usage_errors_exit_2_and_there_is_no_password_option() -> None:
    assert smsc("send", "--sandbox", PHONE, "Hi", "--password", "x").returncode == 2
    assert smsc("nosuchcommand").returncode == 2


def test_service_error_exits_1_naming_the_code_and_its_meaning() -> None:
    assert_one_line_error(smsc("send", "--sandbox", "79990000008", "Hi"), 1,
                          "send_sms2", "error 8", "cannot be delivered")


def test_wrong_password_exits_1_without_showing_it(sandbox: Sandbox) -> None:
    result = smsc("balance", env={"SMSC_LOGIN": LOGIN, "SMSC_PASSWORD": "wrong-Pa55", "SMSC_URL": sandbox.url})
    assert_one_line_error(result, 1, "error 2", "wrong login or password")


def test_an_invalid_api_key_is_never_echoed(sandbox: Sandbox) -> None:
    result = smsc("cost", PHONE, "Hi", env={"SMSC_APIKEY": "my secret key", "SMSC_URL": sandbox.url})
    assert_one_line_error(result, 2, "apikey")
    assert "secret" not in result.stderr


def test_transport_error_exits_3() -> None:
    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = smsc("balance", env={"SMSC_LOGIN": LOGIN, "SMSC_PASSWORD": PASSWORD,
                                  "SMSC_URL": f"http://127.0.0.1:{port}/sys/soap.php"})
    assert_one_line_error(result, 3, "connection")
    assert PASSWORD not in result.stderr


def test_no_password_and_no_terminal_exits_2_instead_of_prompting(sandbox: Sandbox) -> None:
    result = smsc("balance", env={"SMSC_LOGIN": LOGIN, "SMSC_URL": sandbox.url})
    assert_one_line_error(result, 2, "SMSC_PASSWORD")
    assert sandbox.requests == []


def test_no_credentials_exits_2_and_points_at_the_sandbox() -> None:
    assert_one_line_error(smsc("balance"), 2, "SMSC_LOGIN", "--sandbox")


# --- status --wait, in-process: the sandbox clock stands in for sleeping ------------------------


def _sent(sandbox: Sandbox) -> str:
    with Client(LOGIN, PASSWORD, url=sandbox.url) as client:
        return client.send_sms(PHONE, "Hello").id


def test_wait_polls_within_the_status_limit_until_final(sandbox: Sandbox, account: Dict[str, str],
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    message_id = _sent(sandbox)
    slept: List[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        sandbox.advance(seconds)

    code = cli.main(["status", PHONE, message_id, "--wait", "--json"], sleep=sleep, env=account)
    assert code == cli.EXIT_OK
    assert json.loads(capsys.readouterr().out)["status"] == 1
    assert slept and all(seconds >= 60 / 5 for seconds in slept)  # the page: 5 status requests a minute


def test_wait_gives_up_after_the_timeout_with_exit_4(sandbox: Sandbox, account: Dict[str, str],
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    message_id = _sent(sandbox)
    slept: List[float] = []  # the clock stands still: the message never leaves the queue
    code = cli.main(["status", PHONE, message_id, "--wait", "--timeout", "30"], sleep=slept.append, env=account)
    assert code == cli.EXIT_PENDING
    out, err = capsys.readouterr()
    assert dict(fields(out))["status"] == "-1 Waiting to be sent"
    assert "not final" in err.splitlines()[-1]
    assert slept == [cli.POLL_INTERVAL, cli.POLL_INTERVAL]
    assert [r.operation for r in sandbox.requests].count("get_status") == 3


# --- wsdl and help ----------------------------------------------------------------------------


def test_wsdl_for_a_host_and_for_the_url_in_the_environment() -> None:
    for args, env, endpoint in [(["--host", "smsc.kz"], {}, "https://smsc.kz/sys/soap.php"),
                                ([], {"SMSC_URL": "http://127.0.0.1:8000/sys/soap.php"},
                                 "http://127.0.0.1:8000/sys/soap.php")]:
        result = subprocess.run([str(COMMAND), "wsdl", *args], env={**os.environ, **env},
                                capture_output=True, timeout=60)
        assert result.returncode == 0, result.stderr
        document = lxml.etree.fromstring(result.stdout)
        assert document.get("targetNamespace") == endpoint


def test_every_extended_parameter_is_an_option_but_no_secret_is() -> None:
    parser = cli.build_parser()
    for command in ("send", "cost"):
        options = {option for action in cast(Any, parser._subparsers)._group_actions[0].choices[command]._actions
                   for option in action.option_strings}
        assert {f"--{name}" for name in EXTENDED_PARAMS if name != "apikey"} <= options
        assert not {"--apikey", "--password", "--psw"} & options


# --- edges (issue 11, point 5): every bad value a usage error of one line, never a traceback ----

USAGE_ERRORS = {
    "timeout nan": (["status", "--sandbox", "--wait", "--timeout", "nan", PHONE, "1"], "--timeout"),
    "timeout inf": (["status", "--sandbox", "--wait", "--timeout", "inf", PHONE, "1"], "--timeout"),
    "timeout negative": (["send", "--sandbox", "--timeout=-1", PHONE, "Hi"], "--timeout"),
    "timeout zero": (["send", "--sandbox", "--wait", "--timeout", "0", PHONE, "Hi"], "--timeout"),
    "url non-ASCII host": (["balance", "--url", "http://пример.рф/sys/soap.php"], "ASCII"),
    "url non-ASCII path": (["wsdl", "--url", "http://example.com/путь"], "ASCII"),
    "url port out of range": (["balance", "--url", "http://example.com:70000/sys/soap.php"], "Port out of range"),
    "url negative port": (["wsdl", "--url", "http://example.com:-1/sys/soap.php"], "--url"),
    "url bad IPv6": (["balance", "--url", "http://[::1/sys/soap.php"], "IPv6"),
    "host non-ASCII": (["balance", "--host", "пример.рф"], "host"),
    "id of 5000 digits": (["send", "--sandbox", "--id", "9" * 5000, PHONE, "Hi"], "--id"),
    "status id of 5000 digits": (["status", "--sandbox", PHONE, "9" * 5000], "id"),
    "control character in login": (["balance", "--login", "al\x01ex"], "U+0001"),
    "control character in mes": (["send", "--sandbox", PHONE, "Hi\x07"], "U+0007"),
}


@pytest.mark.parametrize("args, needle", list(USAGE_ERRORS.values()), ids=list(USAGE_ERRORS))
def test_bad_option_values_are_usage_errors_of_one_line(args: List[str], needle: str) -> None:
    result = smsc(*args, env={"SMSC_LOGIN": LOGIN, "SMSC_PASSWORD": PASSWORD})
    assert "Traceback" not in result.stderr
    assert_one_line_error(result, 2, needle)


@pytest.mark.parametrize("name, value", [(cli.ENV_URL, "http://пример.рф/sys/soap.php"),
                                         (cli.ENV_URL, "http://example.com:99999/sys/soap.php"),
                                         (cli.ENV_HOST, "smsc.kz:70000")])
def test_bad_endpoints_from_the_environment_are_usage_errors_too(name: str, value: str) -> None:
    result = smsc("balance", env={"SMSC_LOGIN": LOGIN, "SMSC_PASSWORD": PASSWORD, name: value})
    assert_one_line_error(result, 2, name)


def test_a_control_character_in_the_password_is_refused_without_showing_it() -> None:
    result = smsc("balance", env={"SMSC_LOGIN": LOGIN, "SMSC_PASSWORD": "pa\x01ss-word"})
    assert_one_line_error(result, 2, cli.ENV_PASSWORD)
    assert "ss-word" not in result.stderr


def test_exit_codes_table_names_130_and_the_closed_output_case() -> None:
    assert cli.EXIT_CODES[130].startswith("interrupted")
    assert "head" in cli.EXIT_CODES[cli.EXIT_OK]


def _closed_pipe() -> int:
    """The write end of a pipe whose reader has already gone (as after ``| head -c 1``)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    return write_end


@pytest.mark.parametrize("output", [[], ["--json"]], ids=["human", "json"])
def test_output_closed_early_after_a_send_exits_0_without_a_traceback(sandbox: Sandbox, account: Dict[str, str],
                                                                      output: List[str]) -> None:
    clean = {name: value for name, value in os.environ.items() if not name.startswith("SMSC_")}
    write_end = _closed_pipe()
    try:
        result = subprocess.run([str(COMMAND), "send", *output, PHONE, "Hello"], env={**clean, **account},
                                stdin=subprocess.DEVNULL, stdout=write_end, stderr=subprocess.PIPE,
                                text=True, timeout=60)
    finally:
        os.close(write_end)
    assert result.stderr == ""  # no traceback, no "Exception ignored ... BrokenPipeError"
    assert result.returncode == cli.EXIT_OK  # never 1, "the service answered an error"
    assert len(sandbox.messages) == 1  # the send went


def test_output_closed_early_on_the_embedded_sandbox_exits_0() -> None:
    clean = {name: value for name, value in os.environ.items() if not name.startswith("SMSC_")}
    write_end = _closed_pipe()
    try:
        result = subprocess.run([str(COMMAND), "send", "--sandbox", PHONE, "Hello"], env=clean,
                                stdin=subprocess.DEVNULL, stdout=write_end, stderr=subprocess.PIPE,
                                text=True, timeout=60)
    finally:
        os.close(write_end)
    assert (result.returncode, result.stderr) == (0, "")


@pytest.mark.parametrize("given_id", [None, "order-42"], ids=["client-assigned id", "--id"])
def test_ctrl_c_during_a_send_names_the_id_and_how_to_check_it(sandbox: Sandbox, account: Dict[str, str],
                                                               given_id: Optional[str]) -> None:
    # the service takes the message, then its answer is held back: Ctrl+C comes before it
    fault = sandbox.inject("delay", seconds=20.0, after=True, operation="send_sms")
    clean = {name: value for name, value in os.environ.items() if not name.startswith("SMSC_")}
    args = ["send", PHONE, "Hello"] + (["--id", given_id] if given_id else [])
    proc = subprocess.Popen([str(COMMAND), *args], env={**clean, **account}, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=ctrl_c_reaches_python)
    try:
        deadline = time.monotonic() + 30
        while not sandbox.messages and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)  # until the message is sent, its answer delayed
        assert fault.hits == 1 and len(sandbox.messages) == 1
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == cli.EXIT_INTERRUPTED, err
    assert "Traceback" not in err and out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    match = re.search(rf"smsc-soap status {PHONE} (\S+)$", lines[0])
    assert match, lines[0]
    assert match.group(1) == sandbox.messages[0].id  # the id the service has the message under
    if given_id:
        assert match.group(1) == given_id
    assert f"message id {match.group(1)}" in lines[0]


def test_an_error_keeps_its_exit_code_when_nobody_reads_stderr() -> None:
    clean = {name: value for name, value in os.environ.items() if not name.startswith("SMSC_")}
    write_end = _closed_pipe()
    try:
        result = subprocess.run([str(COMMAND), "balance"], env=clean, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=write_end, timeout=60)
    finally:
        os.close(write_end)
    assert result.returncode == cli.EXIT_USAGE  # not 0, not 120 from a failed flush at exit


def test_ctrl_c_after_the_send_says_it_was_sent() -> None:
    ctx = cli.Context(env={}, sleep=lambda seconds: None, out=cli.Output(False), sending=(PHONE, "c1"))
    assert "it may have been sent" in _interrupted(ctx)
    ctx.sent = True
    assert _interrupted(ctx) == f"interrupted after message id c1 was sent; its status: smsc-soap status {PHONE} c1"
    assert _interrupted(cli.Context(env={}, sleep=lambda seconds: None, out=cli.Output(False))) == "interrupted"
