"""smsc_soap.limits: the login's limits in one process (default) and in a real Redis server."""
from __future__ import annotations

import threading
import time
from typing import Iterator, List

import pytest
from support.redis_server import run_redis

import smsc_soap
from smsc_soap import spec
from smsc_soap.errors import RateLimited
from smsc_soap.limits import InMemoryLimits, Limits, LimitsUnavailable, RedisLimits
from smsc_soap.sandbox import Sandbox


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    yield from run_redis()


@pytest.fixture
def limits(redis_url: str) -> RedisLimits:
    import redis

    redis.Redis.from_url(redis_url).flushall()
    return RedisLimits(redis_url)


def peak_of(limits: object, threads: int, hold: float) -> int:
    """The most slots held at once when ``threads`` threads each hold one for ``hold`` seconds."""
    lock, state = threading.Lock(), {"now": 0, "peak": 0}

    def work() -> None:
        with limits.slot("login:alex", 10.0):  # type: ignore[attr-defined]
            with lock:
                state["now"] += 1
                state["peak"] = max(state["peak"], state["now"])
            time.sleep(hold)
            with lock:
                state["now"] -= 1

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return state["peak"]


# --- the default: one process, no Redis -----------------------------------------------------------


def test_default_client_keeps_its_limits_in_memory_and_sends() -> None:
    with Sandbox() as sb:
        client = smsc_soap.Client("alex", "123", url=sb.url)
        assert isinstance(client.limits, InMemoryLimits)
        assert client.send_sms("79991234567", "hi").id
        assert len(sb.messages) == 1


def test_in_memory_slots_bound_the_threads_of_one_process() -> None:
    assert peak_of(InMemoryLimits(concurrency=3), threads=8, hold=0.05) == 3


def test_in_memory_windows_when_asked_refuse_the_sixth_status_request_without_sending() -> None:
    with Sandbox() as sb:
        client = smsc_soap.Client("alex", "123", url=sb.url, limits=InMemoryLimits(count_windows=True))
        sent = client.send_sms("79991234567", "hi")
        for _ in range(spec.RATE_LIMITS[spec.STATUS].requests):
            client.get_status("79991234567", sent.id)
        before = len(sb.requests)
        with pytest.raises(RateLimited) as refused:
            client.get_status("79991234567", sent.id)
        assert refused.value.refused_locally and len(sb.requests) == before


# --- Redis ----------------------------------------------------------------------------------------


def test_redis_slots_bound_every_client_together(limits: RedisLimits, redis_url: str) -> None:
    other = RedisLimits(redis_url)  # a second process would hold its own object
    assert limits.concurrency == spec.SHARED_CONCURRENT_REQUESTS < spec.CONCURRENT_REQUESTS_REFUSED_AT
    lock, state = threading.Lock(), {"now": 0, "peak": 0}

    def work(store: RedisLimits) -> None:
        with store.slot("login:alex", 10.0):
            with lock:
                state["now"] += 1
                state["peak"] = max(state["peak"], state["now"])
            time.sleep(0.05)
            with lock:
                state["now"] -= 1

    workers = [threading.Thread(target=work, args=(store,)) for store in [limits, other] * 12]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert state["peak"] == spec.SHARED_CONCURRENT_REQUESTS


def test_a_crashed_holders_slot_is_freed_by_its_lease(limits: RedisLimits, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spec, "SLOT_LEASE_MARGIN_SECONDS", 0.0)
    crashed = [limits.slot("login:alex", 0.3) for _ in range(limits.concurrency)]
    for held in crashed:
        held.__enter__()  # never released: the worker "died"
    with pytest.raises(LimitsUnavailable, match="no request slot"):
        with limits.slot("login:alex", 0.1):
            pass
    started = time.monotonic()
    with limits.slot("login:alex", 2.0):  # the leases (0.3 s, Redis's clock) end; a slot is free
        assert time.monotonic() - started < 1.0


def test_leases_are_counted_on_the_redis_clock(limits: RedisLimits) -> None:
    with limits.slot("login:alex", 5.0):
        (token, ends), = limits.redis.zrange("smsc_soap:{login:alex}:slots", 0, -1, withscores=True)
        seconds, micros = limits.redis.time()
        redis_now_ms = seconds * 1000 + micros // 1000
        assert 0 < ends - redis_now_ms <= (5.0 + spec.SLOT_LEASE_MARGIN_SECONDS) * 1000


def test_a_9_seen_by_one_client_is_respected_by_another(limits: RedisLimits) -> None:
    with Sandbox() as sb:
        first = smsc_soap.Client("alex", "123", url=sb.url, limits=RedisLimits(limits.redis, count_windows=False))
        second = smsc_soap.Client("alex", "123", url=sb.url, limits=RedisLimits(limits.redis, count_windows=False))
        with pytest.raises(RateLimited) as served:
            for _ in range(spec.RATE_LIMITS[spec.BALANCE].requests + 1):
                first.get_balance()
        assert not served.value.refused_locally
        before = len(sb.requests)
        with pytest.raises(RateLimited) as refused:
            second.get_balance()
        assert refused.value.retry_after is not None
        assert refused.value.refused_locally and 0 < refused.value.retry_after <= 60
        assert len(sb.requests) == before


def test_the_balance_window_is_counted_for_all_clients(limits: RedisLimits) -> None:
    with Sandbox() as sb:
        clients = [smsc_soap.Client("alex", "123", url=sb.url, limits=limits) for _ in range(2)]
        for i in range(spec.RATE_LIMITS[spec.BALANCE].requests):
            clients[i % 2].get_balance()
        with pytest.raises(RateLimited) as refused:
            clients[0].get_balance()
        assert refused.value.refused_locally


def test_claims_say_when_a_key_runs_again(limits: RedisLimits) -> None:
    assert limits.claim("login:alex", "order-1", 60) is None
    again = limits.claim("login:alex", "order-1", 60)
    assert again is not None and 0 <= again < 5
    assert limits.claim("login:alex", "order-2", 60) is None


def test_redis_down_fails_closed_and_sends_nothing() -> None:
    from support.redis_server import free_port

    down = RedisLimits(f"redis://127.0.0.1:{free_port()}")
    with Sandbox() as sb:
        client = smsc_soap.Client("alex", "123", url=sb.url, limits=down)
        with pytest.raises(LimitsUnavailable, match="nothing was sent"):
            client.send_sms("79991234567", "hi")
        assert sb.messages == []


def test_a_missing_redis_server_fails_when_ci_requires_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import shutil

    from support import redis_server

    # the modules support.redis_server looks the server up with (its own ``shutil`` and ``os``)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(os.path, "exists", lambda path: False)
    monkeypatch.setenv("SMSC_REQUIRE_REDIS", "1")
    with pytest.raises(pytest.fail.Exception, match="SMSC_REQUIRE_REDIS=1"):
        redis_server.redis_server_path()
    monkeypatch.delenv("SMSC_REQUIRE_REDIS")
    with pytest.raises(pytest.skip.Exception, match="redis-server is not installed"):
        redis_server.redis_server_path()


def test_an_error_4_seen_by_one_worker_stops_every_call_of_every_worker(limits: RedisLimits, redis_url: str) -> None:
    from smsc_soap._core.backoff import backoff_scopes
    from smsc_soap.errors import IpBlocked, api_error
    from smsc_soap.transport import RetryPolicy

    policy = RetryPolicy()
    blocked = api_error("send_sms", 4)
    assert isinstance(blocked, IpBlocked)
    assert limits.opened("login:alex", blocked, backoff_scopes("send_sms", {"phones": "7912"}), policy)
    elsewhere = RedisLimits(redis_url)  # another worker
    refused = elsewhere.refusal("login:alex", "get_balance", backoff_scopes("get_balance", {}), policy)
    assert isinstance(refused, IpBlocked) and refused.refused_locally
    assert refused.retry_after is not None
    assert 0 < refused.retry_after <= policy.ip_blocked_backoff
    assert elsewhere.refusal("login:bob", "get_balance", backoff_scopes("get_balance", {}), policy) is None


def test_an_async_client_keeps_the_shared_limits_too(limits: RedisLimits, redis_url: str) -> None:
    """AsyncClient(limits=...) takes the same store as Client: a back-off opened by a Client's
    error 4 refuses the AsyncClient's call without sending, and its calls hold the login's slots."""
    import asyncio

    from smsc_soap.errors import IpBlocked

    with Sandbox(["alex:123:1000", "eve:1:1000"], latency=0.05) as sb:
        capped = RedisLimits(redis_url, concurrency=2)

        async def many() -> None:
            async with smsc_soap.AsyncClient("alex", "123", url=sb.url, limits=capped) as client:
                costs = await asyncio.gather(*(client.get_sms_cost("79161234567", f"hi {n}") for n in range(8)))
            assert all(cost.cnt == 1 for cost in costs)

        asyncio.run(many())
        assert sb.concurrency.peak <= 2  # the store's two slots, though eight calls ran at once

        with smsc_soap.Client("eve", "wrong", url=sb.url, limits=limits) as wrong:
            for n in range(10):  # the sandbox blocks an IP after ten bad requests a minute
                with pytest.raises(smsc_soap.AuthenticationError):
                    wrong.get_sms_cost("79161234567", f"try {n}")  # cost has no window of its own
            with pytest.raises(IpBlocked):
                wrong.get_sms_cost("79161234567", "one more")
        sent = len(sb.requests)

        async def blocked() -> None:
            async with smsc_soap.AsyncClient("eve", "1", url=sb.url, limits=limits) as client:
                with pytest.raises(IpBlocked) as caught:
                    await client.get_balance()
                assert caught.value.refused_locally

        asyncio.run(blocked())
        assert len(sb.requests) == sent  # refused by the shared back-off, nothing sent


def test_every_client_of_a_login_keeps_its_limits_under_one_key() -> None:
    """What Celery's claims and the shared limits meet under: one key per login, the same for the
    sync and the async client, another for another login; never the password."""
    sync = smsc_soap.Client("alex", "secret-one")
    same = smsc_soap.AsyncClient("alex", "secret-two")
    other = smsc_soap.Client("bob", "secret-one")
    assert sync.limits_key == same.limits_key != other.limits_key
    assert "secret" not in sync.limits_key
    sync.close()
    other.close()


# --- a request the service may still be working on ----------------------------------------------


def _one_slot(store: str, request: pytest.FixtureRequest) -> Limits:
    if store == "memory":
        return InMemoryLimits(concurrency=1)
    import redis

    url = request.getfixturevalue("redis_url")
    redis.Redis.from_url(url).flushall()
    return RedisLimits(url, concurrency=1)


@pytest.mark.parametrize("store", ["memory", "redis"])
def test_a_call_cut_after_sending_keeps_its_slot_while_the_service_may_still_work(
        store: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A call whose deadline cut it after its request left gives its slot back only
    SLOT_LEASE_MARGIN_SECONDS later: the next call under the login waits for it, and the service
    never has more requests at once than the limit (it was 2 of 1: the cut request and the next)."""
    monkeypatch.setattr(spec, "SLOT_LEASE_MARGIN_SECONDS", 1.0)
    shared = _one_slot(store, request)
    with Sandbox(["alex:123:1000"], latency=0.6, realtime=True) as sb:
        with smsc_soap.Client("alex", "123", url=sb.url, timeout=0.3, limits=shared) as cut, \
                smsc_soap.Client("alex", "123", url=sb.url, timeout=5, limits=shared) as later:
            with pytest.raises(smsc_soap.TimeoutError):
                cut.get_balance()
            assert later.get_balance().balance == 1000
        assert len(sb.requests) == 2 and sb.concurrency.peak == 1


@pytest.mark.parametrize("store", ["memory", "redis"])
def test_a_call_the_service_answered_gives_its_slot_back_at_once(
        store: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """An answer, even a refusal, says the service is done with the request: the slot is free
    for the next call at once (its timeout is shorter than the time a slot in doubt is kept)."""
    monkeypatch.setattr(spec, "SLOT_LEASE_MARGIN_SECONDS", 30.0)
    shared = _one_slot(store, request)
    with Sandbox(["alex:123:1000"], latency=0.05) as sb:
        with smsc_soap.Client("alex", "wrong", url=sb.url, limits=shared) as refused, \
                smsc_soap.Client("alex", "123", url=sb.url, timeout=2, limits=shared) as later:
            with pytest.raises(smsc_soap.AuthenticationError):
                refused.get_balance()
            assert later.get_balance().balance == 1000


def test_an_async_call_cut_after_sending_keeps_its_slot_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """The async engine gives a slot in doubt back as late as the sync one does."""
    import asyncio

    monkeypatch.setattr(spec, "SLOT_LEASE_MARGIN_SECONDS", 1.0)
    shared = InMemoryLimits(concurrency=1)

    async def both() -> None:
        async with smsc_soap.AsyncClient("alex", "123", url=sb.url, timeout=0.3, limits=shared) as cut, \
                smsc_soap.AsyncClient("alex", "123", url=sb.url, timeout=5, limits=shared) as later:
            with pytest.raises(smsc_soap.TimeoutError):
                await cut.get_balance()
            assert (await later.get_balance()).balance == 1000

    with Sandbox(["alex:123:1000"], latency=0.6, realtime=True) as sb:
        asyncio.run(both())
        assert len(sb.requests) == 2 and sb.concurrency.peak == 1
