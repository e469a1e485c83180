"""What a child made by ``fork`` does not take over from its parent: pooled connections, locks
and slots.

A client made before a fork (multiprocessing's fork start method, gunicorn's ``--preload``, a
worker forked after import) is a copy in the child. Its pooled connections are the parent's
sockets: both processes would write requests to one connection and each read answers meant for
the other (a message id reported by the wrong process). Its locks and slots may be held by
threads of the parent, which do not exist in the child: held for ever there. Each object holding
such state registers here, and the child renews it right after the fork
(:func:`os.register_at_fork`); the parent's objects are left as they are. Nothing is checked per
call.
"""
from __future__ import annotations

import os
import threading
import weakref
from typing import Any, Dict, Protocol

__all__ = ["Renewable", "renew_in_children", "renew_module_lock"]


class Renewable(Protocol):
    """An object with state a forked child must not share with its parent."""

    def renew_after_fork(self) -> None:
        """Called in the child, by the one thread there: replace what the parent's threads held."""


_REGISTERED: "weakref.WeakSet[Renewable]" = weakref.WeakSet()  # not kept alive by being here


def renew_in_children(obj: Renewable) -> None:
    """Have ``obj.renew_after_fork()`` called in every child this process forks from now on."""
    _REGISTERED.add(obj)


def renew_module_lock(namespace: Dict[str, Any], name: str) -> None:
    """Have the lock ``namespace[name]`` (a module's ``globals()``) made anew in every child this
    process forks: a thread of the parent may have held it at the fork."""
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=lambda: namespace.__setitem__(name, threading.Lock()))


def _renew_all() -> None:
    for obj in list(_REGISTERED):
        obj.renew_after_fork()


if hasattr(os, "register_at_fork"):  # not on Windows, where there is no fork
    os.register_at_fork(after_in_child=_renew_all)
