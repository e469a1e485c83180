"""Socket I/O bounded by one deadline for a whole exchange, however the bytes trickle.

A socket timeout alone restarts with every byte: a peer sending one a second would hold a
thread for ever. The servers and senders we run (``smsc-soap listen`` and its forwarder, the
sandbox's callbacks) read and write through these instead.
"""
from __future__ import annotations

import http.client
import io
import socket
import time
from typing import Any, Mapping, Optional

__all__ = ["DeadlineReader", "DeadlineSocket", "request_within"]


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise socket.timeout("the exchange did not finish in time")
    return left


class DeadlineReader(io.RawIOBase):
    """A socket's input that ends in ``socket.timeout`` at ``deadline``."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        super().__init__()
        self._sock, self._deadline = sock, deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        self._sock.settimeout(_left(self._deadline))
        return self._sock.recv_into(buffer)


class DeadlineSocket:
    """What :mod:`http.client` uses of a socket (``sendall``, ``makefile``, ``close``), every
    one of them within ``deadline``."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self._sock, self._deadline = sock, deadline

    def sendall(self, data: bytes) -> None:
        self._sock.settimeout(_left(self._deadline))  # sendall's timeout is its total (3.5+)
        self._sock.sendall(data)

    def makefile(self, mode: str = "rb", *args: Any, **kwargs: Any) -> io.BufferedReader:
        return io.BufferedReader(DeadlineReader(self._sock, self._deadline))

    def close(self) -> None:
        self._sock.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


def request_within(connection: http.client.HTTPConnection, seconds: float, method: str, target: str,
                   body: Optional[bytes], headers: Mapping[str, str], limit: int) -> http.client.HTTPResponse:
    """``method target`` on ``connection``, the answer's head and at most ``limit`` bytes of its
    body all within ``seconds``, or ``socket.timeout``. The body read is dropped: the status and
    headers are what a forward or a callback attempt needs."""
    deadline = time.monotonic() + seconds
    if connection.sock is None:
        connection.connect()
    connection.sock = DeadlineSocket(connection.sock, deadline)
    connection.request(method, target, body, dict(headers))
    response = connection.getresponse()
    response.read(limit)
    return response
