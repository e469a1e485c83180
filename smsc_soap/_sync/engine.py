"""The sync engine: the one loop every request of a :class:`~smsc_soap.Client` goes through.

A SOAP call, a page's form post and the opening of a file are *attempts* (they say how to send
and how to read, nothing else); the engine runs them and alone owns what every request needs:

* the **gate**: the client's ``Limits`` (:mod:`smsc_soap.limits`) refuse a call inside a back-off
  window, hold one of the login's slots while it is in flight, and learn each 4 and 9;
* the **deadline**: one per call, retries, back-off and the limits' own I/O included (a store
  that does I/O is asked from a helper thread, for no longer than the call's time left);
* **exception translation** and the **secret-free raise**: every exception of an attempt
  becomes ours (:class:`smsc_soap._core.attempts.CallState`) and is raised from this frame,
  outside any ``except`` block, with no frame of the HTTP library (which holds the request)
  on its traceback. The decisions are the sans-IO core's; this module only drives them.

:mod:`smsc_soap._async.engine` is its twin for asyncio: same names, same shape.
"""
from __future__ import annotations

import contextlib
import functools
import logging
import time
from typing import TYPE_CHECKING, Any, Callable, Iterator, Optional, Protocol, Sequence, Tuple, TypeVar, Union

from .. import errors
from .._core.attempts import CallState
from .._core.calls import Call
from .._core.exceptions import ExceptionRule
from .._core.retry import Attempted
from .._core.settings import TransportSettings
from .._hookset import watching
from ..limits import ASKS, Limits, LimitsUnavailable, Renewal, give_back
from ..redact import Secret
from .transport import Exchange, SoapTransport

if TYPE_CHECKING:  # pragma: no cover
    from ..hooks import HookSet, Watch

log = logging.getLogger("smsc_soap")

A = TypeVar("A")
R_co = TypeVar("R_co", covariant=True)
T = TypeVar("T")


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

    def send(self, exchange: Exchange) -> A:
        """The I/O: the answer as plain data (never the library's response, which holds the request)."""

    def read(self, answer: A) -> R_co:
        """Pure: the typed result, or the service's :class:`~smsc_soap.ApiError` raised."""


class Engine:
    """The loop of one client: its transport, its limits and the account they count."""

    def __init__(self, *, transport: SoapTransport, limits: Limits, account: str, secrets: Sequence[Secret],
                 hooks: Optional[HookSet] = None) -> None:
        self.transport = transport
        #: The client's hooks (:mod:`smsc_soap.hooks`), told of each call and attempt; None: none.
        self.hooks = hooks
        self.limits = limits
        self._account = account
        self._secrets = tuple(secrets)
        self._local = bool(getattr(limits, "local", False))

    @property
    def settings(self) -> TransportSettings:
        return self.transport.transport_settings

    def state(self, attempt: "Attempt[Any, Any]") -> CallState:
        return CallState(attempt.call, self.settings.retry, self.settings.call_seconds(), time.monotonic(),
                         attempt.where)

    # --- one call ---------------------------------------------------------------------------------

    def run(self, attempt: "Attempt[Any, T]") -> T:
        """The result of ``attempt``: gated, repeated only where the core says it is safe, all
        within the call's deadline; errors raised from here, secret-free."""
        if self.hooks is None:
            return self._run(attempt, None)
        with self.hooks.watch(attempt, "page" if attempt.soap is None else "soap") as watch:
            result = self._run(attempt, watch)
            watch.done(result)
        return result

    def _run(self, attempt: "Attempt[Any, T]", watch: Optional[Watch]) -> T:
        state = self.state(attempt)
        with self.gate(state):
            while True:
                number = state.begin()
                if watch is not None:
                    watch.request(number)
                done, value, sent = self._once(state, attempt)
                if done:
                    return value  # type: ignore[no-any-return]
                if isinstance(value, errors.ApiError):
                    break
                delay = state.after_failure(value, sent=sent, now=time.monotonic())
                if watch is not None:
                    watch.retry(value, delay)
                self.settings.retry.sleep(delay)
        self.learn(state, value)
        raise value

    def _once(self, state: CallState, attempt: "Attempt[Any, Any]") -> Tuple[bool, Any, bool]:
        """(True, result, sent) or (False, our error, sent): one attempt, nothing raised but what
        is not an Exception (KeyboardInterrupt, ...)."""
        error: Optional[BaseException] = None
        answer: Any = None
        with self.transport.exchange(state.deadline, attempt.soap) as exchange:
            try:
                answer = attempt.send(exchange)
            except Exception as exc:  # noqa: BLE001 - every exception becomes ours
                error = self._attempt_error(state, exc, attempt.rules, exchange)
        if error is not None:
            state.failed(error, sent=exchange.sent, responded=exchange.responded)
            return False, error, exchange.sent
        try:
            return True, attempt.read(answer), True
        except Exception as exc:  # noqa: BLE001 - an unreadable answer is ours too, of any type
            error = state.error_for(exc, attempt.rules, self._secrets, answered=True)
        return False, error, True

    # --- a streamed file --------------------------------------------------------------------------

    @contextlib.contextmanager
    def stream(self, attempt: "Attempt[Any, Tuple[Iterator[bytes], Callable[[], None]]]") -> Iterator[Iterator[bytes]]:
        """The pieces of a file answer. ``attempt.read`` gives the rest of the pieces and how to
        close the answer, once the start is known to be a file; opening is gated and timed as
        any call, and then each piece must come within the call's timeout (see
        :data:`smsc_soap.http_api.wire.STREAM_CHUNK`): a server trickling bytes cannot hold it."""
        state = self.state(attempt)
        with watching(self.hooks, attempt, "file") as watch, self.gate(state) as held:
            number = state.begin()
            if watch is not None:
                watch.request(number)
            with self.transport.exchange(state.deadline, None) as exchange:
                done, value, sent = self._once_in(state, attempt, exchange)
                if not done:
                    if isinstance(value, errors.ApiError):
                        self.learn(state, value)
                    raise value  # a file is asked for once
                pieces, close = value
                del value
                exchange.pause()  # until the caller asks for the next piece
                try:
                    yield self._pieces(state, attempt.rules, exchange, pieces, Renewal(held, time.monotonic()))
                finally:
                    exchange.finish()  # before the connection can go back to the pool
                    close()

    def _once_in(self, state: CallState, attempt: "Attempt[Any, Any]", exchange: Exchange) -> Tuple[bool, Any, bool]:
        error: Optional[BaseException] = None
        try:
            return True, attempt.read(attempt.send(exchange)), True
        except Exception as exc:  # noqa: BLE001 - every exception becomes ours
            error = self._attempt_error(state, exc, attempt.rules, exchange)
        state.failed(error, sent=exchange.sent, responded=exchange.responded)
        return False, error, exchange.sent

    def _attempt_error(self, state: CallState, exc: Exception, rules: Sequence[ExceptionRule],
                       exchange: Exchange) -> BaseException:
        """What an attempt that raised ``exc`` ends in: the call's timeout when the watchdog cut
        it before an answer came, else the error ``exc`` translates to."""
        if exchange.expired and not exchange.answered:
            return state.timed_out(sent=exchange.sent)
        return state.error_for(exc, rules, self._secrets, answered=exchange.answered, sent=exchange.sent)

    def _pieces(self, state: CallState, rules: Sequence[ExceptionRule], exchange: Exchange,
                pieces: Iterator[bytes], renewal: Renewal) -> Iterator[bytes]:
        """The pieces, each within the call's timeout; a failure raised as ours, outside ``except``.
        The slot's lease, if it has one, is renewed as the file goes on (:class:`Renewal`)."""
        while True:
            if renewal.due(time.monotonic()):
                self._renew(state, renewal)
            exchange.extend(time.monotonic() + state.budget)
            error: Optional[BaseException] = None
            piece: Optional[bytes] = None
            try:
                piece = next(pieces, None)
            except Exception as exc:  # noqa: BLE001 - every exception becomes ours
                error = state.error_for(exc, rules, self._secrets, answered=True)
            if exchange.expired:
                error = errors.TimeoutError(f"{state.call.operation} at {state.where}: no piece of the file came "
                                            f"within the call's {state.budget:g} s")
            exchange.pause()  # the time the caller takes with a piece is not the server's
            if error is not None:
                raise error
            if piece is None:
                return
            yield piece

    def _renew(self, state: CallState, renewal: Renewal) -> None:
        assert renewal.lease is not None
        outcome: Union[bool, BaseException]
        try:
            outcome = self._ask(state, renewal.lease.renew, at_least=state.budget)
        except Exception as failure:  # noqa: BLE001 - said in the log; the file goes on
            outcome = failure.with_traceback(None)
        renewal.renewed(outcome, time.monotonic())

    # --- the gate: the client's limits ------------------------------------------------------------

    @contextlib.contextmanager
    def gate(self, state: CallState) -> Iterator[Any]:
        """Refused during a back-off window (nothing sent), else inside one of the login's slots."""
        call, policy, limits = state.call, state.policy, self.limits
        refusal = self._ask(state, limits.refusal, self._account, call.operation, call.backoff_scopes, policy)
        if refusal is not None:
            raise refusal
        slot = limits.slot(self._account, max(0.0, state.left(time.monotonic())))
        held = self._ask(state, slot.__enter__, undo=lambda: slot.__exit__(None, None, None))
        try:
            yield held
        finally:
            give_back(functools.partial(slot.__exit__, None, None, None), local=self._local, in_doubt=state.in_doubt)

    def learn(self, state: CallState, error: errors.ApiError) -> None:
        """After the service's ``error``: a 4 or a 9 opens its back-off window for every client
        sharing the limits (said in the error and the log)."""
        note: Optional[str] = None
        try:
            note = self._ask(state, self.limits.opened, self._account, error, state.call.backoff_scopes,
                             state.policy, at_least=1.0)
        except LimitsUnavailable as failure:  # the service's own error matters more; said loudly
            log.warning("smsc_soap: could not share the back-off after error %d: %s", error.code, failure)
        if note is not None:
            log.warning("%s: error %d (%s); %s", error.operation, error.code, error.meaning, note)

    def _ask(self, state: CallState, fn: Callable[..., T], *args: Any, undo: Optional[Callable[[], Any]] = None,
             at_least: float = 0.0) -> T:
        """``fn(*args)``: inline for limits without I/O; else from a helper thread, waiting no
        longer than the call's time left (``at_least``, for what is asked after the answer)."""
        if self._local:
            return fn(*args)
        import concurrent.futures  # here: only a store doing I/O is asked from a thread (~0.8 ms at start-up)

        wait = max(state.left(time.monotonic()), at_least, 0.0)
        future = ASKS.submit(fn, *args)
        failure: Optional[BaseException] = None
        value: Any = None
        try:
            value = future.result(timeout=wait)
        except concurrent.futures.TimeoutError:
            failure = LimitsUnavailable(f"the shared limits did not answer within the call's {wait:.1f} s left; "
                                        "nothing was sent")
            if undo is not None:  # taken after all, later: given back at once
                future.add_done_callback(lambda done: None if done.exception() is not None else undo())
        except Exception as exc:  # noqa: BLE001 - the store's failure, raised below outside except
            failure = exc.with_traceback(None)
        if failure is not None:
            raise failure
        return value  # type: ignore[no-any-return]
