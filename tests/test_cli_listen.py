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
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple, Union

import pytest

from smsc_soap import spec

SCRIPT = Path(sys.executable).parent / "smsc-soap"
SECRET = "listen-secret-9"
LISTENING = re.compile(r"listening on http://127\.0\.0\.1:(\d+)/")


def command(*args: str) -> List[str]:
    return [str(SCRIPT), *args] if SCRIPT.exists() else [sys.executable, "-m", "smsc_soap.cli", *args]


class Process:
    """A command serving until signalled; stdout and stderr read line by line in threads (a
    full pipe must never be what holds the command up)."""

    def __init__(self, argv: List[str], env: Optional[Dict[str, str]] = None) -> None:
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     env={**os.environ, **(env or {})})
        self.killer = threading.Timer(60, self.proc.kill)  # never let a broken command hang the suite
        self.killer.start()
        self.out: List[str] = []
        self.err: List[str] = []
        self.readers = [threading.Thread(target=lambda s=s, into=into: into.extend(iter(s.readline, "")), daemon=True)
                        for s, into in ((self.proc.stdout, self.out), (self.proc.stderr, self.err))]
        for reader in self.readers:
            reader.start()

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
        for reader in self.readers:
            reader.join(10)
        return code, "".join(self.err)


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
    assert served.wait_for(lambda: served.err or served.proc.poll() is not None)
    match = LISTENING.search(served.err[0] if served.err else "")
    assert match, served.err
    return served, int(match.group(1))


def post(port: int, body: bytes, query: str = "", headers: Optional[Dict[str, str]] = None) -> Tuple[int, bytes]:
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


# --- a real server: many clients, slow clients, bounded threads, idle, stop ------------------

from smsc_soap.cli_listen import MAX_CONNECTIONS  # noqa: E402


def exchange(port: int, raw: bytes, timeout: float = 30) -> bytes:
    """Send ``raw`` on a fresh connection; all the server answers until it closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        conn.sendall(raw)
        answer = b""
        while True:
            chunk = conn.recv(4096)
            if not chunk:
                return answer
            answer += chunk


def request(body: bytes, length: Optional[int] = None) -> bytes:
    return (b"POST /?charset=utf-8 HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: %d\r\n\r\n" % (len(body) if length is None else length)) + body


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0


def threads_of(proc: subprocess.Popen) -> int:  # type: ignore[type-arg]
    return len(os.listdir(f"/proc/{proc.pid}/task"))


def cpu_seconds(proc: subprocess.Popen) -> float:  # type: ignore[type-arg]
    fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


class Trickle:
    """``count`` slow-loris clients: each sends a request head one byte every ``every`` seconds,
    never finishing it; ``dropped`` records when the server closed each one."""

    def __init__(self, port: int, count: int, every: float = 1.0) -> None:
        self.started = time.monotonic()
        self.conns = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(count)]
        self.dropped: List[float] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(every,), daemon=True)
        self.thread.start()

    def _run(self, every: float) -> None:
        head = b"POST / HTTP/1.1\r\nX-Slow: " + b"a" * 10_000
        open_ = list(self.conns)
        for byte in head:
            for conn in list(open_):
                try:
                    conn.sendall(bytes([byte]))
                    conn.setblocking(False)
                    closed = conn.recv(100) == b""
                except BlockingIOError:
                    closed = False
                except OSError:
                    closed = True
                finally:
                    conn.setblocking(True)
                if closed:
                    self.dropped.append(time.monotonic() - self.started)
                    open_.remove(conn)
            if not open_ or self.stopping.wait(every):
                return

    def close(self) -> None:
        self.stopping.set()
        self.thread.join(10)
        for conn in self.conns:
            conn.close()


def test_listen_answers_200_concurrent_clients_each_and_prints_each_event_once() -> None:
    served, port = listen("--json")
    kinds = ["valid", "valid", "bad signature", "garbage head", "garbage body", "oversize"]
    plan = [(n, kinds[n % len(kinds)]) for n in range(200)]
    raw: Dict[str, Callable[[int], bytes]]
    raw = {"valid": lambda n: request(signed(id=str(n % 40))),  # ids repeat: dedup
           "bad signature": lambda n: request(signed(id=str(n)).replace(b"md5=", b"md5=0")),
           "garbage head": lambda n: b"\x16\x03\x01\x02\x00 \xff\xfe\r\n\r\n",
           "garbage body": lambda n: request(b"\x00\xff" * 50 + b"id=1&id=2"),
           "oversize": lambda n: request(b"id=1", length=spec.CALLBACK_MAX_BODY_BYTES + 1)}
    expected = {"valid": 200, "bad signature": 403, "garbage head": 400, "garbage body": 400, "oversize": 413}
    got: Dict[int, Union[int, str]] = {}
    start = threading.Barrier(len(plan))

    def client(n: int, kind: str) -> None:
        start.wait(30)
        try:
            got[n] = status_of(exchange(port, raw[kind](n)))
        except OSError as exc:
            got[n] = repr(exc)

    clients = [threading.Thread(target=client, args=item) for item in plan]
    for thread in clients:
        thread.start()
    for thread in clients:
        thread.join(60)
    try:
        assert {n: got.get(n) for n, _ in plan} == {n: expected[kind] for n, kind in plan}
        ids = {str(n % 40) for n, kind in plan if kind == "valid"}
        assert served.wait_for(lambda: len(served.out) >= len(ids), timeout=10)
        time.sleep(0.3)  # a duplicate, if any, would be printed by now
    finally:
        code, stderr = served.stop()
    assert code == 0 and "Traceback" not in stderr
    printed = [json.loads(line)["id"] for line in served.out]
    assert sorted(printed) == sorted(ids)  # every verified event, each exactly once


def test_listen_bounds_its_threads_and_drops_slow_clients_without_stopping_others() -> None:
    timeout = 1.5
    served, port = listen("--socket-timeout", str(timeout))
    base = threads_of(served.proc)
    few = Trickle(port, 5, every=0.5)  # each byte well within the timeout: only a deadline drops them
    try:
        time.sleep(0.3)
        started = time.monotonic()
        assert status_of(exchange(port, request(signed()))) == 200  # served beside the slow ones ...
        assert time.monotonic() - started < timeout
        assert few.dropped == [] and served.wait_for(lambda: len(few.dropped) == 5, timeout=timeout + 5)
        assert max(few.dropped) < timeout + 2  # ... which are dropped though they keep sending
    finally:
        few.close()
    many = Trickle(port, MAX_CONNECTIONS + 20, every=0.5)
    try:
        peak = 0
        while time.monotonic() - many.started < 0.7 * timeout:  # while the first ones are held
            peak = max(peak, threads_of(served.proc))
            time.sleep(0.05)
        assert peak == base + MAX_CONNECTIONS  # one thread per connection served, never more
        assert many.dropped == []
        assert status_of(exchange(port, request(signed(id="43")))) == 200  # served once slots free
        assert served.wait_for(lambda: len(many.dropped) == MAX_CONNECTIONS + 20, timeout=3 * timeout + 5)
    finally:
        many.close()
        code, stderr = served.stop()
    assert code == 0 and "Traceback" not in stderr and "Request timed out" in stderr
    assert len(served.out) == 2


def test_listen_does_not_spin_when_idle() -> None:
    served, _ = listen()
    try:
        time.sleep(0.5)
        before = cpu_seconds(served.proc)
        time.sleep(2)
        assert cpu_seconds(served.proc) - before < 0.2  # generous: polling, not spinning
    finally:
        assert served.stop()[0] == 0


def test_sigterm_stops_listen_promptly_with_every_connection_taken() -> None:
    served, port = listen()  # the default socket timeout (10 s): the stop must not wait for it
    held = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(MAX_CONNECTIONS + 5)]
    try:
        assert served.wait_for(lambda: threads_of(served.proc) >= MAX_CONNECTIONS + 2)
        started = time.monotonic()
        code, stderr = served.stop()
        assert time.monotonic() - started < 3
        assert code == 0 and "stopped" in stderr and "Traceback" not in stderr
    finally:
        for conn in held:
            conn.close()


def test_listen_answers_a_lying_length_with_a_typed_status_never_a_hang() -> None:
    served, port = listen("--socket-timeout", "1")
    body = signed()
    try:
        started = time.monotonic()
        assert status_of(exchange(port, request(body, length=len(body) + 50))) == 408  # the rest never comes
        assert time.monotonic() - started < 5
        assert status_of(exchange(port, request(body, length=len(body) - 10))) == 403  # the signature cut off
        for length, status in [(b"-5", 400), (b"abc", 400), (b"\xc2\xb2", 400), (b"9" * 5000, 413)]:
            head = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: " + length + b"\r\n\r\n"
            assert status_of(exchange(port, head + body)) == status, length[:10]
    finally:
        code, stderr = served.stop()
    assert code == 0 and "refused (408)" in stderr and "Traceback" not in stderr and served.out == []
