"""Receive the service's callbacks: delivery statuses, incoming SMS and call confirmations.

The service calls the handler URL set in the account. :func:`parse` turns one such request into
a typed, frozen event, verifying its signature when a secret is given;
:func:`make_wsgi_app`/:func:`make_asgi_app` are ready endpoints (no framework needed). Everything
the pages do not say is an assumption of :mod:`smsc_soap.spec`, section "callbacks".
"""
from __future__ import annotations

from ..errors import CallbackError, CallbackFormatError, CallbackSignatureError
from .asgi import make_asgi_app
from .events import CallConfirmation, Event, IncomingMessage, StatusEvent, UnknownEvent
from .receiver import Answer, Receiver, parse
from .wsgi import make_wsgi_app

__all__ = [
    "parse", "make_wsgi_app", "make_asgi_app", "Receiver", "Answer",
    "Event", "StatusEvent", "IncomingMessage", "CallConfirmation", "UnknownEvent",
    "CallbackError", "CallbackFormatError", "CallbackSignatureError",
]
