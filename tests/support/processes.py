"""Forked children for tests of what a client does across ``fork`` (tests/test_fork.py, the
OpenTelemetry hooks' and the callback receiver's own tests)."""
from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import threading
import time
from typing import Callable, ContextManager, Iterator, List, Tuple

import pytest

#: A child that has not answered by then is taken as hung (and killed).
CHILD_SECONDS = 20.0


class Child:
    """``work()`` run in a forked child; :meth:`result` is what it returned (or raised, as
    text), and fails the test if the child hangs."""

    def __init__(self, work: Callable[[], object]) -> None:
        self._read, write = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # the child: never back into pytest
            try:
                os.close(self._read)
                try:
                    payload: Tuple[str, object] = ("returned", work())
                except BaseException as error:  # noqa: BLE001 - reported to the parent
                    payload = ("raised", f"{type(error).__name__}: {error}")
                data = pickle.dumps(payload)
                while data:
                    data = data[os.write(write, data):]
            finally:
                os._exit(0)
        os.close(write)

    def result(self) -> object:
        chunks: List[bytes] = []
        deadline = time.monotonic() + CHILD_SECONDS
        try:
            while True:
                ready, _, _ = select.select([self._read], [], [], max(0.0, deadline - time.monotonic()))
                if not ready:
                    os.kill(self.pid, signal.SIGKILL)
                    pytest.fail(f"the forked child did not finish within {CHILD_SECONDS:g} s (it hung)")
                chunk = os.read(self._read, 65536)
                if not chunk:
                    break
                chunks.append(chunk)
        finally:
            os.close(self._read)
            os.waitpid(self.pid, 0)
        how, value = pickle.loads(b"".join(chunks))
        assert how == "returned", f"the child raised {value}"
        return value


@contextlib.contextmanager
def held_by_another_thread(lock: ContextManager[object]) -> Iterator[None]:
    """``lock`` held by another thread of this process for the whole block: a child forked inside
    it gets a copy that no thread of its own will ever release."""
    held, done = threading.Event(), threading.Event()

    def hold() -> None:
        with lock:
            held.set()
            done.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(5)
        yield
    finally:
        done.set()
        holder.join()
