"""The sandbox's simulated round trip and its per-login concurrency limit (001:90, 002:101)."""
from __future__ import annotations

import threading
import time
from typing import List, Union

import pytest

from smsc_soap import ApiError, Client, spec
from smsc_soap.results import CostResult
from smsc_soap.sandbox import Sandbox
from smsc_soap.sandbox.limits import ConcurrencyLimit


def _burst(sandbox: Sandbox, threads: int) -> List[Union[CostResult, ApiError]]:
    """``threads`` cost requests released at once, each from its own client (own connection;
    the WSDL is read when the client is made, before the barrier)."""
    barrier = threading.Barrier(threads)
    outcomes: List[Union[CostResult, ApiError]] = []
    lock = threading.Lock()

    def one() -> None:
        with Client("alex", "123", url=sandbox.url, timeout=30) as client:
            barrier.wait()
            try:
                outcome: Union[CostResult, ApiError] = client.get_sms_cost("79161234567", "hi")
            except ApiError as error:
                outcome = error
            with lock:
                outcomes.append(outcome)

    workers = [threading.Thread(target=one) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    return outcomes


def test_a_request_takes_the_simulated_round_trip() -> None:
    with Sandbox(latency=0.2) as sandbox, Client("alex", "123", url=sandbox.url) as client:
        client.get_sms_cost("79161234567", "warm up")
        start = time.monotonic()
        client.get_sms_cost("79161234567", "hi")
        assert time.monotonic() - start >= 0.2


def test_fifteen_at_once_under_one_login_get_error_9_and_are_counted() -> None:
    threads = spec.CONCURRENT_REQUESTS_REFUSED_AT + 5
    with Sandbox(latency=1.5) as sandbox:
        outcomes = _burst(sandbox, threads)
        refused = [o for o in outcomes if isinstance(o, ApiError)]
    assert len(outcomes) == threads
    assert all(error.code == 9 for error in refused)
    assert sandbox.concurrency.refused == len(refused) >= 1
    assert sandbox.concurrency.peak == spec.CONCURRENT_REQUESTS_ALLOWED


def test_fourteen_at_once_are_all_served() -> None:
    with Sandbox(latency=0.5) as sandbox:
        outcomes = _burst(sandbox, spec.CONCURRENT_REQUESTS_ALLOWED)
    assert [o for o in outcomes if isinstance(o, ApiError)] == []
    assert len(outcomes) == spec.CONCURRENT_REQUESTS_ALLOWED
    assert sandbox.concurrency.refused == 0


def test_the_limit_is_per_login_and_released_after_each_request() -> None:
    limit = ConcurrencyLimit(refused_at=2)
    with limit.admit("login:a") as first, limit.admit("login:b") as other:
        assert first and other
        with limit.admit("login:a") as second:
            assert not second
    assert limit.in_flight("login:a") == 0 and limit.refused == 1
    with limit.admit(None) as anonymous:
        assert anonymous


def test_latency_must_be_seconds() -> None:
    with pytest.raises(ValueError):
        Sandbox(latency=-1)


def test_the_command_takes_latency_in_milliseconds() -> None:
    from smsc_soap._argtypes import OneLineParser
    from smsc_soap.sandbox.cli import add_arguments

    parser = OneLineParser()
    add_arguments(parser)
    assert parser.parse_args(["--latency-ms", "50"]).latency_ms == 50
    assert parser.parse_args([]).latency_ms == 0
