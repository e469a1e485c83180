"""Export tasks (page 002) against the sandbox: typed tasks in every fmt, 0 -> 1 -> 2 on the
sandbox clock, the file streamed (100 MB with bounded memory), refused while not done."""
from __future__ import annotations

import io
import tracemalloc
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

import pytest
from support.clients import sync_stream

import smsc_soap
from smsc_soap import spec
from smsc_soap.errors import RateLimited, TaskNotFound, TaskNotReady
from smsc_soap.http_api.exports import ExportTask, TaskStatus
from smsc_soap.sandbox import Sandbox
from smsc_soap.sandbox.exports import EXPORT_RUN_SECONDS, EXPORT_WAIT_SECONDS

MSK = timezone(timedelta(hours=3))


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(start_time=1_700_000_000) as sb:
        yield sb


@pytest.fixture
def client(sandbox: Sandbox, any_client: Any) -> Iterator[smsc_soap.Client]:
    """Client, then AsyncClient behind the sync facade (tests/support/clients.py)."""
    with any_client("alex", "123", url=sandbox.url) as client:
        yield client


@pytest.mark.parametrize("fmt", [0, 1, 2, 3])
def test_tasks_move_from_waiting_to_running_to_done_in_every_fmt(client: smsc_soap.Client, sandbox: Sandbox,
                                                                 fmt: int) -> None:
    sandbox.add_export("march")
    sandbox.add_export("april")
    waiting = client.exports.get_list(fmt=fmt)
    assert [(t.id, t.name, t.status, t.time, t.file) for t in waiting] == [
        (1, "march", TaskStatus.WAITING, None, ""), (2, "april", TaskStatus.WAITING, None, "")]
    assert waiting[0].created == datetime.fromtimestamp(1_700_000_000, MSK)  # aware, Moscow time
    sandbox.advance(EXPORT_WAIT_SECONDS)
    assert client.exports.get_list(1, fmt=fmt)[0].status is TaskStatus.RUNNING
    sandbox.advance(EXPORT_RUN_SECONDS)
    (done,) = client.exports.get_list(after_id=1, fmt=fmt)
    assert (done.id, done.status, done.done, done.file) == (2, TaskStatus.DONE, True, "april.csv")
    assert done.time == datetime.fromtimestamp(1_700_000_000 + EXPORT_WAIT_SECONDS, MSK)


def test_the_file_lists_the_accounts_sends_as_csv_rows(client: smsc_soap.Client, sandbox: Sandbox) -> None:
    sent = client.send_sms("79161234567", "Hello; world, \"quoted\"")
    sandbox.add_export("all")
    sandbox.advance(EXPORT_WAIT_SECONDS + EXPORT_RUN_SECONDS)
    (task,) = client.exports.get_list()
    with client.exports.rows(task) as rows:
        header, row = list(rows)
    assert header[:2] == ["id", "phone"] and row[:2] == [sent.id, "79161234567"]
    assert row[-1] == "Hello; world, \"quoted\""
    by_name = io.BytesIO()
    assert client.exports.get_file(name="all.csv", to=by_name) == len(by_name.getvalue()) > 0


def test_a_task_not_done_is_refused_without_a_request(client: smsc_soap.Client, sandbox: Sandbox) -> None:
    sandbox.add_export("later")
    (task,) = client.exports.get_list()
    sent = len(sandbox.requests)
    with pytest.raises(TaskNotReady) as caught:
        client.exports.get_file(task, to=io.BytesIO())
    assert caught.value.status is TaskStatus.WAITING and "waiting" in str(caught.value)
    assert len(sandbox.requests) == sent


@pytest.mark.parametrize("status", [TaskStatus.CANCELLED, TaskStatus.FAILED])
def test_cancelled_and_failed_tasks_have_no_file(client: smsc_soap.Client, sandbox: Sandbox, status: int) -> None:
    sandbox.add_export("gone", final=status)
    sandbox.advance(EXPORT_WAIT_SECONDS + EXPORT_RUN_SECONDS)
    (task,) = client.exports.get_list()
    assert task.status is status
    with pytest.raises(TaskNotReady):
        client.exports.get_file(task, to=io.BytesIO())
    with pytest.raises(TaskNotFound):  # asked by id, the service answers 5
        client.exports.get_file(task.id, to=io.BytesIO())


@pytest.mark.parametrize("fmt", [0, 1, 2, 3])
def test_an_unknown_task_is_error_5_in_every_fmt(client: smsc_soap.Client, fmt: int) -> None:
    if isinstance(client, smsc_soap.Client):
        call = client._http.prepare("exports.get_file", {"id": "77"}, fmt=fmt)
        opened = client._http.stream(call, spec.TASK_FIELDS)
    else:  # the async shell's, entered on the facade's loop
        call = client._pages.prepare("exports.get_file", {"id": "77"}, fmt=fmt)
        opened = sync_stream(client._pages.stream(call, spec.TASK_FIELDS))
    with pytest.raises(TaskNotFound) as caught, opened:
        pass
    assert caught.value.code == 5


def test_a_path_gets_the_whole_file_or_nothing(client: smsc_soap.Client, sandbox: Sandbox, tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    with pytest.raises(TaskNotFound):
        client.exports.get_file(5, to=target)
    assert list(tmp_path.iterdir()) == []
    sandbox.add_export("x", synthetic_rows=3)
    sandbox.advance(EXPORT_WAIT_SECONDS + EXPORT_RUN_SECONDS)
    assert client.exports.get_file(1, to=target) == target.stat().st_size
    assert target.read_text().count("\n") == 4


@pytest.mark.parametrize("synthetic_rows", [3, 20_000])  # one piece, and many (the cut falls past the first)
def test_a_file_cut_short_of_its_content_length_is_an_error_and_leaves_no_file(
        client: smsc_soap.Client, sandbox: Sandbox, tmp_path: Path, synthetic_rows: int) -> None:
    """The connection breaks before every byte the headers announced came: a typed error (with
    urllib3 1.x too, which does not check a streamed body's length), and no file kept."""
    sandbox.add_export("x", synthetic_rows=synthetic_rows)
    sandbox.advance(EXPORT_WAIT_SECONDS + EXPORT_RUN_SECONDS)
    sandbox.inject("truncated", operation="exports.get_file", honest_length=False)
    with pytest.raises(smsc_soap.ConnectionError):
        client.exports.get_file(1, to=tmp_path / "out.csv")
    assert list(tmp_path.iterdir()) == []


def test_more_than_three_identical_requests_a_minute_is_9(client: smsc_soap.Client) -> None:
    for _ in range(spec.EXPORT_IDENTICAL_PER_MINUTE):
        client.exports.get_list()
    with pytest.raises(RateLimited):
        client.exports.get_list()
    assert client.exports.get_list(cnt=5) == ()  # another request


def test_a_100_mb_file_streams_with_bounded_memory(client: smsc_soap.Client, sandbox: Sandbox) -> None:
    sandbox.add_export("big", synthetic_rows=1_000_000)
    sandbox.advance(EXPORT_WAIT_SECONDS + EXPORT_RUN_SECONDS)
    (task,) = client.exports.get_list()
    rows = 0
    tracemalloc.start()
    try:
        with client.exports.stream(task) as pieces:
            size = sum(len(piece) for piece in pieces)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert size >= 100 * 1000 * 1000
    assert peak < 20 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"
    with client.exports.rows(ExportTask(1, "big", TaskStatus.DONE, None, None, "big.csv")) as reader:
        for rows, row in enumerate(reader, start=0):
            if rows >= 5:
                break
    assert rows == 5


def test_records_keep_a_quoted_field_spanning_lines_whole_however_the_bytes_are_cut() -> None:
    from smsc_soap.http_api.exports import Records, csv_rows

    data = 'id;mes\n1;"two\nlines ""quoted"""\n2;plain\n'.encode(spec.EXPORT_CSV_ENCODING)
    for cut in range(1, len(data)):
        records = Records()
        whole = records.feed(data[:cut]) + records.feed(data[cut:]) + records.end()
        assert list(csv_rows(whole)) == [["id", "mes"], ["1", 'two\nlines "quoted"'], ["2", "plain"]], cut
