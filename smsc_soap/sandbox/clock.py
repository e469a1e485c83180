"""The sandbox clock: what "now" is for rate limits, IP blocks, scheduling and statuses."""
from __future__ import annotations

import threading
import time
from typing import Optional


class Clock:
    """Starts at real time (or ``start``) and moves only by :meth:`advance`, unless ``realtime``.

    A frozen clock keeps tests exact: a message stays "waiting" until the test advances it, and a
    "within a minute" limit ends exactly when the test says a minute has passed. With
    ``realtime=True`` (the command-line sandbox) it also follows real time, and :meth:`advance`
    still jumps ahead.
    """

    def __init__(self, start: Optional[float] = None, *, realtime: bool = False) -> None:
        self._lock = threading.Lock()
        self._base = time.time() if start is None else float(start)
        self._offset = 0.0
        self._realtime = realtime
        self._mono0 = time.monotonic()

    @property
    def realtime(self) -> bool:
        return self._realtime

    def now(self) -> float:
        """Seconds since the epoch, on this clock."""
        with self._lock:
            now = self._base + self._offset
            if self._realtime:
                now += time.monotonic() - self._mono0
            return now

    def advance(self, seconds: float) -> float:
        """Move the clock ``seconds`` ahead (never back) and return the new time."""
        seconds = float(seconds)
        if not seconds >= 0:
            raise ValueError(f"the sandbox clock only moves forward, got {seconds!r}")
        with self._lock:
            self._offset += seconds
        return self.now()
