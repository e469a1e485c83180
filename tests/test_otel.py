"""smsc_soap.otel read back with the OpenTelemetry SDK's in-memory exporters: a span per call
(SOAP, pages; sync and async), retries as events, errors with their code, the metrics; the trace
context carried into a Celery task; no secret, number or text unless asked; and nothing imports
OpenTelemetry when it is not asked for."""
from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import textwrap
from decimal import Decimal
from typing import Any, Dict, Iterator, List, Tuple, cast

import pytest

import smsc_soap
from smsc_soap import RetryPolicy
from smsc_soap.sandbox import Sandbox

pytest.importorskip("opentelemetry.sdk")
from opentelemetry import trace  # noqa: E402
from opentelemetry.sdk.metrics import MeterProvider  # noqa: E402
from opentelemetry.sdk.metrics.export import InMemoryMetricReader  # noqa: E402
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter  # noqa: E402
from opentelemetry.trace import SpanKind, StatusCode  # noqa: E402

from smsc_soap.otel import METRICS, SPAN_ATTRIBUTES, OpenTelemetryHooks  # noqa: E402

PHONE, TEXT, PSW, APIKEY = "79991234567", "your code 4321", "pa55-w0rd", "k3y-abcdef"


class Telemetry:
    """A tracer and a meter provider of the test's own, read back in memory."""

    def __init__(self) -> None:
        self.spans_out = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.spans_out))
        self.reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.reader])
        self.tracer = self.tracer_provider.get_tracer("test")

    def hooks(self, pii: bool = False) -> OpenTelemetryHooks:
        return OpenTelemetryHooks(tracer_provider=self.tracer_provider, meter_provider=self.meter_provider, pii=pii)

    def spans(self) -> List[ReadableSpan]:
        return [s for s in self.spans_out.get_finished_spans() if s.name.startswith("smsc ")]

    def points(self) -> Dict[str, List[Tuple[Dict[str, Any], Any]]]:
        """metric name -> [(attributes, value: a counter's sum, a histogram's count)]."""
        found: Dict[str, List[Tuple[Dict[str, Any], Any]]] = {}
        data = self.reader.get_metrics_data()
        for resource in data.resource_metrics if data else ():
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    for point in metric.data.data_points:
                        value = getattr(point, "value", None)
                        found.setdefault(metric.name, []).append(
                            (dict(point.attributes or {}), getattr(point, "count", value) if value is None else value))
        return found

    def strings(self) -> str:
        """Every span's name, attributes, events and status, and every metric point's attributes."""
        parts: List[str] = []
        for span in self.spans_out.get_finished_spans():
            parts += [span.name, repr(dict(span.attributes or {})), repr(span.status.description)]
            parts += [repr((e.name, dict(e.attributes or {}))) for e in span.events]
        parts += [repr(point) for points in self.points().values() for point in points]
        return "\n".join(parts)


@pytest.fixture
def telemetry() -> Telemetry:
    return Telemetry()


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox([f"alex:{PSW}:1000"], start_time=1_700_000_000) as sb:
        yield sb


def no_sleep(seconds: float) -> None:
    """A retry's back-off, not waited in a test."""


def test_a_send_is_one_client_span_child_of_the_current_one_with_its_metrics(telemetry: Telemetry,
                                                                              sandbox: Sandbox) -> None:
    client = smsc_soap.Client("alex", PSW, url=sandbox.url, hooks=[telemetry.hooks()])
    with telemetry.tracer.start_as_current_span("checkout") as parent:
        result = client.send_sms(PHONE, TEXT)
    (span,) = telemetry.spans()
    assert span.name == "smsc send_sms" and span.kind is SpanKind.CLIENT
    assert span.parent is not None and span.parent.span_id == parent.get_span_context().span_id
    assert span.status.status_code is StatusCode.UNSET
    attributes = dict(span.attributes or {})
    assert {k: attributes[k] for k in ("smsc.operation", "server.address", "smsc.call.kind", "smsc.outcome",
                                       "smsc.attempts", "smsc.parts")} == {
        "smsc.operation": "send_sms", "server.address": "127.0.0.1", "smsc.call.kind": "soap", "smsc.outcome": "ok",
        "smsc.attempts": 1, "smsc.parts": result.cnt}
    assert set(attributes) <= set(SPAN_ATTRIBUTES)
    points = telemetry.points()
    assert points["smsc.client.requests"] == [({"smsc.operation": "send_sms", "server.address": "127.0.0.1",
                                                "smsc.call.kind": "soap"}, 1)]
    assert [value for _, value in points["smsc.client.sms.sent"]] == [result.cnt]
    assert [(a["smsc.outcome"], n) for a, n in points["smsc.client.duration"]] == [("ok", 1)]
    assert "smsc.client.errors" not in points and set(points) <= set(METRICS)


def test_a_cost_query_has_parts_and_cost_but_sends_nothing(telemetry: Telemetry, sandbox: Sandbox) -> None:
    client = smsc_soap.Client("alex", PSW, url=sandbox.url, hooks=[telemetry.hooks()])
    cost = client.get_sms_cost(PHONE, TEXT)
    (span,) = telemetry.spans()
    assert (span.attributes or {})["smsc.parts"] == cost.cnt
    assert (span.attributes or {})["smsc.cost"] == float(cost.cost)
    assert "smsc.client.sms.sent" not in telemetry.points()


def test_a_failing_call_has_an_error_status_its_code_and_an_error_count(telemetry: Telemetry,
                                                                        sandbox: Sandbox) -> None:
    client = smsc_soap.Client("alex", "not-" + PSW, url=sandbox.url, hooks=[telemetry.hooks()])
    with pytest.raises(smsc_soap.AuthenticationError) as caught:
        client.get_balance()
    (span,) = telemetry.spans()
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == f"AuthenticationError {caught.value.code}"
    attributes = dict(span.attributes or {})
    assert (attributes["smsc.outcome"], attributes["smsc.error.code"], attributes["error.type"]) == (
        "error", caught.value.code, "AuthenticationError")
    (errors,) = telemetry.points()["smsc.client.errors"]
    assert errors == ({"smsc.operation": "get_balance", "server.address": "127.0.0.1", "smsc.call.kind": "soap",
                       "smsc.outcome": "error", "error.type": "AuthenticationError",
                       "smsc.error.code": caught.value.code}, 1)


def test_each_retry_is_an_event_of_the_calls_one_span_and_a_back_off(telemetry: Telemetry, sandbox: Sandbox) -> None:
    sandbox.inject("http_status", times=2, operation="get_balance", status=503)
    client = smsc_soap.Client("alex", PSW, url=sandbox.url, hooks=[telemetry.hooks()],
                              retry=RetryPolicy(sleep=no_sleep))
    client.get_balance()
    (span,) = telemetry.spans()
    assert [(e.name, (e.attributes or {})["smsc.attempts"]) for e in span.events] == [("retry", 1), ("retry", 2)]
    assert (span.attributes or {})["smsc.attempts"] == 3
    points = telemetry.points()
    assert [n for _, n in points["smsc.client.backoffs"]] == [2]
    assert [n for _, n in points["smsc.client.requests"]] == [3]


def test_a_send_of_unknown_outcome_is_counted(telemetry: Telemetry, sandbox: Sandbox) -> None:
    sandbox.inject("drop_after", operation="send_sms")
    client = smsc_soap.Client("alex", PSW, url=sandbox.url, hooks=[telemetry.hooks()])
    with pytest.raises(smsc_soap.SendOutcomeUnknown):
        client.send_sms(PHONE, TEXT)
    assert [n for _, n in telemetry.points()["smsc.client.unknown_outcomes"]] == [1]
    assert (telemetry.spans()[0].attributes or {})["smsc.outcome"] == "unknown"


def test_a_page_call_is_a_span(telemetry: Telemetry, sandbox: Sandbox) -> None:
    client = smsc_soap.Client("alex", PSW, url=sandbox.url, hooks=[telemetry.hooks()])
    client.operator(PHONE)
    (span,) = telemetry.spans()
    attributes = dict(span.attributes or {})
    assert (attributes["smsc.call.kind"], attributes["smsc.outcome"]) == ("page", "ok")
    assert span.name == f"smsc {attributes['smsc.operation']}"


def test_the_async_clients_calls_are_children_of_the_tasks_span(telemetry: Telemetry, sandbox: Sandbox) -> None:
    async def main() -> None:
        async with smsc_soap.AsyncClient("alex", PSW, url=sandbox.url, hooks=[telemetry.hooks()]) as client:
            with telemetry.tracer.start_as_current_span("job") as parent:
                await asyncio.gather(client.send_sms(PHONE, TEXT), client.get_balance(), client.operator(PHONE))
            ids.append(parent.get_span_context().span_id)

    ids: List[int] = []
    asyncio.run(main())
    spans = telemetry.spans()
    assert sorted(cast(str, (s.attributes or {})["smsc.call.kind"]) for s in spans) == ["page", "soap", "soap"]
    assert {s.parent.span_id for s in spans if s.parent is not None} == set(ids) and len(spans) == 3


def test_a_celery_task_carries_the_trace_context_of_where_it_was_queued(telemetry: Telemetry, sandbox: Sandbox,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    celery = pytest.importorskip("celery")
    from smsc_soap.celery import register_tasks

    client = smsc_soap.Client("alex", PSW, url=sandbox.url, hooks=[telemetry.hooks()])
    app = celery.Celery("otel_eager")
    app.conf.update(task_always_eager=True)
    sms = register_tasks(app, lambda: client)
    queued: List[Dict[str, Any]] = []
    monkeypatch.setattr(sms.send_task, "apply_async", lambda **options: queued.append(options))
    with telemetry.tracer.start_as_current_span("enqueue") as parent:
        sms.send_sms(PHONE, TEXT, key="order-7", queue="sms")
    (options,) = queued
    assert options["queue"] == "sms" and "traceparent" in options["headers"]
    assert trace.get_current_span() is trace.INVALID_SPAN  # the task runs later, elsewhere: no context of ours
    result = sms.send_task.apply(kwargs=options["kwargs"], headers=options["headers"]).get()
    assert result["state"] == "sent"
    spans = telemetry.spans()
    assert {s.name for s in spans} >= {"smsc send_sms"}
    context = parent.get_span_context()
    for span in spans:
        assert span.context.trace_id == context.trace_id
        assert span.parent is not None and span.parent.span_id == context.span_id


def test_no_secret_number_or_text_unless_asked_and_then_only_the_number_and_text(sandbox: Sandbox) -> None:
    def everything(pii: bool) -> str:
        telemetry = Telemetry()
        sandbox.inject("http_status", times=1, operation="get_balance", status=503)
        sandbox.inject("drop_after", operation="send_sms2")
        for login, psw, apikey in (("alex", PSW, None), ("alex", "bad-" + PSW, None), (None, None, APIKEY)):
            client = smsc_soap.Client(login, psw, apikey=apikey, url=sandbox.url, hooks=[telemetry.hooks(pii)],
                                      retry=RetryPolicy(sleep=no_sleep))
            for call in (lambda: client.send_sms(PHONE, TEXT), lambda: client.send_sms2(PHONE, TEXT),
                         lambda: client.get_sms_cost(PHONE, TEXT), client.get_balance,
                         lambda: client.get_status(PHONE, 1), lambda: client.operator(PHONE),
                         lambda: client.mailings.add("promo", PHONE, TEXT)):
                try:
                    call()
                except smsc_soap.SmscError:
                    pass
        return telemetry.strings()

    plain, private = everything(False), everything(True)
    assert "smsc send_sms" in plain and "'retry'" in plain and "smsc.error.code" in plain  # spans, events, metrics
    for text in (plain, private):
        assert PSW not in text and APIKEY not in text and "psw" not in text and "apikey" not in text
    assert PHONE not in plain and TEXT not in plain
    assert PHONE in private and TEXT in private


def test_nothing_imports_opentelemetry_unless_asked() -> None:
    script = textwrap.dedent("""
        import sys
        import smsc_soap
        from smsc_soap.hooks import Hooks
        from smsc_soap.sandbox import Sandbox
        with Sandbox() as sb:
            client = smsc_soap.Client("alex", "123", url=sb.url, hooks=[Hooks()])
            client.send_sms("79991234567", "hi")
            client.operator("79991234567")
            smsc_soap.Client("alex", "123", url=sb.url).get_balance()
        try:
            import smsc_soap.celery
        except ImportError:
            pass
        print(sorted(m for m in sys.modules if m.split(".")[0] == "opentelemetry"))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_a_celery_worker_runs_the_task_in_the_context_it_was_queued_in(telemetry: Telemetry, sandbox: Sandbox,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A real worker (in this process, its own thread: celery.contrib.testing), the message
    through Celery's in-memory broker: the headers are the only way the context can travel."""
    celery = pytest.importorskip("celery")
    from celery.contrib.testing.worker import start_worker

    from smsc_soap.celery import register_tasks

    client = smsc_soap.Client("alex", PSW, url=sandbox.url, hooks=[telemetry.hooks()])
    app = celery.Celery("otel_worker", broker="memory://", backend="cache+memory://")
    app.conf.update(worker_hijack_root_logger=False, broker_transport_options={"polling_interval": 0.05})
    sms = register_tasks(app, lambda: client, prefix="otel_worker")
    root = logging.getLogger()
    monkeypatch.setattr(root, "level", root.level)  # start_worker sets the root logger's level: restored after
    with start_worker(app, perform_ping_check=False, pool="solo"):
        with telemetry.tracer.start_as_current_span("enqueue") as parent:
            queued = sms.send_sms(PHONE, TEXT, key="order-8")
        assert queued.get(timeout=20)["state"] == "sent"
    spans = telemetry.spans()
    assert "smsc send_sms" in {s.name for s in spans}
    for span in spans:
        assert span.parent is not None and span.parent.span_id == parent.get_span_context().span_id


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_forked_child_does_not_wait_for_the_hooks_lock_a_parent_thread_held(telemetry: Telemetry,
                                                                              sandbox: Sandbox) -> None:
    from support.processes import Child, held_by_another_thread

    hooks = telemetry.hooks()
    client = smsc_soap.Client("alex", PSW, url=sandbox.url, hooks=[hooks])
    with held_by_another_thread(hooks._lock):
        assert Child(lambda: client.get_balance().balance).result() == Decimal("1000.00")
    assert client.get_balance().balance == Decimal("1000.00")  # the parent's hooks still work
    assert [span.name for span in telemetry.spans()] == ["smsc get_balance"]  # the parent's; the child's stayed there
