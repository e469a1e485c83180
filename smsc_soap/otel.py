"""OpenTelemetry for smsc-soap: a span per call, metrics, and trace context into the Celery tasks.

``pip install 'smsc-soap[otel]'`` (``opentelemetry-api`` only; your application brings the SDK
and its exporters), then::

    from smsc_soap.otel import OpenTelemetryHooks
    client = smsc_soap.Client(login, psw, hooks=[OpenTelemetryHooks()])

Built on :mod:`smsc_soap.hooks`: each call (SOAP, page or file; sync or async) is a span of kind
CLIENT, child of the span current when it was made, with each retry an event; its attributes
and the metrics' are in :data:`SPAN_ATTRIBUTES`. Never a password or an API key; the phone
numbers and the message text only with ``pii=True``. Nothing imports OpenTelemetry but this
module, and the Celery tasks use it only once it is imported (:func:`trace_headers`,
:func:`task_context`).
"""
from __future__ import annotations

import contextlib
import threading
from typing import Any, Dict, Iterator, Mapping, Optional

from ._extras import require
from ._fork import renew_in_children

require("opentelemetry", "smsc_soap.otel")
from opentelemetry import context, metrics, propagate, trace  # noqa: E402
from opentelemetry.trace import Span, SpanKind, Status, StatusCode  # noqa: E402

from ._version import __version__  # noqa: E402
from .hooks import Error, Hooks, Request, Response, Retry  # noqa: E402

__all__ = ["METRICS", "OpenTelemetryHooks", "SCOPE", "SPAN_ATTRIBUTES", "task_context", "trace_headers"]

#: The instrumentation scope of the tracer and the meter.
SCOPE = "smsc_soap"

#: Every attribute a span may carry (the metrics use the first five and the error's).
SPAN_ATTRIBUTES = {
    "smsc.operation": "the operation (send_sms, get_status, a page's: mailings.list, ...)",
    "server.address": "the service's host",
    "smsc.call.kind": "soap, page or file",
    "smsc.outcome": "ok, error, refused, unknown, timeout, protocol, transport, failed, cancelled "
                    "(smsc_soap.hooks.Outcome)",
    "smsc.attempts": "attempts made (0: refused by the limits, nothing sent)",
    "smsc.error.code": "the service's error code, when it answered one",
    "error.type": "the class of the error raised",
    "smsc.parts": "the answer's cnt: SMS counted (sends and cost queries)",
    "smsc.cost": "the answer's cost, when it has one",
    "smsc.phones": "the numbers as sent: only with pii=True",
    "smsc.message.text": "the text as sent: only with pii=True",
}

#: The metrics: name -> (unit, what it counts).
METRICS = {
    "smsc.client.requests": ("{request}", "requests sent (each attempt)"),
    "smsc.client.sms.sent": ("{sms}", "SMS the service counted in successful sends (their cnt)"),
    "smsc.client.errors": ("{error}", "calls that failed, by outcome, error type and the service's code"),
    "smsc.client.backoffs": ("{backoff}", "waits before a retry, and calls a back-off window refused"),
    "smsc.client.unknown_outcomes": ("{send}", "sends whose outcome is unknown (reconcile them)"),
    "smsc.client.duration": ("s", "calls' duration, retries and back-off included"),
}

def _base(event: Any) -> Dict[str, Any]:
    return {"smsc.operation": event.operation, "server.address": event.host, "smsc.call.kind": event.kind}


class OpenTelemetryHooks(Hooks):
    """Hooks that make a span per call and record the metrics of :data:`METRICS`.

    ``tracer_provider`` and ``meter_provider``: OpenTelemetry's global ones by default.
    ``pii``: put the numbers and the text on the spans (off by default)."""

    def __init__(self, *, tracer_provider: Optional[trace.TracerProvider] = None,
                 meter_provider: Optional[metrics.MeterProvider] = None, pii: bool = False) -> None:
        self.pii = pii
        self._tracer = trace.get_tracer(SCOPE, __version__, tracer_provider)
        meter = metrics.get_meter(SCOPE, __version__, meter_provider)
        counter = meter.create_counter
        self._requests, self._sms, self._errors, self._backoffs, self._unknown = (
            counter(name, unit=unit, description=text) for name, (unit, text) in list(METRICS.items())[:5])
        unit, text = METRICS["smsc.client.duration"]
        self._duration = meter.create_histogram("smsc.client.duration", unit=unit, description=text)
        self._spans: Dict[int, Span] = {}
        self._lock = threading.Lock()
        renew_in_children(self)

    def renew_after_fork(self) -> None:
        """In a forked child: the lock free, and no span of the parent's calls (they end there)."""
        self._lock = threading.Lock()
        self._spans = {}

    def request(self, event: Request) -> None:
        base = _base(event)
        self._requests.add(1, base)
        if event.attempt == 1:
            self._start(event, base)

    def retry(self, event: Retry) -> None:
        base = _base(event)
        self._backoffs.add(1, base)
        with self._lock:
            span = self._spans.get(event.call_id)
        if span is not None:
            attributes: Dict[str, Any] = {"smsc.attempts": event.attempt, "smsc.outcome": event.outcome,
                                          "error.type": event.error_type, "smsc.retry.delay": event.delay}
            if event.error_code is not None:
                attributes["smsc.error.code"] = event.error_code
            span.add_event("retry", attributes)

    def response(self, event: Response) -> None:
        base = _base(event)
        if event.parts is not None and event.send:
            self._sms.add(event.parts, base)
        self._duration.record(event.duration, dict(base, **{"smsc.outcome": event.outcome}))
        span = self._pop(event)
        span.set_attribute("smsc.outcome", event.outcome)
        span.set_attribute("smsc.attempts", event.attempt)
        if event.parts is not None:
            span.set_attribute("smsc.parts", event.parts)
        if event.cost is not None:
            span.set_attribute("smsc.cost", float(event.cost))
        span.end()

    def error(self, event: Error) -> None:
        base = _base(event)
        failure: Dict[str, Any] = {"smsc.outcome": event.outcome, "error.type": event.error_type}
        if event.error_code is not None:
            failure["smsc.error.code"] = event.error_code
        self._errors.add(1, dict(base, **failure))
        self._duration.record(event.duration, dict(base, **{"smsc.outcome": event.outcome}))
        if event.outcome == "unknown":
            self._unknown.add(1, base)
        if event.outcome == "refused":
            self._backoffs.add(1, base)
        span = self._pop(event)
        span.set_attributes(failure)
        span.set_attribute("smsc.attempts", event.attempt)
        code = "" if event.error_code is None else f" {event.error_code}"
        span.set_status(Status(StatusCode.ERROR, f"{event.error_type}{code}"))  # never the message: it may name numbers
        span.end()

    def _start(self, event: Request, base: Dict[str, Any]) -> None:
        attributes = dict(base)
        if self.pii:
            if event.phones is not None:
                attributes["smsc.phones"] = event.phones
            if event.text is not None:
                attributes["smsc.message.text"] = event.text
        span = self._tracer.start_span(f"smsc {event.operation}", kind=SpanKind.CLIENT, attributes=attributes)
        with self._lock:
            self._spans[event.call_id] = span

    def _pop(self, event: Any) -> Span:
        """The call's span, for the caller to end; for a call refused before any request, a new one."""
        with self._lock:
            span = self._spans.pop(event.call_id, None)
        if span is None:
            span = self._tracer.start_span(f"smsc {event.operation}", kind=SpanKind.CLIENT, attributes=_base(event))
        return span


# --- trace context through Celery (smsc_soap.celery uses these once this module is imported) -----


def trace_headers(options: Mapping[str, Any]) -> Dict[str, Any]:
    """``apply_async`` options with the current trace context added to their ``headers`` (by
    OpenTelemetry's global propagator: W3C ``traceparent`` by default); a header of yours wins."""
    carrier: Dict[str, str] = {}
    propagate.inject(carrier)
    if not carrier:
        return dict(options)
    return dict(options, headers=dict(carrier, **dict(options.get("headers") or {})))


@contextlib.contextmanager
def task_context(request: Any) -> Iterator[None]:
    """The trace context a Celery task's ``request`` carries, current inside the block (the
    task's calls are then children of the span that queued it); nothing carried: unchanged."""
    carrier: Dict[str, Any] = dict(getattr(request, "headers", None) or {})
    for name in propagate.get_global_textmap().fields:  # a worker's protocol 2 puts them on the request
        value = getattr(request, name, None)
        if isinstance(value, str):
            carrier.setdefault(name, value)
    if not any(name in carrier for name in propagate.get_global_textmap().fields):
        yield
        return
    token = context.attach(propagate.extract(carrier))
    try:
        yield
    finally:
        context.detach(token)

