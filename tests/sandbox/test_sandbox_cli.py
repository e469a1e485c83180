"""``smsc-soap sandbox`` and ``python -m smsc_soap.sandbox``: serve until SIGINT/SIGTERM."""
from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import List

import pytest
import requests
import zeep
from sandbox_helpers import free_port

from smsc_soap.sandbox.clock import Clock

SCRIPT = Path(sys.executable).parent / "smsc-soap"
URL_LINE = re.compile(r"^URL: http://127\.0\.0\.1:(\d+)/sys/soap\.php$")


class Served:
    def __init__(self, argv: List[str]) -> None:
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self._killer = threading.Timer(30, self.proc.kill)  # never let a broken CLI hang the suite
        self._killer.start()
        assert self.proc.stdout is not None  # stdout=PIPE
        self.first = self.proc.stdout.readline().rstrip("\n")
        self.lines = [self.proc.stdout.readline().rstrip("\n") for _ in range(self._extra_lines(argv))]

    @staticmethod
    def _extra_lines(argv: List[str]) -> int:
        accounts = max(1, argv.count("--account"))
        return 1 + accounts + argv.count("--apikey") + argv.count("--senders") + 1  # WSDL:, ..., serving

    def stop(self, sig: int = signal.SIGINT) -> int:
        self.proc.send_signal(sig)
        code = self.proc.wait(20)
        self._killer.cancel()
        return code


def cli(*args: str) -> List[str]:
    return [str(SCRIPT), "sandbox", *args] if SCRIPT.exists() else [sys.executable, "-m", "smsc_soap.cli", "sandbox", *args]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_port_0_prints_the_real_url_then_the_wsdl_and_stops_cleanly(sig: int) -> None:
    served = Served(cli("--port", "0"))
    match = URL_LINE.match(served.first)  # the endpoint to give the client: SMSC_URL= or url=
    assert match, served.first
    port = int(match.group(1))
    assert port != 0
    assert served.lines[0] == f"WSDL: http://127.0.0.1:{port}/sys/soap.php?wsdl"
    assert served.lines[1] == "account: login=alex psw=123 balance=100.00"  # the demo account
    wsdl = requests.get(f"http://127.0.0.1:{port}/sys/soap.php?wsdl", timeout=5)
    assert wsdl.status_code == 200 and f"http://127.0.0.1:{port}/sys/soap.php".encode() in wsdl.content
    assert served.stop(sig) == 0
    assert served.proc.stderr is not None  # stderr=PIPE
    assert "Traceback" not in served.proc.stderr.read()


def test_accounts_apikeys_and_senders_from_the_command_line() -> None:
    port = free_port()
    served = Served(cli("--bind", "127.0.0.1", "--port", str(port), "--account", "shop:pw:5",
                        "--account", "ops:x", "--apikey", "K1=shop", "--senders", "SHOP,Info", "--quiet"))
    try:
        assert served.first == f"URL: http://127.0.0.1:{port}/sys/soap.php"
        assert served.lines[0] == f"WSDL: http://127.0.0.1:{port}/sys/soap.php?wsdl"
        assert served.lines[1:5] == ["account: login=shop psw=pw balance=5.00", "account: login=ops psw=x balance=100.00",
                                    "apikey: K1 -> shop", "senders: SHOP, Info"]
        client = zeep.Client(f"http://127.0.0.1:{port}/sys/soap.php?wsdl")  # type: ignore[no-untyped-call]
        assert client.service.get_balance(login="shop", psw="pw").balance == "5.00"
        assert client.service.get_balance(login="alex", psw="123").error == "2"  # no demo account now
        by_key = client.service.send_sms2(login="", psw="", phones="79999999999", mes="x", sender="SHOP", query="apikey=K1")
        assert by_key.id == "1"
        other = client.service.send_sms(login="ops", psw="x", phones="79999999999", mes="y", sender="Other")
        assert other.error == "6"
    finally:
        assert served.stop(signal.SIGTERM) == 0


def test_python_m_smsc_soap_sandbox() -> None:
    served = Served([sys.executable, "-m", "smsc_soap.sandbox", "--port", "0"])
    assert URL_LINE.match(served.first), served.first
    assert served.stop() == 0


def test_bad_arguments_fail_with_a_message() -> None:
    done = subprocess.run(cli("--port", "0", "--apikey", "K=nobody"), capture_output=True, text=True, timeout=30)
    assert done.returncode == 2 and "no such account" in done.stderr
    done = subprocess.run(cli("--account", "nopassword"), capture_output=True, text=True, timeout=30)
    assert done.returncode == 2 and "LOGIN:PSW" in done.stderr
    with __import__("socket").socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        done = subprocess.run(cli("--port", str(busy.getsockname()[1])), capture_output=True, text=True, timeout=30)
    assert done.returncode == 2 and "cannot listen" in done.stderr


def test_the_command_line_clock_follows_real_time() -> None:
    clock = Clock(realtime=True)
    first = clock.now()
    time.sleep(0.01)
    assert clock.now() > first
    assert clock.advance(60) >= first + 60
    frozen = Clock(start=1000.0)
    time.sleep(0.01)
    assert frozen.now() == 1000.0 and frozen.advance(5) == 1005.0
    with pytest.raises(ValueError):
        frozen.advance(-1)


# --- edges (issue 11, point 5): bad values are usage errors of one line, never tracebacks ------

BAD_VALUES = {
    "port out of range": (["--port", "70000"], "--port"),
    "negative port": (["--port", "-5"], "--port"),
    "port in other digits": (["--port", "\u0661\u0662"], "--port"),
    "huge balance": (["--account", "a:b:1e30"], "balance"),
    "NaN balance": (["--account", "a:b:NaN"], "balance"),
    "infinite balance": (["--account", "a:b:Infinity"], "balance"),
    "negative balance": (["--account", "a:b:-1"], "balance"),
    "no connections": (["--max-connections", "0"], "--max-connections"),
    "unknown address": (["--bind", "no such host", "--port", "0"], "cannot listen"),
}


@pytest.mark.parametrize("args, needle", list(BAD_VALUES.values()), ids=list(BAD_VALUES))
def test_bad_values_are_usage_errors_of_one_line(args: List[str], needle: str) -> None:
    done = subprocess.run(cli(*args), capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("smsc-soap") and needle in lines[0], done.stderr


def test_the_largest_balance_is_served_to_two_decimals() -> None:
    served = Served(cli("--port", "0", "--account", "rich:pw:1000000000000"))
    assert served.lines[1] == "account: login=rich psw=pw balance=1000000000000.00"  # after WSDL:
    assert served.stop() == 0
