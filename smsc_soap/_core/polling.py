"""The polling schedule, once, for tracking (both clients, the Celery task) and the command's
``status --wait``.

004:424: more than five status requests for the same message within a minute are refused with
error 9 (spec.RATE_LIMITS). So each ``(id, phone)`` is asked at most once per ``interval``
(at least spec.STATUS_MIN_INTERVAL_SECONDS), the first requests spread evenly over the first
interval instead of going out in one burst, and after a 9 (another program asked too) not
before the service's wait (:func:`pause_after`). No I/O: the loops take ``ask`` and ``sleep``.
"""
from __future__ import annotations

import heapq
import inspect
from dataclasses import dataclass
from typing import Any, AsyncIterator, Awaitable, Callable, Dict, Iterable, Iterator, List, Optional, Tuple, Union

from .. import spec
from ..errors import MessageNotFound, RateLimited, SmscError, TransportError, ValidationError
from ..results import StatusResult

__all__ = ["MIN_INTERVAL", "POLL_ERRORS", "Schedule", "StatusChange", "check_options", "pause_after", "poll",
           "poll_async", "wait_final"]

#: The shortest interval between two status requests of one message the service's limit allows.
MIN_INTERVAL = spec.STATUS_MIN_INTERVAL_SECONDS
#: What a poll may raise and tracking goes on after.
POLL_ERRORS = (RateLimited, MessageNotFound, TransportError)

Ask = Callable[[str, str], StatusResult]
AsyncAsk = Callable[[str, str], Awaitable[StatusResult]]


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


StatusChange.__module__ = "smsc_soap.track"  # where users import it from (and the docs show it)


def pause_after(outcome: Union[StatusResult, SmscError], interval: float) -> Optional[float]:
    """Seconds until a message is asked about again after ``outcome``: None once its status is
    final; after a 9, as long as the service says (at least ``interval``); else ``interval``."""
    if isinstance(outcome, RateLimited):
        return max(interval, outcome.retry_after or 0.0)
    if isinstance(outcome, StatusResult) and outcome.final:
        return None
    return interval


def check_options(ids_and_phones: Iterable[Tuple[str, str]], timeout: float, interval: float) -> List[Tuple[str, str]]:
    """The distinct ``(id, phone)`` pairs to poll; refuses an interval the service's limit does
    not allow, or no timeout."""
    check_interval(interval)
    if not timeout > 0:
        raise ValidationError("timeout must be seconds > 0", field="timeout")
    return list(dict.fromkeys((str(i), str(p)) for i, p in ids_and_phones))


def check_interval(interval: float) -> None:
    if not interval >= MIN_INTERVAL:
        raise ValidationError(f"interval must be at least {MIN_INTERVAL:g} s (the service allows "
                              f"{spec.RATE_LIMITS[spec.STATUS].requests} status requests per message a minute)",
                              field="interval")


def _same(a: Optional[StatusChange], b: StatusChange) -> bool:
    if a is None:
        return False
    if a.status is not None and b.status is not None:
        return (a.status.status, a.status.err) == (b.status.status, b.status.err)
    return a.status is None and b.status is None and type(a.error) is type(b.error)


class Schedule:
    """When to poll which pair, and what each poll means (the sync and the async loops both run
    it). The first polls are spread evenly over the first interval."""

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
        pause = pause_after(outcome, self.interval)
        if pause is not None:
            heapq.heappush(self._due, (asked_at + pause, n))
        if isinstance(outcome, RateLimited):  # another program asked too: no news of the message
            return None
        change = (StatusChange(message_id, phone, outcome) if isinstance(outcome, StatusResult)
                  else StatusChange(message_id, phone, None, outcome))
        if _same(self._last.get(n), change):
            return None
        self._last[n] = change
        return change


def poll(ask: Ask, pairs: List[Tuple[str, str]], timeout: float, interval: float, clock: Callable[[], float],
         sleep: Callable[[float], None]) -> Iterator[StatusChange]:
    """Each change of ``pairs`` (checked by :func:`check_options`), ``ask(phone, id)`` on the
    schedule, until every status is final or ``timeout`` seconds have passed."""
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
            outcome = ask(phone, message_id)
        except POLL_ERRORS as error:
            outcome = error
        change = schedule.record(n, asked_at, outcome)
        if change is not None:
            yield change
        step = schedule.next()


async def poll_async(ask: AsyncAsk, pairs: List[Tuple[str, str]], timeout: float, interval: float,
                     clock: Callable[[], float], sleep: Callable[[float], Any]) -> AsyncIterator[StatusChange]:
    """:func:`poll`, with ``ask`` awaited (and ``sleep`` too when it gives an awaitable)."""
    schedule = Schedule(pairs, clock(), timeout, interval)
    step = schedule.next()
    while step is not None:
        when, n = step
        now = clock()
        if when > now:
            waited = sleep(when - now)
            if inspect.isawaitable(waited):
                await waited
        message_id, phone = pairs[n]
        asked_at = clock()
        outcome: Union[StatusResult, SmscError]
        try:
            outcome = await ask(phone, message_id)
        except POLL_ERRORS as error:
            outcome = error
        change = schedule.record(n, asked_at, outcome)
        if change is not None:
            yield change
        step = schedule.next()


def wait_final(ask: Callable[[], StatusResult], *, sleep: Callable[[float], Any], timeout: float,
               interval: float = MIN_INTERVAL,
               on_change: Optional[Callable[[StatusResult], None]] = None) -> Optional[StatusResult]:
    """One message: ``ask()`` every ``interval`` seconds (longer after a 9, :func:`pause_after`)
    until its status is final or ``timeout`` seconds of waiting have passed; the last status
    either way. A 9 only means "ask again later", unless no status came at all; any other error
    is raised. ``on_change`` sees each status that is not final and differs from the last."""
    waited, last, refused = 0.0, None, None
    while True:
        outcome: Union[StatusResult, SmscError]
        try:
            outcome = ask()
        except RateLimited as exc:
            outcome = refused = exc
        pause = pause_after(outcome, interval)
        if pause is None:
            assert isinstance(outcome, StatusResult)
            return outcome
        if isinstance(outcome, StatusResult):
            if on_change is not None and (last is None or outcome.status != last.status):
                on_change(outcome)
            last = outcome
        if waited + pause > timeout:
            if last is None and refused is not None:
                raise refused
            return last
        sleep(pause)
        waited += pause
