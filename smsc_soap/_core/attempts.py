"""The state of one call across its attempts, no I/O: gate -> send -> answer | error -> retry
after d | back off | raise (typed; an unknown outcome for a send).

An engine (:mod:`smsc_soap._sync.engine`, :mod:`smsc_soap._async.engine`) drives it: it asks the
``Limits`` gate, runs an attempt (a SOAP call, a page's form post, the opening of a file),
and hands whatever came back to this state, which says what the error is and what happens
next. Every exception an attempt raises becomes ours here: a row of the shell's table, else
(once an answer came) an unreadable answer, else an unexpected failure of the HTTP layer (a
session's hook, say); none is passed on untouched, because its frames hold the request.
"""
from __future__ import annotations

from typing import Iterable, Optional, Sequence

from .. import errors
from ..redact import Secret, redact
from .exceptions import ExceptionRule, detach, translate
from .retry import Attempted, RetryPolicy, delay_or_raise


class CallState:
    """One call: its deadline (``now + budget`` on the engine's clock) and its attempts so far."""

    def __init__(self, call: Attempted, policy: RetryPolicy, budget: float, now: float, where: str) -> None:
        self.call = call
        self.policy = policy
        self.budget = budget
        self.deadline = now + budget
        self.where = where
        self.number = 0
        #: The client gave up on a request that left before the server began to answer (the
        #: deadline, a cancellation): the server may still be working on it.
        self.in_doubt = False

    def left(self, now: float) -> float:
        """Seconds of the call's time still left (what a Redis call or a slot may wait)."""
        return self.deadline - now

    def failed(self, error: Optional[BaseException], *, sent: bool, responded: bool) -> None:
        """An attempt failed. One whose request left, and on which the client gave up (its
        deadline: a TimeoutError; ``error`` None: the caller cancelled) before the server began to
        answer, leaves the call in doubt: the server may be working on it still, so the call's
        slot is given back only later (:func:`smsc_soap.limits.give_back`). A server that answered,
        or closed the connection itself, is done with the request."""
        if sent and not responded and (error is None or isinstance(error, errors.TimeoutError)):
            self.in_doubt = True

    def begin(self) -> int:
        """Start the next attempt; its number (1 for the first)."""
        self.number += 1
        return self.number

    def timed_out(self, *, sent: bool = True) -> errors.TimeoutError:
        """The error of a call whose deadline passed before an answer was whole (``sent``: after
        a byte of the request may have left; else before it had a connection, a name resolving)."""
        what = "no complete answer" if sent else "the request never left: no connection ready"
        return errors.TimeoutError(f"{self.call.operation} at {self.where}: {what} within the call's {self.budget:g} s")

    def error_for(self, exc: BaseException, rules: Sequence[ExceptionRule], secrets: Iterable[Secret], *,
                  answered: bool, sent: bool = True) -> BaseException:
        """What to raise for ``exc`` from an attempt, outside the ``except`` block: an error of
        ours detached; a row of ``rules``; once an answer came, any other exception (a
        RecursionError of a JSON parser included) is an unreadable answer; a send that may have
        left, failed by anything else (a session's hook that raised), is of unknown outcome.
        Anything else (a test kit's network block, say) is raised as it is, but cut from every
        frame and exception it crossed: those hold the request."""
        secrets = tuple(secrets)
        if isinstance(exc, errors.SmscError):
            return detach(exc, secrets)
        ours = translate(exc, rules, self.call.operation, self.where, secrets, answered=answered)
        if ours is not None:
            return ours
        text = redact(str(exc), secrets)[:300]
        if answered:
            return errors.ProtocolError(f"{self.call.operation} at {self.where}: the answer could not be read: "
                                        f"{type(exc).__name__}: {text}")
        if self.call.is_send and sent:
            return errors.TransportError(f"{self.call.operation} at {self.where}: the HTTP layer failed: "
                                         f"{type(exc).__name__}: {text}")
        return cut_loose(exc)

    def after_failure(self, error: BaseException, *, sent: bool, now: float) -> float:
        """The seconds to wait before the next attempt, or the error raised (a send that may have
        arrived: :class:`~smsc_soap.SendOutcomeUnknown`)."""
        return delay_or_raise(self.policy, self.number, error, self.call, sent=sent, time_left=self.left(now))



def cut_loose(exc: BaseException) -> BaseException:
    """``exc`` (and, in an exception group, each exception it holds) without its traceback and
    the exceptions it was raised from or during: their frames hold the request."""
    exc.__cause__ = exc.__context__ = None
    exc.__suppress_context__ = False
    for inner in getattr(exc, "exceptions", ()):
        if isinstance(inner, BaseException):
            cut_loose(inner)
    return exc.with_traceback(None)
