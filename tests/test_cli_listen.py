"""``smsc-soap listen`` run as a process: it verifies callbacks, prints each event, forwards it
without following redirects, refuses what it should, and stops cleanly on SIGINT/SIGTERM; and
``smsc-soap sandbox --callback-url`` calls it back as its real-time clock moves."""
from __future__ import annotations

import hashlib
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator, List, Optional, Tuple

import pytest

from smsc_soap import spec

SCRIPT = Path(sys.executable).parent / "smsc-soap"
SECRET = "listen-secret-9"
LISTENING = re.compile(r"listening on http://127\.0\.0\.1:(\d+)/")


def command(*args: str) -> List[str]:
    return [str(SCRIPT), *args] if SCRIPT.exists() else [sys.executable, "-m", "smsc_soap.cli", *args]


class Process:
    """A command serving until signalled; stdout read line by line in a thread."""

    def __init__(self, argv: List[str], env: Optional[dict] = None) -> None:
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     env={**os.environ, **(env or {})})
        self.killer = threading.Timer(60, self.proc.kill)  # never let a broken command hang the suite
        self.killer.start()
        self.out: List[str] = []
        threading.Thread(target=lambda: self.out.extend(iter(self.proc.stdout.readline, "")), daemon=True).start()

    def wait_for(self, predicate: Any, timeout: float = 15) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.05)
        return False

    def stop(self, sig: int = signal.SIGTERM) -> Tuple[int, str]:
        self.proc.send_signal(sig)
        code = self.proc.wait(20)
        self.killer.cancel()
        return code, self.proc.stderr.read()


class Recorder:
    """A local handler the listener forwards to; ``status``/``location`` say how it answers."""

    def __init__(self, status: int = 200, location: str = "") -> None:
        self.seen: List[Tuple[str, str, bytes]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                owner.seen.append((self.command, self.path, body))
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"OK")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/local/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def listen(*args: str) -> Tuple[Process, int]:
    served = Process(command("listen", "--port", "0", *args), env={"SMSC_CALLBACK_SECRET": SECRET})
    first = served.proc.stderr.readline()
    match = LISTENING.search(first)
    assert match, first
    return served, int(match.group(1))


def post(port: int, body: bytes, query: str = "", headers: Optional[dict] = None) -> Tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("POST", "/" + (f"?{query}" if query else ""), body,
                       {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})})
    response = connection.getresponse()
    return response.status, response.read()


def signed(status: str = "1", id: str = "42") -> bytes:  # noqa: A002
    digest = hashlib.md5(f"{id}:79991234567:{status}:{SECRET}".encode()).hexdigest()
    return f"id={id}&phone=79991234567&status={status}&md5={digest}".encode()


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    made = Recorder()
    yield made
    made.close()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_listen_verifies_prints_forwards_and_stops_cleanly(recorder: Recorder, sig: int) -> None:
    served, port = listen("--json", "--forward-to", recorder.url)
    assert post(port, signed(), "charset=utf-8") == (200, b"OK")
    assert post(port, signed()) == (200, b"OK")  # a repeat: answered, not printed or forwarded again
    assert post(port, signed().replace(b"md5=", b"md5=f"))[0] == 403
    assert post(port, b"id=1&phone=2&status=1")[0] == 403
    assert post(port, b"x", headers={"Content-Length": str(spec.CALLBACK_MAX_BODY_BYTES + 1)})[0] == 413
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:  # no length: never waits for an end
        raw.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        assert raw.recv(100).startswith(b"HTTP/1.0 411")
    assert served.wait_for(lambda: len(served.out) >= 1 and len(recorder.seen) >= 1)
    code, stderr = served.stop(sig)
    assert code == 0 and "stopped" in stderr and "Traceback" not in stderr
    assert stderr.count("refused (403)") == 2 and "refused (413)" in stderr
    [line] = served.out
    event = json.loads(line)
    assert (event["kind"], event["id"], event["status"], event["status_name"]) == ("status", "42", 1, "DELIVERED")
    assert recorder.seen == [("POST", "/local/hook?charset=utf-8", signed())]
    assert SECRET not in line + stderr


def test_listen_never_follows_a_redirect_when_forwarding() -> None:
    elsewhere = Recorder()
    redirecting = Recorder(status=307, location=elsewhere.url)
    try:
        served, port = listen("--forward-to", redirecting.url)
        assert post(port, signed()) == (200, b"OK")
        assert served.wait_for(lambda: len(served.out) >= 1)
        code, _ = served.stop()
        assert code == 0
        assert "forwarded: HTTP 307 (a redirect: not followed)" in served.out[0]
        assert len(redirecting.seen) == 1 and elsewhere.seen == []
    finally:
        elsewhere.close()
        redirecting.close()


def test_listen_refuses_a_forward_url_it_cannot_use() -> None:
    done = subprocess.run(command("listen", "--port", "0", "--forward-to", "ftp://127.0.0.1/x"),
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 2 and "--forward-to must be an http:// URL" in done.stderr


def test_the_sandbox_command_calls_listen_back_as_its_clock_moves() -> None:
    served, port = listen("--json")
    sandbox = Process(command("sandbox", "--port", "0", "--quiet",
                              "--callback-url", f"http://127.0.0.1:{port}/?fmt=3&md5={SECRET}"))
    try:
        assert sandbox.wait_for(lambda: any(line.startswith("serving") for line in sandbox.out))
        wsdl = next(line for line in sandbox.out if line.startswith("WSDL: ")).split()[1]
        assert any(line.startswith("callbacks: ") and SECRET not in line for line in sandbox.out)
        from smsc_soap import Client

        with Client("alex", "123", url=wsdl.replace("?wsdl", "")) as client:
            sent = client.send_sms("79991234567", "hello")
        # real time: "transferred" comes QUEUE_SECONDS after the send (sandbox.assumptions)
        assert served.wait_for(lambda: len(served.out) >= 1, timeout=15)
        event = json.loads(served.out[0])
        assert (event["kind"], event["id"], event["status"]) == ("status", sent.id, 0)
    finally:
        assert sandbox.stop()[0] == 0
        assert served.stop()[0] == 0


def test_a_bad_callback_url_stops_the_sandbox_command_at_once() -> None:
    done = subprocess.run(command("sandbox", "--port", "0", "--callback-url", "http://127.0.0.1:1/?crc32=x"),
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 2 and "--callback-url" in done.stderr and "crc32" in done.stderr
