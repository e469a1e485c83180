"""Delivery tracking for many messages: status polls within the service's limit, spread out.

004:424: more than five status requests for the same message within a minute are refused with
error 9 (spec.RATE_LIMITS). So each ``(id, phone)`` is asked at most once per ``interval``
(at least spec.STATUS_MIN_INTERVAL_SECONDS), and the first requests are spread evenly over the
first interval instead of going out in one burst (the schedule: :mod:`smsc_soap._core.polling`,
shared with the async client and the command). Requests go one at a time, from the caller's
thread: the messages' own limit, not the round trip, bounds how often anything can be asked.
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, Tuple

from . import spec
from ._core.polling import POLL_ERRORS, Schedule, StatusChange, check_options, poll

if TYPE_CHECKING:  # pragma: no cover
    from ._protocols import StatusSource

__all__ = ["StatusChange", "track"]

#: How long tracking goes on by default: the service's default validity of a message
#: (spec.VALID_DEFAULT_HOURS) plus the interval of one last look.
DEFAULT_TIMEOUT = spec.VALID_DEFAULT_HOURS * 3600.0
_KEPT = (POLL_ERRORS, Schedule)  # importable from here, as before


def track(client: "StatusSource", ids_and_phones: Iterable[Tuple[str, str]], *, timeout: float = DEFAULT_TIMEOUT,
          interval: float = spec.STATUS_MIN_INTERVAL_SECONDS, clock: Callable[[], float] = time.monotonic,
          sleep: Callable[[float], None] = time.sleep) -> Iterator[StatusChange]:
    """Poll each ``(id, phone)`` every ``interval`` seconds until its status is final, or until
    ``timeout`` seconds have passed; yield each change as it is seen. ``clock`` and ``sleep`` are
    there to be replaced (e.g. by a sandbox's ``now`` and ``advance``)."""
    pairs = check_options(ids_and_phones, timeout, interval)
    return poll(client.get_status, pairs, timeout, interval, clock, sleep)
