"""Timeouts, safe retries, never a double send, and the back-off after errors 4 and 9.

Everything runs against the sandbox (smsc_soap.sandbox) and its fault injection, or, for what
the sandbox would not do (bytes trickling in, a refused first connection), a small loopback
server or a patched connect. Clocks and sleeps of the retry policy are fakes: nothing here
sleeps for back-off, and the only timed assertions are the documented "timeout + 1 s" bounds.
"""
from __future__ import annotations

import logging
import socket
import threading
import time
from decimal import Decimal
from typing import Any, Callable, Dict, Iterator, List

import pytest
import requests
import urllib3.util.connection

import smsc_soap
from smsc_soap import Client, RetryPolicy
from smsc_soap._resolve import RESOLVING_THREADS, lookup
from smsc_soap.sandbox import Account, Sandbox
from smsc_soap.transport import DEFAULT_TIMEOUT, IP_BLOCKED_BACKOFF, RATE_LIMITED_BACKOFF
from support.resolver import REFUSED, Resolver, named
from support.servers import CLOSINGS, ENVELOPE, RESPONSE_ELEMENTS, Responder, Trickler

PHONE = "79999999999"
PRICE = Decimal("2.00")  # the sandbox's price of one SMS part to +7


class FakeTime:
    """The retry policy's clock and sleep: sleeping moves the clock, nothing waits."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: List[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime()


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox([Account("alex", "123", Decimal("1000.00"))]) as sandbox:
        yield sandbox


def client_for(sb: Sandbox, fake: FakeTime, timeout: smsc_soap.transport.Timeout = 2.0,
               make: Callable[..., Client] = Client, **policy: object) -> Client:
    retry = RetryPolicy(sleep=fake.sleep, clock=fake.clock, random=lambda: 0.0, **policy)  # type: ignore[arg-type]
    return make("alex", "123", url=sb.url, timeout=timeout, retry=retry)


def posts(sb: Sandbox, operation: str) -> int:
    return sum(1 for request in sb.requests if request.operation == operation)


def sent_message(sb: Sandbox) -> str:
    """The id of a message sent in-process (no HTTP), for status calls."""
    message_id: str = sb.call("send_sms", login="alex", psw="123", phones=PHONE, mes="for status", id="m1")["id"]
    return message_id


# --- 1. timeouts ------------------------------------------------------------------------------

CALLS: Dict[str, Callable[[Client], object]] = {
    "send_sms": lambda c: c.send_sms(PHONE, "Hello"),
    "get_sms_cost": lambda c: c.get_sms_cost(PHONE, "Hello"),
    "get_status": lambda c: c.get_status(PHONE, "m1"),
    "get_balance": lambda c: c.get_balance(),
}


def test_timeouts_are_on_by_default_and_reach_every_request(sb: Sandbox) -> None:
    seen: List[object] = []

    class Spy(requests.Session):
        def request(self, *args: Any, **kwargs: Any) -> requests.Response:
            seen.append(kwargs.get("timeout"))
            return super().request(*args, **kwargs)

    sent_message(sb)
    client = Client("alex", "123", url=sb.url, session=Spy())
    for call in CALLS.values():
        call(client)
    assert len(seen) == len(CALLS)
    assert all(isinstance(t, tuple) and 0 < t[0] <= DEFAULT_TIMEOUT[0] and 0 < t[1] <= DEFAULT_TIMEOUT[1]
               for t in seen), seen


@pytest.mark.parametrize("timeout", [0, -1, (1, 0), (1, 2, 3), (5,), "5", float("inf"), True])
def test_a_timeout_must_be_positive_seconds(timeout: object, any_client: Any) -> None:
    with pytest.raises(smsc_soap.ValidationError):
        any_client("alex", "123", timeout=timeout)


@pytest.mark.parametrize("operation", list(CALLS))
def test_a_server_that_never_answers_fails_with_timeouterror_within_the_timeout(
        sb: Sandbox, fake: FakeTime, operation: str, any_client: Any) -> None:
    sent_message(sb)
    client = client_for(sb, fake, make=any_client, timeout=(0.5, 1.0))
    sb.inject("delay", times=5, operation=operation, seconds=30)  # ends when the sandbox stops
    started = time.monotonic()
    with pytest.raises(smsc_soap.TimeoutError) as caught:
        CALLS[operation](client)
    elapsed = time.monotonic() - started
    assert elapsed < 1.0 + 1, f"{operation} took {elapsed:.2f} s"
    assert isinstance(caught.value, smsc_soap.TransportError)
    assert isinstance(caught.value, smsc_soap.SendOutcomeUnknown) == (operation == "send_sms")


@pytest.mark.parametrize("operation", ["get_balance", "send_sms"])
def test_a_server_that_never_accepts_the_connection_cannot_stretch_a_call(operation: str, any_client: Any) -> None:
    """Connection attempts (and urllib3's retries of them) fit in the call's time too."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(0)
        port = server.getsockname()[1]
        queued = []
        for _ in range(4):  # fill the accept queue: further connection attempts get no answer
            sock = socket.socket()
            sock.setblocking(False)
            sock.connect_ex(("127.0.0.1", port))
            queued.append(sock)
        try:
            client = any_client("alex", "123", url=f"http://127.0.0.1:{port}/sys/soap.php", timeout=(0.4, 1.0))
            started = time.monotonic()
            with pytest.raises(smsc_soap.TimeoutError) as caught:
                CALLS[operation](client)
            elapsed = time.monotonic() - started
        finally:
            for sock in queued:
                sock.close()
    assert elapsed < 1.0 + 1, f"{elapsed:.2f} s"
    assert not isinstance(caught.value, smsc_soap.SendOutcomeUnknown)  # nothing was sent


@pytest.mark.parametrize("operation", ["get_balance", "send_sms", "operator"])
def test_a_name_that_never_resolves_cannot_stretch_a_call(sb: Sandbox, resolver: Resolver, operation: str,
                                                           any_client: Any) -> None:
    """A stalled resolver holds no call past its timeout: no socket exists while a name resolves,
    so nothing else could cut the wait (it lasted the resolver's own 30 s here)."""
    client = any_client("alex", "123", url=named(sb.url, resolver.stalled), timeout=1.0)
    started = time.monotonic()
    with pytest.raises(smsc_soap.TimeoutError) as caught:
        ANY_CALLS[operation](client)
    elapsed = time.monotonic() - started
    assert elapsed < 1.0 + 1, f"{operation} took {elapsed:.2f} s"
    assert not isinstance(caught.value, smsc_soap.SendOutcomeUnknown)  # it never left
    assert resolver.stalled in resolver.asked and sb.requests == []


def test_calls_waiting_for_a_stalled_name_share_one_thread_and_other_names_still_resolve(
        sb: Sandbox, resolver: Resolver) -> None:
    """However many calls wait for a stalled name, they share one resolution and hold one thread,
    each call ending within its own time; a call to a name that resolves goes through meanwhile
    (before, every resolving thread was taken by the stalled name, and the healthy call waited
    behind them until its own time ran out)."""
    outcomes: List[float] = []

    def call() -> None:
        client = Client("alex", "123", url=named(sb.url, resolver.stalled), timeout=1.0)
        started = time.monotonic()
        try:
            client.get_balance()
        except smsc_soap.TimeoutError:
            outcomes.append(time.monotonic() - started)
    callers = [threading.Thread(target=call) for _ in range(3 * RESOLVING_THREADS)]
    for caller in callers:
        caller.start()
    resolver.resolve("sandbox.test", "127.0.0.1")
    healthy = Client("alex", "123", url=named(sb.url, "sandbox.test"), timeout=1.0)
    assert healthy.get_balance().balance == Decimal("1000.00")
    for caller in callers:
        caller.join()
    resolving = [thread for thread in threading.enumerate() if thread.name == "smsc-soap-resolve"]
    assert len(outcomes) == len(callers) and max(outcomes) < 1.0 + 1
    assert resolver.asked.count(resolver.stalled) == 1 and 1 <= len(resolving) <= RESOLVING_THREADS


def test_a_caller_that_gives_up_on_a_name_leaves_the_shared_resolution_to_the_others(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """An AsyncClient's call cancelled by its deadline cancels its own wait, not the resolution
    a longer call still waits for (asyncio.wrap_future cancels the future it is given)."""
    answer, asked = threading.Event(), []

    def slow(host: str, port: int, *args: Any) -> List[Any]:
        asked.append(host)
        assert answer.wait(10)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
    monkeypatch.setattr(socket, "getaddrinfo", slow)
    impatient = lookup("late.test", 80, socket.AF_UNSPEC)
    patient = lookup("late.test", 80, socket.AF_UNSPEC)
    assert impatient.cancel() or impatient.cancelled()
    answer.set()
    assert patient.result(5) == ["127.0.0.1"] and asked == ["late.test"]


def test_each_address_of_a_name_is_tried_in_turn(sb: Sandbox, resolver: Resolver, any_client: Any) -> None:
    """The first address refuses the connection (nothing listens on 127.0.0.2); the call goes to
    the next, as a browser's or socket.create_connection's would."""
    resolver.resolve("two.test", "127.0.0.2", "127.0.0.1")
    client = any_client("alex", "123", url=named(sb.url, "two.test"), timeout=2.0)
    assert client.get_balance().balance == Decimal("1000.00")
    assert resolver.asked.count("two.test") >= 1 and len(sb.requests) == 1


@pytest.mark.parametrize("operation", ["get_balance", "send_sms"])
def test_a_name_the_resolver_refuses_is_a_connection_error_naming_it(
        sb: Sandbox, resolver: Resolver, fake: FakeTime, operation: str, any_client: Any) -> None:
    client = any_client("alex", "123", url=named(sb.url, REFUSED), timeout=2.0,
                        retry=RetryPolicy(sleep=fake.sleep, clock=fake.clock))
    with pytest.raises(smsc_soap.ConnectionError) as caught:
        CALLS[operation](client)
    assert not isinstance(caught.value, smsc_soap.SendOutcomeUnknown)
    assert REFUSED in str(caught.value) and sb.requests == []


@pytest.mark.parametrize("where", ["headers", "body"])
@pytest.mark.parametrize("operation", ["get_balance", "send_sms"])
def test_a_server_trickling_bytes_cannot_hold_a_call_past_its_timeout(where: str, operation: str, any_client: Any) -> None:
    server = Trickler(where)
    try:
        client = any_client("alex", "123", url=server.url, timeout=1.0)
        started = time.monotonic()
        with pytest.raises(smsc_soap.TimeoutError) as caught:
            CALLS[operation](client)
        elapsed = time.monotonic() - started
    finally:
        server.close()
    assert elapsed < 1.0 + 1, f"trickled {where}: {elapsed:.2f} s"
    assert isinstance(caught.value, smsc_soap.SendOutcomeUnknown) == (operation == "send_sms")


#: SOAP and page calls (000, 001), sends and reads.
ANY_CALLS: Dict[str, Callable[[Client], object]] = {
    **CALLS, "operator": lambda c: c.operator("79991234567"),
    "mailings.add": lambda c: c.mailings.add("spring", "79991234567", "Hi"),
}


@pytest.mark.parametrize("closing", CLOSINGS)
@pytest.mark.parametrize("operation", ["get_balance", "send_sms", "operator", "mailings.add"])
def test_a_trickled_body_on_a_closing_connection_cannot_hold_a_call(closing: str, operation: str) -> None:
    """An answer that says the connection ends with it (HTTP/1.0, ``Connection: close``) makes
    http.client drop its socket from the connection while the body is read: the watchdog must
    still cut the body off at the deadline (it shuts the socket kept at connect time)."""
    server = Trickler("body", closing)
    try:
        client = Client("alex", "123", url=server.url, timeout=1.0, retry=RetryPolicy(attempts=1))
        started = time.monotonic()
        with pytest.raises(smsc_soap.TimeoutError) as caught:
            ANY_CALLS[operation](client)
        elapsed = time.monotonic() - started
    finally:
        server.close()
    assert elapsed < 1.0 + 1, f"{closing}: {elapsed:.2f} s"
    assert isinstance(caught.value, smsc_soap.SendOutcomeUnknown) == (operation in ("send_sms", "mailings.add"))


# --- 2. retries: reads are repeated, sends never once they may have arrived ----------------------

def test_delays_grow_exponentially_up_to_the_cap_and_jitter_only_shortens_them() -> None:
    steady = RetryPolicy(backoff=0.25, max_backoff=2.0, jitter=0.5, random=lambda: 0.0)
    assert [steady.delay(n) for n in range(1, 7)] == [0.25, 0.5, 1.0, 2.0, 2.0, 2.0]
    jittered = RetryPolicy(backoff=0.25, max_backoff=2.0, jitter=0.5, random=lambda: 0.999999)
    assert all(0.5 * steady.delay(n) <= jittered.delay(n) < steady.delay(n) for n in range(1, 7))
    with pytest.raises(smsc_soap.ValidationError):
        RetryPolicy(attempts=0)
    with pytest.raises(smsc_soap.ValidationError):
        RetryPolicy(jitter=2)
    with pytest.raises(smsc_soap.ValidationError):
        Client("alex", "123", retry={"attempts": 3})  # type: ignore[arg-type]


@pytest.mark.parametrize("operation", ["get_balance", "get_sms_cost", "get_status"])
@pytest.mark.parametrize(("kind", "options"), [("http_status", {"status": 503}), ("http_status", {"status": 502}),
                                               ("drop_before", {}), ("drop_after", {"reset": True})])
def test_reads_are_retried_with_backoff_and_succeed(sb: Sandbox, fake: FakeTime, caplog: pytest.LogCaptureFixture,
                                                    operation: str, kind: str, options: Dict[str, Any], any_client: Any) -> None:
    sent_message(sb)
    client = client_for(sb, fake, make=any_client)
    sb.inject(kind, times=2, operation=operation, **options)
    caplog.set_level(logging.INFO, logger="smsc_soap")
    CALLS[operation](client)
    assert posts(sb, operation) == 3
    assert fake.sleeps == [0.25, 0.5]
    assert [r.levelno for r in caplog.records if "retry" in r.getMessage()] == [logging.INFO] * 2


def test_reads_give_up_after_the_attempts_with_the_typed_error(sb: Sandbox, fake: FakeTime, any_client: Any) -> None:
    client = client_for(sb, fake, make=any_client, attempts=4)
    sb.inject("http_status", times=10, operation="get_balance", status=503)
    with pytest.raises(smsc_soap.ProtocolError) as caught:
        client.get_balance()
    assert caught.value.status_code == 503
    assert posts(sb, "get_balance") == 4 and len(fake.sleeps) == 3


@pytest.mark.parametrize(("kind", "options"), [("soap_fault", {}), ("dtd", {}), ("html", {}), ("empty", {}),
                                               ("content_type", {}), ("huge", {"size": 9 * 1024 * 1024})])
def test_answers_that_would_not_change_are_not_retried(sb: Sandbox, fake: FakeTime, kind: str, options: Dict[str, Any], any_client: Any) -> None:
    client = client_for(sb, fake, make=any_client)
    sb.inject(kind, times=3, operation="get_balance", **options)
    with pytest.raises(smsc_soap.ProtocolError):
        client.get_balance()
    assert posts(sb, "get_balance") == 1 and fake.sleeps == []


def test_retries_stay_within_the_calls_timeout(sb: Sandbox, fake: FakeTime, any_client: Any) -> None:
    client = client_for(sb, fake, make=any_client, timeout=1.0, backoff=5.0)  # the first back-off would outlast the call
    sb.inject("http_status", times=3, operation="get_balance", status=503)
    with pytest.raises(smsc_soap.ProtocolError):
        client.get_balance()
    assert posts(sb, "get_balance") == 1 and fake.sleeps == []


@pytest.mark.parametrize(("kind", "options", "arrived"), [
    ("drop_before", {}, False), ("drop_before", {"reset": True}, False), ("http_status", {"status": 502}, False),
    ("drop_after", {}, True), ("truncated", {"honest_length": False}, True), ("content_type", {}, True),
])
def test_a_send_that_may_have_arrived_is_never_repeated_and_reconcile_says_what_happened(
        sb: Sandbox, fake: FakeTime, kind: str, options: Dict[str, Any], arrived: bool, any_client: Any) -> None:
    client = client_for(sb, fake, make=any_client)
    sb.inject(kind, times=3, operation="send_sms", **options)
    with pytest.raises(smsc_soap.SendOutcomeUnknown) as caught:
        client.send_sms([PHONE], "Pay 100 to the shop")
    lost = caught.value
    assert posts(sb, "send_sms") == 1 and fake.sleeps == []  # not repeated
    assert isinstance(lost, smsc_soap.TransportError) and isinstance(lost.cause, smsc_soap.TransportError)
    assert isinstance(lost, type(lost.cause))  # except ConnectionError/ProtocolError still catches it
    assert (lost.operation, lost.phones) == ("send_sms", (PHONE,))
    assert lost.id and lost.id in str(lost) and "reconcile" in str(lost)
    sb.clear_faults()

    answer = client.reconcile(lost)
    assert isinstance(answer, smsc_soap.Reconciliation)
    assert (answer.id, answer.found) == (lost.id, arrived)
    if arrived:
        assert answer.phone == PHONE and answer.status is not None
        assert answer.status.status == smsc_soap.DeliveryStatus.WAITING
    else:
        assert answer.status is None
        client.send_sms([PHONE], "Pay 100 to the shop", id=lost.id)  # the documented recovery
    assert [m.id for m in sb.messages] == [lost.id]
    assert sb.balance() == Decimal("1000.00") - PRICE


def test_a_late_original_and_its_resend_are_charged_once(sb: Sandbox, fake: FakeTime, any_client: Any) -> None:
    """The request is held past the client's timeout, then runs: the resend with the same id
    reaches the service first, and the late original is an identical request (error 9)."""
    client = client_for(sb, fake, make=any_client, timeout=0.5)
    sb.inject("delay", operation="send_sms", seconds=1.5)
    with pytest.raises(smsc_soap.SendOutcomeUnknown) as caught:
        client.send_sms(PHONE, "Your code is 1234")
    assert isinstance(caught.value, smsc_soap.TimeoutError)
    assert not client.reconcile(caught.value).found  # still held by the server
    client.send_sms(PHONE, "Your code is 1234", id=caught.value.id)
    deadline = time.monotonic() + 5
    while posts(sb, "send_sms") < 2:  # the sandbox records the held request once it has run
        assert time.monotonic() < deadline, "the held request never ran"
        time.sleep(0.05)
    original = next(r for r in sb.requests if r.operation == "send_sms" and r.fault == "delay")
    assert b"<error>9</error>" in original.response  # identical to the resend: refused, not charged
    assert [m.id for m in sb.messages] == [caught.value.id]
    assert sb.balance() == Decimal("1000.00") - PRICE


def test_reconcile_finds_a_message_sent_with_a_list_and_checks_each_number(sb: Sandbox, fake: FakeTime, any_client: Any) -> None:
    client = client_for(sb, fake, make=any_client)
    sb.inject("drop_after", operation="send_sms2")
    with pytest.raises(smsc_soap.SendOutcomeUnknown) as caught:
        client.send_sms2(None, None, list=[("79990000008", "refused at send"), ("79995550000", "Hi")])
    assert caught.value.phones == ("79990000008", "79995550000")
    answer = client.reconcile(caught.value)
    assert answer.found and answer.phone == "79995550000"
    with pytest.raises(TypeError):
        client.reconcile(smsc_soap.TimeoutError("not a send"))  # type: ignore[arg-type]


def test_a_send_that_provably_never_left_is_retried_by_the_connection_layer(
        sb: Sandbox, fake: FakeTime, monkeypatch: pytest.MonkeyPatch) -> None:
    real = urllib3.util.connection.create_connection
    failures = [ConnectionRefusedError(111, "Connection refused"), socket.gaierror(-2, "Name or service not known")]

    def flaky(*args: object, **kwargs: object) -> socket.socket:
        if failures:
            raise failures.pop(0)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(urllib3.util.connection, "create_connection", flaky)
    result = client_for(sb, fake).send_sms(PHONE, "Hello")
    assert failures == [] and [m.id for m in sb.messages] == [result.id]
    assert posts(sb, "send_sms") == 1


@pytest.mark.parametrize("body", [
    '<?xml version="1.0"?><root/>',
    ENVELOPE.format(ns="{ns}", body=""),
    ENVELOPE.format(ns="{ns}", body="<ns1:Nope><x>1</x></ns1:Nope>"),
    ENVELOPE.format(ns="{ns}", body="<ns1:{element}><{wrapper}><error>abc</error></{wrapper}></ns1:{element}>"),
], ids=["not SOAP", "empty Body", "other element", "error not a number"])
@pytest.mark.parametrize("operation", ["send_sms", "get_balance"])
def test_a_well_formed_answer_of_the_wrong_shape_is_a_protocol_error(responder: Responder, body: str,
                                                                       operation: str, any_client: Any) -> None:
    element, wrapper = RESPONSE_ELEMENTS[operation]
    responder.answer(body.replace("{ns}", responder.url).format(element=element, wrapper=wrapper).encode())
    with pytest.raises(smsc_soap.ProtocolError) as caught:
        CALLS[operation](any_client("alex", "123", url=responder.url, timeout=2.0))
    assert isinstance(caught.value, smsc_soap.SendOutcomeUnknown) == (operation == "send_sms")
    assert len(responder.requests) == 1


def test_a_send_to_a_closed_port_is_a_connection_error_not_an_unknown_outcome(fake: FakeTime, any_client: Any) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = any_client("alex", "123", url=f"http://127.0.0.1:{port}/sys/soap.php", timeout=2.0,
                    retry=RetryPolicy(sleep=fake.sleep, clock=fake.clock))
    with pytest.raises(smsc_soap.ConnectionError) as caught:
        client.send_sms(PHONE, "Hello")
    assert not isinstance(caught.value, smsc_soap.SendOutcomeUnknown)


def test_the_client_gives_each_send_an_id_of_its_own_unless_the_caller_does(sb: Sandbox, fake: FakeTime, any_client: Any) -> None:
    client = client_for(sb, fake, make=any_client)
    ids = [client.send_sms(PHONE, f"Hello {n}").id for n in range(20)]
    assert len(set(ids)) == 20
    assert all(len(i) <= 40 and set(i) <= set("abcdefghijklmnopqrstuvwxyz0123456789") and not i.isdigit()
               for i in ids)
    assert client.send_sms(PHONE, "mine", id="order-17").id == "order-17"
    assert client.send_sms(PHONE, "mine", id=17).id == "17"
    assert [m.id for m in sb.messages] == [*ids, "order-17", "17"]


# --- 3. errors 4 and 9: back off, say so, no tight loop ------------------------------------------

def test_error_9_of_balance_backs_off_for_a_minute_without_sending(sb: Sandbox, fake: FakeTime,
                                                                   caplog: pytest.LogCaptureFixture, any_client: Any) -> None:
    client = client_for(sb, fake, make=any_client)
    for _ in range(10):
        client.get_balance()
    with pytest.raises(smsc_soap.RateLimited) as caught:
        client.get_balance()
    first = caught.value
    assert (first.code, first.retry_after, first.refused_locally) == (9, RATE_LIMITED_BACKOFF, False)
    assert str(first) == f"get_balance: error 9: {first.meaning}"  # the service's words, unchanged
    assert any("refused by this client" in note and "60 s" in note for note in first.__notes__)
    assert any(r.levelno == logging.WARNING and "error 9" in r.getMessage() for r in caplog.records)

    fake.advance(20)
    for _ in range(100):  # a caller's tight loop never reaches the service
        with pytest.raises(smsc_soap.RateLimited) as caught:
            client.get_balance()
    local = caught.value
    assert local.refused_locally and local.retry_after == pytest.approx(40.0)
    assert "not sent" in str(local) and "retry after 40 s" in str(local)
    assert posts(sb, "get_balance") == 11
    assert client.get_sms_cost(PHONE, "Hi").cost == PRICE

    fake.advance(40)
    sb.advance(60)
    assert client.get_balance().balance == Decimal("1000.00")
    assert posts(sb, "get_balance") == 12


def test_error_9_of_status_blocks_only_that_message(sb: Sandbox, fake: FakeTime, any_client: Any) -> None:
    client = client_for(sb, fake, make=any_client)
    first, second = client.send_sms(PHONE, "one").id, client.send_sms(PHONE, "two").id
    for _ in range(5):
        client.get_status(PHONE, first)
    with pytest.raises(smsc_soap.RateLimited) as caught:
        client.get_status(PHONE, first)
    assert caught.value.retry_after == RATE_LIMITED_BACKOFF
    with pytest.raises(smsc_soap.RateLimited) as caught:
        client.get_status(PHONE, first)
    assert caught.value.refused_locally
    assert client.get_status(PHONE, second).status == smsc_soap.DeliveryStatus.WAITING
    assert posts(sb, "get_status") == 7


def test_error_9_of_send_refuses_the_identical_send_only(sb: Sandbox, fake: FakeTime, any_client: Any) -> None:
    client = client_for(sb, fake, make=any_client)
    client.send_sms(PHONE, "Hello", id="order-1")
    with pytest.raises(smsc_soap.DuplicateRequest) as caught:
        client.send_sms(PHONE, "Hello", id="order-1")
    assert (caught.value.code, caught.value.retry_after) == (9, RATE_LIMITED_BACKOFF)
    with pytest.raises(smsc_soap.DuplicateRequest) as caught:
        client.send_sms(PHONE, "Hello", id="order-1")
    assert caught.value.refused_locally
    client.send_sms(PHONE, "Hello", id="order-2")
    assert posts(sb, "send_sms") == 3
    assert [m.id for m in sb.messages] == ["order-1", "order-2"]


def test_error_4_stops_every_call_for_the_back_off_then_lets_one_through(sb: Sandbox, fake: FakeTime, any_client: Any) -> None:
    intruder = any_client("alex", "wrong", url=sb.url, timeout=2.0,
                      retry=RetryPolicy(sleep=fake.sleep, clock=fake.clock))
    for _ in range(10):  # the sandbox blocks an IP after ten request errors within a minute
        with pytest.raises(smsc_soap.AuthenticationError):
            intruder.get_balance()
    with pytest.raises(smsc_soap.IpBlocked) as caught:
        intruder.get_balance()
    assert (caught.value.retry_after, caught.value.refused_locally) == (IP_BLOCKED_BACKOFF, False)
    assert "every call" in caught.value.__notes__[0]
    before = len(sb.requests)
    for call in (lambda: intruder.send_sms(PHONE, "Hi"), lambda: intruder.get_sms_cost(PHONE, "Hi"),
                 lambda: intruder.get_status(PHONE, 1), intruder.get_balance) * 25:
        with pytest.raises(smsc_soap.IpBlocked) as caught:
            call()
        assert caught.value.refused_locally
    assert len(sb.requests) == before  # 100 calls, not one request
    fake.advance(IP_BLOCKED_BACKOFF)
    with pytest.raises(smsc_soap.IpBlocked) as caught:  # the sandbox's block lasts longer: one probe
        intruder.get_balance()
    assert not caught.value.refused_locally and len(sb.requests) == before + 1


def test_back_off_can_be_turned_off(sb: Sandbox, fake: FakeTime) -> None:
    client = client_for(sb, fake, rate_limited_backoff=0)
    for _ in range(10):
        client.get_balance()
    for _ in range(2):
        with pytest.raises(smsc_soap.RateLimited) as caught:
            client.get_balance()
        assert caught.value.retry_after is None and not caught.value.refused_locally
    assert posts(sb, "get_balance") == 12
