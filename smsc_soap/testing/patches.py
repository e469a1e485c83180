"""vcrpy ``custom_patches``: the thread guard, the client's own connection pools, and the
request a replay refuses.

Plain vcrpy misses three things here: requests recorded from several threads (it swaps the real
connection classes back, process-wide, while it sends one), the pool subclasses of
:mod:`smsc_soap.transport` (it only swaps urllib3's own), and the secrets of a request it refuses
(kept unscrubbed on its exception). :func:`custom_patches` fixes all three.
"""
from __future__ import annotations

import functools
import threading
from typing import Any, List, Tuple

#: One vcrpy custom patch: (object, attribute name, value while a cassette is in use).
Patch = Tuple[Any, str, Any]

#: Held around every urllib3 request while a kit cassette is in use (see below).
HTTP_LOCK = threading.RLock()


def serialised_http_patches() -> Tuple[Patch, ...]:
    """vcrpy ``custom_patches`` that serialise urllib3 requests under :data:`HTTP_LOCK`.

    The trap: to send a request it is recording, vcrpy puts the real connection classes back,
    process-wide, for the time of the send. A second thread that opens a connection in that
    window gets a real one: its request goes to the network and never reaches the cassette (and
    in replay it would not be refused). With this patch, ``HTTPConnectionPool.urlopen`` (the
    entry of every requests/urllib3 request, pooled and retried) runs under one lock while the
    cassette is in use, so no thread can open a connection while another one is recording, and
    recorded/played counters are never updated by two threads at once. The price is that
    requests under a kit cassette run one at a time. Threads must start and finish inside the
    cassette's ``with`` block. Other HTTP libraries (httpx, aiohttp, raw http.client) are not
    covered: make their requests from one thread.
    """
    from urllib3.connectionpool import HTTPConnectionPool

    original = HTTPConnectionPool.urlopen
    original = getattr(original, "__smsc_original__", original)

    @functools.wraps(original)
    def urlopen(self: Any, *args: Any, **kwargs: Any) -> Any:
        with HTTP_LOCK:
            return original(self, *args, **kwargs)

    urlopen.__smsc_original__ = original  # type: ignore[attr-defined]
    return ((HTTPConnectionPool, "urlopen", urlopen),)


def client_connection_patches() -> Tuple[Patch, ...]:
    """vcrpy ``custom_patches`` that put the client's own connection pools under the cassette.

    vcrpy swaps the ``ConnectionCls`` of urllib3's two pool classes; a pool subclass that names
    its own ``ConnectionCls`` (smsc_soap's transport does, to watch deadlines) is not swapped, so
    without these patches its requests would bypass the cassette and reach the network. The
    subclasses get vcrpy's own stub classes (so vcrpy also cleans their connections up when the
    cassette ends), and the stubs' real connections, when recording, are the client's classes
    (so deadlines and "was the request sent" keep working).
    """
    try:
        from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
        from vcr.stubs import urllib3_stubs  # type: ignore[import-untyped,unused-ignore]

        from .._sync import transport
    except ImportError:  # pragma: no cover
        return ()
    patches: List[Patch] = []
    for pool in vars(transport).values():
        if not (isinstance(pool, type) and issubclass(pool, HTTPConnectionPool) and "ConnectionCls" in vars(pool)):
            continue
        # The stub classes vcrpy's "urllib3" patcher gives urllib3's own pools (applied after its
        # "requests" one, so the one whose connections vcrpy closes when the cassette ends).
        secure = issubclass(pool, HTTPSConnectionPool)
        stub = urllib3_stubs.VCRRequestsHTTPSConnection if secure else urllib3_stubs.VCRRequestsHTTPConnection
        patches.append((pool, "ConnectionCls", stub))
        if issubclass(vars(pool)["ConnectionCls"], stub._baseclass):
            patches.append((stub, "_baseclass", vars(pool)["ConnectionCls"]))
    return tuple(patches)


def scrubbed_refusal_patches() -> Tuple[Patch, ...]:
    """vcrpy ``custom_patches`` that give the exception of a refused request a scrubbed request.

    In replay, vcrpy refuses a request that is not in the cassette with a
    ``CannotOverwriteExistingCassetteException`` whose ``failed_request`` is the live request,
    password in clear; the client raises it as it is, to the test and to whatever reports it.
    While the cassette is in use, the exception is made from the request as the cassette would
    record it (its ``before_record_request``: the kit's scrubbers), and describes that one in its
    message. Every stub of vcrpy (requests/urllib3, httpx) makes this exception: one patch covers
    both clients.
    """
    try:
        from vcr import errors  # type: ignore[import-untyped,unused-ignore]
    except ImportError:  # pragma: no cover
        return ()
    refused = errors.CannotOverwriteExistingCassetteException
    original = vars(refused)["__init__"]
    original = getattr(original, "__smsc_original__", original)

    @functools.wraps(original)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if kwargs.get("cassette") is not None and kwargs.get("failed_request") is not None:
            kwargs["failed_request"] = kwargs["cassette"].filter_request(kwargs["failed_request"])
        original(self, *args, **kwargs)

    __init__.__smsc_original__ = original  # type: ignore[attr-defined]
    return ((refused, "__init__", __init__),)


def custom_patches() -> Tuple[Patch, ...]:
    """Every ``custom_patches`` entry the kit needs: give them to a vcrpy you configure yourself
    (pytest-recording's ``vcr_config``), or smsc_soap's requests may bypass the cassette."""
    return serialised_http_patches() + client_connection_patches() + scrubbed_refusal_patches()
