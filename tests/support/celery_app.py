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

app = Celery("smsc_test", broker=REDIS + "/1", backend=REDIS + "/2")
app.conf.update(task_serializer="json", result_serializer="json", accept_content=["json"],
                worker_prefetch_multiplier=1, broker_connection_retry_on_startup=True,
                worker_hijack_root_logger=False)


def make_client() -> smsc_soap.Client:
    return smsc_soap.Client("alex", "123", url=os.environ["SMSC_TEST_SANDBOX"], timeout=5,
                            limits=RedisLimits(REDIS + "/0"))


sms = register_tasks(app, make_client)
