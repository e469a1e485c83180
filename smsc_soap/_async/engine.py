"""The async engine: the one loop every request of an :class:`~smsc_soap.AsyncClient` goes through.

The twin of :mod:`smsc_soap._sync.engine` (same names, same shape; neither imports the other).
A SOAP call, a page's form post and the opening of a file are *attempts*; the engine alone owns:

* the **gate**: the client's ``Limits`` refuse a call inside a back-off window, hold one of the
  login's slots while it is in flight (the client's own limits: its pool, of the limits' size,
  is the bound), and learn each 4 and 9; a store that does I/O (Redis) is asked from a helper
  thread, never on the event loop, for no longer than the call's time left;
* the **deadline**: one :class:`~smsc_soap._async.transport.Deadline` per call, back-off sleeps
  and the limits included; each piece of a streamed file within the call's timeout;
* **exception translation** and the **secret-free raise**: every exception of an attempt becomes
  ours (:class:`smsc_soap._core.attempts.CallState`) and is raised from this frame, outside any
  ``except`` block; a caller's cancellation is re-raised as a fresh ``CancelledError`` (httpx's
  frames hold the request), and a send cancelled after it was written is recorded, never silent.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import inspect
import logging
import time
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable, Optional, Protocol, Sequence, Tuple, TypeVar, Union

from .. import errors
from .._core.attempts import CallState
from .._core.calls import Call
from .._core.exceptions import ExceptionRule
from .._core.retry import Attempted, RetryPolicy
from .._core.settings import TransportSettings
from .._hookset import watching
from ..limits import ASKS, Limits, LimitsUnavailable, Renewal, give_back
from ..redact import Secret
from .transport import (TLS_EXCEPTIONS, AsyncSoapTransport, Deadline, Exchange, exchange_context, fresh_cancellation,

                        reset_exchange, tls_failure)

if TYPE_CHECKING:  # pragma: no cover
    from ..hooks import HookSet, Watch

log = logging.getLogger("smsc_soap")

A = TypeVar("A")
R_co = TypeVar("R_co", covariant=True)
T = TypeVar("T")

#: What the client does with a send cancelled after it was written (records it, notes it).
LostByCancellation = Callable[[Any, asyncio.CancelledError], None]


class Attempt(Protocol[A, R_co]):
    """One request of a call: how to send it and how to read its answer; nothing else."""

    @property
    def call(self) -> Attempted: ...

    @property
    def where(self) -> str: ...

    @property
    def rules(self) -> Sequence[ExceptionRule]: ...

    @property
    def soap(self) -> Optional[Call]:
        """The SOAP call whose secrets the transport puts in as it writes (None for a page)."""

    async def send(self, exchange: Exchange) -> A:
        """The I/O: the answer as plain data (never httpx's response, which holds the request)."""

    def read(self, answer: A) -> R_co:
        """Pure: the typed result, or the service's :class:`~smsc_soap.ApiError` raised."""


class Engine:
    """The loop of one client: its transport, its limits and the account they count."""

    def __init__(self, *, transport: AsyncSoapTransport, limits: Limits, account: str, secrets: Sequence[Secret],
                 lost: LostByCancellation, own_limits: bool = False, hooks: Optional[HookSet] = None) -> None:
        self.transport = transport
        #: The client's hooks (:mod:`smsc_soap.hooks`), told of each call and attempt; None: none.
        self.hooks = hooks
        self.limits = limits
        self._account = account
        self._secrets = tuple(secrets)
        self._lost = lost
        self._local = bool(getattr(limits, "local", False))
        self._own = own_limits and self._local

    @property
    def settings(self) -> TransportSettings:
        return self.transport.transport_settings

    def state(self, attempt: "Attempt[Any, Any]") -> CallState:
        return CallState(attempt.call, self.settings.retry, self.settings.call_seconds(),
                         asyncio.get_running_loop().time(), attempt.where)

    # --- one call ---------------------------------------------------------------------------------

    async def run(self, attempt: "Attempt[Any, T]") -> T:
        """The result of ``attempt``: gated, repeated only where the core says it is safe, all
        within the call's deadline; errors raised from here, secret-free."""
        if self.hooks is None:
            return await self._run(attempt, None)
        with self.hooks.watch(attempt, "page" if attempt.soap is None else "soap") as watch:
            result = await self._run(attempt, watch)
            watch.done(result)
        return result

    async def _run(self, attempt: "Attempt[Any, T]", watch: Optional[Watch]) -> T:
        state = self.state(attempt)
        loop = asyncio.get_running_loop()
        self.transport.bind(loop)
        async with self.gate(state):
            while True:
                number = state.begin()
                if watch is not None:
                    watch.request(number)
                done, value, sent = await self._once(state, attempt)
                if done:
                    return value  # type: ignore[no-any-return]
                if isinstance(value, errors.ApiError):
                    break
                delay = state.after_failure(value, sent=sent, now=loop.time())
                if watch is not None:
                    watch.retry(value, delay)
                await sleep(self.settings.retry, delay)
        await self.learn(state, value)
        raise value

    async def _once(self, state: CallState, attempt: "Attempt[Any, Any]") -> Tuple[bool, Any, bool]:
        """(True, result, sent) or (False, our error, sent): one attempt under the call's deadline;
        a caller's cancellation re-raised fresh (a send on the wire recorded first)."""
        exchange = Exchange(attempt.soap)
        token = exchange_context(exchange)
        error: Optional[BaseException] = None
        cancelled: Optional[asyncio.CancelledError] = None
        answer: Any = None
        arrived = False
        try:
            async with Deadline(state.deadline):
                try:
                    answer = await attempt.send(exchange)
                    arrived = True
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # noqa: BLE001 - every exception becomes ours
                    error = self._error_for(state, exc, attempt.rules, answered=exchange.answered, sent=exchange.sent)
        except asyncio.CancelledError as caller_cancelled:  # the caller's, not the deadline's
            cancelled = fresh_cancellation(caller_cancelled)
        finally:
            reset_exchange(token)
        if cancelled is not None:  # raised here: no httpx frame holding the request on its traceback
            state.failed(None, sent=exchange.sent, responded=exchange.responded)
            if state.call.is_send and exchange.sent:
                self._lost(state.call, cancelled)
            raise cancelled
        if error is None and not arrived:  # the deadline cancelled the attempt
            error = state.timed_out(sent=exchange.sent)
        if error is not None:
            state.failed(error, sent=exchange.sent, responded=exchange.responded)
            return False, error, exchange.sent
        try:
            return True, attempt.read(answer), True
        except Exception as exc:  # noqa: BLE001 - an unreadable answer is ours too, of any type
            error = self._error_for(state, exc, attempt.rules, answered=True)
        return False, error, True

    def _error_for(self, state: CallState, exc: BaseException, rules: Sequence[ExceptionRule], *,
                   answered: bool, sent: bool = True) -> BaseException:
        cause = tls_failure(exc)  # httpx reports a refused certificate as a ConnectError caused by ssl's
        if cause is not None:
            return state.error_for(cause, TLS_EXCEPTIONS, self._secrets, answered=answered, sent=sent)
        return state.error_for(exc, rules, self._secrets, answered=answered, sent=sent)

    # --- a streamed file --------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def stream(self, attempt: "Attempt[Any, Tuple[AsyncIterator[bytes], Callable[[], Any]]]"
                     ) -> AsyncIterator[AsyncIterator[bytes]]:
        """The pieces of a file answer. ``attempt.read`` gives the pieces and how to close the
        answer, once its start is known to be a file; opening is gated and timed as any call,
        then each piece must come within the call's timeout: a server trickling bytes cannot
        hold it."""
        state = self.state(attempt)
        with watching(self.hooks, attempt, "file") as watch:
            async with self.gate(state) as held:
                number = state.begin()
                if watch is not None:
                    watch.request(number)
                done, value, _ = await self._once(state, attempt)
                if not done:
                    if isinstance(value, errors.ApiError):
                        await self.learn(state, value)
                    raise value  # a file is asked for once
                pieces, close = value
                del value
                try:
                    yield self._pieces(state, attempt.rules, pieces, Renewal(held, asyncio.get_running_loop().time()))
                finally:
                    await close()

    async def _pieces(self, state: CallState, rules: Sequence[ExceptionRule],
                      pieces: AsyncIterator[bytes], renewal: Renewal) -> AsyncIterator[bytes]:
        """The pieces, each within the call's timeout; a failure raised as ours, outside ``except``.
        The slot's lease, if it has one, is renewed as the file goes on (:class:`Renewal`)."""
        loop = asyncio.get_running_loop()
        while True:
            if renewal.due(loop.time()):
                await self._renew(state, renewal)
            error: Optional[BaseException] = None
            cancelled: Optional[asyncio.CancelledError] = None
            piece: Optional[bytes] = None
            arrived = False
            try:
                async with Deadline(loop.time() + state.budget):
                    try:
                        piece = await pieces.__anext__()
                        arrived = True
                    except StopAsyncIteration:
                        return
                    except asyncio.CancelledError:
                        raise
                    except Exception as exc:  # noqa: BLE001 - every exception becomes ours
                        error = self._error_for(state, exc, rules, answered=True)
            except asyncio.CancelledError as caller_cancelled:
                cancelled = fresh_cancellation(caller_cancelled)
            if cancelled is not None:
                raise cancelled
            if error is None and not arrived:
                error = errors.TimeoutError(f"{state.call.operation} at {state.where}: no piece of the file came "
                                            f"within the call's {state.budget:g} s")
            if error is not None:
                raise error
            assert piece is not None
            yield piece

    async def _renew(self, state: CallState, renewal: Renewal) -> None:
        assert renewal.lease is not None
        outcome: Union[bool, BaseException]
        try:
            outcome = await self._ask(state, renewal.lease.renew, at_least=state.budget)
        except Exception as failure:  # noqa: BLE001 - said in the log; the file goes on
            outcome = failure.with_traceback(None)
        renewal.renewed(outcome, asyncio.get_running_loop().time())

    # --- the gate: the client's limits ------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def gate(self, state: CallState) -> AsyncIterator[Any]:
        """Refused during a back-off window (nothing sent), else inside one of the login's slots."""
        call, policy, limits = state.call, state.policy, self.limits
        refusal = await self._ask(state, limits.refusal, self._account, call.operation, call.backoff_scopes, policy)
        if refusal is not None:
            raise refusal
        if self._own:  # the client's own limits: its pool, of their size, bounds what is in flight
            yield None
            return
        slot = limits.slot(self._account, max(0.0, state.left(asyncio.get_running_loop().time())))
        # A slot may be waited for: always from a helper thread, never on the loop.
        held = await self._ask(state, slot.__enter__, undo=lambda: slot.__exit__(None, None, None), inline=False)
        try:
            yield held
        finally:
            give_back(functools.partial(slot.__exit__, None, None, None), local=self._local, in_doubt=state.in_doubt)

    async def learn(self, state: CallState, error: errors.ApiError) -> None:
        """After the service's ``error``: a 4 or a 9 opens its back-off window for every client
        sharing the limits (said in the error and the log)."""
        note: Optional[str] = None
        try:
            note = await self._ask(state, self.limits.opened, self._account, error, state.call.backoff_scopes,
                                   state.policy, at_least=1.0)
        except LimitsUnavailable as failure:  # the service's own error matters more; said loudly
            log.warning("smsc_soap: could not share the back-off after error %d: %s", error.code, failure)
        if note is not None:
            log.warning("%s: error %d (%s); %s", error.operation, error.code, error.meaning, note)

    async def _ask(self, state: CallState, fn: Callable[..., T], *args: Any, undo: Optional[Callable[[], Any]] = None,
                   inline: Optional[bool] = None, at_least: float = 0.0) -> T:
        """``fn(*args)``: inline for limits without I/O; else from a helper thread, waiting no
        longer than the call's time left (``at_least``, for what is asked after the answer)."""
        if self._local if inline is None else inline:
            return fn(*args)
        wait = max(state.left(asyncio.get_running_loop().time()), at_least, 0.0)
        future = ASKS.submit(fn, *args)
        failure: Optional[BaseException] = None
        value: Any = None
        try:
            done, _ = await asyncio.wait({asyncio.wrap_future(future)}, timeout=wait)
        except asyncio.CancelledError:  # the caller's: a slot taken later is given back at once
            _undo_later(future, undo)
            raise
        if not done:
            failure = LimitsUnavailable(f"the shared limits did not answer within the call's {wait:.1f} s left; "
                                        "nothing was sent")
            _undo_later(future, undo)
        elif future.exception() is not None:
            failure = future.exception()
        else:
            value = future.result()
        if failure is not None:
            raise failure.with_traceback(None)
        return value  # type: ignore[no-any-return]


def _undo_later(future: "concurrent.futures.Future[Any]", undo: Optional[Callable[[], Any]]) -> None:
    if undo is not None:
        future.add_done_callback(lambda done: None if done.cancelled() or done.exception() is not None else undo())


async def sleep(policy: RetryPolicy, seconds: float) -> None:
    """The policy's back-off sleep without blocking the loop: ``time.sleep`` (the default) becomes
    ``asyncio.sleep``; a replacement (tests' fake clocks) is called, and awaited if it returns an
    awaitable."""
    if policy.sleep is time.sleep:
        await asyncio.sleep(seconds)
        return
    sleeper: Any = policy.sleep  # may be a coroutine function, though typed as time.sleep
    result = sleeper(seconds)
    if inspect.isawaitable(result):
        await result


__all__ = ["Attempt", "Engine", "LostByCancellation", "sleep"]
