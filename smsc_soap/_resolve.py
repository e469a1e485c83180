"""Name resolution within a call's deadline.

``socket.getaddrinfo`` takes no timeout: a stalled resolver holds the thread that asked for the
resolver's own time (commonly 5 s per try and per name server), not the call's. Every deadline
we keep cuts sockets, and no socket exists while a name resolves, so the sync client, the
listener's forwarder, the sandbox's callbacks and the AsyncClient resolve here instead: in a
helper thread, waited for only as long as the call has left.
"""
from __future__ import annotations

import ipaddress
import socket
from typing import TYPE_CHECKING, List

from ._runner import Runner

if TYPE_CHECKING:  # pragma: no cover
    import concurrent.futures

__all__ = ["RESOLVING_THREADS", "addresses", "is_address", "lookup", "numeric"]

#: ASSUMPTION (a choice): threads that resolve names for every call of the process. A connection
#: is made once and then pooled, so few resolve at once; while a resolver is stalled, further
#: names wait for a thread within their own call's time.
RESOLVING_THREADS = 4
_RESOLVES = Runner(RESOLVING_THREADS, "smsc-soap-resolve")


def is_address(host: str) -> bool:
    """Whether ``host`` is already a numeric address (IPv4, or IPv6 with or without brackets
    and zone): nothing to resolve, nothing to wait for."""
    try:
        ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    return True


def lookup(host: str, port: int, family: int) -> "concurrent.futures.Future[List[str]]":
    """The numeric addresses of ``host`` (:func:`numeric`), resolved by one of the resolving
    threads: a future the caller waits for only as long as it has (a stalled resolver holds the
    thread, never the caller). An async caller awaits it through :func:`asyncio.wrap_future`:
    unlike the event loop's default executor, which anyio resolves in, these threads are not
    waited for when ``asyncio.run`` ends."""
    return _RESOLVES.submit(numeric, host, port, family)


def numeric(host: str, port: int, family: int) -> List[str]:
    """``host``'s addresses for a stream connection, in the resolver's order and each once; a
    resolver's refusal is its own ``socket.gaierror``."""
    if is_address(host):
        return [host.strip("[]")]
    found: List[str] = []
    for *_, sockaddr in socket.getaddrinfo(host, port, family, socket.SOCK_STREAM):
        if sockaddr[0] not in found:
            found.append(str(sockaddr[0]))
    return found


def addresses(host: str, port: int, family: int, seconds: float) -> List[str]:
    """:func:`numeric`, or ``socket.timeout`` when the resolver has not answered in ``seconds``."""
    if is_address(host):
        return [host.strip("[]")]
    import concurrent.futures  # here: a numeric address (the sandbox's, a test's) never needs it

    answer = lookup(host, port, family)
    try:
        return answer.result(timeout=max(seconds, 0.0))
    except concurrent.futures.TimeoutError:
        answer.cancel()  # still queued behind stalled ones: never run
        raise socket.timeout(f"{host}: the name did not resolve within {seconds:.3g} s") from None
