"""The sans-IO core: every decision of a call, none of its I/O.

Nothing here imports an HTTP library, zeep, ``threading`` or ``socket`` (tests/test_core_imports.py
checks). A shell (:mod:`smsc_soap._sync` with requests, :mod:`smsc_soap._async` with httpx)
does the I/O and asks the core at each step:

0. **credentials**: ``calls.check_credentials(login, psw, apikey)`` when the client is made.
1. **prepare**: build the fields with :mod:`.calls` (``send_fields``, ``message_fields``,
   ``status_fields``), then ``calls.prepare(operation, fields, login=..., psw=Secret(...), apikey=Secret(...),
   query=..., extended=...)`` gives a :class:`~.calls.Call`: the operation really called (the
   API-key twin rule), the wire fields, its kind and back-off scopes.
2. **back-off**: under the shell's own lock, ``BackOffWindows.refusal(call.operation,
   call.backoff_scopes, policy.clock())`` returns an error to raise without sending, or None.
3. **exchange**: serialise ``call.masked`` (the fields with the password and the API key as
   placeholders) and hand the bytes on as ``call.reveal(data, encode)``, inline in the call that
   writes them (``encode`` writes a field's text in the wire format: XML-escaped for SOAP,
   percent-encoded for a form), under a deadline of ``settings.call_seconds()``. Read at most
   ``settings.max_response_bytes + 1`` bytes *as sent* (no decoding by the HTTP library) and
   undo the content coding with ``decoding.decode_body`` (bounded; send ``Accept-Encoding:
   decoding.ACCEPT_ENCODING``); ``checks.check_answer(status, content_type, body, limit=...,
   secrets=..., location=...)`` refuses what cannot be an answer. Translate the library's
   exceptions with ``exceptions.translate`` and the shell's own table (a zeep-based shell uses
   :func:`smsc_soap._soap.soap_error`, which adds the SOAP layer's rows).

   What every shell must do, so that the protections hold for every API of the package:

   * **never follow redirects**: pass ``allow_redirects=False`` (or the library's equivalent) on
     every request and let ``checks.check_redirect`` refuse any 3xx as
     :class:`~smsc_soap.RedirectRefused`; a 3xx is one request, never retried, and for a send an
     unknown outcome (the retry decision of step 4 says so given ``sent=True``: an answer came).
   * **keep secrets wrapped**: only :class:`~smsc_soap.redact.Secret` objects and placeholders
     in the shell's variables; ``call.reveal`` only as an argument of the write.
   * **raise outside ``except``**: translate inside the ``except`` block, raise the result after
     it (``exceptions.detach`` an error of ours that crossed the I/O), so that no lower-layer
     exception (requests' keep ``.request.body``) is chained as ``__context__`` and no frame of
     the I/O, with its locals, stays on the traceback. Not ``raise ... from None`` alone: it
     hides ``__context__`` from the printout but leaves it readable.
4. **retry**: after a failed attempt, ``retry.delay_or_raise(policy, attempt, error, call,
   sent=<a byte may have left>, time_left=...)`` returns the seconds to sleep before the next
   attempt, or raises the error (``call.outcome_unknown(error)`` for a send that may have
   arrived); it is built on the pure ``retry.decide``, which says ``RetryAfter(delay)``,
   ``Raise()`` or ``RaiseOutcomeUnknown()``.
   :class:`.attempts.CallState` keeps one call's deadline and attempts, and turns whatever an
   attempt raised into ours (the engines, ``_sync/engine.py`` and ``_async/engine.py``, drive it).
5. **read**: ``answers.read_answer(call, element)`` (or ``read_fields`` for already-flat fields)
   returns the typed result or raises the typed error; after an :class:`~smsc_soap.ApiError`,
   ``BackOffWindows.open(error, call.backoff_scopes, policy.clock())`` (under the lock) starts
   the window of a 4 or a 9 and returns the note to log.
"""
from __future__ import annotations

from .answers import Result, flatten, read_answer, read_fields, result_type
from .backoff import IP_BLOCKED_BACKOFF, RATE_LIMITED_BACKOFF, BackOffWindows, Scope, backoff_scopes
from .calls import (
    Call, check_credentials, message_fields, new_message_id, prepare, query_field, send_fields, status_fields,
    wire_operation,
)
from .checks import XML_CONTENT_TYPES, check_answer, check_http, check_redirect, check_size, check_xml, snippet
from .decoding import ACCEPT_ENCODING, decode_body
from .exceptions import ExceptionRule, detach, soap_fault, translate
from .retry import Decision, Raise, RaiseOutcomeUnknown, RetryAfter, RetryPolicy, decide, delay_or_raise
from .settings import DEFAULT_TIMEOUT, LOG_BODY_CHARS, MAX_RESPONSE_BYTES, Timeout, TransportSettings

__all__ = [
    "ACCEPT_ENCODING", "BackOffWindows", "Call", "DEFAULT_TIMEOUT", "Decision", "ExceptionRule", "IP_BLOCKED_BACKOFF",
    "LOG_BODY_CHARS", "MAX_RESPONSE_BYTES", "RATE_LIMITED_BACKOFF", "Raise", "RaiseOutcomeUnknown", "Result",
    "RetryAfter", "RetryPolicy", "Scope", "Timeout", "TransportSettings", "XML_CONTENT_TYPES", "backoff_scopes",
    "check_answer", "check_credentials", "check_http", "check_redirect", "check_size", "check_xml", "decide",
    "delay_or_raise",
    "decode_body", "detach", "flatten", "message_fields",
    "new_message_id", "prepare", "query_field", "read_answer", "read_fields", "result_type", "send_fields",
    "snippet", "soap_fault", "status_fields", "translate", "wire_operation",
]
