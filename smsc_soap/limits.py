"""The service's limits under one login, kept where every client that shares the login sees them.

The service counts per login, not per process (seeds 001:90, 004:280/424/460): fifteen requests
at once are refused, and so are a second identical send, a sixth status request for one message
or an eleventh balance request within a minute (error 9); frequent errors block the IP (error 4).
A :class:`Limits` keeps, for a :class:`~smsc_soap.Client`'s one call path:

* a concurrency **slot** per login, held while a request is in flight;
* the **back-off windows** opened after a 4 or a 9 (:mod:`smsc_soap._core.backoff`): seen by one
  client, respected by all that share the store;
* optionally the **per-minute windows** of error 9 (``spec.RATE_LIMITS``), counted before sending;
* a **claim** per idempotency key, so that a task run a second time knows it (``smsc_soap.celery``).

:class:`InMemoryLimits` (the default of every ``Client``) is today's behaviour in one process.
:class:`RedisLimits` (``pip install 'smsc-soap[celery]'`` or ``redis``) shares them between
processes and machines; every decision is one Lua script run atomically by Redis on Redis's own
clock (``TIME``), so workers' clocks may disagree. It FAILS CLOSED: when Redis cannot be asked,
the call raises :class:`LimitsUnavailable` before anything is sent (falling back to per-process
limits would let N workers send N times the limit and risk the IP block of error 4).
"""
from __future__ import annotations

import contextlib
import hashlib
import logging
import secrets
import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Optional, Protocol, Tuple, Union

from . import spec
from ._fork import renew_in_children
from ._runner import Runner
from ._core.backoff import (
    IP_SCOPE, BackOffWindows, Scope, announce_backoff, backoff_window, local_refusal,
)
from .errors import ApiError, SmscError

if TYPE_CHECKING:  # pragma: no cover
    from ._core.retry import RetryPolicy

__all__ = ["InMemoryLimits", "Lease", "Limits", "LimitsUnavailable", "RedisLimits", "account_key", "concurrency_of"]

log = logging.getLogger("smsc_soap")
Scopes = Tuple[Scope, Scope]


class LimitsUnavailable(SmscError):
    """The shared limits could not be asked (Redis down or too slow), or no slot came free in
    time: the request was NOT sent; it is safe to try again later."""


def account_key(login: Optional[str], apikey: str = "") -> str:
    """Whom the service counts a request against: the login, or (API key) a hash of the key, so
    the key itself never reaches the store."""
    if login:
        return "login:" + login
    return "apikey:" + hashlib.sha256(apikey.encode("utf-8")).hexdigest()[:32]


def window_of(scopes: Scopes) -> Tuple[int, str]:
    """The per-minute limit counted for a call (0: none) and the key it is counted by.

    Status and balance requests are counted. Sends are not: the client cannot know whether a
    send whose answer was lost reached the service, so counting it would refuse the one resend
    that reconciliation allows (same id, found missing); the service's own duplicate guard
    answers a real duplicate with a 9, which then opens the shared back-off window. Cost has no
    limit of its own on the page."""
    _, kind, key = scopes[1]
    limit = spec.RATE_LIMITS.get(kind) if kind != spec.SEND else None
    return (limit.requests if limit else 0), f"{kind}:{key}"


class Limits(Protocol):
    """What ``Client(limits=...)`` asks before and after each request, SOAP and page alike (one
    account per call; the client's engine asks, :mod:`smsc_soap._sync.engine`).

    Optional attributes the engines read: ``concurrency`` (the requests a login may have in
    flight: the clients' pools and bulk sending follow it, :func:`concurrency_of`) and ``local``
    (True: answers at once without I/O, asked inline; otherwise asked from a helper thread for
    no longer than the call's time left)."""

    def refusal(self, account: str, operation: str, scopes: Scopes, policy: "RetryPolicy") -> Optional[ApiError]:
        """The 4 or 9 to raise without sending if a window covers this call; else None (and the
        call is counted in its per-minute window, when the store counts them)."""

    def opened(self, account: str, error: ApiError, scopes: Scopes, policy: "RetryPolicy") -> Optional[str]:
        """After the service's ``error``: open its back-off window if it is a 4 or a 9; the note."""

    def slot(self, account: str, seconds: float) -> "contextlib.AbstractContextManager[Any]":
        """Hold one of the login's concurrency slots for a call of at most ``seconds``; waits up
        to ``seconds`` for one, then raises :class:`LimitsUnavailable`. A store whose slots are
        leases may give a :class:`Lease` (``with`` gives it): a streamed file, which may outlast
        ``seconds``, has it renewed as it is read."""

    def claim(self, account: str, key: str, seconds: float) -> Optional[float]:
        """Mark ``key`` (an idempotency key) as started, for ``seconds``: None the first time,
        else how long ago (seconds) it was first claimed: the task is running again."""


def concurrency_of(limits: object) -> int:
    """The requests ``limits`` lets one login have in flight: the one bound every pool and every
    bulk sender follows (a store that does not say: what the service allows)."""
    bound = getattr(limits, "concurrency", None)
    return bound if isinstance(bound, int) and bound >= 1 else spec.CONCURRENT_REQUESTS_ALLOWED


def bulk_concurrency_of(limits: object) -> int:
    """The requests a client's bulk sending and tracking keep in flight at most, for all their
    threads: ``spec.BULK_CONCURRENT_REQUESTS``, within the login's bound of ``limits``."""
    return min(spec.BULK_CONCURRENT_REQUESTS, concurrency_of(limits))


class InMemoryLimits:
    """One process's limits (the default): the back-off windows, a semaphore of
    ``concurrency`` slots per login, and (``count_windows=True``) the per-minute windows.

    ``count_windows`` is off by default: a single client then learns a 9 from the service, as it
    always has. Share one instance between clients of one login to share the windows.
    """

    #: Answers at once, without I/O: the engines ask it inline (a store without this, e.g. Redis,
    #: is asked from a helper thread, for no longer than the call's time left).
    local = True

    def __init__(self, concurrency: int = spec.CONCURRENT_REQUESTS_ALLOWED, *, count_windows: bool = False,
                 policy: Optional["RetryPolicy"] = None) -> None:
        from ._core.retry import RetryPolicy

        self.concurrency = concurrency
        self.count_windows = count_windows
        #: The back-off windows and their lock (the HTTP pages' shell shares them).
        self.windows = BackOffWindows(policy or RetryPolicy())
        self.lock = threading.Lock()
        self._slots: Dict[str, threading.BoundedSemaphore] = {}
        self._counted: Dict[str, List[float]] = {}
        self._claims: Dict[str, float] = {}
        renew_in_children(self)

    def renew_after_fork(self) -> None:
        """In a forked child every slot is free and the lock too: the parent's threads, and their
        requests, are not in the child (the back-off windows it learned still hold)."""
        self.lock = threading.Lock()
        self._slots = {}

    def refusal(self, account: str, operation: str, scopes: Scopes, policy: "RetryPolicy") -> Optional[ApiError]:
        now = policy.clock()
        with self.lock:
            refused = self.windows.refusal(operation, scopes, now)
            if refused is not None or not self.count_windows:
                return refused
            limit, key = window_of(scopes)
            if not limit:
                return None
            times = [t for t in self._counted.get(account + key, []) if t > now - spec.RATE_LIMIT_WINDOW_SECONDS]
            if len(times) >= limit:
                self._counted[account + key] = times
                return local_refusal(operation, 9, times[0] + spec.RATE_LIMIT_WINDOW_SECONDS - now)
            self._counted[account + key] = times + [now]
            return None

    def opened(self, account: str, error: ApiError, scopes: Scopes, policy: "RetryPolicy") -> Optional[str]:
        with self.lock:
            return self.windows.open(error, scopes, policy.clock(), policy)

    @contextlib.contextmanager
    def slot(self, account: str, seconds: float) -> Iterator[None]:
        with self.lock:
            semaphore = self._slots.setdefault(account, threading.BoundedSemaphore(self.concurrency))
        if not semaphore.acquire(timeout=seconds):
            raise LimitsUnavailable(f"no request slot came free within {seconds:g} s; nothing was sent")
        try:
            yield
        finally:
            semaphore.release()

    def claim(self, account: str, key: str, seconds: float) -> Optional[float]:
        now = time.monotonic()
        with self.lock:
            first = self._claims.get(account + key)
            if first is not None and now - first < seconds:
                return now - first
            self._claims[account + key] = now
            return None


# --- asking a store that does I/O, for no longer than a call may wait ---------------------------


#: ASSUMPTION (a choice): threads that ask shared stores, for every client of the process; more
#: than one login's slots (spec.CONCURRENT_REQUESTS_ALLOWED), so a slot wait does not hold up
#: another call's check. Calls beyond that queue, within their own deadline.
ASKING_THREADS = 2 * spec.CONCURRENT_REQUESTS_ALLOWED
#: Who asks shared stores (checks, slots, windows), and who gives their slots back: a release
#: never waits behind calls that are waiting for a slot.
ASKS = Runner(ASKING_THREADS, "smsc-soap-limits")
RELEASES = Runner(1, "smsc-soap-release")


def give_back(release: Callable[[], object], *, local: bool, in_doubt: bool) -> None:
    """Give a call's slot back (``release``), as both engines do at the call's end: at once, or,
    when the call is in doubt (its request may still be at the service), only
    :data:`~smsc_soap.spec.SLOT_LEASE_MARGIN_SECONDS` later, so that the next request does not
    join one the service is still working on. A store doing I/O is released from a helper
    thread, never from the caller's (or the watchdog's): a frozen store holds neither."""
    if in_doubt:
        from ._sync.watchdog import WATCHDOG  # the process's one timer thread, started on first use

        WATCHDOG.watch(time.monotonic() + spec.SLOT_LEASE_MARGIN_SECONDS, _HeldSlot(release, local))
    elif local:
        release()
    else:
        RELEASES.submit(release)


class _HeldSlot:
    """A slot kept while the service may still be working on its call's request (the watchdog's
    to give back)."""

    done = False

    def __init__(self, release: Callable[[], object], local: bool) -> None:
        self._release, self._local = release, local

    def expire(self) -> None:
        give_back(self._release, local=self._local, in_doubt=False)


# --- Redis -------------------------------------------------------------------------------------

#: Redis's clock in milliseconds, inside a script (TIME is allowed: scripts replicate effects).
_NOW = "local t = redis.call('TIME'); local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"

#: KEYS: slots (sorted set: token -> lease end). ARGV: token, limit, lease ms.
_ACQUIRE = _NOW + """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[3]) then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return 1
"""

#: KEYS: slots. ARGV: token, lease ms. Moves the token's lease end on; 0 if it is gone (it lapsed
#: and a later acquire cleared it: then the slot may be someone else's, and is not taken back).
_RENEW = _NOW + """
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1
"""

#: KEYS: ip back-off, rate back-off, per-minute window. ARGV: limit (0: none), window ms, token.
#: Returns {code, wait ms}: code 0 (go; counted), 4 or 9 (refused).
_CHECK = """
local ip = redis.call('PTTL', KEYS[1])
if ip > 0 then return {4, ip} end
local rate = redis.call('PTTL', KEYS[2])
if rate > 0 then return {9, rate} end
local limit = tonumber(ARGV[1])
if limit == 0 then return {0, 0} end
""" + _NOW + """
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - window)
if redis.call('ZCARD', KEYS[3]) >= limit then
  local oldest = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
  return {9, tonumber(oldest[2]) + window - now}
end
redis.call('ZADD', KEYS[3], now, ARGV[3])
redis.call('PEXPIRE', KEYS[3], window)
return {0, 0}
"""

#: KEYS: a back-off key. ARGV: ms. Only lengthens a window, never shortens one.
_OPEN = """
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], '1', 'PX', ARGV[1]) end
return 1
"""

#: KEYS: the claim. ARGV: ms. Returns -1 the first time, else ms since the first claim.
_CLAIM = _NOW + """
if redis.call('SET', KEYS[1], now, 'NX', 'PX', ARGV[1]) then return -1 end
return now - tonumber(redis.call('GET', KEYS[1]))
"""


class Lease:
    """A slot held in a shared store for ``seconds`` at a time: a crashed worker's frees itself,
    a live one's is moved on (:meth:`renew`) while it is still in use."""

    def __init__(self, renew: Callable[[], bool], seconds: float) -> None:
        self.renew, self.seconds = renew, seconds


class Renewal:
    """When the engines renew the lease of a streamed file's slot: as a piece is asked for, once
    half the lease has passed since it was taken or last renewed (a file may outlast the call's
    seconds; a store's round trip per piece would be waste). Nothing for a slot without a lease."""

    def __init__(self, held: Any, now: float) -> None:
        self.lease: Optional[Lease] = held if isinstance(held, Lease) else None
        self._at = now + self.lease.seconds / 2 if self.lease is not None else float("inf")

    def due(self, now: float) -> bool:
        return now >= self._at

    def renewed(self, outcome: Union[bool, BaseException], now: float) -> None:
        """After :meth:`Lease.renew` (its answer, or what it raised): said in the log when the
        lease could not be renewed; the file goes on (its request is in flight already)."""
        if outcome is not True:
            why = "it had lapsed" if outcome is False else f"{type(outcome).__name__}: {outcome}"
            log.warning("smsc_soap: could not renew a streamed file's request slot in the shared limits (%s); "
                        "the file goes on, and the slot may be counted free before it ends", why)
        assert self.lease is not None
        self._at = now + self.lease.seconds / 2


class RedisLimits:
    """The limits in Redis, shared by every client and worker given the same server and
    ``prefix``: at most ``concurrency`` requests in flight per login (leases that expire: a
    crashed worker's slot is free again ``spec.SLOT_LEASE_MARGIN_SECONDS`` after its call's
    deadline), the back-off windows after 4 and 9, and the per-minute windows of error 9.

    ``redis`` is a ``redis.Redis`` client, or a URL (``redis://127.0.0.1:6379/0``). Every Redis
    failure is raised as :class:`LimitsUnavailable` before the request is sent (fail closed).
    """

    def __init__(self, redis: Any, *, concurrency: int = spec.SHARED_CONCURRENT_REQUESTS,
                 prefix: str = "smsc_soap", count_windows: bool = True, poll: float = 0.01) -> None:
        if isinstance(redis, str):
            from ._extras import require

            redis_py = require("redis", "RedisLimits")

            redis = redis_py.Redis.from_url(redis, socket_timeout=5, socket_connect_timeout=5)
        if not (isinstance(concurrency, int) and 1 <= concurrency <= spec.CONCURRENT_REQUESTS_ALLOWED):
            raise ValueError(f"concurrency must be 1..{spec.CONCURRENT_REQUESTS_ALLOWED}")
        self.redis = redis
        self.concurrency = concurrency
        self.prefix = prefix
        self.count_windows = count_windows
        self.poll = poll
        self._acquire = redis.register_script(_ACQUIRE)
        self._renew = redis.register_script(_RENEW)
        self._check = redis.register_script(_CHECK)
        self._open = redis.register_script(_OPEN)
        self._claim = redis.register_script(_CLAIM)

    def __repr__(self) -> str:
        return f"<smsc_soap.RedisLimits prefix={self.prefix!r} concurrency={self.concurrency}>"

    def _key(self, account: str, *parts: str) -> str:
        # {account} is a Redis Cluster hash tag: one login's keys live on one node.
        return ":".join((self.prefix, "{" + account + "}") + parts)

    def _scope_key(self, account: str, scope: Scope) -> str:
        return self._key(account, "backoff", hashlib.sha256("\n".join(scope).encode("utf-8")).hexdigest()[:32])

    def _run(self, script: Any, keys: List[str], args: List[Any]) -> Any:
        import redis as redis_py

        try:
            return script(keys=keys, args=args)
        except redis_py.RedisError as error:
            failure = f"the shared limits in Redis cannot be asked ({type(error).__name__}: {error}); nothing was sent"
        raise LimitsUnavailable(failure)

    def refusal(self, account: str, operation: str, scopes: Scopes, policy: "RetryPolicy") -> Optional[ApiError]:
        limit, window = window_of(scopes) if self.count_windows else (0, "")
        keys = [self._scope_key(account, IP_SCOPE), self._scope_key(account, scopes[1]),
                self._key(account, "window", hashlib.sha256(window.encode("utf-8")).hexdigest()[:32])]
        code, wait_ms = self._run(self._check, keys,
                                  [limit, int(spec.RATE_LIMIT_WINDOW_SECONDS * 1000), secrets.token_hex(8)])
        if int(code) == 0:
            return None
        return local_refusal(operation, int(code), int(wait_ms) / 1000)

    def opened(self, account: str, error: ApiError, scopes: Scopes, policy: "RetryPolicy") -> Optional[str]:
        window = backoff_window(error, scopes, policy)
        if window is None:
            return None
        scope, seconds = window
        try:
            self._run(self._open, [self._scope_key(account, scope)], [int(seconds * 1000)])
        except LimitsUnavailable as failure:  # the service's own error matters more; said loudly
            log.warning("smsc_soap: could not share the back-off after error %d: %s", error.code, failure)
        return announce_backoff(error, scope, seconds)

    @contextlib.contextmanager
    def slot(self, account: str, seconds: float) -> Iterator[Lease]:
        key = self._key(account, "slots")
        token = secrets.token_hex(8)
        lease_ms = int((seconds + spec.SLOT_LEASE_MARGIN_SECONDS) * 1000)
        give_up = time.monotonic() + seconds
        while not self._run(self._acquire, [key], [token, self.concurrency, lease_ms]):
            if time.monotonic() >= give_up:
                raise LimitsUnavailable(f"no request slot came free within {seconds:g} s "
                                        f"({self.concurrency} in flight under this login); nothing was sent")
            time.sleep(self.poll * (0.5 + secrets.randbelow(1000) / 1000))
        try:
            yield Lease(lambda: bool(self._run(self._renew, [key], [token, lease_ms])), lease_ms / 1000)
        finally:
            try:
                self.redis.zrem(key, token)
            except Exception as error:  # noqa: BLE001 - the lease frees it; the call's result stands
                log.warning("smsc_soap: could not free a request slot in Redis (%s); its lease frees it", error)

    def claim(self, account: str, key: str, seconds: float) -> Optional[float]:
        age = int(self._run(self._claim, [self._key(account, "claim", key)], [int(seconds * 1000)]))
        return None if age < 0 else age / 1000
