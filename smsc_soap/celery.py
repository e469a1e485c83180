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
import threading
import time
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from . import params, spec
from ._core import calls
from ._core.ids import derived_message_id
from .bulk import Failed, Message, Sent, Unknown
from .client import Client
from .errors import IpBlocked, MessageNotFound, RateLimited, SendOutcomeUnknown, SmscError
from .limits import LimitsUnavailable

__all__ = ["SmsTasks", "jsonable", "register_tasks"]

#: What every task of this module is registered with: a task is acknowledged only once it has
#: run, and one whose worker process died is given back to the queue (then reconciled, not resent).
TASK_OPTIONS: Dict[str, Any] = {"bind": True, "acks_late": True, "reject_on_worker_lost": True,
                                "max_retries": 50}
#: ASSUMPTION (a choice): seconds before a task whose send's outcome is unknown runs again to
#: reconcile it, when the error names no wait of its own.
RETRY_SECONDS = 5.0
#: Errors of a request that was not sent and may be sent later.
_NOT_SENT_RETRY = (LimitsUnavailable, RateLimited, IpBlocked)


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
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, BaseException):
        return {"type": type(value).__name__, "message": str(value)}
    return value


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
    """Claim ``key``; if it was claimed before (the task runs again), wait until the first run's
    call has surely ended, and return True: the caller must ask the service before sending."""
    seconds = client._settings.call_seconds() + spec.SLOT_LEASE_MARGIN_SECONDS
    age = client.limits.claim(client._account, key, 24 * 3600.0)
    if age is None:
        return False
    time.sleep(max(0.0, seconds - age))
    return True


def _found(client: Client, message_id: str, phones: Iterable[str]) -> bool:
    """Whether the service has message ``message_id`` for any of ``phones``."""
    for phone in phones:
        try:
            client.get_status(phone, message_id)
        except MessageNotFound:
            continue
        return True
    return False


def _numbers(phones: Any) -> List[str]:
    return list(params.split_phones(phones)) if isinstance(phones, str) else list(phones)


def _retry_delay(error: SmscError) -> float:
    wait = getattr(error, "retry_after", None)
    return float(wait) if wait else RETRY_SECONDS


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
                                          **options)

    def send_bulk(self, messages: Iterable[Tuple[Any, str]], *, key: str,
                  lines_per_request: int = spec.BULK_LINES_PER_REQUEST, **options: Any) -> Any:
        """Queue many ``(phones, text)`` messages as one task; ``key`` (unique per batch, e.g. a
        campaign and batch number) fixes one id per request of ``lines_per_request`` lines:
        ``key-0``, ``key-1``, ... Returns Celery's ``AsyncResult``."""
        rows: List[List[Any]] = []
        for index, (phones, text) in enumerate(messages):
            rows.append([phones if isinstance(phones, str) else list(phones), text,
                         f"{key}-{index // lines_per_request}"])
        return self.bulk_task.apply_async(kwargs={"messages": rows}, **options)

    def track(self, ids_and_phones: Sequence[Tuple[str, str]], *, timeout: float = 600.0, **options: Any) -> Any:
        """Queue a status tracking of ``(id, phone)`` pairs; the result lists every change."""
        return self.track_task.apply_async(kwargs={"pairs": [list(p) for p in ids_and_phones], "timeout": timeout},
                                           **options)


def register_tasks(app: Any, client_factory: Callable[[], Client], *, prefix: str = "smsc_soap") -> SmsTasks:
    """Register the send, bulk and track tasks in the Celery ``app`` (names ``<prefix>.send_sms``,
    ``<prefix>.send_bulk``, ``<prefix>.track``). ``client_factory`` makes the client each worker
    process uses; give it a :class:`~smsc_soap.limits.RedisLimits` so the login's limits hold
    for all workers together."""
    clients = _Clients(client_factory)

    @app.task(name=f"{prefix}.send_sms", **TASK_OPTIONS)  # type: ignore[misc,untyped-decorator,unused-ignore]
    def send_sms(task: Any, phones: List[str], mes: str, id: str,  # noqa: A002 - the service's name
                 sender: Optional[str] = None) -> Dict[str, Any]:
        client = clients.get()
        try:
            if _rerun_wait(client, id) and _found(client, id, phones):
                return {"id": id, "phones": phones, "state": "already sent"}
            result = client.send_sms(phones, mes, id=id, sender=sender)
        except (SendOutcomeUnknown,) + _NOT_SENT_RETRY as error:
            # Nothing sent, or not known: the retry claims the same id and reconciles first.
            raise task.retry(countdown=_retry_delay(error), exc=None) from None
        return {"id": id, "phones": phones, "state": "sent", "result": jsonable(result)}

    @app.task(name=f"{prefix}.send_bulk", **TASK_OPTIONS)  # type: ignore[misc,untyped-decorator,unused-ignore]
    def send_bulk(task: Any, messages: List[List[Any]]) -> Dict[str, Any]:
        client = clients.get()
        groups: Dict[str, List[Message]] = {}
        for phones, text, ident in messages:
            groups.setdefault(ident, []).append(Message(phones if isinstance(phones, str) else tuple(phones),
                                                        text, id=ident))
        try:
            first_key = next(iter(groups), "")
            if _rerun_wait(client, first_key):
                for ident in list(groups):
                    phones = [p for m in groups[ident] for p in _numbers(m.phones)]
                    if _found(client, ident, phones):
                        del groups[ident]
            outcomes = list(client.send_bulk([m for group in groups.values() for m in group],
                                             lines_per_request=max(len(g) for g in groups.values()) if groups else 1))
        except (SendOutcomeUnknown,) + _NOT_SENT_RETRY as error:
            raise task.retry(countdown=_retry_delay(error), exc=None) from None
        if any(isinstance(o, Unknown) or (isinstance(o, Failed) and isinstance(o.error, _NOT_SENT_RETRY))
               for o in outcomes):  # the retry sends only the requests the service does not have
            raise task.retry(countdown=RETRY_SECONDS, exc=None)
        sent = [o for o in outcomes if isinstance(o, Sent)]
        failed = [o for o in outcomes if isinstance(o, Failed)]
        return {"sent": len(sent), "already_sent": len(messages) - len(outcomes), "failed": jsonable(
            [{"id": o.id, "phones": o.message.phones, "error": o.error, "failed": o.failed} for o in failed])}

    @app.task(name=f"{prefix}.track", **TASK_OPTIONS)  # type: ignore[misc,untyped-decorator,unused-ignore]
    def track(task: Any, pairs: List[List[str]], timeout: float = 600.0) -> List[Any]:
        client = clients.get()
        return [jsonable(change) for change in client.track([(i, p) for i, p in pairs], timeout=timeout)]

    return SmsTasks(send_sms, send_bulk, track)
