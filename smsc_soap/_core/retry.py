"""When to repeat a call: the policy as data, and the pure "what next" after a failed attempt.

A shell runs the attempts and sleeps; it asks :func:`decide` after each transport failure and
does what the answer says. Connection attempts that never reached the server are the shell's
HTTP library's to repeat (urllib3 does, ``RetryPolicy.connect`` times); this layer decides what
that library cannot know: whether the operation is safe to repeat at all.
"""
from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass, field
from typing import Callable, FrozenSet, Protocol, Tuple, Union

from .. import errors
from .backoff import IP_BLOCKED_BACKOFF, RATE_LIMITED_BACKOFF, Scope


@dataclass(frozen=True)
class RetryPolicy:
    """When the client repeats a call, and how long it backs off; data, handed to ``Client(retry=...)``.

    * Connection attempts that failed (refused, DNS failure, connect timeout) never reached the
      server, so urllib3 repeats them ``connect`` times for every operation, sends included.
    * Balance, cost and status calls are safe to repeat: one that failed with a timeout, a broken
      connection or an HTTP status in ``statuses`` is tried up to ``attempts`` times in all, with
      exponential back-off (``backoff`` seconds, doubling, at most ``max_backoff``) and jitter
      (each delay is cut by a random fraction of up to ``jitter``), always within the call's timeout.
    * A send is never repeated once a byte of it may have left: the client raises
      :class:`~smsc_soap.errors.SendOutcomeUnknown` instead.
    * After error 4 (IP blocked) every call, and after error 9 (rate limit) the same kind of call,
      is refused by the client itself for ``ip_blocked_backoff`` / ``rate_limited_backoff``
      seconds (0 turns that off); the exception says so in ``retry_after``.

    ``sleep``, ``clock`` (monotonic seconds, for the back-off windows) and ``random`` are there to
    be replaced in tests. :class:`~smsc_soap.AsyncClient` awaits ``asyncio.sleep`` in place of the
    default ``time.sleep``; a replacement ``sleep`` is called, and awaited if it returns an awaitable.
    """

    attempts: int = 3
    backoff: float = 0.25
    max_backoff: float = 4.0
    jitter: float = 0.5
    statuses: FrozenSet[int] = frozenset({500, 502, 503, 504})
    connect: int = 2
    ip_blocked_backoff: float = IP_BLOCKED_BACKOFF
    rate_limited_backoff: float = RATE_LIMITED_BACKOFF
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)
    clock: Callable[[], float] = field(default=time.monotonic, repr=False, compare=False)
    random: Callable[[], float] = field(default=random.random, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not (isinstance(self.attempts, int) and self.attempts >= 1):
            raise errors.ValidationError("attempts must be an int of at least 1", field="retry")
        if not (isinstance(self.connect, int) and self.connect >= 0):
            raise errors.ValidationError("connect must be an int of at least 0", field="retry")
        if not 0 <= self.jitter <= 1:
            raise errors.ValidationError("jitter must be between 0 and 1", field="retry")
        for name in ("backoff", "max_backoff", "ip_blocked_backoff", "rate_limited_backoff"):
            if not getattr(self, name) >= 0:
                raise errors.ValidationError(f"{name} must be a number of seconds >= 0", field="retry")

    def delay(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (1 for the first)."""
        base = min(self.max_backoff, self.backoff * 2 ** (retry - 1))
        return float(base * (1.0 - self.jitter * self.random()))

    def retryable(self, error: errors.TransportError) -> bool:
        """Whether an idempotent call that failed with ``error`` is worth repeating."""
        if isinstance(error, (errors.TLSError, errors.SoapFault)):
            return False  # a certificate or a fault does not change on a second try
        if isinstance(error, (errors.TimeoutError, errors.ConnectionError)):
            return True
        return isinstance(error, errors.ProtocolError) and error.status_code in self.statuses


# --- what next, after an attempt failed --------------------------------------------------------


class _Decision:
    """Immutable, equal to a decision of its kind with equal fields: a frozen dataclass's
    behaviour, written out because making three of those costs ~1 ms at start-up."""

    __slots__: Tuple[str, ...] = ()

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and all(getattr(self, n) == getattr(other, n) for n in self.__slots__)

    def __hash__(self) -> int:
        return hash((type(self).__name__, *(getattr(self, n) for n in self.__slots__)))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{n}={getattr(self, n)!r}' for n in self.__slots__)})"

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")


class RetryAfter(_Decision):
    """Repeat the call after ``delay`` seconds."""

    __slots__ = ("delay",)
    delay: float

    def __init__(self, delay: float) -> None:
        object.__setattr__(self, "delay", delay)


class Raise(_Decision):
    """Give up: raise the transport error as it is."""

    __slots__ = ()


class RaiseOutcomeUnknown(_Decision):
    """A send that may have reached the service: raise :class:`~smsc_soap.SendOutcomeUnknown`
    (``Call.outcome_unknown(error)``), never repeat it."""

    __slots__ = ()


Decision = Union[RetryAfter, Raise, RaiseOutcomeUnknown]


def decide(policy: RetryPolicy, attempt: int, error: errors.TransportError, *, is_send: bool,
           sent: bool, time_left: float) -> Decision:
    """What to do after attempt number ``attempt`` (1 for the first) failed with ``error``.

    ``sent`` says whether a byte of the request may have reached the server, ``time_left`` how
    many seconds remain of the call's deadline.
    """
    if is_send:
        # A send that provably never left was already retried by the connection layer.
        return RaiseOutcomeUnknown() if sent else Raise()
    delay = policy.delay(attempt)
    if attempt >= policy.attempts or not policy.retryable(error) or delay >= time_left:
        return Raise()
    return RetryAfter(delay)


class Attempted(Protocol):
    """What :func:`delay_or_raise` and the engines need of a call (a SOAP or an HTTP page's)."""

    @property
    def operation(self) -> str: ...

    @property
    def is_send(self) -> bool: ...

    @property
    def backoff_scopes(self) -> Tuple[Scope, Scope]: ...

    def outcome_unknown(self, cause: errors.TransportError) -> errors.SendOutcomeUnknown: ...


def delay_or_raise(policy: RetryPolicy, attempt: int, error: BaseException, call: Attempted, *,
                   sent: bool, time_left: float) -> float:
    """What every shell does after attempt ``attempt`` of ``call`` failed with ``error``: the
    seconds to wait before the next attempt, or the error raised (for a send that may have
    arrived, ``call.outcome_unknown(error)``). Raised here, from no ``except`` block."""
    if not isinstance(error, errors.TransportError) or isinstance(error, errors.SendOutcomeUnknown):
        raise error  # the service's error, or a send already known to be of unknown outcome
    step = decide(policy, attempt, error, is_send=call.is_send, sent=sent, time_left=time_left)
    if isinstance(step, RaiseOutcomeUnknown):  # it may have arrived: never twice
        raise call.outcome_unknown(error) from error
    if isinstance(step, Raise):
        raise error
    logging.getLogger("smsc_soap").info(
        "%s failed (%s: %s); retry %d of %d in %.2f s", call.operation, type(error).__name__, error, attempt,
        policy.attempts - 1, step.delay)
    return step.delay
