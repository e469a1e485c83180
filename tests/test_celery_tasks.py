"""smsc_soap.celery's tasks run eagerly in one process, with the default in-memory limits (no
Redis, no broker): at most once when a task runs again, a lost answer reconciled, JSON results."""
from __future__ import annotations

import json
from typing import Iterator, Tuple

import pytest

import smsc_soap
from smsc_soap.celery import SmsTasks, jsonable, register_tasks
from smsc_soap.limits import InMemoryLimits
from smsc_soap.sandbox import Sandbox

celery = pytest.importorskip("celery")


@pytest.fixture
def app_and_sandbox() -> Iterator[Tuple[SmsTasks, Sandbox, smsc_soap.Client]]:
    with Sandbox(["alex:123:1000"], realtime=True) as sb:
        client = smsc_soap.Client("alex", "123", url=sb.url, timeout=0.5)
        app = celery.Celery("eager_test")
        app.conf.update(task_always_eager=True)  # a retry runs again at once, in place
        yield register_tasks(app, lambda: client), sb, client


def test_register_tasks_names_three_tasks_that_are_acked_late() -> None:
    app = celery.Celery("names")
    tasks = register_tasks(app, lambda: smsc_soap.Client("alex", "123", url="http://127.0.0.1:9/sys/soap.php"))
    assert {"smsc_soap.send_sms", "smsc_soap.send_bulk", "smsc_soap.track"} <= set(app.tasks)
    for task in (tasks.send_task, tasks.bulk_task, tasks.track_task):
        assert task.acks_late and task.reject_on_worker_lost


def test_a_send_task_sends_once_and_its_result_is_json(app_and_sandbox: Tuple[SmsTasks, Sandbox, smsc_soap.Client]) -> None:
    sms, sb, client = app_and_sandbox
    assert isinstance(client.limits, InMemoryLimits)
    result = sms.send_sms("79991234567", "hello", key="order-1").get()
    assert result["state"] == "sent" and result["id"] == "order-1"
    json.dumps(result)
    assert [(m.id, m.phone) for m in sb.messages] == [("order-1", "79991234567")]


def test_the_same_delivery_run_again_asks_the_service_and_does_not_send(
        app_and_sandbox: Tuple[SmsTasks, Sandbox, smsc_soap.Client]) -> None:
    sms, sb, _ = app_and_sandbox
    kwargs = {"phones": ["79991234567"], "mes": "hello", "id": "order-2"}
    assert sms.send_task.apply(kwargs=kwargs).get()["state"] == "sent"
    # a redelivery: the same message again (its worker died after the request)
    assert sms.send_task.apply(kwargs=kwargs).get()["state"] == "already sent"
    assert len(sb.messages) == 1


def test_a_rerun_whose_first_run_died_before_sending_sends(
        app_and_sandbox: Tuple[SmsTasks, Sandbox, smsc_soap.Client]) -> None:
    sms, sb, client = app_and_sandbox
    assert client.limits.claim(client.limits_key, "order-3:0", 60) is None  # the first run claimed, then died
    assert sms.send_task.apply(kwargs={"phones": ["79991234567"], "mes": "hi", "id": "order-3"}).get()["state"] == "sent"
    assert len(sb.messages) == 1


def test_a_lost_answer_is_reconciled_not_resent(app_and_sandbox: Tuple[SmsTasks, Sandbox, smsc_soap.Client]) -> None:
    sms, sb, _ = app_and_sandbox
    sb.inject("drop_after", operation="send_sms")  # sent, then the answer is lost
    result = sms.send_sms("79991234567", "hello", key="order-4").get()
    assert result["state"] == "already sent"
    assert len(sb.messages) == 1


def test_a_bulk_task_run_again_sends_only_the_requests_the_service_lacks(
        app_and_sandbox: Tuple[SmsTasks, Sandbox, smsc_soap.Client]) -> None:
    sms, sb, client = app_and_sandbox
    rows = [(f"7912{i:07d}", f"m{i}") for i in range(30)]
    first = sms.send_bulk(rows[:10], key="camp", lines_per_request=10).get()  # request camp-0 went out
    assert first["sent"] == 10
    whole = [[p, t, f"camp-{i // 10}"] for i, (p, t) in enumerate(rows)]
    again = sms.bulk_task.apply(kwargs={"messages": whole}).get()  # the same delivery, run again
    assert again == {"sent": 20, "already_sent": 10, "failed": []}
    assert sorted(m.phone for m in sb.messages) == sorted(p for p, _ in rows)


def test_jsonable_turns_results_into_json_types() -> None:
    import dataclasses
    import datetime
    import types
    from decimal import Decimal

    from smsc_soap.results import DeliveryStatus

    @dataclasses.dataclass(frozen=True)
    class Result:
        cost: Decimal
        at: datetime.datetime
        status: DeliveryStatus
        phones: Tuple[str, ...]
        raw: object

    moment = datetime.datetime(2026, 11, 30, 12, 0, tzinfo=datetime.timezone.utc)
    value = jsonable(Result(Decimal("1.50"), moment, list(DeliveryStatus)[0], ("7912",),
                            types.MappingProxyType({"a": (1, 2)})))
    assert json.loads(json.dumps(value)) == {"cost": "1.50", "at": "2026-11-30T12:00:00+00:00",
                                             "status": list(DeliveryStatus)[0].value, "phones": ["7912"],
                                             "raw": {"a": [1, 2]}}


def test_the_track_task_returns_the_changes_as_json(app_and_sandbox: Tuple[SmsTasks, Sandbox, smsc_soap.Client]) -> None:
    sms, _, client = app_and_sandbox
    sent = client.send_sms("79991234567", "hello", id="order-5")
    changes = sms.track([(sent.id, "79991234567")], timeout=1.0).get()
    assert changes and json.loads(json.dumps(changes)) == changes
    assert changes[0]["id"] == "order-5"


def test_a_key_the_service_would_refuse_is_refused_when_queued(
        app_and_sandbox: Tuple[SmsTasks, Sandbox, smsc_soap.Client]) -> None:
    sms, sb, _ = app_and_sandbox
    with pytest.raises(smsc_soap.ValidationError):
        sms.send_bulk([("79991234567", "hi")], key="no spaces allowed")
    with pytest.raises(smsc_soap.ValidationError):
        sms.send_sms("79991234567", "hi", key="x" * 41)
    assert sms.bulk_task.apply(kwargs={"messages": []}).get() == {"sent": 0, "already_sent": 0, "failed": []}
    assert sb.messages == []


def test_every_task_returns_the_shape_its_typed_dict_documents(
        app_and_sandbox: Tuple[SmsTasks, Sandbox, smsc_soap.Client]) -> None:
    from typing import get_type_hints

    from smsc_soap.celery import BulkTaskResult, FailedJson, SendTaskResult, StatusChangeJson

    sms, sb, _ = app_and_sandbox
    sent = sms.send_sms("79991234567", "hello", key="shape-1").get()
    assert set(sent) == set(get_type_hints(SendTaskResult)) and sent["state"] == "sent"
    again = sms.send_task.apply(kwargs={"phones": ["79991234567"], "mes": "hello", "id": "shape-1"}).get()
    assert set(again) == set(get_type_hints(SendTaskResult)) - {"result"} and again["state"] == "already sent"

    bulk = sms.send_bulk([("79991234568", "hi"), ("not a number", "hi")], key="shape-b").get()
    assert set(bulk) == set(get_type_hints(BulkTaskResult)) and bulk["sent"] == 1 and bulk["already_sent"] == 0
    [failed] = bulk["failed"]
    assert set(failed) == set(get_type_hints(FailedJson)) and failed["error"]["type"] == "ValidationError"

    sb.advance(10)
    changes = sms.track([("shape-1", "79991234567")], timeout=1).get()
    assert changes and all(set(change) == set(get_type_hints(StatusChangeJson)) for change in changes)
    assert changes[-1]["status"]["status"] == 1 and changes[-1]["error"] is None
