"""Name resolution within a call's deadline.

``socket.getaddrinfo`` takes no timeout: a stalled resolver holds the thread that asked for the
resolver's own time (commonly 5 s per try and per name server), not the call's. Every deadline
we keep cuts sockets, and no socket exists while a name resolves, so the sync client, the
listener's forwarder and the sandbox's callbacks resolve here instead: in a helper thread,
waited for only as long as the call has left. (The AsyncClient's httpx resolves in a worker
thread of its own, which its deadline already bounds.)
"""
from __future__ import annotations

import ipaddress
import socket
from typing import List

from ._runner import Runner

__all__ = ["RESOLVING_THREADS", "addresses", "is_address"]

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


def addresses(host: str, port: int, family: int, seconds: float) -> List[str]:
    """The numeric addresses ``host`` resolves to for a stream connection, in the resolver's
    order and each once, or ``socket.timeout`` when the resolver has not answered in ``seconds``.
    A resolver's refusal is its own ``socket.gaierror``."""
    if is_address(host):
        return [host.strip("[]")]
    import concurrent.futures  # here: a numeric address (the sandbox's, a test's) never needs it

    answer = _RESOLVES.submit(socket.getaddrinfo, host, port, family, socket.SOCK_STREAM)
    try:
        found = answer.result(timeout=max(seconds, 0.0))
    except concurrent.futures.TimeoutError:
        answer.cancel()  # still queued behind stalled ones: never run
        raise socket.timeout(f"{host}: the name did not resolve within {seconds:.3g} s") from None
    numeric: List[str] = []
    for *_, sockaddr in found:
        if sockaddr[0] not in numeric:
            numeric.append(sockaddr[0])
    return numeric
