"""A few daemon threads that run blocking work for calls that wait for it only so long.

Used by the limits (a shared store doing I/O) and by name resolution (:mod:`smsc_soap._resolve`):
no thread per call, and nothing of the call's own thread left waiting past its deadline.
"""
from __future__ import annotations

import os
import queue
import threading
from typing import TYPE_CHECKING, Any, Callable, Tuple

if TYPE_CHECKING:  # pragma: no cover
    import concurrent.futures

__all__ = ["Runner"]


class Runner:
    """A few daemon threads that do blocking work (ask Redis, resolve a name) on behalf of calls
    that may wait only so long: a frozen store or resolver holds one of these threads, never the
    call, and never the process at exit (daemon threads). Tasks queue when every thread is busy."""

    def __init__(self, threads: int, name: str) -> None:
        self._most = threads
        self._name = name
        self._reset()
        if hasattr(os, "register_at_fork"):  # threads do not survive a fork
            os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._tasks: "queue.SimpleQueue[Tuple[concurrent.futures.Future[Any], Callable[..., Any], Tuple[Any, ...]]]" = (
            queue.SimpleQueue())
        self._lock = threading.Lock()
        self._threads = 0
        self._idle = 0

    def submit(self, fn: Callable[..., Any], *args: Any) -> "concurrent.futures.Future[Any]":
        import concurrent.futures  # here, at first use: it costs ~0.8 ms at start-up

        future: "concurrent.futures.Future[Any]" = concurrent.futures.Future()
        with self._lock:
            self._tasks.put((future, fn, args))
            if self._idle == 0 and self._threads < self._most:
                self._threads += 1
                threading.Thread(target=self._work, name=self._name, daemon=True).start()
        return future

    def _work(self) -> None:
        while True:
            with self._lock:
                self._idle += 1
            future, fn, args = self._tasks.get()
            with self._lock:
                self._idle -= 1
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(fn(*args))
                except BaseException as error:  # noqa: BLE001 - handed to the caller
                    future.set_exception(error)
            del future, fn, args
