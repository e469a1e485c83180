"""Ready Celery tasks: send, bulk send and status tracking, each send AT MOST ONCE.

``pip install 'smsc-soap[celery]'``, then in your own Celery app::

    from smsc_soap.celery import register_tasks
    sms = register_tasks(app, make_client)   # make_client() -> smsc_soap.Client, once per worker process
    sms.send_sms("79991234567", "Your code: 1234")          # queued; returns Celery's AsyncResult

Why a send is never made twice: its message id is fixed when the task is QUEUED (a caller's key,
or the id derived from the request and its minute, :mod:`smsc_soap._core.ids`), and the task
claims that id in the client's limits (:meth:`smsc_soap.limits.Limits.claim`) when it starts. A
task that finds its id already claimed is running again (redelivered after its worker died:
``acks_late`` + ``reject_on_worker_lost``; or retried after a lost answer): it waits until the
first run's call must have ended, asks the service (``get_status`` by that id, for its numbers)
and sends only what the service does not have. A :class:`~smsc_soap.SendOutcomeUnknown` is
never resent blindly: the task retries, and the retry reconciles first. Results are JSON.
"""
from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import functools
import inspect
import sys
import threading
import time
from typing import (
    Any, Callable, Dict, Iterable, List, Literal, Mapping, Optional, Sequence, Set, Tuple, TypedDict, TypeVar, Union,
)

from . import params, spec
from ._core import calls
from ._extras import require

require("celery", "smsc_soap.celery")  # the tasks are registered on a Celery app of yours
from ._core.ids import derived_message_id
from .bulk import Failed, Message, Sent, Unknown
from .client import Client
from .errors import DuplicateRequest, IpBlocked, RateLimited, SendOutcomeUnknown, SmscError
from .limits import LimitsUnavailable

__all__ = ["BulkTaskResult", "ErrorJson", "FailedJson", "SendTaskResult", "SmsTasks", "StatusChangeJson",
           "jsonable", "register_tasks"]

T = TypeVar("T")

#: What every task of this module is registered with: a task is acknowledged only once it has
#: run, and one whose worker process died is given back to the queue (then reconciled, not resent).
#: Not shared: the tasks belong to the app they were registered on (Celery's default, shared,
#: would add them, with this app's client factory, to every app created later in the process).
TASK_OPTIONS: Dict[str, Any] = {"bind": True, "acks_late": True, "reject_on_worker_lost": True,
                                "max_retries": 50, "shared": False}
#: ASSUMPTION (a choice): seconds before a task whose send's outcome is unknown runs again to
#: reconcile it, when the error names no wait of its own.
RETRY_SECONDS = 5.0
#: Errors of a request that may be made again later (a send's 9 is reconciled first: see
#: _outcome_unknown): the shared limits said wait, or the service refused it for now.
_RETRYABLE = (LimitsUnavailable, RateLimited, IpBlocked)
#: How long a task's claim is remembered: longer than any queue keeps a message.
CLAIM_SECONDS = 7 * 24 * 3600.0


def jsonable(value: Any) -> Any:
    """``value`` as JSON types: dataclasses as dicts, Decimal as str, dates in ISO 8601, enums by
    value, tuples as lists (so any result backend and serializer carries it)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, BaseException):
        return {"type": type(value).__name__, "message": str(value)}
    return value


# --- what the tasks return (JSON, for any result backend; docs/workers.rst) --------------------


class ErrorJson(TypedDict):
    """An error as JSON: its class name and its message."""

    type: str
    message: str


class _SendTaskFields(TypedDict):
    id: str
    phones: List[str]
    state: Literal["sent", "already sent"]


class SendTaskResult(_SendTaskFields, total=False):
    """The send task's result. ``state`` is ``"sent"`` (then ``result`` is the
    :class:`~smsc_soap.SendResult` as JSON) or ``"already sent"`` (a delivery run again that
    found the message on the service: nothing was sent, so there is no ``result``)."""

    result: Dict[str, Any]


class FailedJson(TypedDict):
    """A message of a bulk task that was not sent: its request's ``id``, its ``phones`` (a
    string or a list, as given), the ``error`` (None when the service refused each number) and
    the numbers the service refused, ``failed`` (``{"phone": ..., "status": ...}``)."""

    id: Optional[str]
    phones: Union[str, List[str]]
    error: Optional[ErrorJson]
    failed: List[Dict[str, Any]]


class BulkTaskResult(TypedDict):
    """The bulk task's result: how many messages it sent, how many a run before it had sent
    (found on the service when it ran again), and each one that failed."""

    sent: int
    already_sent: int
    failed: List[FailedJson]


class StatusChangeJson(TypedDict):
    """One item of the track task's result (a list): a :class:`~smsc_soap.track.StatusChange`
    as JSON. ``status`` is the :class:`~smsc_soap.StatusResult` as JSON (codes as numbers, dates
    in ISO 8601), or None with ``error`` when the poll got an error."""

    id: str
    phone: str
    status: Optional[Dict[str, Any]]
    error: Optional[ErrorJson]


def _bulk_result(totals: Mapping[str, Any]) -> BulkTaskResult:
    return BulkTaskResult(sent=totals["sent"], already_sent=totals["already_sent"], failed=list(totals["failed"]))


def message_id(phones: Any, mes: str, sender: Optional[str] = None, key: Optional[str] = None) -> str:
    """The id a send task carries: the caller's ``key`` (an order number, ...), else derived from
    the request and its minute (the same message queued twice within the minute is one send)."""
    if key is not None:
        return params.id_field(key) or key
    fields = calls.send_fields(phones, mes, None, sender, None, {})
    return derived_message_id(spec.SEND, {k: v for k, v in fields.items() if v is not None})


class _Clients:
    """One client per worker process, made on first use (after the fork)."""

    def __init__(self, factory: Callable[[], Client]) -> None:
        self._factory = factory
        self._lock = threading.Lock()
        self._client: Optional[Client] = None

    def get(self) -> Client:
        with self._lock:
            if self._client is None:
                self._client = self._factory()
            return self._client


def _rerun_wait(client: Client, key: str) -> bool:
    """Claim ``key`` (one delivery of a task); if it was claimed before, this delivery runs again
    (its worker died): wait until the first run's call has surely ended (the client's timeout
    since the first claim, on Redis's clock) and return True: ask the service before sending."""
    age = client.limits.claim(client.limits_key, key, CLAIM_SECONDS)
    if age is None:
        return False
    time.sleep(max(0.0, client.call_seconds() - age))
    return True


def _found(client: Client, message_id: str, phones: Iterable[str]) -> bool:
    """Whether the service has message ``message_id`` for any of ``phones`` (the reconcile rule,
    :mod:`smsc_soap._core.reconcile`); a message with no number never left."""
    numbers = [phone for phone in phones if phone.strip()]
    return bool(numbers) and client.reconcile_send(message_id, numbers).found


def _numbers(phones: Any) -> List[str]:
    return list(params.split_phones(phones)) if isinstance(phones, str) else list(phones)


def _retry_delay(error: Optional[SmscError]) -> float:
    wait = getattr(error, "retry_after", None)
    return float(wait) if wait else RETRY_SECONDS


def _outcome_unknown(error: Optional[SmscError]) -> bool:
    """The send may have been accepted: its answer was lost, or the service says an identical
    request came within the minute (error 9 of a send). Reconcile before sending again."""
    return isinstance(error, (SendOutcomeUnknown, DuplicateRequest))


class SmsTasks:
    """The registered tasks (``send_task``, ``bulk_task``, ``track_task``: Celery task objects)
    and helpers that queue them with their ids fixed (:meth:`send_sms`, :meth:`send_bulk`)."""

    def __init__(self, send_task: Any, bulk_task: Any, track_task: Any) -> None:
        self.send_task, self.bulk_task, self.track_task = send_task, bulk_task, track_task

    def send_sms(self, phones: Any, mes: str, *, sender: Optional[str] = None, key: Optional[str] = None,
                 **options: Any) -> Any:
        """Queue one send; its id is fixed now (``key`` or derived). ``options`` go to
        ``apply_async`` (``countdown``, ``queue``, ...). Returns Celery's ``AsyncResult``."""
        phone_list = _numbers(phones)
        ident = message_id(phones, mes, sender, key)
        return self.send_task.apply_async(kwargs={"phones": phone_list, "mes": mes, "sender": sender, "id": ident},
                                          **_traced(options))

    def send_bulk(self, messages: Iterable[Tuple[Any, str]], *, key: str,
                  lines_per_request: int = spec.BULK_LINES_PER_REQUEST, **options: Any) -> Any:
        """Queue many ``(phones, text)`` messages as one task; ``key`` (unique per batch, e.g. a
        campaign and batch number) fixes one id per request of ``lines_per_request`` lines:
        ``key-0``, ``key-1``, ... Returns Celery's ``AsyncResult``."""
        rows: List[List[Any]] = []
        for index, (phones, text) in enumerate(messages):
            ident = f"{key}-{index // lines_per_request}"
            params.id_field(ident)  # a key the service would refuse is refused here, not in a worker
            rows.append([phones if isinstance(phones, str) else list(phones), text, ident])
        return self.bulk_task.apply_async(kwargs={"messages": rows}, **_traced(options))

    def track(self, ids_and_phones: Sequence[Tuple[str, str]], *, timeout: float = 600.0, **options: Any) -> Any:
        """Queue a status tracking of ``(id, phone)`` pairs; the result lists every change."""
        return self.track_task.apply_async(kwargs={"pairs": [list(p) for p in ids_and_phones], "timeout": timeout},
                                           **_traced(options))


def _traced(options: Dict[str, Any]) -> Dict[str, Any]:
    """``options`` with the current trace context in their headers once the application imported
    :mod:`smsc_soap.otel` (it asked for tracing); else as they are: OpenTelemetry is not imported."""
    otel = sys.modules.get("smsc_soap.otel")
    return options if otel is None else otel.trace_headers(options)


def _in_trace_context(body: Callable[..., T]) -> Callable[..., T]:
    """A task's body run in the trace context its request carries (:func:`smsc_soap.otel.task_context`),
    once :mod:`smsc_soap.otel` is imported; Celery still checks the body's own arguments."""
    @functools.wraps(body)
    def run(task: Any, *args: Any, **kwargs: Any) -> T:
        otel = sys.modules.get("smsc_soap.otel")
        if otel is None:
            return body(task, *args, **kwargs)
        with otel.task_context(task.request):
            return body(task, *args, **kwargs)
    run.__signature__ = inspect.signature(body)  # type: ignore[attr-defined]
    return run


def register_tasks(app: Any, client_factory: Callable[[], Client], *, prefix: str = "smsc_soap") -> SmsTasks:
    """Register the send, bulk and track tasks in the Celery ``app`` (names ``<prefix>.send_sms``,
    ``<prefix>.send_bulk``, ``<prefix>.track``). ``client_factory`` makes the client each worker
    process uses; give it a :class:`~smsc_soap.limits.RedisLimits` so the login's limits hold
    for all workers together."""
    clients = _Clients(client_factory)

    @app.task(name=f"{prefix}.send_sms", **TASK_OPTIONS)  # type: ignore[misc,untyped-decorator,unused-ignore]
    @_in_trace_context
    def send_sms(task: Any, phones: List[str], mes: str, id: str,  # noqa: A002 - the service's name
                 sender: Optional[str] = None, unknown: bool = False) -> SendTaskResult:
        client = clients.get()
        kwargs = {"phones": phones, "mes": mes, "id": id, "sender": sender}
        check = _rerun_wait(client, f"{id}:{task.request.retries}") or unknown
        try:
            if check and _found(client, id, phones):
                return {"id": id, "phones": phones, "state": "already sent"}
        except _RETRYABLE as error:  # the question was not answered: ask again later
            raise task.retry(kwargs=dict(kwargs, unknown=check), countdown=_retry_delay(error), exc=None) from None
        try:
            result = client.send_sms(phones, mes, id=id, sender=sender)
        except _RETRYABLE + (SendOutcomeUnknown,) as error:
            raise task.retry(kwargs=dict(kwargs, unknown=_outcome_unknown(error)), countdown=_retry_delay(error),
                             exc=None) from None
        return {"id": id, "phones": phones, "state": "sent", "result": jsonable(result)}

    @app.task(name=f"{prefix}.send_bulk", **TASK_OPTIONS)  # type: ignore[misc,untyped-decorator,unused-ignore]
    @_in_trace_context
    def send_bulk(task: Any, messages: List[List[Any]], unknown: Sequence[str] = (), sent: int = 0,
                  already_sent: int = 0, failed: Sequence[Any] = ()) -> BulkTaskResult:
        client = clients.get()
        groups: Dict[str, List[List[Any]]] = {}
        for row in messages:
            groups.setdefault(row[2], []).append(row)
        totals: Dict[str, Any] = {"sent": sent, "already_sent": already_sent, "failed": list(failed)}
        if not messages:
            return _bulk_result(totals)

        def again(ids: Iterable[str], unknown_ids: Iterable[str], error: Optional[SmscError]) -> Any:
            """Run again later with the requests still to do; those in ``unknown_ids`` reconciled first."""
            rows = [row for ident in ids for row in groups[ident]]
            return task.retry(kwargs=dict(totals, messages=rows, unknown=sorted(set(unknown_ids))),
                              countdown=_retry_delay(error), exc=None)

        to_check = list(groups) if _rerun_wait(client, f"{messages[0][2]}:{task.request.retries}") else [
            ident for ident in unknown if ident in groups]
        for position, ident in enumerate(to_check):
            try:
                found = _found(client, ident, [p for row in groups[ident] for p in _numbers(row[0])])
            except _RETRYABLE as error:
                raise again(list(groups), to_check[position:], error) from None
            if found:
                totals["already_sent"] += len(groups.pop(ident))
        batch = [Message(row[0] if isinstance(row[0], str) else tuple(row[0]), row[1], id=row[2])
                 for rows in groups.values() for row in rows]
        largest = max((len(rows) for rows in groups.values()), default=1)
        retry_ids: Set[str] = set()
        unknown_ids: Set[str] = set()
        last_error: Optional[SmscError] = None
        for outcome in client.send_bulk(batch, lines_per_request=largest):
            problem = outcome.error if isinstance(outcome, (Failed, Unknown)) else None
            if isinstance(outcome, Sent):
                totals["sent"] += 1
            elif _outcome_unknown(problem) or isinstance(problem, _RETRYABLE):
                retry_ids.add(outcome.id or "")
                last_error = problem
                if _outcome_unknown(problem):
                    unknown_ids.add(outcome.id or "")
            else:
                assert isinstance(outcome, Failed)
                totals["failed"].append(jsonable({"id": outcome.id, "phones": outcome.message.phones,
                                                  "error": outcome.error, "failed": outcome.failed}))
        if retry_ids:
            raise again(sorted(retry_ids), unknown_ids, last_error)
        return _bulk_result(totals)

    @app.task(name=f"{prefix}.track", **TASK_OPTIONS)  # type: ignore[misc,untyped-decorator,unused-ignore]
    @_in_trace_context
    def track(task: Any, pairs: List[List[str]], timeout: float = 600.0) -> List[StatusChangeJson]:
        client = clients.get()
        return [jsonable(change) for change in client.track([(i, p) for i, p in pairs], timeout=timeout)]

    return SmsTasks(send_sms, send_bulk, track)
