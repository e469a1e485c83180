"""The windows after errors 4 and 9 during which the client refuses calls itself, as pure state.

Keyed by scope: error 4 blocks every call (the scope ``("ip",)``), error 9 the same kind of
call. The clock is passed in and nothing here locks: a shell shared by threads holds its own
lock around :meth:`BackOffWindows.refusal` and :meth:`BackOffWindows.open`.
"""
from __future__ import annotations

import hashlib
from typing import Dict, Iterable, Mapping, Optional, Protocol, Tuple

from .. import spec
from .._compat import add_note
from ..errors import ApiError, IpBlocked, RateLimited, api_error



class BackOffPolicy(Protocol):
    """What the windows need of a :class:`~smsc_soap.RetryPolicy`: how long each lasts (the
    policy itself reads this module's defaults, so the windows name only this)."""

    @property
    def ip_blocked_backoff(self) -> float: ...

    @property
    def rate_limited_backoff(self) -> float: ...

#: Error 9 ("more than one identical send / five status / ten balance requests within a
#: minute", seed 004): the page's window is one minute, so after a 9 the client refuses the same
#: kind of call for this long; by then every request the service counted has left its window.
RATE_LIMITED_BACKOFF = spec.RATE_LIMIT_WINDOW_SECONDS
#: Error 4 ("IP address temporarily blocked because of frequent errors", seed 004).
#: ASSUMPTION: the page does not say for how long. We refuse every call for one minute, then let
#: one through: if the block still holds it answers 4 again and we wait another minute; no loop.
IP_BLOCKED_BACKOFF = 60.0

Scope = Tuple[str, ...]
IP_SCOPE: Scope = ("ip",)


def backoff_scopes(operation: str, request: Mapping[str, str]) -> Tuple[Scope, Scope]:
    """The scope error 4 blocks (everything) and the one error 9 of ``operation`` limits.

    9 of send: the identical request; of status: the same message (phone, id); of balance:
    every balance call; of cost (no table of its own): the identical request.
    """
    facts = spec.OPERATIONS.get(operation) or spec.HTTP_OPERATIONS[operation]  # HTTP pages: same rules
    kind = facts.kind
    if kind == spec.STATUS:
        key = f"{request.get('phone')}\n{request.get('id')}"
    elif kind == spec.BALANCE:
        key = ""
    else:  # the same request: everything but the password, hashed so no text is kept
        identity = "\n".join(f"{name}={value}" for name, value in sorted(request.items()) if name != "psw")
        key = hashlib.sha256(identity.encode("utf-8")).hexdigest()
    return IP_SCOPE, ("rate", kind, key)


class BackOffWindows:
    """Until when each scope is refused; ``now`` is the policy's clock, read by the caller."""

    def __init__(self, policy: BackOffPolicy) -> None:
        self._policy = policy
        self._until: Dict[Scope, float] = {}

    def refusal(self, operation: str, scopes: Iterable[Scope], now: float) -> Optional[ApiError]:
        """The error to raise, without sending, if a window covers this call; else None."""
        for scope in [scope for scope, until in self._until.items() if until <= now]:
            del self._until[scope]
        blocked = [(scope, self._until[scope]) for scope in scopes if scope in self._until]
        if not blocked:
            return None
        scope, until = max(blocked, key=lambda item: item[1])
        return local_refusal(operation, 4 if scope == IP_SCOPE else 9, until - now)

    def open(self, error: ApiError, scopes: Tuple[Scope, Scope], now: float,
             policy: Optional[BackOffPolicy] = None) -> Optional[str]:
        """After ``error`` from the service: open a window if it is a 4 or a 9, say so in the
        error (``retry_after`` and a note), and return the note for the log; else None.
        ``policy`` (default: the one given at creation) says for how long."""
        window = backoff_window(error, scopes, policy or self._policy)
        if window is None:
            return None
        scope, seconds = window
        self._until[scope] = max(self._until.get(scope, 0.0), now + seconds)
        return announce_backoff(error, scope, seconds)


def local_refusal(operation: str, code: int, wait: float) -> ApiError:
    """The error 4 or 9 a client raises itself, without sending, ``wait`` seconds before the
    window it opened after the service's own 4 or 9 closes (any shell, any store of windows)."""
    error = api_error(operation, code)
    assert isinstance(error, (IpBlocked, RateLimited)), "spec: 4 and 9 are back-off errors"
    error.retry_after = wait
    error.refused_locally = True
    error.args = (f"{operation}: not sent: backing off after error {error.code} ({error.meaning}); "
                  f"retry after {wait:.0f} s",)
    return error


def backoff_window(error: ApiError, scopes: Tuple[Scope, Scope],
                   policy: BackOffPolicy) -> Optional[Tuple[Scope, float]]:
    """The scope ``error`` closes and for how many seconds; None for errors other than 4 and 9."""
    if not isinstance(error, (IpBlocked, RateLimited)):
        return None
    if isinstance(error, IpBlocked):
        scope, seconds = scopes[0], policy.ip_blocked_backoff
    else:
        scope, seconds = scopes[1], policy.rate_limited_backoff
    return (scope, seconds) if seconds > 0 else None


def announce_backoff(error: ApiError, scope: Scope, seconds: float) -> str:
    """Say in ``error`` (``retry_after`` and a note) that a window is open; the note, for the log."""
    assert isinstance(error, (IpBlocked, RateLimited)), "only 4 and 9 open a window"
    error.retry_after = seconds
    note = (f"smsc_soap backs off: {'every call' if scope == IP_SCOPE else 'the same kind of call'} "
            f"is refused by this client, without sending, for {seconds:g} s")
    add_note(error, note)
    return note
