"""client.send_bulk: list requests, several at once, one outcome per message, flat memory."""
from __future__ import annotations

import logging
import threading
import time
import tracemalloc
from decimal import Decimal
from typing import Any, Callable, Iterator, List, cast
from urllib.parse import parse_qs

import pytest
from lxml import etree

from smsc_soap import ApiError, Client, SendOutcomeUnknown, ValidationError, _codec, spec
from smsc_soap._sync import client as sync_client_module
from smsc_soap._sync import bulk  # the sync pipeline, whose request the tests replace
from smsc_soap.bulk import Chunk, Failed, Message, MessageLike, Progress, Sent, Unknown
from smsc_soap.channels import Email, Hlr, VoiceCall
from smsc_soap.results import SendResult
from smsc_soap.sandbox import Sandbox


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(accounts=["bulk:pw:1000000"]) as sb:
        yield sb


@pytest.fixture
def client(sandbox: Sandbox, any_client: Any) -> Iterator[Client]:
    with any_client("bulk", "pw", url=sandbox.url) as c:
        yield c


@pytest.fixture
def sync_client(sandbox: Sandbox) -> Iterator[Client]:
    """For what only the sync pipeline has: threads, and bulk._write_list to patch (:func:`_sends`)."""
    with Client("bulk", "pw", url=sandbox.url) as c:
        yield c


def _sends(monkeypatch: pytest.MonkeyPatch, send: Callable[[Client, Chunk], SendResult]) -> None:
    """The sync pipeline's requests replaced by ``send``, called where a request is sent (a worker)."""
    monkeypatch.setattr(bulk, "_write_list", lambda client, chunk: lambda: send(client, chunk))


def _messages(n: int, **extra: Any) -> Iterator[Message]:
    return (Message(f"7916{i:07d}", f"Hello {i}", **extra) for i in range(n))


def _lists(sandbox: Sandbox) -> List[str]:
    return [parse_qs(r.params["query"])["list"][0] for r in sandbox.requests if r.params]


def test_every_message_is_sent_once_in_list_requests_and_outcomes_come_in_input_order(
        sandbox: Sandbox, client: Client) -> None:
    outcomes = list(client.send_bulk(_messages(250), lines_per_request=100))
    assert [o.index for o in outcomes] == list(range(250))
    assert all(isinstance(o, Sent) for o in outcomes)
    assert sorted(len(x.split("\n")) for x in _lists(sandbox)) == [50, 100, 100]
    ledger = sorted((m.id, m.phone, m.mes) for m in sandbox.messages)
    assert ledger == sorted((o.id, o.phones[0], o.message.text) for o in outcomes if isinstance(o, Sent))
    assert len({m.phone for m in sandbox.messages}) == 250


def test_one_id_per_request_and_the_status_is_found_by_id_and_phone(client: Client) -> None:
    outcomes = [o for o in client.send_bulk(_messages(5)) if isinstance(o, Sent)]
    assert len({o.id for o in outcomes}) == 1 and outcomes[0].parts == 1
    assert client.get_status(outcomes[3].phones[0], outcomes[3].id).status is not None


def test_differing_senders_use_the_line_form_a_common_one_the_sender_field(
        sandbox: Sandbox, client: Client) -> None:
    list(client.send_bulk([Message("79161000001", "a", sender="Shop"), Message("79161000002", "b")]))
    list(client.send_bulk([Message("79161000003", "c", sender="Shop"), Message("79161000004", "d", sender="Shop")]))
    mixed, common = sandbox.requests[-2].params, sandbox.requests[-1].params
    assert mixed is not None and common is not None
    assert parse_qs(mixed["query"])["list"][0] == "Shop|79161000001:a\n79161000002:b"
    assert not mixed.get("sender")
    assert parse_qs(common["query"])["list"][0] == "79161000003:c\n79161000004:d" and common["sender"] == "Shop"
    assert {m.phone: m.sender for m in sandbox.messages}["79161000001"] == "Shop"


def test_an_id_or_a_time_of_its_own_starts_a_request_of_its_own(sandbox: Sandbox, client: Client) -> None:
    messages = [Message("79161000001", "a"), Message("79161000002", "b", id="mine"),
                Message("79161000003", "c", id="mine"), Message("79161000004", "d", time="0")]
    outcomes = list(client.send_bulk(messages))
    assert [o.id for o in outcomes][1:3] == ["mine", "mine"]
    assert len(sandbox.requests) == 3


def test_bytes_per_request_cuts_chunks_too(sandbox: Sandbox, client: Client) -> None:
    list(client.send_bulk(_messages(10), bytes_per_request=60))
    assert len(sandbox.requests) == 5


def test_a_bad_message_fails_alone_and_tuples_are_messages(sandbox: Sandbox, client: Client) -> None:
    outcomes = list(client.send_bulk([("79161000001", "a"), ("not a phone", "b"), ("79161000002", "c", "Shop")]))
    assert isinstance(outcomes[1], Failed) and isinstance(outcomes[1].error, ValidationError)
    assert isinstance(outcomes[0], Sent) and isinstance(outcomes[2], Sent)
    assert len(sandbox.messages) == 2


def test_numbers_the_service_refused_are_failed_with_their_status(client: Client) -> None:
    outcomes = list(client.send_bulk([Message("79990000008", "a"), Message("79161000001", "b"),
                                      Message("79990000008,79161000002", "c")]))
    assert isinstance(outcomes[0], Failed) and outcomes[0].error is None
    assert [e.status for e in outcomes[0].failed] == [25]
    assert isinstance(outcomes[1], Sent) and outcomes[1].failed == ()
    assert isinstance(outcomes[2], Sent) and len(outcomes[2].failed) == 1


def test_an_error_of_the_request_fails_its_messages(sandbox: Sandbox, client: Client) -> None:
    sandbox.set_balance("bulk", 0)
    outcomes = list(client.send_bulk(_messages(3)))
    assert all(isinstance(o, Failed) and o.error is not None and cast(ApiError, o.error).code == 3 for o in outcomes)


def test_a_lost_answer_is_unknown_and_never_resent(sandbox: Sandbox, any_client: Any) -> None:
    sandbox.inject("drop_after", operation="send_sms2")
    with any_client("bulk", "pw", url=sandbox.url) as client:
        outcomes = list(client.send_bulk(_messages(3)))
    assert all(isinstance(o, Unknown) and isinstance(o.error, SendOutcomeUnknown) for o in outcomes)
    assert len([r for r in sandbox.requests if r.operation == "send_sms2"]) == 1
    first = outcomes[0]
    assert isinstance(first, Unknown)
    assert client.get_status(first.phones[0], first.id).status is not None  # it had arrived


def test_outcomes_as_they_finish_and_progress_counts(sandbox: Sandbox, client: Client) -> None:
    seen: List[Progress] = []
    outcomes = list(client.send_bulk(_messages(50), ordered=False, lines_per_request=7, progress=seen.append))
    assert sorted(o.index for o in outcomes) == list(range(50))
    assert seen[-1].sent == 50 and seen[-1].queued == 50 and seen[-1].failed == seen[-1].unknown == 0
    assert seen[-1].rate > 0 and len(seen) == 8


def test_before_send_sees_each_chunk_before_it_is_sent(sandbox: Sandbox, client: Client) -> None:
    chunks: List[Chunk] = []

    def note(chunk: Chunk) -> None:
        assert not any(m.id == chunk.id for m in sandbox.messages)
        chunks.append(chunk)

    outcomes = list(client.send_bulk(_messages(10), lines_per_request=4, before_send=note))
    assert [c.indices for c in chunks] == [(0, 1, 2, 3), (4, 5, 6, 7), (8, 9)]
    assert [o.id for o in outcomes] == [c.id for c in chunks for _ in c.indices]


def test_concurrency_is_bounded_by_the_client_for_all_its_threads(monkeypatch: pytest.MonkeyPatch,
                                                                  sync_client: Client) -> None:
    client = sync_client
    in_flight = peak = 0
    lock = threading.Lock()

    def slow(_client: Client, chunk: Chunk) -> SendResult:
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        time.sleep(0.02)
        with lock:
            in_flight -= 1
        return SendResult(chunk.id, None, None, None, (), {})  # type: ignore[arg-type]

    _sends(monkeypatch, slow)
    runs = [threading.Thread(target=lambda: list(client.send_bulk(_messages(200), lines_per_request=2)))
            for _ in range(3)]
    for run in runs:
        run.start()
    for run in runs:
        run.join()
    assert peak == spec.BULK_CONCURRENT_REQUESTS


def test_requests_are_written_by_the_thread_writing_the_chunks_and_only_sent_by_workers(
        monkeypatch: pytest.MonkeyPatch, sync_client: Client, sandbox: Sandbox) -> None:
    """A worker whose answer came has only to send its next request (issue 25): each request is
    written once, by the thread that iterates send_bulk, and is what reaches the service."""
    written: List[Any] = []
    envelope = _codec.Operation.envelope

    def recorded(self: _codec.Operation, masked: Any) -> Any:
        message = envelope(self, masked)
        written.append((threading.current_thread(), message))
        return message

    monkeypatch.setattr(_codec.Operation, "envelope", recorded)
    outcomes = list(sync_client.send_bulk(_messages(250), lines_per_request=100))
    assert sum(isinstance(o, Sent) for o in outcomes) == 250
    assert [thread for thread, _ in written] == [threading.current_thread()] * 3
    lists = [parse_qs(etree.fromstring(message).findtext(".//query"))["list"][0] for _, message in written]
    assert sorted(lists) == sorted(_lists(sandbox)) and len(lists) == 3


def test_a_request_the_codec_cannot_write_ahead_is_written_and_sent_by_its_worker(
        monkeypatch: pytest.MonkeyPatch, sync_client: Client, sandbox: Sandbox) -> None:
    def refused(codec: Any, call: Any) -> Any:
        raise ValueError("All strings must be XML compatible")  # what lxml says of a control character

    monkeypatch.setattr(sync_client_module, "codec_request", refused)
    outcomes = list(sync_client.send_bulk(_messages(150), lines_per_request=100))
    assert sum(isinstance(o, Sent) for o in outcomes) == 150
    assert len(_lists(sandbox)) == 2


def test_a_request_refused_while_written_fails_its_messages_after_before_send(
        monkeypatch: pytest.MonkeyPatch, sync_client: Client, sandbox: Sandbox) -> None:
    """Checking a request is now the writing thread's; its refusal is still the chunk's outcome,
    after ``before_send``, and the other chunks go."""
    list_call = Client._list_call

    def refuse_second(self: Client, encoded_list: str, *args: Any) -> Any:
        if encoded_list.startswith("79160000100"):
            raise ValidationError("refused for the test", field="list")
        return list_call(self, encoded_list, *args)

    monkeypatch.setattr(Client, "_list_call", refuse_second)
    before: List[int] = []
    outcomes = list(sync_client.send_bulk(_messages(300), lines_per_request=100,
                                          before_send=lambda chunk: before.append(chunk.indices[0])))
    assert sorted(before) == [0, 100, 200]
    failed = [o for o in outcomes if isinstance(o, Failed)]
    assert [o.index for o in failed] == list(range(100, 200))
    assert all(isinstance(o.error, ValidationError) and "refused for the test" in str(o.error) for o in failed)
    assert sum(isinstance(o, Sent) for o in outcomes) == 200 and len(_lists(sandbox)) == 2


def test_concurrency_beyond_the_service_limit_is_refused(client: Client) -> None:
    with pytest.raises(ValidationError):
        client.send_bulk([], concurrency=spec.CONCURRENT_REQUESTS_REFUSED_AT)


def test_memory_stays_flat_for_200000_messages(monkeypatch: pytest.MonkeyPatch, sync_client: Client) -> None:
    client = sync_client
    def instant(_client: Client, chunk: Chunk) -> SendResult:
        return SendResult(chunk.id, len(chunk), Decimal("0"), None, (), {})

    _sends(monkeypatch, instant)
    count = 0
    tracemalloc.start()
    try:
        for outcome in client.send_bulk(_messages(200_000), lines_per_request=1000):
            count += isinstance(outcome, Sent)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 200_000
    assert peak < 24 * 1024 * 1024, f"peak {peak / 2**20:.1f} MiB"  # 200,000 kept would be far more


# --- channel messages (smsc_soap.channels) ----------------------------------------------------


def _mixed() -> List[MessageLike]:
    mail = Email("Hello\nthere", subject="News", sender="shop@example.com")
    return [
        Message("79161000001", "plain one"),
        Message("ivan@example.com", mail),
        Message("petr@example.com", Email("Hi", subject="News", sender="shop@example.com")),
        Message("79161000002", VoiceCall("Your code is 1234", voice="w2")),
        Message("79161000003", "plain two", sender="Shop"),
        Message("anna@example.com", Email("Other", subject="Sale", sender="shop@example.com")),
    ]


def test_a_mixed_stream_sends_each_message_once_with_its_channel_grouped_by_channel(
        sandbox: Sandbox, client: Client) -> None:
    outcomes = list(client.send_bulk(_mixed()))
    assert [o.index for o in outcomes] == list(range(6))
    assert all(isinstance(o, Sent) for o in outcomes)
    sent = {m.phone: m for m in sandbox.messages}
    assert len(sandbox.messages) == 6 and len(sent) == 6
    for name in ("ivan@example.com", "petr@example.com", "anna@example.com"):
        assert sent[name].options["mail"] == "1" and sent[name].sender == "shop@example.com"
    assert sent["ivan@example.com"].mes == "Hello\nthere"
    assert sent["ivan@example.com"].options["subj"] == "News" and sent["anna@example.com"].options["subj"] == "Sale"
    assert sent["79161000002"].options["call"] == "1" and sent["79161000002"].options["voice"] == "w2"
    for phone in ("79161000001", "79161000003"):
        assert not {"mail", "call", "subj", "voice"} & set(sent[phone].options)
    assert sent["79161000003"].sender == "Shop"
    # one request per run of the same channel parameters: sms, 2 e-mails, call, sms, other subject
    requests = {}
    for query in (parse_qs(r.params["query"]) for r in sandbox.requests if r.params):
        recipients = tuple(line.partition(":")[0] for line in query["list"][0].split("\n"))
        requests[recipients] = {k: v[0] for k, v in query.items() if k in ("mail", "subj", "call", "voice")}
    assert requests == {
        ("79161000001",): {}, ("ivan@example.com", "petr@example.com"): {"mail": "1", "subj": "News"},
        ("79161000002",): {"call": "1", "voice": "w2"}, ("79161000003",): {},
        ("anna@example.com",): {"mail": "1", "subj": "Sale"}}
    assert [o.id for o in outcomes][1] == [o.id for o in outcomes][2]
    assert len({o.id for o in outcomes}) == 5


def test_a_channel_message_breaking_its_rules_fails_alone(sandbox: Sandbox, client: Client) -> None:
    messages = _mixed()
    messages[2] = Message("petr@example.com", Email("Hi", subject="News", sender="not an address"))
    messages.insert(4, Message("79161000009", Hlr()))
    messages.insert(5, ("79161000010", VoiceCall("x", voice="nobody")))
    outcomes = list(client.send_bulk(messages))
    assert [o.index for o in outcomes] == list(range(8))
    bad = [o for o in outcomes if isinstance(o, Failed)]
    assert [o.index for o in bad] == [2, 5]
    assert all(isinstance(o.error, ValidationError) for o in bad)
    assert bad[0].error is not None and cast(ValidationError, bad[0].error).field == "sender"
    assert sorted(m.phone for m in sandbox.messages) == sorted(
        ["79161000001", "ivan@example.com", "79161000002", "79161000009", "79161000003", "anna@example.com"])
    assert {m.phone: m for m in sandbox.messages}["79161000009"].options["hlr"] == "1"


def test_an_email_recipient_in_a_plain_message_is_refused(sandbox: Sandbox, client: Client) -> None:
    outcomes = list(client.send_bulk([Message("ivan@example.com", "plain text")]))
    assert isinstance(outcomes[0], Failed) and isinstance(outcomes[0].error, ValidationError)
    assert sandbox.messages == []


def test_memory_stays_flat_for_a_stream_of_channels(monkeypatch: pytest.MonkeyPatch, sync_client: Client) -> None:
    def instant(_client: Client, chunk: Chunk) -> SendResult:
        return SendResult(chunk.id, len(chunk), Decimal("0"), None, (), {})

    def stream(n: int) -> Iterator[Message]:
        mail = Email("Hello", subject="News", sender="shop@example.com")
        for i in range(n):
            yield (Message(f"user{i}@example.com", mail) if (i // 500) % 2 else Message(f"7916{i:07d}", f"Hello {i}"))

    _sends(monkeypatch, instant)
    chunks: List[int] = []
    count = 0
    tracemalloc.start()
    try:
        for outcome in sync_client.send_bulk(stream(40_000), lines_per_request=1000,
                                             before_send=lambda c: chunks.append(len(c))):
            count += isinstance(outcome, Sent)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 40_000 and chunks == [500] * 80
    assert peak < 10 * 1024 * 1024, f"peak {peak / 2**20:.1f} MiB"  # the 40,000 messages alone take 7.5 MiB


def test_a_sent_outcome_is_the_same_object_its_constructor_makes() -> None:
    # read_outcomes builds Sent without the frozen constructor (the thread writing chunks makes
    # one per message): equal, same hash and repr, still frozen, and no field forgotten.
    from dataclasses import FrozenInstanceError, asdict, fields

    from smsc_soap._core.bulk import sent
    message = Message("79160000001", "hi")
    values = (7, message, "id-1", ("79160000001",), Decimal("1.5"), ())
    fast, checked = sent(*values), Sent(*values)
    assert fast == checked and hash(fast) == hash(checked) and repr(fast) == repr(checked)
    assert asdict(fast) == asdict(checked) and [f.name for f in fields(Sent)] == list(vars(fast))
    with pytest.raises(FrozenInstanceError):
        fast.id = "other"  # type: ignore[misc]


@pytest.mark.parametrize("ordered", [True, False], ids=["ordered", "as-they-finish"])
def test_an_input_that_breaks_off_first_gets_the_outcomes_of_what_it_gave_then_its_error(
        sandbox: Sandbox, client: Client, ordered: bool) -> None:
    """A file that goes away, a generator that raises: the messages read before went to the
    service, so their outcomes come first, then the input's own error. Before, the error came at
    once, and 200 of these 250 messages were sent with no outcome given."""
    def broken_input() -> Iterator[Message]:
        yield from _messages(250)
        raise OSError("the input file went away")

    outcomes: List[Any] = []
    with pytest.raises(OSError, match="the input file went away") as broke:
        for outcome in client.send_bulk(broken_input(), lines_per_request=100, ordered=ordered):
            outcomes.append(outcome)
    assert sorted(o.index for o in outcomes) == list(range(250)) and all(isinstance(o, Sent) for o in outcomes)
    assert len(sandbox.messages) == 250  # each once
    assert "the 250 messages read before it" in broke.value.__notes__[-1]


def test_a_caller_that_stops_reading_is_told_which_requests_went(
        sandbox: Sandbox, client: Client, caplog: pytest.LogCaptureFixture) -> None:
    """A ``break`` after the first outcome: the five requests in flight still reach the service,
    and the log names each, for reconcile_send, instead of their outcomes going unsaid."""
    sandbox.latency = 0.2
    with caplog.at_level(logging.WARNING, logger="smsc_soap"):
        for outcome in client.send_bulk(_messages(500), lines_per_request=100):
            assert isinstance(outcome, Sent)
            break
    sent_ids = {r.params["id"] for r in sandbox.requests if r.params}
    (warning,) = [r.getMessage() for r in caplog.records if "stopped before its end" in r.getMessage()]
    assert len(sent_ids) == 5 and all(request_id in warning for request_id in sent_ids)
    assert "500 messages in 5 requests" in warning


def test_a_caller_that_reads_every_outcome_gets_no_such_warning(
        sandbox: Sandbox, client: Client, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="smsc_soap"):
        assert len(list(client.send_bulk(_messages(500), lines_per_request=100, ordered=False))) == 500
    assert not [r for r in caplog.records if "stopped before its end" in r.getMessage()]


def test_async_memory_stays_flat_for_200000_messages(monkeypatch: pytest.MonkeyPatch, sandbox: Sandbox) -> None:
    """The async pipeline keeps nothing of a request once its outcomes are given (it kept every
    started task, each holding its outcomes)."""
    import asyncio

    from smsc_soap import AsyncClient

    client = AsyncClient("bulk", "pw", url=sandbox.url)

    async def instant(encoded_list: str, **fields: Any) -> SendResult:
        return SendResult(str(fields["id"]), encoded_list.count("%0A") + 1, Decimal("0"), None, (), {})

    monkeypatch.setattr(client, "send_list", instant)

    async def count_sent() -> int:
        count = 0
        async for outcome in client.send_bulk(_messages(200_000), lines_per_request=1000, ordered=False):
            count += isinstance(outcome, Sent)
        return count

    tracemalloc.start()
    try:
        count = asyncio.run(count_sent())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 200_000
    assert peak < 24 * 1024 * 1024, f"peak {peak / 2**20:.1f} MiB"


def test_requests_still_waiting_for_a_slot_when_the_caller_stops_are_never_sent(
        sandbox: Sandbox, sync_client: Client, caplog: pytest.LogCaptureFixture) -> None:
    """Another thread's bulk send holds every slot of the client: this run's workers wait. Its
    caller stops at the first outcome (a message refused before sending); the waiting requests
    then get their slots, and must not go (before, all three did, after the caller had left)."""
    client = sync_client
    held, release = threading.Event(), threading.Event()

    def hold_every_slot() -> None:
        taken = 0
        while client.bulk_slots.acquire(blocking=False):
            taken += 1
        held.set()
        release.wait(30)
        for _ in range(taken):
            client.bulk_slots.release()

    holder = threading.Thread(target=hold_every_slot)
    holder.start()
    held.wait(5)
    threading.Timer(0.5, release.set).start()  # the slots come free while the run is stopping
    with caplog.at_level(logging.WARNING, logger="smsc_soap"):
        for outcome in client.send_bulk([("not a number", "Hi"), *_messages(300)], lines_per_request=100):
            assert isinstance(outcome, Failed)
            break
    holder.join(10)
    assert sandbox.requests == [] and sandbox.messages == []
    assert not [r for r in caplog.records if "stopped before its end" in r.getMessage()]
