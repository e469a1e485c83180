"""Name resolution within a call's deadline.

``socket.getaddrinfo`` takes no timeout: a stalled resolver holds the thread that asked for the
resolver's own time (commonly 5 s per try and per name server), not the call's. Every deadline
we keep cuts sockets, and no socket exists while a name resolves, so the sync client, the
listener's forwarder, the sandbox's callbacks and the AsyncClient resolve here instead: in a
helper thread, waited for only as long as the call has left.

Calls that need the same name while it resolves share one resolution: a stalled name holds one
thread, however many calls wait for it, and the other threads go on resolving other names.
"""
from __future__ import annotations

import ipaddress
import os
import socket
import threading
from typing import TYPE_CHECKING, Dict, List, Tuple

from ._runner import Runner

if TYPE_CHECKING:  # pragma: no cover
    import concurrent.futures

__all__ = ["RESOLVING_THREADS", "addresses", "is_address", "lookup", "numeric"]

#: ASSUMPTION (a choice): threads that resolve names for every call of the process. A connection
#: is made once and then pooled, and calls waiting for one name share its resolution, so each
#: thread stalls on a different name at most.
RESOLVING_THREADS = 4
_RESOLVES = Runner(RESOLVING_THREADS, "smsc-soap-resolve")

_Key = Tuple[str, int, int]
#: The resolutions under way, by (host, port, family), each shared by the calls waiting for it.
_pending: Dict[_Key, "concurrent.futures.Future[List[str]]"] = {}
_pending_lock = threading.Lock()


def _forget_all() -> None:
    """In a forked child: no thread resolves the parent's names there."""
    global _pending_lock
    _pending_lock = threading.Lock()
    _pending.clear()


if hasattr(os, "register_at_fork"):  # not on Windows
    os.register_at_fork(after_in_child=_forget_all)


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
    threads: a future of the caller's own, which it waits for only as long as it has, and may
    cancel (an async caller awaits it through :func:`asyncio.wrap_future`, which cancels it with
    its task) without touching the resolution other calls wait for. Unlike the event loop's
    default executor, which anyio resolves in, these threads are not waited for when
    ``asyncio.run`` ends."""
    import concurrent.futures  # here: a numeric address (the sandbox's, a test's) never needs it

    key = (host, port, family)
    with _pending_lock:
        shared = _pending.get(key)
        if shared is None:
            shared = _pending[key] = _RESOLVES.submit(numeric, host, port, family)
            first = True
        else:
            first = False
    if first:  # outside the lock: a callback of a future already done runs at once
        shared.add_done_callback(lambda done: _forget(key, done))
    mine: "concurrent.futures.Future[List[str]]" = concurrent.futures.Future()
    shared.add_done_callback(lambda done: _hand_on(done, mine))
    return mine


def _forget(key: _Key, done: "concurrent.futures.Future[List[str]]") -> None:
    with _pending_lock:
        if _pending.get(key) is done:
            del _pending[key]


def _hand_on(shared: "concurrent.futures.Future[List[str]]", mine: "concurrent.futures.Future[List[str]]") -> None:
    """``shared``'s outcome to ``mine``, unless its caller cancelled it meanwhile."""
    import concurrent.futures

    error = shared.exception()
    try:
        if error is not None:
            mine.set_exception(error)
        else:
            mine.set_result(list(shared.result()))
    except concurrent.futures.InvalidStateError:  # cancelled by its caller: nobody waits for it
        pass


def numeric(host: str, port: int, family: int) -> List[str]:
    """``host``'s addresses for a stream connection, in the resolver's order and each once; a
    resolver's refusal is its own ``socket.gaierror``. Numeric addresses never get here: the
    callers answer those themselves, without a thread."""
    found: List[str] = []
    for *_, sockaddr in socket.getaddrinfo(host, port, family, socket.SOCK_STREAM):
        if sockaddr[0] not in found:
            found.append(str(sockaddr[0]))
    return found


def addresses(host: str, port: int, family: int, seconds: float) -> List[str]:
    """:func:`numeric`, or ``socket.timeout`` when the resolver has not answered in ``seconds``."""
    if is_address(host):
        return [host.strip("[]")]
    import concurrent.futures

    answer = lookup(host, port, family)
    try:
        return answer.result(timeout=max(seconds, 0.0))
    except concurrent.futures.TimeoutError:
        answer.cancel()
        raise socket.timeout(f"{host}: the name did not resolve within {seconds:.3g} s") from None
