"""The per-login concurrency limit of the service, and a simulated network round trip.

001:90 / 002:101: fifteen or more requests at once under one login are answered with error 9
(spec.CONCURRENT_REQUESTS_REFUSED_AT). The sandbox serves each connection in its own thread, so
"at once" is "admitted and not yet answered". The simulated round trip is slept INSIDE the
admitted slot (that is when a real request is in flight) and without any lock held, so slow
requests overlap as they do against the real service.
"""
from __future__ import annotations

import contextlib
import threading
from typing import Any, Dict, Iterator, Mapping, Optional
from urllib.parse import parse_qs

from .. import spec


class ConcurrencyLimit:
    """Requests in flight per login; refusals counted for tests (``refused``)."""

    def __init__(self, refused_at: int = spec.CONCURRENT_REQUESTS_REFUSED_AT) -> None:
        self.refused_at = refused_at
        self._lock = threading.Lock()
        self._in_flight: Dict[str, int] = {}
        self.refused = 0
        self.peak = 0

    @contextlib.contextmanager
    def admit(self, login: Optional[str]) -> Iterator[bool]:
        """Yields True while the request counts as in flight, False when it is refused (no slot).

        ``login`` None (no credentials to tell by) is never limited.
        """
        if login is None:
            yield True
            return
        with self._lock:
            count = self._in_flight.get(login, 0) + 1
            if count >= self.refused_at:
                self.refused += 1
                admitted = False
            else:
                self._in_flight[login] = count
                self.peak = max(self.peak, count)
                admitted = True
        try:
            yield admitted
        finally:
            if admitted:
                with self._lock:
                    left = self._in_flight[login] - 1
                    if left:
                        self._in_flight[login] = left
                    else:
                        del self._in_flight[login]

    def in_flight(self, login: str) -> int:
        with self._lock:
            return self._in_flight.get(login, 0)


def caller_of(params: Mapping[str, Any]) -> Optional[str]:
    """Whom a request counts against: its ``login``, else the API key in its ``query``.

    ASSUMPTION: an API key counts as a login of its own here (the sandbox does not look its owner
    up before the limit; the page says "под одним логином" and nothing about API keys).
    """
    login = params.get("login")
    if isinstance(login, str) and login:
        return "login:" + login
    query = params.get("query")
    if isinstance(query, str) and query:
        keys = parse_qs(query).get("apikey")
        if keys:
            return "apikey:" + keys[-1]
    return None
