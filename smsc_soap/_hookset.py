"""The engines' side of the hooks (:mod:`smsc_soap.hooks`): most clients have none, so that
module (its events are dataclasses, ~3 ms to make at start-up) loads only for a client given
hooks; a client without them checks one attribute per call and builds nothing."""
from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any, ContextManager, Iterable, Optional

if TYPE_CHECKING:  # pragma: no cover
    from .hooks import HookSet, Hooks, Watch


def hook_set(hooks: Optional[Iterable["Hooks"]]) -> Optional["HookSet"]:
    """The client's :class:`~smsc_soap.hooks.HookSet`, or None when it was given no hooks."""
    given = tuple(hooks or ())
    if not given:
        return None
    from .hooks import HookSet

    return HookSet(given)


def watching(hooks: Optional["HookSet"], attempt: Any, kind: str) -> ContextManager[Optional["Watch"]]:
    """A :class:`~smsc_soap.hooks.Watch` of one call of ``attempt``, or (no hooks) a context giving None."""
    return contextlib.nullcontext() if hooks is None else hooks.watch(attempt, kind)
