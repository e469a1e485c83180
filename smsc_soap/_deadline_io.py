"""Socket I/O bounded by one deadline for a whole exchange, however the bytes trickle.

A socket timeout alone restarts with every byte: a peer sending one a second would hold a
thread for ever, and a stalled resolver holds a connection attempt for its own time, not ours.
The servers and senders we run (``smsc-soap listen`` and its forwarder, the sandbox's
callbacks) resolve, connect, read and write through these instead.
"""
from __future__ import annotations

import http.client
import io
import socket
import time
from typing import Any, Callable, Mapping, Optional, Tuple

from ._resolve import addresses

__all__ = ["DeadlineReader", "DeadlineSocket", "request_within"]


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise socket.timeout("the exchange did not finish in time")
    return left


class DeadlineReader(io.RawIOBase):
    """A socket's input that ends in ``socket.timeout`` at ``deadline``. It reads through the
    socket's own file object, which holds a reference to it: closing the socket (http.client does
    as soon as an answer says the connection ends) waits until this reader is closed too."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        super().__init__()
        self._sock, self._deadline = sock, deadline
        self._raw = sock.makefile("rb", buffering=0)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> Optional[int]:
        self._sock.settimeout(_left(self._deadline))
        return self._raw.readinto(buffer)

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


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


def _connector(deadline: float) -> Callable[..., socket.socket]:
    """http.client's ``_create_connection``: the name resolved, and each of its addresses tried
    in turn, within ``deadline``."""
    def create_connection(address: Tuple[str, int], timeout: Any = None,
                          source_address: Optional[Tuple[str, int]] = None) -> socket.socket:
        host, port = address
        failed: Optional[OSError] = None
        for numeric in addresses(host, port, socket.AF_UNSPEC, _left(deadline)):
            try:
                return socket.create_connection((numeric, port), _left(deadline), source_address)
            except OSError as error:  # the next address, as socket.create_connection would
                failed = error
        raise failed or socket.timeout(f"{host}: no address to connect to")
    return create_connection


def request_within(connection: http.client.HTTPConnection, seconds: float, method: str, target: str,
                   body: Optional[bytes], headers: Mapping[str, str], limit: int,
                   connected: Callable[[socket.socket], None] = lambda sock: None) -> http.client.HTTPResponse:
    """``method target`` on ``connection``, from resolving its host to the answer's head and at
    most ``limit`` bytes of its body, all within ``seconds``, or ``socket.timeout``. ``connected``
    is handed the socket once connected. The body read is dropped: the status and headers are
    what a forward or a callback attempt needs."""
    deadline = time.monotonic() + seconds
    if connection.sock is None:
        connection._create_connection = _connector(deadline)  # type: ignore[attr-defined]
        connection.connect()
    connected(connection.sock)
    connection.sock = DeadlineSocket(connection.sock, deadline)
    connection.request(method, target, body, dict(headers))
    response = connection.getresponse()
    response.read(limit)
    return response
