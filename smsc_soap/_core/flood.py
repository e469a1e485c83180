"""The flood rule (004:284-286, :data:`smsc_soap.spec.FLOOD_MAX_MESSAGES`) as the client sees it
before sending: how many messages one run of ``send_bulk`` queues to each number (pure, no I/O).

The client cannot know the gaps between the sends (that is the service's clock and queue), so it
counts every message of the run to a number; a bulk run sends them within minutes of each other,
so past the limit the service blocks them (status 23, not charged: spec.FLOOD_STATUS).
"""
from __future__ import annotations

import warnings
from collections import deque
from typing import Deque, Dict, Iterable, Tuple

from .. import spec


class FloodWarning(UserWarning):
    """send_bulk queues more messages to one number than the service sends in a row (004:284-286):
    the rest will be blocked. A warning, not an error: the messages may be meant to go spread out
    in time (``time=``), which the client does not judge. Filter it, or make it an error, with
    :mod:`warnings` (``warnings.simplefilter("error", FloodWarning)``)."""


_NO_RUN = (0, 0)  # (run, last seen) of a number with no run


class FloodCount:
    """Each number's run so far; :meth:`add` says which numbers a message takes past the limit.

    A run ends when :data:`~smsc_soap.spec.FLOOD_RUN_GAP_MESSAGES` other messages came since the
    number's last one; numbers whose run ended are forgotten, so memory stays bounded (by the gap).
    Counted for every message of a bulk send: a dict of runs and a queue of recent messages, no
    reordering per message."""

    def __init__(self, limit: int = spec.FLOOD_MAX_MESSAGES, gap: int = spec.FLOOD_RUN_GAP_MESSAGES) -> None:
        self.limit, self.gap = limit, gap
        self._runs: Dict[str, Tuple[int, int]] = {}  # phone -> (run, last seen)
        self._recent: Deque[Tuple[str, ...]] = deque()  # the phones of each of the last ``gap`` messages
        self._seen = 0

    def add(self, phones: Iterable[str]) -> Tuple[str, ...]:
        """Count one message to each of ``phones``; the numbers it is the (limit + 1)-th message to."""
        self._seen = seen = self._seen + 1
        runs, recent = self._runs, self._recent
        while len(recent) > self.gap:  # the oldest message has had its gap: runs it was the last of ended
            when = seen - len(recent)
            for phone in recent.popleft():
                if runs.get(phone, _NO_RUN)[1] == when:
                    del runs[phone]
        phones = tuple(phones)
        recent.append(phones)
        crossed: Tuple[str, ...] = ()
        for phone in phones:
            run = runs.get(phone, _NO_RUN)[0] + 1
            runs[phone] = (run, seen)
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
