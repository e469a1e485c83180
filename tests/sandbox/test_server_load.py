"""The sandbox keeps serving under load (issue 11, point 4): each test attacks one class of
failure, on loopback, in bounded loops of a few seconds.

* idle connections up to the open-file limit: no spinning on accept(), fresh clients served;
* a request head trickled byte by byte is cut after ``head_seconds``;
* connections (and so threads) are capped;
* a burst of 500 connections fits the listen backlog and every one is answered;
* odd Content-Length values answer 400, never a traceback.
"""
from __future__ import annotations

import logging
import os
import selectors
import socket
import subprocess
import sys
import textwrap
import threading
import time
from typing import Dict, List, cast

import pytest
from sandbox_helpers import envelope

from smsc_soap.sandbox import Sandbox
from smsc_soap.sandbox import assumptions as A
from smsc_soap.sandbox import server as server_module

BALANCE = envelope("<n:balance><login>alex</login><psw>123</psw></n:balance>", "urn:x")
CLOSE_GET = b"GET /sys/soap.php HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"


def post_close(port: int) -> bytes:
    """A get_balance request that asks the server to close after answering."""
    url = f"http://127.0.0.1:{port}/sys/soap.php"
    body = envelope("<n:balance><login>alex</login><psw>123</psw></n:balance>", url)
    return (b"POST /sys/soap.php HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: text/xml\r\n"
            b"Connection: close\r\nContent-Length: %d\r\n\r\n" % (port, len(body))) + body


def read_all(sock: socket.socket, timeout: float = 5.0) -> bytes:
    sock.settimeout(timeout)
    chunks: List[bytes] = []
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def answers(socks: List[socket.socket], seconds: float) -> Dict[socket.socket, bytes]:
    """Everything each socket receives until the server closes it (or ``seconds`` pass)."""
    got: Dict[socket.socket, bytes] = {sock: b"" for sock in socks}
    with selectors.DefaultSelector() as selector:
        for sock in socks:
            sock.setblocking(False)
            selector.register(sock, selectors.EVENT_READ)
        open_ = len(socks)
        deadline = time.monotonic() + seconds
        while open_ and time.monotonic() < deadline:
            for key, _ in selector.select(0.2):
                sock = cast(socket.socket, key.fileobj)  # only sockets are registered
                try:
                    chunk = sock.recv(65536)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    chunk = b""
                if chunk:
                    got[sock] += chunk
                else:
                    selector.unregister(sock)
                    open_ -= 1
    return got


# --- the open-file limit, in a child whose RLIMIT_NOFILE is lowered -------------------------

_CHILD = textwrap.dedent("""
    import resource, sys
    from smsc_soap.sandbox import Sandbox
    limit, cap = int(sys.argv[1]), sys.argv[2]
    resource.setrlimit(resource.RLIMIT_NOFILE, (limit, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
    sandbox = Sandbox(max_connections=None if cap == "default" else int(cap)).start()
    print(sandbox.port, sandbox._server.max_connections, flush=True)
    sys.stdin.read()
    sandbox.stop()
""")
FD_LIMIT = 64


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far, from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat") as file:
        fields = file.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="reads CPU time from /proc")
@pytest.mark.parametrize("cap", ["default", "1000"], ids=["capped-below-the-limit", "cap-above-the-limit"])
def test_idle_connections_at_the_file_limit_neither_spin_nor_stop_the_server(cap: str) -> None:
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(FD_LIMIT), cap], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    idle: List[socket.socket] = []
    try:
        port, max_connections = map(int, child.stdout.readline().split())  # type: ignore[union-attr]
        if cap == "default":
            assert max_connections == FD_LIMIT - A.FD_MARGIN
        for _ in range(FD_LIMIT + 20):  # beyond both the cap and the open-file limit
            idle.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        time.sleep(0.5)  # the server takes what it can
        before = cpu_seconds(child.pid)
        time.sleep(2.0)  # saturated: connections pending, no file descriptor (or slot) free
        assert cpu_seconds(child.pid) - before < 0.5
        if cap == "1000":  # over the file limit only closing connections frees descriptors
            for sock in idle:
                sock.close()
            idle.clear()
        with socket.create_connection(("127.0.0.1", port), timeout=5) as fresh:
            fresh.sendall(post_close(port))
            assert read_all(fresh).startswith(b"HTTP/1.1 200 ")
    finally:
        for sock in idle:
            sock.close()
        out, err = child.communicate("", timeout=20)
    assert child.returncode == 0, err
    assert "Traceback" not in err


# --- the whole request head has a deadline --------------------------------------------------


def test_a_request_head_trickled_byte_by_byte_is_cut_after_head_seconds() -> None:
    with Sandbox(head_seconds=1.0) as sb:
        with socket.create_connection(("127.0.0.1", sb.port), timeout=5) as conn:
            started = time.monotonic()
            conn.sendall(b"POST /sys/soap.php HTTP/1.1\r\n")
            closed_after = None
            while time.monotonic() - started < 5.0:
                try:
                    conn.sendall(b"X")  # one byte of an endless header line every 0.2 s
                except OSError:
                    closed_after = time.monotonic() - started
                    break
                time.sleep(0.2)
                conn.settimeout(0.01)
                try:
                    if conn.recv(1024) == b"":
                        closed_after = time.monotonic() - started
                        break
                except socket.timeout:
                    pass
                except OSError:
                    closed_after = time.monotonic() - started
                    break
            assert closed_after is not None and closed_after < 2.0, closed_after
        assert sb.requests == []


def test_a_request_head_sent_at_once_is_not_affected_by_the_head_deadline() -> None:
    with Sandbox(head_seconds=0.5) as sb:
        with socket.create_connection(("127.0.0.1", sb.port), timeout=5) as conn:
            time.sleep(1.0)  # idle before the request: the deadline starts at its first byte
            conn.sendall(post_close(sb.port))
            assert read_all(conn).startswith(b"HTTP/1.1 200 ")


# --- connections, threads and the backlog ----------------------------------------------------


def _sandbox_threads() -> int:
    return sum(1 for t in threading.enumerate() if t.name.startswith("smsc-sandbox-"))


def test_200_idle_connections_never_hold_more_threads_than_the_cap() -> None:
    cap = 20
    with Sandbox(max_connections=cap) as sb:
        peak, stop = [0], threading.Event()

        def watch() -> None:
            while not stop.wait(0.01):
                peak[0] = max(peak[0], _sandbox_threads())

        watcher = threading.Thread(target=watch)
        watcher.start()
        idle = [socket.create_connection(("127.0.0.1", sb.port), timeout=5) for _ in range(200)]
        try:
            time.sleep(0.5)
            with socket.create_connection(("127.0.0.1", sb.port), timeout=5) as fresh:
                fresh.sendall(post_close(sb.port))  # room is made: the oldest idle one is closed
                assert read_all(fresh).startswith(b"HTTP/1.1 200 ")
        finally:
            stop.set()
            watcher.join()
            for sock in idle:
                sock.close()
        assert 0 < peak[0] <= cap
        assert sb._server is not None and sb._server.connection_count <= cap


def test_at_the_cap_a_new_connection_closes_only_the_oldest_idle_one() -> None:
    with Sandbox(max_connections=5) as sb:
        idle = []
        for _ in range(5):
            idle.append(socket.create_connection(("127.0.0.1", sb.port), timeout=5))
            time.sleep(0.05)  # in order: the first is the oldest idle one
        try:
            with socket.create_connection(("127.0.0.1", sb.port), timeout=5) as fresh:
                fresh.sendall(post_close(sb.port))
                assert read_all(fresh).startswith(b"HTTP/1.1 200 ")
            closed = []
            for sock in idle:
                sock.settimeout(0.2)
                try:
                    closed.append(sock.recv(1) == b"")
                except socket.timeout:
                    closed.append(False)
            assert closed == [True, False, False, False, False]
        finally:
            for sock in idle:
                sock.close()


def test_the_backlog_is_sized_for_bursts() -> None:
    with Sandbox() as sb:
        assert sb._server is not None
        assert sb._server.request_queue_size == server_module.listen_backlog()
    with open("/proc/sys/net/core/somaxconn") as file:
        somaxconn = int(file.read())
    assert server_module.listen_backlog() == min(A.LISTEN_BACKLOG, somaxconn)


def test_a_burst_of_500_connections_is_answered_in_full_none_hanging() -> None:
    """Over the cap a burst waits in the backlog (it is never refused): every client is answered."""
    cap = 64
    with Sandbox(max_connections=cap) as sb:
        started = time.monotonic()
        socks = []
        try:
            for _ in range(500):
                sock = socket.create_connection(("127.0.0.1", sb.port), timeout=5)
                sock.sendall(post_close(sb.port))
                socks.append(sock)
            assert time.monotonic() - started < 5.0  # no SYN dropped and retried for a second
            got = answers(socks, seconds=30.0)
        finally:
            for sock in socks:
                sock.close()
        assert sum(1 for answer in got.values() if answer.startswith(b"HTTP/1.1 200 ")) == 500
        assert all(b"BalanceResponse>" in answer for answer in got.values())  # (most say error 9: rate)
        assert time.monotonic() - started < 30.0
        assert len(sb.requests) == 500


def test_stop_is_clean_with_idle_busy_and_trickling_connections_open() -> None:
    sb = Sandbox(max_connections=8).start()
    socks = [socket.create_connection(("127.0.0.1", sb.port), timeout=5) for _ in range(12)]
    socks[0].sendall(b"POST /sys/soap.php HTTP/1.1\r\nHost: x\r\n")  # head unfinished
    socks[1].sendall(b"POST /sys/soap.php HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n<x")  # body
    time.sleep(0.3)
    started = time.monotonic()
    try:
        sb.stop()
    finally:
        for sock in socks:
            sock.close()
    assert time.monotonic() - started < 3.0
    assert _sandbox_threads() == 0


# --- odd header values ----------------------------------------------------------------------

ODD_LENGTHS = {
    "arabic-indic digits": [b"\xd9\xa1\xd9\xa2"],  # '١٢' in UTF-8
    "fullwidth digits": ["１２".encode()],
    "superscript digits": ["²".encode()],
    "negative": [b"-5"],
    "plus sign": [b"+5"],
    "hex": [b"0x10"],
    "two numbers": [b"5 5"],
    "a list": [b"5, 5"],
    "not a number": [b"abc"],
    "empty": [b""],
    "thousands of digits": [b"9" * 5000],
    "twice, equal": [b"5", b"5"],
    "twice, different": [b"5", b"6"],
}


@pytest.mark.parametrize("values", list(ODD_LENGTHS.values()), ids=list(ODD_LENGTHS))
def test_odd_content_lengths_answer_400_never_a_traceback(values: List[bytes], caplog: pytest.LogCaptureFixture,
                                                         capfd: pytest.CaptureFixture[str]) -> None:
    caplog.set_level(logging.INFO, logger="smsc_soap.sandbox")
    with Sandbox() as sb:
        head = b"POST /sys/soap.php HTTP/1.1\r\nHost: x\r\n" + b"".join(b"Content-Length: %s\r\n" % v for v in values)
        with socket.create_connection(("127.0.0.1", sb.port), timeout=5) as conn:
            conn.sendall(head + b"\r\nhello")
            assert read_all(conn).startswith(b"HTTP/1.1 400 ")
        with socket.create_connection(("127.0.0.1", sb.port), timeout=5) as conn:  # still serving
            conn.sendall(post_close(sb.port))
            assert read_all(conn).startswith(b"HTTP/1.1 200 ")
    assert "Traceback" not in capfd.readouterr().err
    assert [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info] == []


def test_a_length_too_large_but_well_formed_is_413_and_its_body_unread() -> None:
    with Sandbox() as sb:
        with socket.create_connection(("127.0.0.1", sb.port), timeout=5) as conn:
            conn.sendall(b"POST /sys/soap.php HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n"
                         % (10 ** A.MAX_LENGTH_DIGITS - 1))
            assert conn.recv(1024).startswith(b"HTTP/1.1 413 ")
