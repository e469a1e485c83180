"""The bulk journal (issue 20): locked, bound to its input, resumed quickly, never sending twice;
the same guarantees from smsc-soap bulk and from send_bulk(journal=), sync and async."""
from __future__ import annotations

import asyncio
import collections
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Dict, List

import pytest

import smsc_soap
from smsc_soap import AsyncClient, Client, journal
from smsc_soap._core import journal as core
from smsc_soap.bulk import Failed, Message, Sent
from smsc_soap.cli import EXIT_CODES, EXIT_LOCKED, main
from smsc_soap.cli_bulk import read_rows
from smsc_soap.sandbox import Sandbox
from support.bulk import bulk_env as _env, ledger as _ledger, sandbox  # noqa: F401 - sandbox: the fixture
from support.processes import Child
from support.signals import ctrl_c_reaches_python

ROOT = Path(__file__).resolve().parents[1]


def _rows(path: Path, first: int, count: int) -> Path:
    path.write_text("".join(json.dumps({"phone": f"79{first + i:09d}", "text": f"hi {i}"}) + "\n"
                            for i in range(count)))
    return path


def _records(path: Path) -> List[Dict[str, Any]]:
    out: List[Dict[str, Any]] = []
    if not path.exists():
        return out
    for line in path.read_text().splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out


def _each_once(sandbox: Sandbox, first: int, count: int) -> bool:
    return _ledger(sandbox) == {f"79{first + i:09d}": 1 for i in range(count)}


# --- 2. exclusive --------------------------------------------------------------------------------


def test_a_second_run_on_a_locked_journal_exits_at_once_and_sends_nothing(tmp_path: Path) -> None:
    rows = 60
    source = _rows(tmp_path / "m.jsonl", 161000000, rows)
    journal_path = tmp_path / "m.jsonl.results.jsonl"
    command = [sys.executable, "-m", "smsc_soap.cli", "bulk", str(source), "--lines-per-request", "2",
               "--concurrency", "2"]
    with Sandbox(accounts=["bulk:pw:100000"], latency=0.1) as sandbox:
        env = dict(os.environ, **_env(sandbox), PYTHONPATH=str(ROOT))
        first = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 30
            while not any(r.get("event") == "pending" for r in _records(journal_path)) and time.monotonic() < deadline:
                time.sleep(0.02)
            second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=30)
            assert first.poll() is None  # the second one ended while the first still ran
        finally:
            assert first.wait(60) == 0
        assert second.returncode == EXIT_LOCKED and "in use by another run" in second.stderr
        assert "Traceback" not in second.stderr
        assert _each_once(sandbox, 161000000, rows)  # exactly N in the ledger
    assert "locked" in EXIT_CODES[EXIT_LOCKED]


def test_the_library_refuses_a_journal_another_send_bulk_holds(tmp_path: Path, sandbox: Sandbox) -> None:
    path = tmp_path / "j.jsonl"
    with Client("bulk", "pw", url=sandbox.url) as client:
        holding = client.send_bulk([("79161000001", "a")], journal=str(path))
        with pytest.raises(journal.JournalLocked) as refused:
            client.send_bulk([("79161000001", "a")], journal=str(path))
        assert isinstance(refused.value, smsc_soap.SmscError)
        assert [type(o) for o in holding] == [Sent]  # ends the run and unlocks
        assert list(client.send_bulk([("79161000001", "a")], journal=str(path))) == []  # sent before
    assert _ledger(sandbox) == {"79161000001": 1}


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_process_forked_during_a_run_does_not_keep_its_journal_locked(tmp_path: Path, sandbox: Sandbox) -> None:
    """A child forked while a run holds its journal (a multiprocessing pool started meanwhile)
    gets a copy of the locked file; the lock lives while any copy is open, so the journal stayed
    locked for as long as the child lived, after the run had ended. The child closes its copy."""
    path = tmp_path / "j.jsonl"
    with Client("bulk", "pw", url=sandbox.url) as client:
        holding = client.send_bulk([("79161000001", "a")], journal=str(path))
        child = Child(lambda: time.sleep(3))  # alive while the run ends and the next one starts
        assert [type(o) for o in holding] == [Sent]  # ends the run and unlocks
        try:
            assert list(client.send_bulk([("79161000001", "a")], journal=str(path))) == []  # not locked: sent before
        finally:
            child.result()
    assert _ledger(sandbox) == {"79161000001": 1}


def test_two_runs_past_the_lock_meet_the_duplicate_guard(tmp_path: Path, sandbox: Sandbox,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A file system where the lock does nothing: the chunk ids come from the journal and the
    rows, so both runs make identical requests and the service refuses the second (error 9)."""
    monkeypatch.setattr(journal, "_lock", lambda fd, path: None)
    messages = [(f"79{162000000 + i:09d}", f"hi {i}") for i in range(40)]
    path = str(tmp_path / "j.jsonl")
    journal.send_bulk(Client("bulk", "pw", url=sandbox.url), [], path).close()  # the header, made once
    outcomes: List[List[Any]] = []

    def one_run() -> None:
        with Client("bulk", "pw", url=sandbox.url) as client:
            outcomes.append(list(client.send_bulk(messages, journal=path, lines_per_request=5)))

    threads = [threading.Thread(target=one_run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert _each_once(sandbox, 162000000, 40)
    events = collections.Counter(r["event"] for r in _records(Path(path)) if "row" in r)
    assert events["sent"] + events["unknown"] == 80 and events["failed"] == 0  # refused ones: to look up
    with Client("bulk", "pw", url=sandbox.url) as client:  # and a third run sends nothing more
        assert [o for o in client.send_bulk(messages, journal=path) if isinstance(o, Sent)] == []
    assert _each_once(sandbox, 162000000, 40)


def test_chunk_ids_come_from_the_journal_and_the_rows() -> None:
    rows = [(1, "a" * 32), (2, "b" * 32)]
    assert core.chunk_id("n", rows) == core.chunk_id("n", list(rows))
    assert core.chunk_id("n", rows) != core.chunk_id("other journal", rows)
    assert core.chunk_id("n", rows) != core.chunk_id("n", rows[:1])
    assert len(core.chunk_id("n", rows)) <= 40 and core.chunk_id("n", rows)[0].isalpha()  # 004:35


# --- 3. bound to its input -----------------------------------------------------------------------


def test_a_journal_of_another_file_is_refused(tmp_path: Path, sandbox: Sandbox,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    x = _rows(tmp_path / "x.jsonl", 163000000, 3)
    y = _rows(tmp_path / "y.jsonl", 163000100, 50)
    shared = str(tmp_path / "j.jsonl")
    assert main(["bulk", str(x), "--results", shared], env=_env(sandbox)) == 0
    capsys.readouterr()
    assert main(["bulk", str(y), "--results", shared], env=_env(sandbox)) == 2
    err = capsys.readouterr().err
    assert "another file" in err and str(x) in err and "nothing was sent" in err and "Traceback" not in err
    assert _each_once(sandbox, 163000000, 3)  # nothing of y


def test_a_file_changed_since_is_refused(tmp_path: Path, sandbox: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    x = _rows(tmp_path / "x.jsonl", 164000000, 3)
    assert main(["bulk", str(x)], env=_env(sandbox)) == 0
    with x.open("a") as file:
        file.write(json.dumps({"phone": "79164000099", "text": "one more"}) + "\n")
    capsys.readouterr()
    assert main(["bulk", str(x)], env=_env(sandbox)) == 2
    assert "changed since the journal was made" in capsys.readouterr().err
    assert _each_once(sandbox, 164000000, 3)


def test_the_library_refuses_other_messages_before_sending_any(tmp_path: Path, sandbox: Sandbox) -> None:
    path = str(tmp_path / "j.jsonl")
    with Client("bulk", "pw", url=sandbox.url) as client:
        assert len(list(client.send_bulk([("79165000001", "a"), ("79165000002", "b")], journal=path))) == 2
        with pytest.raises(journal.JournalMismatch, match="row 2 is not the row"):
            client.send_bulk([("79165000001", "a"), ("79165000002", "changed"), ("79165000003", "c")], journal=path)
        with pytest.raises(journal.JournalMismatch, match="ends at row 1"):
            client.send_bulk([("79165000001", "a")], journal=path)
        with pytest.raises(journal.JournalMismatch, match="source"):
            client.send_bulk([], journal=path, source="another list")
    assert sorted(_ledger(sandbox)) == ["79165000001", "79165000002"]


def test_the_journal_is_never_opened_through_a_link(tmp_path: Path, sandbox: Sandbox) -> None:
    target = tmp_path / "elsewhere"
    target.write_text("")
    (tmp_path / "j.jsonl").symlink_to(target)
    with Client("bulk", "pw", url=sandbox.url) as client:
        with pytest.raises(journal.JournalError, match="symbolic link"):
            client.send_bulk([("79165000001", "a")], journal=str(tmp_path / "j.jsonl"))
    assert target.read_text() == "" and not sandbox.messages


def test_a_new_journal_gets_the_umasks_mode(tmp_path: Path, sandbox: Sandbox) -> None:
    old = os.umask(0o027)
    try:
        with Client("bulk", "pw", url=sandbox.url) as client:
            list(client.send_bulk([("79165000004", "a")], journal=str(tmp_path / "j.jsonl")))
    finally:
        os.umask(old)
    assert (tmp_path / "j.jsonl").stat().st_mode & 0o777 == 0o640


# --- 4. fast, visible resume ---------------------------------------------------------------------


def _killed_journal(tmp_path: Path, sandbox: Sandbox, messages: List[Any], sent: int) -> str:
    """A journal whose run died after ``sent`` of the requests it had started went out."""
    path = str(tmp_path / "j.jsonl")
    calls = [0]
    real = journal.Plan.before_send

    def before_send(plan: journal.Plan, chunk: Any) -> None:
        real(plan, chunk)
        calls[0] += 1
        if calls[0] > sent:
            raise KeyboardInterrupt  # the process dies with its pending record on disk, unsent

    with Client("bulk", "pw", url=sandbox.url, timeout=1) as client:  # the resume waits that long at most
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(journal.Plan, "before_send", before_send)
            with pytest.raises(KeyboardInterrupt):
                for _ in client.send_bulk(messages, journal=path, lines_per_request=4, concurrency=1):
                    pass
    return path


def _pending_journal(source: Path, first: int, rows: int, per_request: int) -> Path:
    """The journal of a run of ``source`` killed with every request pending: request n has id pn."""
    results = source.with_name(source.name + ".results.jsonl")
    digests = [journal.item_digest(message) for _, message in read_rows(str(source))]
    chunks = [list(range(n, min(n + per_request, rows))) for n in range(0, rows, per_request)]
    results.write_text(json.dumps(core.header("n", journal.file_source(str(source))[0])) + "\n" + "".join(
        json.dumps({"event": "pending", "id": f"p{n}", "rows": [i + 1 for i in chunk],
                    "digests": [digests[i] for i in chunk], "phones": [[f"79{first + i:09d}"] for i in chunk]}) + "\n"
        for n, chunk in enumerate(chunks)))
    return results


def test_the_resume_looks_up_pending_rows_at_once_and_shows_it(tmp_path: Path, sandbox: Sandbox,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    rows = 60
    source = _rows(tmp_path / "m.jsonl", 166000000, rows)
    _pending_journal(source, 166000000, rows, per_request=6)
    with Client("bulk", "pw", url=sandbox.url) as client:  # the first half of the requests went out
        for n in range(5):
            client.send_sms2(None, None, id=f"p{n}", list=[(f"79{166000000 + i:09d}", f"hi {i}")
                                                            for i in range(6 * n, 6 * n + 6)])
    sandbox.latency = 0.2  # each lookup: a 200 ms round trip
    start = time.monotonic()
    assert main(["bulk", str(source)], env=_env(sandbox)) == 0
    elapsed = time.monotonic() - start
    assert _each_once(sandbox, 166000000, rows)
    captured = capsys.readouterr()
    assert "looking up 60 rows that may have been sent" in captured.err
    assert "checked 60 of 60 rows" in captured.err and "(30 sent before)" in captured.out
    assert elapsed < rows * 0.2 / 2  # generous: one lookup at a time takes 60 x 0.2 s
    found = [r for r in _records(source.with_name("m.jsonl.results.jsonl")) if r.get("reconciled")]
    assert sorted(r["row"] for r in found) == list(range(1, 31))  # each request found by one of its rows


def test_a_resume_looks_up_with_the_logins_whole_bound_and_no_more(tmp_path: Path, sandbox: Sandbox) -> None:
    """The lookups run before anything is sent: by default they use every slot the client's
    limits allow (more than a bulk send's 10), and the service never refuses one of them."""
    rows = 60
    source = _rows(tmp_path / "m.jsonl", 166200000, rows)
    _pending_journal(source, 166200000, rows, per_request=6)  # no request went out: every row asked
    messages = [Message(m.phones, m.text) for _, m in read_rows(str(source)) if isinstance(m, Message)]
    sandbox.latency = 0.2
    with Client("bulk", "pw", url=sandbox.url) as client:
        bound = smsc_soap.limits.concurrency_of(client.limits)
        list(client.send_bulk(messages, journal=str(source.with_name("m.jsonl.results.jsonl")),
                              source=journal.file_source(str(source))[0]))
    assert _each_once(sandbox, 166200000, rows)
    assert sandbox.concurrency.refused == 0
    assert smsc_soap.spec.BULK_CONCURRENT_REQUESTS < sandbox.concurrency.peak <= bound


def test_lookups_ask_the_first_row_of_each_request_first() -> None:
    open_rows = {1: ("a", ("1",), 1), 2: ("a", ("2",), 1), 3: ("b", ("3",), 2), 4: ("b", ("4",), 2), 5: ("c", ("5",), 3)}
    assert [lookup[2][0] for lookup in core.lookup_order(open_rows)] == ["1", "3", "5", "2", "4"]
    state = core.State(open=dict(open_rows))
    assert state.request_found(1) == [1, 2] and state.sent == {1, 2} and set(state.open) == {3, 4, 5}


def test_on_check_reports_the_lookups(tmp_path: Path, sandbox: Sandbox) -> None:
    messages = [(f"79{166100000 + i:09d}", f"hi {i}") for i in range(40)]
    path = _killed_journal(tmp_path, sandbox, messages, sent=6)
    checks: List[Any] = []
    with Client("bulk", "pw", url=sandbox.url) as client:
        run = client.send_bulk(messages, journal=path, on_check=lambda done, total: checks.append((done, total)))
        assert isinstance(run, journal.JournaledSend)
        list(run)
    assert checks and checks[-1][0] == checks[-1][1] > 0
    assert [done for done, _ in checks] == sorted({done for done, _ in checks})
    assert _each_once(sandbox, 166100000, 40)


def test_ctrl_c_while_looking_up_says_how_to_resume(tmp_path: Path) -> None:
    source = _rows(tmp_path / "m.jsonl", 167000000, 30)
    _pending_journal(source, 167000000, 30, per_request=1)
    with Sandbox(accounts=["bulk:pw:100000"], latency=1.0) as sandbox:
        env = dict(os.environ, **_env(sandbox), PYTHONPATH=str(ROOT))
        proc = subprocess.Popen([sys.executable, "-m", "smsc_soap.cli", "bulk", str(source), "--concurrency", "2"],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                preexec_fn=ctrl_c_reaches_python)
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert "looking up 30 rows" in line
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        err = proc.stderr.read()
        assert proc.wait(30) == 130
        assert "interrupted while looking up" in err and "run the same command again to resume" in err
        assert not sandbox.messages


def test_ctrl_c_while_requests_are_in_flight_ends_the_command_at_once(tmp_path: Path) -> None:
    """Their pending records are on disk, so a resume looks them up: nothing is gained by waiting
    for their answers. The command waited for them (up to the request timeout), and a second
    Ctrl+C did not help."""
    source = _rows(tmp_path / "m.jsonl", 174000000, 10)
    results = tmp_path / "m.jsonl.results.jsonl"
    with Sandbox(accounts=["bulk:pw:100000"], latency=8.0, realtime=True) as sandbox:
        env = dict(os.environ, **_env(sandbox), PYTHONPATH=str(ROOT))
        proc = subprocess.Popen([sys.executable, "-m", "smsc_soap.cli", "bulk", str(source), "--lines-per-request", "2",
                                 "--concurrency", "2", "--request-timeout", "20"], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True, preexec_fn=ctrl_c_reaches_python)
        deadline = time.monotonic() + 30
        while sum(r.get("event") == "pending" for r in _records(results)) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        interrupted = time.monotonic()
        err = proc.communicate(timeout=30)[1]
        assert proc.returncode == 130 and time.monotonic() - interrupted < 4  # not the 8 s answers
        assert "run the same command again to resume" in err
    assert [r["event"] for r in _records(results)[1:]] == ["pending", "pending"]  # to be looked up


# --- kill -9 at several moments ------------------------------------------------------------------


@pytest.mark.parametrize("after_pending", [1, 4, 9])
def test_kill_9_at_several_moments_then_resume_sends_each_once(tmp_path: Path, after_pending: int) -> None:
    rows = 80
    source = _rows(tmp_path / "m.jsonl", 168000000, rows)
    results = tmp_path / "m.jsonl.results.jsonl"
    with Sandbox(accounts=["bulk:pw:100000"], latency=0.1) as sandbox:
        env = dict(os.environ, **_env(sandbox), PYTHONPATH=str(ROOT))
        proc = subprocess.Popen([sys.executable, "-m", "smsc_soap.cli", "bulk", str(source), "--lines-per-request",
                                 "4", "--concurrency", "3", "--request-timeout", "1"], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                if sum(r.get("event") == "pending" for r in _records(results)) >= after_pending:
                    break
                time.sleep(0.005)
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            proc.wait(30)
        assert len(sandbox.messages) < rows
        assert main(["bulk", str(source), "--lines-per-request", "4"], env=_env(sandbox)) == 0
        assert _each_once(sandbox, 168000000, rows)


def test_kill_9_during_the_lookups_then_resume_sends_each_once(tmp_path: Path) -> None:
    source = _rows(tmp_path / "m.jsonl", 168500000, 30)
    _pending_journal(source, 168500000, 30, per_request=3)
    with Sandbox(accounts=["bulk:pw:100000"], latency=0.3) as sandbox:
        env = dict(os.environ, **_env(sandbox), PYTHONPATH=str(ROOT))
        proc = subprocess.Popen([sys.executable, "-m", "smsc_soap.cli", "bulk", str(source), "--concurrency", "2"],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        assert proc.stderr is not None
        assert "looking up 30 rows" in proc.stderr.readline()
        time.sleep(0.5)
        proc.kill()
        proc.wait(30)
        proc.stderr.close()
        sandbox.latency = 0.0
        assert main(["bulk", str(source)], env=_env(sandbox)) == 0
        assert _each_once(sandbox, 168500000, 30)


def test_a_resume_waits_until_the_killed_runs_requests_could_have_arrived() -> None:
    state = core.State()
    state.apply({"event": "pending", "id": "a", "rows": [1], "digests": ["d"], "phones": [["1"]],
                 "settle_after": 1000.0})
    assert state.wait_seconds(990.0) == 10.0 and state.wait_seconds(1001.0) == 0.0
    state.settle_after["a"] = 1e12  # a tampered value: the wait stays bounded
    assert state.wait_seconds(0.0) == core.SETTLE_WAIT_LIMIT
    state.apply({"event": "sent", "row": 1, "digest": "d", "id": "a", "phones": ["1"]})
    assert state.wait_seconds(0.0) == 0.0  # nothing open: nothing to wait for


def test_send_bulk_journal_resumes_sync(tmp_path: Path, sandbox: Sandbox) -> None:
    messages = [Message(f"79{169000000 + i:09d}", f"hi {i}") for i in range(30)]
    path = _killed_journal(tmp_path, sandbox, messages, sent=3)
    assert 0 < len(sandbox.messages) < 30
    with Client("bulk", "pw", url=sandbox.url) as client:
        run = client.send_bulk(messages, journal=path, lines_per_request=4)
        outcomes = list(run)
    assert _each_once(sandbox, 169000000, 30)
    assert all(isinstance(o, Sent) for o in outcomes)
    assert [o.index for o in outcomes] == sorted(o.index for o in outcomes)  # input positions
    assert run.sent_before + run.reconciled + run.counts["sent"] == 30


def test_send_bulk_journal_resumes_async(tmp_path: Path, sandbox: Sandbox) -> None:
    messages = [Message(f"79{170000000 + i:09d}", f"hi {i}") for i in range(30)]
    path = _killed_journal(tmp_path, sandbox, messages, sent=3)

    async def resume() -> List[Any]:
        async with AsyncClient("bulk", "pw", url=sandbox.url) as client:
            with pytest.raises(journal.JournalMismatch):
                client.send_bulk(messages[:5], journal=path)
            return [o async for o in client.send_bulk(messages, journal=path, lines_per_request=4)]

    outcomes = asyncio.run(resume())
    assert _each_once(sandbox, 170000000, 30)
    assert outcomes and all(isinstance(o, Sent) for o in outcomes)


def test_async_send_bulk_journal_is_locked_too(tmp_path: Path, sandbox: Sandbox) -> None:
    path = str(tmp_path / "j.jsonl")

    async def both() -> None:
        async with AsyncClient("bulk", "pw", url=sandbox.url) as client:
            first = client.send_bulk([("79171000001", "a")], journal=path)
            with pytest.raises(journal.JournalLocked):
                client.send_bulk([("79171000001", "a")], journal=path)
            assert [type(o) async for o in first] == [Sent]

    asyncio.run(both())
    assert _ledger(sandbox) == {"79171000001": 1}


# --- the public reconcile of any (id, phones) ------------------------------------------------------


def test_reconcile_send_takes_any_id_and_phones(sandbox: Sandbox) -> None:
    with Client("bulk", "pw", url=sandbox.url) as client:
        client.send_sms("79172000001", "hi", id="order-1")
        found = client.reconcile_send("order-1", ["79172000009", "79172000001"])
        assert found.found and found.phone == "79172000001" and found.status is not None
        assert not client.reconcile_send("order-2", "79172000001").found
        with pytest.raises(smsc_soap.ValidationError):
            client.reconcile_send("order-1", [])

    async def lookup() -> bool:
        async with AsyncClient("bulk", "pw", url=sandbox.url) as client:
            return (await client.reconcile_send("order-1", "79172000001")).found

    assert asyncio.run(lookup())


# --- 5. bad input fails alone; a bad journal stops the run -----------------------------------------


@pytest.mark.parametrize("line", ["null", "[1, 2]", '{"event": "pending", "id": "x"}',
                                  '{"event": "sent"}', '{"event": "what"}', "not json"])
def test_an_unreadable_journal_line_stops_the_run_before_anything_is_sent(
        tmp_path: Path, sandbox: Sandbox, capsys: pytest.CaptureFixture[str], line: str) -> None:
    source = _rows(tmp_path / "m.jsonl", 173000000, 3)
    results = tmp_path / "m.jsonl.results.jsonl"
    results.write_text(json.dumps(core.header("n", journal.file_source(str(source))[0])) + "\n" + line + "\n")
    assert main(["bulk", str(source)], env=_env(sandbox)) == 2
    err = capsys.readouterr().err
    assert "line 2" in err and "Traceback" not in err
    assert not sandbox.messages


def test_a_journal_without_a_header_is_refused(tmp_path: Path, sandbox: Sandbox,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    source = _rows(tmp_path / "m.jsonl", 173100000, 2)
    (tmp_path / "m.jsonl.results.jsonl").write_text(json.dumps(
        {"event": "pending", "id": "k1", "rows": [1], "phones": [["79173100000"]]}) + "\n")  # an older smsc-soap's
    assert main(["bulk", str(source)], env=_env(sandbox)) == 2
    assert "no journal header" in capsys.readouterr().err and not sandbox.messages


def test_a_torn_last_line_is_a_kill_and_is_dropped() -> None:
    good = json.dumps(core.header("n", {"kind": "messages", "label": None})).encode() + b"\n"
    state, keep = core.read(good + b'{"event": "sent", "ro')
    assert state is not None and keep == len(good)
    with pytest.raises(core.JournalCorrupt, match="line 2"):
        core.read(good + b'{"event": "sent", "ro\n' + b"{}")  # torn, but not last: tampered
    assert core.read(b'{"event": "jour') == (None, 0)  # killed while writing the header: a new one


def test_a_sent_row_stays_sent() -> None:
    state = core.State()
    state.apply({"event": "sent", "row": 1, "digest": "d", "id": "x", "phones": ["1"]})
    state.apply({"event": "unknown", "row": 1, "digest": "d", "id": "x", "phones": ["1"]})
    state.apply({"event": "failed", "row": 1, "digest": "d"})
    assert state.sent == {1} and not state.open and not state.failed


def test_a_huge_field_and_a_latin_1_row_fail_alone(tmp_path: Path, sandbox: Sandbox,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "m.csv"
    source.write_bytes(b"phone,text\n79174000001,one\n79174000002," + b"x" * 200_000 + b"\n"
                       + b"79174000003,caf\xe9\n,no phone\n79174000005,five\n")
    assert main(["bulk", str(source)], env=_env(sandbox)) == 1
    captured = capsys.readouterr()
    assert sorted(_ledger(sandbox)) == ["79174000001", "79174000005"]
    failed = {r["row"]: r["error"] for r in _records(tmp_path / "m.csv.results.jsonl") if r["event"] == "failed"}
    assert sorted(failed) == [2, 3, 4]
    assert "field larger than field limit" in failed[2] and "--encoding" in failed[3] and "required" in failed[4]
    for row in (2, 3, 4):
        assert f"row {row} failed" in captured.err
    assert "3 unreadable row" in captured.out  # counted by reason
    assert "Traceback" not in captured.err


def test_encoding_reads_a_latin_1_file(tmp_path: Path, sandbox: Sandbox) -> None:
    source = tmp_path / "m.csv"
    source.write_bytes(b"phone,text\n79175000001,caf\xe9\n")
    assert main(["bulk", str(source), "--encoding", "latin-1"], env=_env(sandbox)) == 0
    assert [m.mes for m in sandbox.messages] == ["café"]
    assert main(["bulk", str(source), "--encoding", "no-such"], env=_env(sandbox)) == 2


# --- 6. the command tells the truth ---------------------------------------------------------------


def test_sandbox_account_and_failures_with_their_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = _rows(tmp_path / "m.jsonl", 176000000, 12)
    assert main(["bulk", "--sandbox", "--account", "me:pw:10.00", str(source), "--lines-per-request", "2"]) == 1
    captured = capsys.readouterr()
    # Each failure on screen with its reason. Which rows run out of money depends on which of the
    # requests in flight at once the sandbox takes first: count them, do not name one.
    failures = re.findall(r"row (\d+) failed: (.*)", captured.err)
    counted = re.search(r"(\d+) sent, (\d+) failed, 0 unknown", captured.out)
    assert counted is not None and int(counted.group(2)) == len({row for row, _ in failures}) == len(failures) > 0
    assert all(reason.startswith("send_sms2: error 3: insufficient funds") for _, reason in failures)
    assert "InsufficientFunds (error 3" in captured.out  # and counted by reason at the end
    assert main(["bulk", "--account", "me:pw:10.00", str(source)], env={}) == 2  # --account needs --sandbox


def test_bulk_exit_codes_are_in_the_table() -> None:
    assert EXIT_LOCKED not in (0, 1, 2, 3, 4, 5, 130) and EXIT_LOCKED in EXIT_CODES


def test_failed_rows_are_tried_again_on_a_rerun(tmp_path: Path, sandbox: Sandbox) -> None:
    sandbox.set_balance("bulk", "0")
    path = str(tmp_path / "j.jsonl")
    messages = [("79177000001", "a"), ("79177000002", "b")]
    with Client("bulk", "pw", url=sandbox.url) as client:
        assert all(isinstance(o, Failed) for o in client.send_bulk(messages, journal=path))
        sandbox.set_balance("bulk", "100")
        assert all(isinstance(o, Sent) for o in client.send_bulk(messages, journal=path))
    assert _ledger(sandbox) == {"79177000001": 1, "79177000002": 1}


# --- what a journal belongs to, what it writes, and whose rows a lookup settles -------------------


def _once_each(messages: List[Any]) -> Dict[str, int]:
    return {message[0]: 1 for message in messages}


def test_a_record_the_disk_cannot_take_whole_stops_its_request(tmp_path: Path, sandbox: Sandbox,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A full disk (or a file size limit) cuts a write short. A pending record not written whole
    must stop its request: a resume drops a torn last line as a request that never left, and sent
    its rows again. The run stops with a JournalError, the file keeps no torn record, and the next
    run sends each message once."""
    import types

    messages = [(f"79{168000000 + i:09d}", f"hi {i}") for i in range(20)]
    path = tmp_path / "j.jsonl"
    full = types.ModuleType("os")  # the os the journal module sees: a disk that fills on request 2
    full.__dict__.update(vars(os))

    def short_write(fd: int, data: bytes) -> int:
        if b'"pending"' in data and b'"rows": [6,' in data or full.__dict__.get("filled"):
            full.__dict__["filled"] = True
            return os.write(fd, data[:len(data) // 2]) if b'"pending"' in data else 0
        return os.write(fd, data)

    full.__dict__["write"] = short_write
    with Client("bulk", "pw", url=sandbox.url) as client:
        with monkeypatch.context() as patch:
            patch.setattr(journal, "os", full)
            with pytest.raises(journal.JournalError, match="was not sent"):
                list(client.send_bulk(messages, journal=str(path), lines_per_request=5, concurrency=1))
        assert _ledger(sandbox) == _once_each(messages[:5])  # the first request only
        assert path.read_bytes().endswith(b"\n") and core.read(path.read_bytes())[1] == path.stat().st_size
        assert [type(o) for o in client.send_bulk(messages, journal=str(path), lines_per_request=5)] == [Sent] * 15
    assert _ledger(sandbox) == _once_each(messages)


def test_a_journal_is_refused_under_another_login_or_service(tmp_path: Path) -> None:
    """A resume looks its open rows up under its client's login, at its client's service: under
    another login (or at a sandbox, after a dry run) it finds none and sent them all again, or
    skipped rows the journal had from elsewhere. The journal names both, and is refused."""
    messages = [(f"79{169000000 + i:09d}", f"hi {i}") for i in range(12)]
    with Sandbox(accounts=["bulk:pw:100000", "other:pw:100000"]) as sandbox:
        path = _killed_journal(tmp_path, sandbox, messages, sent=1)
        before = _ledger(sandbox)
        with Client("other", "pw", url=sandbox.url) as other:
            with pytest.raises(journal.JournalMismatch, match="made under login 'bulk', this run is login 'other'"):
                other.send_bulk(messages, journal=path)
        elsewhere = sandbox.url.replace("//127.0.0.1:", "//localhost:")
        with Client("bulk", "pw", url=elsewhere) as moved:
            with pytest.raises(journal.JournalMismatch, match="made against 127.0.0.1, this run talks to localhost"):
                moved.send_bulk(messages, journal=path)
        assert _ledger(sandbox) == before  # nothing sent by either
        with Client("bulk", "pw", url=sandbox.url) as client:  # its own login and service: resumed
            list(client.send_bulk(messages, journal=path, lines_per_request=4))
        assert _each_once(sandbox, 169000000, 12)


@pytest.mark.parametrize("login", ["alex", "bulk"])  # the sandbox's own login, or another
def test_a_dry_run_in_the_sandbox_does_not_stand_for_the_real_run(tmp_path: Path, login: str,
                                                                   monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """``bulk FILE --sandbox``, then ``bulk FILE``: the dry run's journal sat where the real run
    looks (FILE.results.jsonl), and said every row was sent: the real run sent none (exit 0).
    A dry run keeps its own journal, FILE.sandbox.results.jsonl."""
    source = _rows(tmp_path / "m.jsonl", 170000000, 5)
    assert main(["bulk", str(source), "--sandbox"]) == 0
    assert (tmp_path / "m.jsonl.sandbox.results.jsonl").exists() and not (tmp_path / "m.jsonl.results.jsonl").exists()
    with Sandbox(accounts=[f"{login}:pw:100000"]) as real:  # stands for the service
        monkeypatch.setenv("SMSC_LOGIN", login)
        monkeypatch.setenv("SMSC_PASSWORD", "pw")
        monkeypatch.setenv("SMSC_URL", real.url)
        assert main(["bulk", str(source)]) == 0
        assert _each_once(real, 170000000, 5)
    assert "5 sent, 0 failed, 0 unknown (0 sent before)" in capsys.readouterr().out


def test_rows_that_share_their_own_id_are_settled_request_by_request(tmp_path: Path, sandbox: Sandbox) -> None:
    """Rows with the same id of their own go in several requests when they do not fit one. A
    resume found one of them, and took every open row of that id for sent: the rows of the
    requests that never left were recorded sent, and never sent."""
    messages = [Message(f"79{171000000 + i:09d}", f"hi {i}", id="order-7") for i in range(5)]
    path = tmp_path / "j.jsonl"
    rows = [(row, journal.item_digest(message)) for row, message in enumerate(messages, 1)]
    requests = [rows[0:2], rows[2:4], rows[4:5]]  # lines_per_request=2: three requests of one id
    path.write_text(json.dumps(core.header("n", journal.source_header(None), journal.owner_of(
        Client("bulk", "pw", url=sandbox.url)))) + "\n" + "".join(
        json.dumps({"event": "pending", "id": "order-7", "rows": [row for row, _ in request],
                    "digests": [d for _, d in request], "phones": [[messages[row - 1].phones] for row, _ in request]})
        + "\n" for request in requests))
    with Client("bulk", "pw", url=sandbox.url) as client:
        list(client.send_bulk(messages[:2], lines_per_request=2))  # the first request went out, then the kill
        assert _ledger(sandbox) == {messages[0].phones: 1, messages[1].phones: 1}
        outcomes = list(client.send_bulk(messages, journal=str(path), lines_per_request=2))
    assert [o.index for o in outcomes] == [2, 3, 4] and all(isinstance(o, Sent) for o in outcomes)
    assert _each_once(sandbox, 171000000, 5)


@pytest.mark.parametrize("content", [b"SMSC_PASSWORD=hunter2", b"{}", b"\xff\xfe"])
def test_a_file_that_is_not_a_journal_is_refused_and_left_as_it_is(tmp_path: Path, sandbox: Sandbox,
                                                                   content: bytes) -> None:
    """A file with no complete line was taken for a journal whose one line was torn: cut to
    nothing and written over (through a hard link too). Only the start of a journal's header is
    such a torn line; anything else is refused, untouched."""
    path = tmp_path / "notes.env"
    path.write_bytes(content)
    with Client("bulk", "pw", url=sandbox.url) as client:
        with pytest.raises(journal.JournalCorrupt, match="not a journal"):
            client.send_bulk([("79172000001", "hi")], journal=str(path))
    assert path.read_bytes() == content and _ledger(sandbox) == {}


def test_a_torn_header_is_a_new_journal_and_a_hard_linked_one_is_refused(tmp_path: Path, sandbox: Sandbox) -> None:
    """A header cut short by a kill is a journal that never began; a journal with another name
    (a hard link) would be written through both, and is refused."""
    path = tmp_path / "j.jsonl"
    path.write_bytes(b'{"event": "journal", "for')
    with Client("bulk", "pw", url=sandbox.url) as client:
        assert [type(o) for o in client.send_bulk([("79172000002", "hi")], journal=str(path))] == [Sent]
        os.link(path, tmp_path / "other-name")
        with pytest.raises(journal.JournalError, match="other hard links"):
            client.send_bulk([("79172000002", "hi")], journal=str(path))
    assert _ledger(sandbox) == {"79172000002": 1}


def test_a_new_journal_is_on_disk_by_name_before_anything_is_sent(tmp_path: Path, sandbox: Sandbox,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Its records are synced; so is the directory that names it, once, when it is made: after a
    power cut a resume without the file would send every row again."""
    import stat as stat_module

    synced: List[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append("directory" if stat_module.S_ISDIR(os.fstat(fd).st_mode) else "file")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    sends: List[List[str]] = []
    real_before_send = journal.Plan.before_send

    def before_send(plan: journal.Plan, chunk: Any) -> None:
        real_before_send(plan, chunk)
        sends.append(list(synced))

    monkeypatch.setattr(journal.Plan, "before_send", before_send)
    with Client("bulk", "pw", url=sandbox.url) as client:
        list(client.send_bulk([("79173000001", "hi")], journal=str(tmp_path / "j.jsonl")))
    assert sends == [["file", "directory", "file"]]  # header, its name, then the pending record
