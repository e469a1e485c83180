"""One callback request in, one decision out: the pure core both adapters (WSGI, ASGI) share.

:func:`parse` reads and verifies a request into an event; :class:`Receiver` adds what a handler
endpoint needs: the answer (200 ``OK``, 400, 403, 405) and dropping a repeated event
(spec.CALLBACK_DEDUP_SIZE events remembered, oldest forgotten first; an event is remembered
from the moment it is handed out, and forgotten again if user code fails on it).
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Callable, NamedTuple, Optional, Tuple, Union

from .. import spec
from .._fork import renew_in_children
from ..errors import CallbackFormatError, CallbackSignatureError
from ..redact import Secret
from . import events, signature, wire
from .events import Event


def parse(method: str, query: Union[str, bytes], body: bytes = b"", content_type: str = "", *,
          secret: Union[str, Secret, None] = None, algorithm: Optional[str] = None) -> Event:
    """The event a callback request carries.

    ``query`` is the raw query string, ``body`` the raw body, ``content_type`` its header. With a
    ``secret`` (the value after ``md5=``/``sha1=`` in the handler URL) the signature must be
    there and good, else :class:`~smsc_soap.errors.CallbackSignatureError`; ``algorithm``
    ("md5" or "sha1") then also demands that one. Anything unreadable is a
    :class:`~smsc_soap.errors.CallbackFormatError`.
    """
    if method.upper() not in spec.CALLBACK_METHODS:
        raise CallbackFormatError(f"method {method[:10]!r} is not one of {', '.join(spec.CALLBACK_METHODS)}")
    secret = signature.as_secret(secret)  # rebound: a traceback's locals show Secret(REDACTED)
    algorithm = signature.check_algorithm(algorithm)
    fields = wire.read(query, body, content_type)
    if not fields.values:
        raise CallbackFormatError("the callback carries no fields")
    if secret is not None:
        signature.verify(events.kind_of(fields.values), fields.values, secret, algorithm, fields.charset)
    return events.event(fields.values)


class Answer(NamedTuple):
    """What to answer: HTTP status, text body, and the event to hand to user code (None: none)."""

    status: int
    body: str
    event: Optional[Event]


class Receiver:
    """Parse, verify and de-duplicate callbacks for one endpoint (thread-safe)."""

    def __init__(self, *, secret: Union[str, Secret, None] = None, algorithm: Optional[str] = None,
                 remember: int = spec.CALLBACK_DEDUP_SIZE) -> None:
        self._secret = signature.as_secret(secret)
        self._algorithm = signature.check_algorithm(algorithm)
        self._seen: "OrderedDict[Tuple[str, str, str], None]" = OrderedDict()
        self._remember = remember
        self._lock = threading.Lock()
        renew_in_children(self)

    def renew_after_fork(self) -> None:
        """In a forked child (a web server's worker), the lock free: a thread of the parent may
        have held it. What was seen stays seen."""
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Receiver(signed={self._secret is not None}, algorithm={self._algorithm!r})"

    def answer(self, method: str, query: Union[str, bytes], body: bytes, content_type: str) -> Answer:
        """The answer to one request; its event unless it repeats one already handed out."""
        if method.upper() not in spec.CALLBACK_METHODS:
            return Answer(405, "method not allowed", None)
        try:
            event = parse(method, query, body, content_type, secret=self._secret, algorithm=self._algorithm)
        except CallbackSignatureError as exc:
            return Answer(403, str(exc), None)
        except CallbackFormatError as exc:
            return Answer(400, str(exc), None)
        with self._lock:  # claimed at once: a repeat arriving while user code runs is dropped too
            if event.key in self._seen:
                return Answer(200, spec.CALLBACK_ANSWER, None)
            self._seen[event.key] = None
            while len(self._seen) > self._remember:
                self._seen.popitem(last=False)
        return Answer(200, spec.CALLBACK_ANSWER, event)

    def handle(self, handler: Callable[[Event], Any], method: str, query: Union[str, bytes], body: bytes,
               content_type: str) -> Answer:
        """:meth:`answer`, calling ``handler(event)`` for a new event; if ``handler`` raises, the
        event is forgotten (:meth:`forget`) and the exception propagates: the retry comes back."""
        answer = self.answer(method, query, body, content_type)
        if answer.event is not None:
            try:
                handler(answer.event)
            except BaseException:
                self.forget(answer.event)
                raise
        return answer

    def forget(self, event: Event) -> None:
        """Treat ``event`` as never seen (user code failed on it): its repeat is handed on again."""
        with self._lock:
            self._seen.pop(event.key, None)
