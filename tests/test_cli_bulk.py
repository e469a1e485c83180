"""smsc-soap bulk: CSV / JSON lines in, a results journal out; a resumed run never sends twice."""
from __future__ import annotations

import errno
import itertools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Mapping

import pytest

from smsc_soap import Client
from smsc_soap._core.journal import header
from smsc_soap.cli import EXIT_FILE, EXIT_SERVICE, main
from smsc_soap.cli_bulk import read_rows
from smsc_soap.journal import JournalFile, file_source, item_digest
from smsc_soap.sandbox import Sandbox
from support.bulk import bulk_env as _env, ledger as _ledger, sandbox  # noqa: F401 - sandbox: the fixture
from support.signals import ctrl_c_reaches_python

ROOT = Path(__file__).resolve().parents[1]


def _journal(path: Path) -> List[Dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_csv_rows_are_sent_and_journaled(tmp_path: Path, sandbox: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "m.csv"
    source.write_text("phone,text,sender\n79161000001,hello one,\n79161000002,hello two,Shop\nbad,oops,\n")
    assert main(["bulk", str(source)], env=_env(sandbox)) == 1  # one row failed
    events = [(e["event"], e.get("row")) for e in _journal(tmp_path / "m.csv.results.jsonl")]
    assert events[0] == ("journal", None)  # the header: what the journal belongs to
    assert events[1] == ("pending", None) and ("sent", 1) in events and ("sent", 2) in events
    assert ("failed", 3) in events
    assert _ledger(sandbox) == {"79161000001": 1, "79161000002": 1}
    assert "2 sent, 1 failed" in capsys.readouterr().out


def test_json_lines_and_a_rerun_skips_what_was_sent(tmp_path: Path, sandbox: Sandbox) -> None:
    source = tmp_path / "m.jsonl"
    source.write_text("".join(json.dumps({"phone": f"7916100{i:04d}", "text": f"hi {i}"}) + "\n" for i in range(30)))
    assert main(["bulk", str(source), "--lines-per-request", "7"], env=_env(sandbox)) == 0
    assert main(["bulk", str(source), "--lines-per-request", "7"], env=_env(sandbox)) == 0
    assert sum(_ledger(sandbox).values()) == 30 and set(_ledger(sandbox).values()) == {1}


def test_pending_rows_are_reconciled_by_id_not_resent(tmp_path: Path, sandbox: Sandbox) -> None:
    source = tmp_path / "m.jsonl"
    source.write_text("".join(json.dumps({"phone": f"7916200{i:04d}", "text": f"hi {i}"}) + "\n" for i in range(4)))
    journal = tmp_path / "journal.jsonl"
    with Client("bulk", "pw", url=sandbox.url) as client:  # rows 1-2 went out, then the run was killed
        client.send_sms2(None, None, id="k1", list=[("79162000000", "hi 0"), ("79162000001", "hi 1")])
    digests = [item_digest(message) for _, message in read_rows(str(source))]
    journal.write_text(
        json.dumps(header("n1", file_source(str(source))[0])) + "\n"
        + json.dumps({"event": "pending", "id": "k1", "rows": [1, 2], "digests": digests[:2],
                      "phones": [["79162000000"], ["79162000001"]]})
        + "\n" + json.dumps({"event": "pending", "id": "k2", "rows": [3, 4], "digests": digests[2:],
                             "phones": [["79162000002"], ["79162000003"]]})
        + "\n{\"event\": \"sent\", \"ro")  # torn by the kill
    assert main(["bulk", str(source), "--results", str(journal)], env=_env(sandbox)) == 0
    assert _ledger(sandbox) == {f"7916200{i:04d}": 1 for i in range(4)}
    reconciled = [e["row"] for e in _journal_lines(journal) if e.get("reconciled")]
    assert reconciled == [1, 2]


def _journal_lines(path: Path) -> List[Dict[str, object]]:
    out = []
    for line in path.read_text().splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT], ids=["kill -9", "Ctrl+C"])
def test_interrupted_mid_run_then_resumed_sends_each_message_once(tmp_path: Path, how: signal.Signals) -> None:
    rows = 120
    source = tmp_path / "m.jsonl"
    source.write_text("".join(json.dumps({"phone": f"7916300{i:04d}", "text": f"hi {i}"}) + "\n" for i in range(rows)))
    journal = tmp_path / "m.jsonl.results.jsonl"
    with Sandbox(accounts=["bulk:pw:100000"], latency=0.15) as sandbox:
        env = dict(os.environ, **_env(sandbox), PYTHONPATH=str(ROOT))
        proc = subprocess.Popen([sys.executable, "-m", "smsc_soap.cli", "bulk", str(source), "--lines-per-request", "4",
                                 "--concurrency", "3", "--request-timeout", "1"],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                preexec_fn=ctrl_c_reaches_python)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if journal.exists() and sum(e.get("event") == "sent" for e in _journal_lines(journal)) >= 20:
                    break
                time.sleep(0.02)
            os.kill(proc.pid, how)
        finally:
            code = proc.wait(30)
        assert code == (-signal.SIGKILL if how == signal.SIGKILL else 130)
        before = sum(_ledger(sandbox).values())
        assert 0 < before < rows  # killed mid-run
        pending = [e for e in _journal_lines(journal) if e.get("event") == "pending"]
        assert pending
        assert main(["bulk", str(source), "--lines-per-request", "4"], env=_env(sandbox)) == 0
        assert set(_ledger(sandbox)) == {f"7916300{i:04d}" for i in range(rows)}
        assert set(_ledger(sandbox).values()) == {1}  # the ledger shows each message once


def test_progress_is_plain_lines_off_a_terminal_and_a_tqdm_bar_on_one(
        tmp_path: Path, sandbox: Sandbox, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "m.jsonl"
    source.write_text("".join(json.dumps({"phone": f"7916400{i:04d}", "text": f"hi {i}"}) + "\n" for i in range(3)))
    assert main(["bulk", str(source)], env=_env(sandbox)) == 0
    # the size is known: the total and the percentage are shown
    assert "smsc-soap: bulk: 3 of 3 done (100%" in capsys.readouterr().err

    pytest.importorskip("tqdm", reason="the progress bar is the 'cli' extra: pip install -e '.[cli]'")
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    source.write_text("".join(json.dumps({"phone": f"7916500{i:04d}", "text": f"hi {i}"}) + "\n" for i in range(3)))
    assert main(["bulk", str(source), "--results", str(tmp_path / "second.jsonl")], env=_env(sandbox)) == 0
    err = capsys.readouterr().err
    assert "3/3" in err and "100%" in err and "sent=3" in err  # tqdm's total, percentage and the postfix
    assert "smsc-soap: bulk:" not in err


def test_a_row_that_cannot_be_read_fails_alone(tmp_path: Path, sandbox: Sandbox) -> None:
    source = tmp_path / "m.jsonl"
    source.write_text('{"phone": "79166000001", "text": "a"}\nnot json\n["a list"]\n{"phone": "79166000002"}\n'
                      '{"phone": "79166000003", "text": "c"}\n')
    assert main(["bulk", str(source)], env=_env(sandbox)) == 1
    outcomes = {e["row"]: e["event"] for e in _journal(tmp_path / "m.jsonl.results.jsonl") if "row" in e}
    assert outcomes == {1: "sent", 2: "failed", 3: "failed", 4: "failed", 5: "sent"}


def test_a_spreadsheet_csv_with_a_byte_order_mark(tmp_path: Path, sandbox: Sandbox) -> None:
    source = tmp_path / "m.csv"
    source.write_bytes("phone,text\r\n79166000004,Привет\r\n".encode("utf-8-sig"))
    assert main(["bulk", str(source)], env=_env(sandbox)) == 0
    assert [m.mes for m in sandbox.messages] == ["Привет"]


def test_a_journal_that_cannot_be_written_stops_the_run_in_one_line_and_a_rerun_sends_the_rest_once(
        tmp_path: Path, sandbox: Sandbox, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    rows = 40
    source = tmp_path / "m.jsonl"
    source.write_text("".join(json.dumps({"phone": f"7916700{i:04d}", "text": f"hi {i}"}) + "\n" for i in range(rows)))
    write, records = JournalFile.write, itertools.count()

    def full_disk(self: JournalFile, record: Mapping[str, object], *, sync: bool = False) -> None:
        if next(records) >= 12:  # the header and a few rows, then no space: each record fails whole
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        write(self, record, sync=sync)

    monkeypatch.setattr(JournalFile, "write", full_disk)
    args = ["bulk", str(source), "--lines-per-request", "1", "--concurrency", "1", "--request-timeout", "1"]
    assert main(args, env=_env(sandbox)) == EXIT_FILE
    out, err = capsys.readouterr()
    assert out == "" and err.splitlines()[-1] == (
        "smsc-soap: bulk: stopped: No space left on device; run the same command again to resume (nothing is sent "
        f"twice): the journal is {source}.results.jsonl")
    assert 0 < sum(_ledger(sandbox).values()) < rows
    monkeypatch.undo()  # space again
    sandbox.advance(120)  # past the service's one-minute rule on identical requests
    assert main(args, env=_env(sandbox)) == 0
    assert _ledger(sandbox) == {f"7916700{i:04d}": 1 for i in range(rows)}


@pytest.mark.parametrize("closed", ["stderr", "stdout", "both"])
def test_output_nobody_reads_never_stops_the_sending_nor_hides_a_failure(tmp_path: Path, sandbox: Sandbox,
                                                                         closed: str) -> None:
    """`smsc-soap bulk FILE 2>&1 | head -c 200`: the reader leaves; every row is still sent (the
    progress and notes are dropped), and the exit code is the sending's: here 1, a row failed."""
    rows = 30
    source = tmp_path / "m.jsonl"
    source.write_text("".join(json.dumps({"phone": f"7916800{i:04d}", "text": f"hi {i}"}) + "\n" for i in range(rows))
                      + json.dumps({"phone": "bad", "text": "oops"}) + "\n")
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader has gone
    try:
        result = subprocess.run([sys.executable, "-m", "smsc_soap.cli", "bulk", str(source), "--lines-per-request",
                                 "1", "--concurrency", "1"], env=dict(os.environ, **_env(sandbox), PYTHONPATH=str(ROOT)),
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE if closed == "stderr" else write_end,
                                stderr=subprocess.PIPE if closed == "stdout" else write_end, text=True, timeout=120)
    finally:
        os.close(write_end)
    assert result.returncode == EXIT_SERVICE, result.stderr  # never 0 ("every row was sent")
    assert _ledger(sandbox) == {f"7916800{i:04d}": 1 for i in range(rows)}
    outcomes = {e["row"]: e["event"] for e in _journal(tmp_path / "m.jsonl.results.jsonl") if "row" in e}
    assert outcomes == {**{row: "sent" for row in range(1, rows + 1)}, rows + 1: "failed"}
    if closed == "stdout":
        assert f"row {rows + 1} failed" in result.stderr and "Traceback" not in result.stderr
    if closed == "stderr":
        assert result.stdout.startswith(f"bulk: {rows} sent, 1 failed")
