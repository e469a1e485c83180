"""The network block: a replay that still needs a socket fails loudly instead of passing."""
from __future__ import annotations

import contextlib
import socket
from typing import Any, Iterator, NoReturn


class NetworkBlockedError(RuntimeError):
    """A socket tried to connect while the network was blocked (a replay must not need one)."""


@contextlib.contextmanager
def block_network() -> Iterator[None]:
    """Make every socket connection attempt raise :class:`NetworkBlockedError`, in every thread.

    ``socket.socket.connect``/``connect_ex`` and ``socket.create_connection`` are replaced for
    the duration. It is not an ``OSError``, so no HTTP library mistakes it for a network error
    worth retrying: it reaches the test as it is.
    """
    def refuse(*args: Any, **kwargs: Any) -> NoReturn:
        address = next((a for a in args if not isinstance(a, socket.socket)), kwargs.get("address"))
        raise NetworkBlockedError(f"network blocked: a connection to {address!r} was attempted "
                                  "(replays must be served from the cassette)")

    saved = (socket.socket.connect, socket.socket.connect_ex, socket.create_connection)
    socket.socket.connect = refuse  # type: ignore[method-assign]
    socket.socket.connect_ex = refuse  # type: ignore[method-assign]
    socket.create_connection = refuse
    try:
        yield
    finally:
        socket.socket.connect, socket.socket.connect_ex, socket.create_connection = saved  # type: ignore[method-assign]
