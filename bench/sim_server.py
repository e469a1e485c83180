"""A simulated SMSC SOAP endpoint for the bulk benchmark: every POST gets a canned success answer
a fixed delay after the request was read whole, and nothing else (no parsing, no accounts, no
checks), so that the CPU a benchmark measures in its own process is the client's alone and the
server costs the machine next to nothing. Run ``python bench/sim_server.py DELAY_MS``: prints
``URL: ...`` and serves until stopped.

One thread per connection (at most :data:`MAX_CONNECTIONS`), each sleeping to its answer's
absolute due time. An asyncio server answered late: its timers wake on epoll's millisecond
ticks, and its one loop writes the answers that fall due together one after another. Against
ten connections it answered a 50 ms delay in 51.8 ms (median; 52.7 ms at the 90th percentile),
which the benchmark then counted as the client's time.
"""
from __future__ import annotations

import socket
import sys
import threading
import time

ANSWER = ('<?xml version="1.0" encoding="UTF-8"?>\n<SOAP-ENV:Envelope xmlns:SOAP-ENV='
          '"http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns1="{ns}"><SOAP-ENV:Body><ns1:{element}>'
          '<sendresult><id>1</id><balance>1000</balance><cost>0</cost><cnt>{cnt}</cnt></sendresult>'
          '</ns1:{element}></SOAP-ENV:Body></SOAP-ENV:Envelope>\n')

#: Connections served at once; more wait in the listen queue.
MAX_CONNECTIONS = 64
#: A request's head and body are read up to these sizes; a larger one closes the connection.
MAX_HEAD_BYTES = 64 * 1024
MAX_BODY_BYTES = 16 * 1024 * 1024


def answer(url: str, body: bytes) -> bytes:
    element = "Send2Response" if b"send2" in body[:600] else "SendResponse"
    payload = ANSWER.format(ns=url, element=element, cnt=max(1, body.count(b"%0A") + 1)).encode()
    return (b"HTTP/1.1 200 OK\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: "
            + str(len(payload)).encode() + b"\r\n\r\n" + payload)


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return int(line.split(b":", 1)[1])
    return 0


def _serve(conn: socket.socket, url: str, delay: float, slots: threading.BoundedSemaphore) -> None:
    """Answer each request on ``conn`` ``delay`` seconds after it was read whole."""
    try:
        with conn:
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            pending = bytearray()
            while True:
                while b"\r\n\r\n" not in pending:
                    data = conn.recv(65536)
                    if not data or len(pending) > MAX_HEAD_BYTES:
                        return
                    pending += data
                end = pending.index(b"\r\n\r\n") + 4
                length = _content_length(bytes(pending[:end]))
                if not 0 <= length <= MAX_BODY_BYTES:
                    return
                while len(pending) < end + length:
                    data = conn.recv(65536)
                    if not data:
                        return
                    pending += data
                due = time.monotonic() + delay
                reply = answer(url, bytes(pending[end:end + length]))
                del pending[:end + length]
                wait = due - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                conn.sendall(reply)
    except (OSError, ValueError):
        pass
    finally:
        slots.release()


def main(delay: float) -> None:
    listener = socket.create_server(("127.0.0.1", 0), backlog=512)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/sys/soap.php"
    print(f"URL: {url}", flush=True)
    slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
    while True:
        slots.acquire()
        conn, _ = listener.accept()
        threading.Thread(target=_serve, args=(conn, url, delay, slots), daemon=True).start()


if __name__ == "__main__":
    main(float(sys.argv[1]) / 1000 if len(sys.argv) > 1 else 0.05)
