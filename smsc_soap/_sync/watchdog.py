"""One watchdog thread per process for every call's deadline, instead of a timer thread per call.

requests' read timeout is per socket read, so a server sending one byte a second could hold a
call for ever; the watchdog cuts the connection when the call's deadline passes. Registering a
deadline is a heap push under a Condition, and wakes the thread only when the new deadline is
the earliest; finished exchanges are dropped lazily when they reach the top of the heap. The
thread sleeps until the earliest deadline or a notify, never polls, and is started on first use
(again in a child after ``fork``, where threads do not survive).
"""
from __future__ import annotations

import heapq
import itertools
import os
import threading
import time
from typing import List, Optional, Protocol, Tuple


class Watched(Protocol):
    """What the watchdog watches: something that can be told its deadline passed."""

    @property
    def done(self) -> bool: ...

    def expire(self) -> None: ...


class Watchdog:
    """Calls ``expire()`` on each watched object whose deadline (``time.monotonic()``) passed
    while it was not yet done."""

    def __init__(self) -> None:
        self._condition = threading.Condition(threading.Lock())
        self._heap: List[Tuple[float, int, Watched]] = []
        self._order = itertools.count()  # ties never compare the watched objects
        self._thread: Optional[threading.Thread] = None

    def watch(self, deadline: float, watched: Watched) -> None:
        """Expire ``watched`` at ``deadline`` unless it is done by then."""
        with self._condition:
            entry = (deadline, next(self._order), watched)
            heapq.heappush(self._heap, entry)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="smsc_soap-watchdog", daemon=True)
                self._thread.start()
            elif self._heap[0] is entry:  # earlier than what the thread waits for
                self._condition.notify()

    def _run(self) -> None:
        while True:
            expired: List[Watched] = []
            with self._condition:
                while self._heap and self._heap[0][2].done:
                    heapq.heappop(self._heap)  # finished: dropped without waiting for its deadline
                if not self._heap:
                    self._condition.wait()
                    continue
                wait = self._heap[0][0] - time.monotonic()
                if wait > 0:
                    self._condition.wait(wait)
                    continue
                while self._heap and self._heap[0][0] <= time.monotonic():
                    expired.append(heapq.heappop(self._heap)[2])
            for watched in expired:  # outside the condition: expire() takes its own lock
                watched.expire()

    def _after_fork(self) -> None:
        self._condition = threading.Condition(threading.Lock())
        self._heap = []
        self._thread = None


WATCHDOG = Watchdog()
if hasattr(os, "register_at_fork"):  # not on Windows
    os.register_at_fork(after_in_child=WATCHDOG._after_fork)
