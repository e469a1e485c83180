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
from typing import TYPE_CHECKING, Callable, Dict, Iterable, Iterator, List, Optional, Tuple, Union

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
    pairs = check_options(ids_and_phones, timeout, interval)
    return _poll(client, pairs, timeout, interval, clock, sleep)


def check_options(ids_and_phones: Iterable[Tuple[str, str]], timeout: float, interval: float) -> List[Tuple[str, str]]:
    """The distinct ``(id, phone)`` pairs to poll; refuses an interval the service's limit does
    not allow, or no timeout."""
    if not interval >= spec.STATUS_MIN_INTERVAL_SECONDS:
        raise ValidationError(f"interval must be at least {spec.STATUS_MIN_INTERVAL_SECONDS:g} s (the service "
                              f"allows {spec.RATE_LIMITS[spec.STATUS].requests} status requests per message "
                              "a minute)", field="interval")
    if not timeout > 0:
        raise ValidationError("timeout must be seconds > 0", field="timeout")
    return list(dict.fromkeys((str(i), str(p)) for i, p in ids_and_phones))


class Schedule:
    """When to poll which pair, and what each poll means; no I/O (the sync and the async loops
    both run it). The first polls are spread evenly over the first interval."""

    def __init__(self, pairs: List[Tuple[str, str]], start: float, timeout: float, interval: float) -> None:
        self.pairs = pairs
        self.deadline = start + timeout
        self.interval = interval
        step = interval / max(len(pairs), 1)
        self._due = [(start + n * step, n) for n in range(len(pairs))]
        heapq.heapify(self._due)
        self._last: Dict[int, StatusChange] = {}

    def next(self) -> Optional[Tuple[float, int]]:
        """(when, pair number) of the next poll; None when tracking is over."""
        if not self._due:
            return None
        when, n = heapq.heappop(self._due)
        return None if when >= self.deadline else (when, n)

    def record(self, n: int, asked_at: float, outcome: Union[StatusResult, SmscError]) -> Optional[StatusChange]:
        """What the poll of pair ``n`` at ``asked_at`` gave (a status, or RateLimited,
        MessageNotFound or a TransportError); the change to report, if it is one."""
        message_id, phone = self.pairs[n]
        if isinstance(outcome, RateLimited):  # another program asked too: wait as long as the service says
            heapq.heappush(self._due, (asked_at + max(self.interval, outcome.retry_after or 0.0), n))
            return None
        change = (StatusChange(message_id, phone, outcome) if isinstance(outcome, StatusResult)
                  else StatusChange(message_id, phone, None, outcome))
        if not change.final:
            heapq.heappush(self._due, (asked_at + self.interval, n))
        if _same(self._last.get(n), change):
            return None
        self._last[n] = change
        return change


#: What a poll may raise and tracking goes on after.
POLL_ERRORS = (RateLimited, MessageNotFound, TransportError)


def _poll(client: "Client", pairs: List[Tuple[str, str]], timeout: float, interval: float,
          clock: Callable[[], float], sleep: Callable[[float], None]) -> Iterator[StatusChange]:
    schedule = Schedule(pairs, clock(), timeout, interval)
    step = schedule.next()
    while step is not None:
        when, n = step
        now = clock()
        if when > now:
            sleep(when - now)
        message_id, phone = pairs[n]
        asked_at = clock()
        outcome: Union[StatusResult, SmscError]
        try:
            outcome = client.get_status(phone, message_id)
        except POLL_ERRORS as error:
            outcome = error
        change = schedule.record(n, asked_at, outcome)
        if change is not None:
            yield change
        step = schedule.next()
