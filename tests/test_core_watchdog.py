"""One watchdog thread per process instead of a thread per call: calls start no thread, and the
shared watchdog still cuts an exchange at its deadline (the trickle tests in test_reliability.py
and test_fault_matrix.py check that end to end)."""
from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Iterator, List

import pytest

from smsc_soap import Client
from smsc_soap._sync.watchdog import WATCHDOG, Watchdog

BALANCE = ('<?xml version="1.0" encoding="UTF-8"?><SOAP-ENV:Envelope '
           'xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns1="{ns}"><SOAP-ENV:Body>'
           '<ns1:BalanceResponse><balanceresult><balance>5.00</balance></balanceresult></ns1:BalanceResponse>'
           '</SOAP-ENV:Body></SOAP-ENV:Envelope>')


@pytest.fixture
def balance_url() -> Iterator[str]:
    """A one-thread loopback server answering every POST with a balance (started before counting)."""
    url = ""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            payload = BALANCE.format(ns=url).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/xml; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/sys/soap.php"
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_twenty_calls_start_no_thread_beyond_the_one_watchdog(balance_url: str,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    client = Client("alex", "123", url=balance_url, timeout=5)
    client.get_balance()  # the first call may start the process's watchdog
    before = threading.active_count()
    started: List[str] = []
    original = threading.Thread.start

    def counting_start(thread: threading.Thread) -> None:
        started.append(thread.name)
        original(thread)

    monkeypatch.setattr(threading.Thread, "start", counting_start)
    for _ in range(20):
        assert str(client.get_balance().balance) == "5.00"
    monkeypatch.undo()
    client.close()

    assert started == []
    assert threading.active_count() <= before
    watchdogs = [t for t in threading.enumerate() if t.name == "smsc_soap-watchdog"]
    assert len(watchdogs) == 1 and watchdogs[0].daemon


class Watched:
    def __init__(self) -> None:
        self.done = False
        self.expired = threading.Event()

    def expire(self) -> None:
        self.expired.set()


def test_the_watchdog_expires_what_is_not_done_at_its_deadline() -> None:
    dog = Watchdog()
    late, finished, early = Watched(), Watched(), Watched()
    now = time.monotonic()
    dog.watch(now + 0.3, late)
    dog.watch(now + 0.1, finished)
    finished.done = True
    dog.watch(now + 0.05, early)  # earlier than all: wakes the waiting thread
    assert early.expired.wait(2)
    assert late.expired.wait(2) and time.monotonic() >= now + 0.3
    assert not finished.expired.is_set()


def test_the_watchdog_never_spins() -> None:
    """Idle, or waiting for a far deadline, the thread waits on its condition: no wake-ups."""
    dog = Watchdog()
    waits: List[object] = []
    wait = dog._condition.wait

    def counting_wait(timeout: object = None) -> bool:
        waits.append(timeout)
        return wait(timeout)  # type: ignore[arg-type]

    dog._condition.wait = counting_wait  # type: ignore[method-assign]
    item = Watched()
    dog.watch(time.monotonic(), item)
    assert item.expired.wait(2)
    dog.watch(time.monotonic() + 60, Watched())
    time.sleep(0.1)
    settled = len(waits)
    time.sleep(0.3)
    assert len(waits) == settled <= 4, waits
    assert waits[-1] is not None and 59 < float(waits[-1]) <= 60  # type: ignore[arg-type]


def test_the_process_has_one_shared_watchdog() -> None:
    assert isinstance(WATCHDOG, Watchdog)
