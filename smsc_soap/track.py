"""Delivery tracking for many messages: status polls within the service's limit, spread out.

004:424: more than five status requests for the same message within a minute are refused with
error 9 (spec.RATE_LIMITS). So each ``(id, phone)`` is asked at most once per ``interval``
(at least spec.STATUS_MIN_INTERVAL_SECONDS), and the first requests are spread evenly over the
first interval instead of going out in one burst. Requests go one at a time, from the caller's
thread: the messages' own limit, not the round trip, bounds how often anything can be asked.
"""
from __future__ import annotations

import heapq
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Dict, Iterable, Iterator, List, Optional, Tuple

from . import spec
from .errors import MessageNotFound, RateLimited, SmscError, TransportError, ValidationError
from .results import StatusResult

if TYPE_CHECKING:  # pragma: no cover
    from .client import Client

__all__ = ["StatusChange", "track"]

#: How long tracking goes on by default: the service's default validity of a message
#: (spec.VALID_DEFAULT_HOURS) plus the interval of one last look.
DEFAULT_TIMEOUT = spec.VALID_DEFAULT_HOURS * 3600.0


@dataclass(frozen=True)
class StatusChange:
    """What a poll of ``(id, phone)`` found, when it differs from what the last poll found:
    a ``status``, or an ``error`` (e.g. :class:`~smsc_soap.MessageNotFound`) with status None."""

    id: str
    phone: str
    status: Optional[StatusResult]
    error: Optional[SmscError] = None

    @property
    def final(self) -> bool:
        return self.status is not None and self.status.final


def _same(a: Optional[StatusChange], b: StatusChange) -> bool:
    if a is None:
        return False
    if a.status is not None and b.status is not None:
        return (a.status.status, a.status.err) == (b.status.status, b.status.err)
    return a.status is None and b.status is None and type(a.error) is type(b.error)


def track(client: "Client", ids_and_phones: Iterable[Tuple[str, str]], *, timeout: float = DEFAULT_TIMEOUT,
          interval: float = spec.STATUS_MIN_INTERVAL_SECONDS, clock: Callable[[], float] = time.monotonic,
          sleep: Callable[[float], None] = time.sleep) -> Iterator[StatusChange]:
    """Poll each ``(id, phone)`` every ``interval`` seconds until its status is final, or until
    ``timeout`` seconds have passed; yield each change as it is seen. ``clock`` and ``sleep`` are
    there to be replaced (e.g. by a sandbox's ``now`` and ``advance``)."""
    if not interval >= spec.STATUS_MIN_INTERVAL_SECONDS:
        raise ValidationError(f"interval must be at least {spec.STATUS_MIN_INTERVAL_SECONDS:g} s (the service "
                              f"allows {spec.RATE_LIMITS[spec.STATUS].requests} status requests per message "
                              "a minute)", field="interval")
    if not timeout > 0:
        raise ValidationError("timeout must be seconds > 0", field="timeout")
    pairs: List[Tuple[str, str]] = list(dict.fromkeys((str(i), str(p)) for i, p in ids_and_phones))
    return _poll(client, pairs, timeout, interval, clock, sleep)


def _poll(client: "Client", pairs: List[Tuple[str, str]], timeout: float, interval: float,
          clock: Callable[[], float], sleep: Callable[[float], None]) -> Iterator[StatusChange]:
    start = clock()
    deadline = start + timeout
    step = interval / max(len(pairs), 1)
    due = [(start + n * step, n) for n in range(len(pairs))]  # spread over the first interval
    heapq.heapify(due)
    last: Dict[int, StatusChange] = {}
    while due:
        when, n = heapq.heappop(due)
        if when >= deadline:
            return
        now = clock()
        if when > now:
            sleep(when - now)
        message_id, phone = pairs[n]
        asked_at = clock()
        try:
            change = StatusChange(message_id, phone, client.get_status(phone, message_id))
        except RateLimited as limited:  # another program asked too: wait as long as the service says
            heapq.heappush(due, (asked_at + max(interval, limited.retry_after or 0.0), n))
            continue
        except (MessageNotFound, TransportError) as error:
            change = StatusChange(message_id, phone, None, error)
        if not _same(last.get(n), change):
            last[n] = change
            yield change
        if not change.final:
            heapq.heappush(due, (asked_at + interval, n))
