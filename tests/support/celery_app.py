"""The Celery app the worker tests start (``celery -A support.celery_app worker``): its broker,
result backend and limits are one Redis server, its client points at a sandbox; both from the
environment the test sets (SMSC_TEST_REDIS, SMSC_TEST_SANDBOX)."""
from __future__ import annotations

import os

from celery import Celery

import smsc_soap
from smsc_soap.celery import register_tasks
from smsc_soap.limits import RedisLimits

REDIS = os.environ.get("SMSC_TEST_REDIS", "redis://127.0.0.1:6379")

#: Seconds before a task taken by a worker that never acknowledged it is handed out again.
VISIBILITY_SECONDS = 10

app = Celery("smsc_test", broker=REDIS + "/1", backend=REDIS + "/2")
app.conf.update(task_serializer="json", result_serializer="json", accept_content=["json"],
                worker_prefetch_multiplier=1, broker_connection_retry_on_startup=True,
                worker_hijack_root_logger=False,
                # A dead worker NODE's unacknowledged tasks come back only after the visibility
                # timeout (Redis's default: one hour); short here so the test of a node killed
                # mid-run ends in seconds, swept every second. Still longer than any task here.
                broker_transport_options={"visibility_timeout": VISIBILITY_SECONDS,
                                          "unacked_restore_interval": 1, "unacked_restore_throttle": 1},
                # The test's Redis stops with its module: the backend gives up at once then,
                # rather than retrying a server that is gone (in the test process only).
                result_backend_transport_options={"retry_policy": {"max_retries": 1, "interval_start": 0,
                                                                   "interval_step": 0.1, "interval_max": 0.1}})


def make_client() -> smsc_soap.Client:
    return smsc_soap.Client("alex", "123", url=os.environ["SMSC_TEST_SANDBOX"], timeout=5,
                            limits=RedisLimits(REDIS + "/0"))


sms = register_tasks(app, make_client)
