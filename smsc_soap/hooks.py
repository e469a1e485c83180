"""Hooks: what a client tells you about each of its calls, with no dependency.

Give a client ``hooks=[...]``: objects with the methods of :class:`Hooks` (subclass it and
override what you need; the others do nothing). The client's engine calls them for every call
it makes, SOAP, page and file alike, sync and async: :meth:`Hooks.request` before each attempt
is sent, :meth:`Hooks.retry` when an attempt failed and the call is tried again,
:meth:`Hooks.response` when the call succeeded and :meth:`Hooks.error` when it failed. The
events are frozen dataclasses: they never hold a password or an API key, and hold the phone
numbers and the text only for a hook whose ``pii`` is True. :mod:`smsc_soap.otel` is built on them.

A hook runs in the caller's thread (or task) and should be quick; an exception it raises is
logged and ignored: observing a call never changes it. Without hooks the engine checks one
attribute per call and builds nothing.
"""
from __future__ import annotations

import itertools
import logging
import time
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, Iterable, Optional, Tuple, Type
from urllib.parse import urlsplit

from . import errors

__all__ = ["Error", "Hooks", "Outcome", "Request", "Response", "Retry", "outcome_of"]

log = logging.getLogger("smsc_soap")

#: How a call or an attempt ended: ``ok``; ``error`` (the service answered an error code);
#: ``refused`` (the client's limits refused it: nothing was sent); ``unknown`` (a send that may
#: have arrived); ``timeout``; ``protocol`` (an answer that could not be read); ``transport``
#: (any other failure of the HTTP layer); ``failed`` (anything else); ``cancelled`` (the caller's
#: cancellation or interruption).
Outcome = str

_counter = itertools.count(1)


@dataclass(frozen=True)
class Request:
    """An attempt of a call is about to be sent (``attempt`` 1 is the first).

    ``call_id`` is the same for every event of one call. ``kind`` is ``soap``, ``page`` (an HTTP
    page) or ``file`` (a streamed file). ``phones`` and ``text`` are the request's fields as
    sent (comma-separated numbers; the message), given only to a hook with ``pii = True``."""

    call_id: int
    operation: str
    host: str
    kind: str
    attempt: int
    phones: Optional[str] = None
    text: Optional[str] = None


@dataclass(frozen=True)
class Retry:
    """Attempt ``attempt`` failed (``error_type``, the service's ``error_code`` if any) and the
    call is tried again after ``delay`` seconds."""

    call_id: int
    operation: str
    host: str
    kind: str
    attempt: int
    outcome: Outcome
    error_type: str
    error_code: Optional[int]
    delay: float


@dataclass(frozen=True)
class Response:
    """The call succeeded at attempt ``attempt``, ``duration`` seconds after it began (for a
    file: when its last piece was read). ``parts`` and ``cost`` are the answer's ``cnt`` (SMS
    counted) and ``cost`` when it has them (sends and cost queries); ``send``: the call sent
    messages (its ``parts`` were sent, not estimated)."""

    call_id: int
    operation: str
    host: str
    kind: str
    attempt: int
    duration: float
    parts: Optional[int] = None
    cost: Optional[Decimal] = None
    send: bool = False
    outcome: Outcome = "ok"


@dataclass(frozen=True)
class Error:
    """The call failed: ``outcome`` says how, ``error_type`` is the class of the error raised and
    ``error_code`` the service's code (an :class:`~smsc_soap.ApiError`'s), if any. ``attempt`` 0:
    nothing was sent (the limits refused it). Never the error's message: it may name numbers."""

    call_id: int
    operation: str
    host: str
    kind: str
    attempt: int
    duration: float
    outcome: Outcome
    error_type: str
    error_code: Optional[int] = None


class Hooks:
    """What a client calls for each of its calls; every method does nothing until overridden.

    ``pii`` (False): whether this hook's :class:`Request` events carry the phone numbers and
    the message text."""

    pii: bool = False

    def request(self, event: Request) -> None:
        """An attempt is about to be sent."""

    def retry(self, event: Retry) -> None:
        """An attempt failed; the call is tried again after ``event.delay`` seconds."""

    def response(self, event: Response) -> None:
        """The call succeeded."""

    def error(self, event: Error) -> None:
        """The call failed (the error is raised to the caller after this)."""


def outcome_of(error: Optional[BaseException], *, sent: bool = True) -> Outcome:
    """The :data:`Outcome` of a call or attempt that ended with ``error`` (None: ``ok``);
    ``sent`` False: nothing left (a refusal by the limits)."""
    if error is None:
        return "ok"
    if not sent and isinstance(error, (errors.ApiError, errors.SmscError)):
        return "refused"
    for kind, name in _OUTCOMES:
        if isinstance(error, kind):
            return name
    return "failed" if isinstance(error, Exception) else "cancelled"


_OUTCOMES: Tuple[Tuple[Type[BaseException], Outcome], ...] = (
    (errors.SendOutcomeUnknown, "unknown"), (errors.ApiError, "error"), (errors.TimeoutError, "timeout"),
    (errors.ProtocolError, "protocol"), (errors.TransportError, "transport"),
)


def _error_code(error: BaseException) -> Optional[int]:
    return error.code if isinstance(error, errors.ApiError) else None


class HookSet:
    """The hooks of one client, as its engine calls them (None when there are none)."""

    def __init__(self, hooks: Iterable[Hooks]) -> None:
        self.hooks = tuple(hooks)
        self.pii = any(getattr(hook, "pii", False) for hook in self.hooks)

    def watch(self, attempt: Any, kind: str) -> "Watch":
        """The watch of one call of ``attempt`` (an engine's attempt: ``call``, ``where``)."""
        return Watch(self, attempt, kind)

    def emit(self, name: str, event: Any, private: Optional[Any] = None) -> None:
        """``event`` to every hook's method ``name`` (``private``, with PII, to those asking for it)."""
        for hook in self.hooks:
            method = getattr(hook, name, None)
            if method is None:
                continue
            try:
                method(private if private is not None and getattr(hook, "pii", False) else event)
            except Exception as exc:  # noqa: BLE001 - observing a call never changes it
                log.warning("smsc_soap: hook %s.%s failed: %s", type(hook).__name__, name, type(exc).__name__)


class Watch:
    """One call as its hooks see it: the engine says when an attempt starts and fails, and
    leaves the ``with`` block with the result given to :meth:`done`, or the error raised."""

    def __init__(self, hooks: HookSet, attempt: Any, kind: str) -> None:
        call = attempt.call
        self._hooks = hooks
        self._call = call
        self._head = (next(_counter), call.operation, urlsplit(attempt.where).hostname or "", kind)
        self._start = time.perf_counter()
        self.attempt = 0
        self.result: Any = None

    def request(self, number: int) -> None:
        self.attempt = number
        event = Request(*self._head, number)
        private = None
        if self._hooks.pii:
            masked = getattr(self._call, "masked", {})
            private = replace(event, phones=masked.get("phones"), text=masked.get("mes"))
        self._hooks.emit("request", event, private)

    def retry(self, error: BaseException, delay: float) -> None:
        self._hooks.emit("retry", Retry(*self._head, self.attempt, outcome_of(error), type(error).__name__,
                                        _error_code(error), delay))

    def done(self, result: Any) -> None:
        """The call's result (read for its parts and cost when the ``with`` block ends)."""
        self.result = result

    def __enter__(self) -> "Watch":
        return self

    def __exit__(self, kind: Optional[Type[BaseException]], error: Optional[BaseException], tb: Any) -> None:
        duration = time.perf_counter() - self._start
        if error is None:
            parts, cost = getattr(self.result, "cnt", None), getattr(self.result, "cost", None)
            self._hooks.emit("response", Response(
                *self._head, self.attempt, duration, parts if isinstance(parts, int) else None,
                cost if isinstance(cost, Decimal) else None, bool(getattr(self._call, "is_send", False))))
            return
        self._hooks.emit("error", Error(*self._head, self.attempt, duration, outcome_of(error, sent=self.attempt > 0),
                                        type(error).__name__, _error_code(error)))
