"""The flood rule (004:284-286, :data:`smsc_soap.spec.FLOOD_MAX_MESSAGES`) as the client sees it
before sending: how many messages one run of ``send_bulk`` queues to each number (pure, no I/O).

The client cannot know the gaps between the sends (that is the service's clock and queue), so it
counts every message of the run to a number; a bulk run sends them within minutes of each other,
so past the limit the service blocks them (status 23, not charged: spec.FLOOD_STATUS).
"""
from __future__ import annotations

import warnings
from collections import deque
from typing import Deque, Dict, Iterable, Tuple, Union

from .. import spec


class FloodWarning(UserWarning):
    """send_bulk queues more messages to one number than the service sends in a row (004:284-286):
    the rest will be blocked. A warning, not an error: the messages may be meant to go spread out
    in time (``time=``), which the client does not judge. Filter it, or make it an error, with
    :mod:`warnings` (``warnings.simplefilter("error", FloodWarning)``)."""


class FloodCount:
    """Each number's run so far; :meth:`add` says which numbers a message takes past the limit.

    A run ends when :data:`~smsc_soap.spec.FLOOD_RUN_GAP_MESSAGES` other messages came since the
    number's last one; numbers whose run ended are forgotten, so memory stays bounded (by the gap).
    Counted for every message of a bulk send: dicts of ints and a queue of recent messages' phones,
    no reordering per message, and no tuple kept per message: kept for the gap's length, a tuple per
    message of a run to fresh numbers made the garbage collector stop every thread of the send 10
    times per 10,000 messages (6-7 ms), where 2 are left (bench/run.py's bulk row)."""

    def __init__(self, limit: int = spec.FLOOD_MAX_MESSAGES, gap: int = spec.FLOOD_RUN_GAP_MESSAGES) -> None:
        self.limit, self.gap = limit, gap
        self._runs: Dict[str, int] = {}  # phone -> its run so far
        self._last: Dict[str, int] = {}  # phone -> the message its run last grew with
        # the phones of each of the last ``gap`` messages: a message to one number as that str
        self._recent: Deque[Union[str, Tuple[str, ...]]] = deque()
        self._seen = 0

    def add(self, phones: Iterable[str]) -> Tuple[str, ...]:
        """Count one message to each of ``phones``; the numbers it is the (limit + 1)-th message to."""
        self._seen = seen = self._seen + 1
        runs, last, recent = self._runs, self._last, self._recent
        while len(recent) > self.gap:  # the oldest message has had its gap: runs it was the last of ended
            when = seen - len(recent)
            oldest = recent.popleft()
            for phone in (oldest,) if type(oldest) is str else oldest:
                if last.get(phone) == when:
                    del runs[phone], last[phone]
        phones = tuple(phones)
        recent.append(phones[0] if len(phones) == 1 else phones)
        crossed: Tuple[str, ...] = ()
        for phone in phones:
            run = runs[phone] = runs.get(phone, 0) + 1
            last[phone] = seen
            if run == self.limit + 1:
                crossed += (phone,)
        return crossed

    def warn(self, phones: Iterable[str]) -> None:
        """:meth:`add`, and a :class:`FloodWarning` for each number it takes past the limit."""
        for phone in self.add(phones):
            warnings.warn(FloodWarning(
                f"send_bulk: more than {self.limit} messages to {phone}: the service blocks a subscriber's "
                f"messages past the {self.limit}th sent less than {spec.FLOOD_GAP_SECONDS // 60} minutes apart "
                "(004:284-286; they end with status 23, not charged)"), stacklevel=4)
