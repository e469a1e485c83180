"""What only the async client has: its surface mirrors Client's, thousands of calls from one event
loop within a bounded pool, and cancellation (never a silent send, never a broken connection).

The behaviour both clients share (wire, errors, secrets, faults, deadlines, back-off) is tested once
for both, through the ``any_client`` fixture (tests/conftest.py).
"""
from __future__ import annotations

import asyncio
import inspect
import time
import traceback
from decimal import Decimal
from typing import Any, Iterator, List

import pytest
from support.resolver import Resolver, named

import smsc_soap
from smsc_soap import AsyncClient, Client
from smsc_soap._async.transport import POOL_SIZE
from smsc_soap.sandbox import Account, Sandbox

PHONE = "79999999999"
PRICE = Decimal("2.00")  # the sandbox's price of one SMS part to +7
OPERATIONS = ("send_sms", "send_sms2", "get_sms_cost", "get_sms_cost2", "get_status", "get_status2", "get_balance",
              "reconcile")


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox([Account("alex", "123", Decimal("100000.00"))], latency=0.002) as sandbox:
        yield sandbox


def test_the_same_constructor_and_operations_as_client_each_a_coroutine() -> None:
    def parameters(function: Any) -> List[Any]:
        return [(p.name, p.kind, p.default) for p in inspect.signature(function).parameters.values()]

    assert parameters(AsyncClient.__init__) == parameters(Client.__init__)
    for name in OPERATIONS:
        assert inspect.iscoroutinefunction(getattr(AsyncClient, name)), name
        assert parameters(getattr(AsyncClient, name)) == parameters(getattr(Client, name)), name
    assert AsyncClient.send_sms2.__doc__ == Client.send_sms2.__doc__  # the generated table included
    assert "AsyncClient" in dir(smsc_soap) and "AsyncClient" in smsc_soap.__all__


def test_an_async_call_attempts_no_import(sb: Sandbox) -> None:
    """A warm call looks up no module. httpcore imports ``sniffio`` each time it sets up a lock
    (about four times per request); where it is not installed (anyio 4.9 and later no longer bring
    it), each attempt scans sys.path: about 0.2 ms of the event loop's CPU per call. The ``async``
    extra installs it."""
    import sys

    looked_up: List[str] = []

    class Recorder:
        def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
            looked_up.append(name)
            return None

    async def calls() -> None:
        async with AsyncClient("alex", "123", url=sb.url) as client:
            await client.get_balance()  # warm: what a first call imports is imported
            await client.get_sms_cost(PHONE, "hello")
            sys.meta_path.insert(0, Recorder())
            try:
                for _ in range(3):
                    await client.get_balance()
                    await client.get_sms_cost(PHONE, "hello")
            finally:
                sys.meta_path[:] = [finder for finder in sys.meta_path if not isinstance(finder, Recorder)]

    asyncio.run(calls())
    assert looked_up == []


def test_the_same_pages_as_client_each_a_coroutine() -> None:
    from smsc_soap._async.pages import AsyncExports, AsyncMailings
    from smsc_soap.http_api.exports import Exports
    from smsc_soap.http_api.mailings import Mailings

    def parameters(function: Any) -> List[Any]:
        return [(p.name, p.kind, p.default) for p in inspect.signature(function).parameters.values()]

    assert inspect.iscoroutinefunction(AsyncClient.operator)
    assert parameters(AsyncClient.operator) == parameters(Client.operator)
    for sync, asynchronous, names in ((Mailings, AsyncMailings, ("add", "delete", "cancel", "get", "get_all")),
                                      (Exports, AsyncExports, ("get_list", "get_file", "rows", "stream"))):
        for name in names:
            assert parameters(getattr(asynchronous, name)) == parameters(getattr(sync, name)), name
        assert all(inspect.iscoroutinefunction(getattr(asynchronous, name))
                   for name in names if name not in ("rows", "stream"))
    assert inspect.isasyncgenfunction(AsyncExports.rows)


def test_from_env_and_async_with(sb: Sandbox) -> None:
    async def main() -> Decimal:
        async with AsyncClient.from_env({"SMSC_LOGIN": "alex", "SMSC_PASSWORD": "123", "SMSC_URL": sb.url}) as client:
            # The whole repr: the password is "123", which a random port can hold too (42123).
            assert isinstance(client, AsyncClient)
            assert repr(client) == f"<smsc_soap.AsyncClient login='alex' endpoint={sb.url!r}>"
            return (await client.get_balance()).balance
    assert asyncio.run(main()) == Decimal("100000.00")


def test_a_thousand_concurrent_calls_finish_correctly_within_a_bounded_pool(sb: Sandbox) -> None:
    async def main() -> List[Any]:
        async with AsyncClient("alex", "123", url=sb.url, timeout=60) as client:
            # a number each: 500 messages to one number would meet the flood rule (004:284-286)
            sends = [client.send_sms(f"7916{n:07d}", f"message {n}") for n in range(500)]
            costs = [client.get_sms_cost(PHONE, "x" * (1 + n % 300)) for n in range(500)]
            return await asyncio.gather(*sends, *costs)

    results = asyncio.run(main())
    sent, quoted = results[:500], results[500:]
    assert all(result.cnt == 1 for result in sent)
    assert sorted(m.id for m in sb.messages) == sorted(result.id for result in sent)
    assert len({result.id for result in sent}) == 500
    assert [q.cost for q in quoted] == [PRICE * smsc_soap.message.parts("x" * (1 + n % 300)) for n in range(500)]
    assert sb.balance() == Decimal("100000.00") - 500 * PRICE
    # The pool bounds the connections, hence the requests in flight: never the service's 9.
    connections = {request.client for request in sb.requests}
    assert len(connections) <= POOL_SIZE, len(connections)
    assert sb.concurrency.peak <= POOL_SIZE and sb.concurrency.refused == 0


def test_a_send_cancelled_on_the_wire_is_recorded_as_unknown_and_the_pool_keeps_working(sb: Sandbox) -> None:
    sb.inject("delay", operation="send_sms", seconds=1.0, after=True)  # it runs; its answer is held

    async def main() -> None:
        async with AsyncClient("alex", "123", url=sb.url, timeout=10) as client:
            notes: List[str] = []

            async def handler() -> None:  # the caller's code, inside the cancelled task, sees the note
                try:
                    await client.send_sms(PHONE, "cancel me")
                except asyncio.CancelledError as cancelled:
                    notes.extend(getattr(cancelled, "__notes__", []))
                    raise

            task = asyncio.ensure_future(handler())
            await asyncio.sleep(0.3)  # on the wire: the sandbox holds its answer for 1 s
            assert not task.done()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            [lost] = client.unknown_sends
            assert isinstance(lost, smsc_soap.SendOutcomeUnknown) and lost.phones == (PHONE,)
            assert any(lost.id in note and "unknown_sends" in note for note in notes)

            reads = asyncio.ensure_future(client.get_balance())  # a cancelled read is not recorded
            await asyncio.sleep(0)
            reads.cancel()
            with pytest.raises(asyncio.CancelledError):
                await reads
            assert client.unknown_sends == [lost]

            # The connections are fine: many calls after the cancellations all succeed.
            costs = await asyncio.gather(*(client.get_sms_cost(PHONE, f"after {n}") for n in range(40)))
            assert all(cost.cost == PRICE for cost in costs)
            deadline = time.monotonic() + 5
            while not (await client.reconcile(lost)).found:  # the held request ran: it was sent
                assert time.monotonic() < deadline
                await asyncio.sleep(0.1)

    asyncio.run(main())
    assert [m.mes for m in sb.messages] == ["cancel me"]


def test_a_send_cancelled_before_a_byte_left_is_not_recorded(sb: Sandbox) -> None:
    async def main() -> None:
        async with AsyncClient("alex", "123", url=sb.url) as client:
            task = asyncio.ensure_future(client.send_sms(PHONE, "never sent"))
            await asyncio.sleep(0)  # started, not yet connected
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert client.unknown_sends == []

    asyncio.run(main())
    time.sleep(0.2)
    assert sb.messages == []


def test_the_cassette_kit_records_and_replays_an_async_conversation(tmp_path: Any) -> None:
    from smsc_soap import testing as kit

    async def conversation(url: str, psw: str) -> List[Any]:
        async with AsyncClient("alex", psw, url=url) as client:
            sent = await client.send_sms(PHONE, "recorded", id="tape-1")
            return [await client.get_balance(), sent, await client.get_status(PHONE, sent.id),
                    await client.get_sms_cost2(PHONE, "recorded", translit=1)]

    with Sandbox([Account("alex", "s3cret-Pw", Decimal("50.00"))]) as sandbox:
        url = sandbox.url
        with kit.make_vcr(tmp_path, record_mode="once").use_cassette("async.yaml"):
            recorded = asyncio.run(conversation(url, "s3cret-Pw"))
    tape = (tmp_path / "async.yaml").read_text(encoding="utf-8")
    assert "s3cret-Pw" not in tape and tape.count("uri: " + url) == 4

    # The sandbox is gone and sockets are blocked: only the cassette can answer, whatever the password.
    with kit.block_network(), kit.make_vcr(tmp_path).use_cassette("async.yaml") as cassette:
        replayed = asyncio.run(conversation(url, "another-password"))
        assert cassette.all_played
    assert replayed == recorded
    with kit.block_network(), pytest.raises(Exception) as caught:  # the block holds for httpx too
        asyncio.run(conversation(url, "another-password"))
    assert "network blocked" in "".join(traceback.format_exception(caught.type, caught.value, caught.tb))
    assert recorded[1].id == "tape-1" and recorded[0].balance == Decimal("48.00")


# --- one event loop at a time -----------------------------------------------------------------


def test_a_client_used_by_one_asyncio_run_after_another_works_in_each(sb: Sandbox) -> None:
    """Each asyncio.run closes its loop, and the connections opened on it with it: the next loop
    gets a pool of its own (before, a bare RuntimeError: Event loop is closed)."""
    client = AsyncClient("alex", "123", url=sb.url, timeout=5)
    first = asyncio.run(client.send_sms("79161000001", "one"))
    second = asyncio.run(client.send_sms("79161000002", "two"))
    balance = asyncio.run(client.get_balance())
    assert first.id != second.id and balance.balance == Decimal("100000.00") - 2 * PRICE
    assert [m.phone for m in sb.messages] == ["79161000001", "79161000002"]
    asyncio.run(client.aclose())


def test_a_client_in_use_on_a_loop_of_another_thread_is_refused_before_sending(sb: Sandbox) -> None:
    import threading

    client = AsyncClient("alex", "123", url=sb.url, timeout=5)
    other = asyncio.new_event_loop()
    runner = threading.Thread(target=other.run_forever, daemon=True)
    runner.start()
    try:
        asyncio.run_coroutine_threadsafe(client.get_balance(), other).result(10)  # the pool is that loop's now
        with pytest.raises(smsc_soap.errors.UnsupportedOperation, match="one event loop"):
            asyncio.run(client.send_sms("79161000003", "three"))
        assert sb.messages == []  # nothing was sent
        assert asyncio.run_coroutine_threadsafe(client.get_balance(), other).result(10).balance
    finally:
        other.call_soon_threadsafe(other.stop)
        runner.join(10)
        other.close()


def test_asyncio_run_ends_with_a_call_whose_name_never_resolved(sb: Sandbox, resolver: Resolver) -> None:
    """The call gives up within its time, and so does the program: anyio resolves in the event
    loop's default executor, which ``asyncio.run`` waits for at its end (for as long as the stalled
    resolver took: 30 s here, before names were resolved by the client's own threads)."""
    async def main() -> None:
        async with AsyncClient("alex", "123", url=named(sb.url, resolver.stalled), timeout=1.0) as client:
            with pytest.raises(smsc_soap.TimeoutError) as caught:
                await client.send_sms("79991234567", "Hi")
            assert not isinstance(caught.value, smsc_soap.SendOutcomeUnknown)  # it never left

    started = time.monotonic()
    asyncio.run(main())
    assert time.monotonic() - started < 1.0 + 1
    assert resolver.stalled in resolver.asked and sb.requests == []
