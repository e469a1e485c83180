"""``smsc-soap bulk FILE``: send every message of a CSV or JSON-lines file, resumably.

The results file (JSON lines, appended) is the run's memory. Before a request goes out, a
``pending`` record with its id and its rows is written and synced to disk; after it, one record
per row (``sent``, ``failed`` or ``unknown``). A re-run with the same results file skips the rows
already sent, and asks the service (get_status by id and phone) about every row that was pending
or unknown: found means sent; not found under any of its numbers means it never arrived, and only
then is it sent again. So an interrupted run (Ctrl+C, kill -9, a power cut) never sends a message
twice when resumed; a row the service cannot be asked about yet stops the run instead.
"""
from __future__ import annotations

import argparse
import csv
import importlib
import json
import os
import sys
import threading
import time
from typing import IO, TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Optional, Set, Tuple, Union

from . import errors, spec
from ._argtypes import bounded_int
from .bulk import Chunk, Failed, Message, Outcome, Progress, Sent, Unknown

if TYPE_CHECKING:  # pragma: no cover - the CLI imports this module
    from .cli import Context

#: Columns (CSV header) or keys (JSON lines) of an input row; ``phone`` and ``text`` are required.
INPUT_FIELDS = ("phone", "text", "sender", "time", "id")
#: Seconds between two plain progress lines when stderr is not a terminal.
PLAIN_PROGRESS_EVERY = 2.0


class BadInput(Exception):
    """Why a row of the input file cannot be read (recorded as that row's failure)."""


# --- input ---------------------------------------------------------------------------------------


def read_rows(path: str) -> Iterator[Tuple[int, Union[Message, BadInput]]]:
    """(row number from 1, its message) for each row of ``path``: CSV with a header when the
    name ends in .csv, else JSON lines (one object per line; blank lines skipped). A row that
    cannot be read comes as a :class:`BadInput` in its place: it fails alone."""
    with open(path, encoding="utf-8-sig", newline="") as file:  # -sig: a spreadsheet's BOM
        if path.lower().endswith(".csv"):
            for number, record in enumerate(csv.DictReader(file), 1):
                yield number, _message(number, record)
            return
        number = 0
        for text in file:
            if not text.strip():
                continue
            number += 1
            try:
                record = json.loads(text)
            except ValueError as exc:
                yield number, BadInput(f"row {number} is not JSON: {exc}")
                continue
            yield number, (_message(number, record) if isinstance(record, dict)
                           else BadInput(f"row {number} is not a JSON object"))


def _message(number: int, record: Dict[str, Any]) -> Union[Message, BadInput]:
    values = {key: record.get(key) for key in INPUT_FIELDS}
    if not values["phone"] or values["text"] is None:
        return BadInput(f"row {number}: 'phone' and 'text' are required")
    return Message(str(values["phone"]), str(values["text"]),
                   sender=str(values["sender"]) if values["sender"] else None,
                   time=str(values["time"]) if values["time"] else None,
                   id=str(values["id"]) if values["id"] else None)


# --- the results file ----------------------------------------------------------------------------


class Results:
    """The append-only journal of a run; what earlier runs left in it."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.sent: Set[int] = set()
        self.open: Dict[int, Tuple[str, Tuple[str, ...]]] = {}  # row -> (id, phones): pending or unknown
        if os.path.exists(path):
            self._load()
        self._file: IO[str] = open(path, "a", encoding="utf-8")
        self._lock = threading.Lock()
        if self._file.tell() and not self._ends_with_newline():
            self._file.write("\n")  # after a torn last line, the next record starts a line of its own

    def _ends_with_newline(self) -> bool:
        with open(self.path, "rb") as file:
            file.seek(-1, os.SEEK_END)
            return file.read(1) == b"\n"

    def _load(self) -> None:
        with open(self.path, encoding="utf-8") as file:
            for text in file:
                try:
                    record = json.loads(text)
                except ValueError:  # the torn last line of a killed run: its send is still pending
                    continue
                event = record.get("event")
                if event == "pending":
                    for row, phones in zip(record["rows"], record["phones"]):
                        self.open[row] = (record["id"], tuple(phones))
                elif event == "sent":
                    self.sent.add(record["row"])
                    self.open.pop(record["row"], None)
                elif event == "failed":
                    self.open.pop(record["row"], None)
                elif event == "unknown":
                    self.open[record["row"]] = (record["id"], tuple(record["phones"]))

    def write(self, record: Dict[str, Any], *, sync: bool = False) -> None:
        with self._lock:
            self._file.write(json.dumps(record, ensure_ascii=False) + "\n")
            self._file.flush()
            if sync:
                os.fsync(self._file.fileno())

    def close(self) -> None:
        self._file.close()


# --- progress ------------------------------------------------------------------------------------


def _reporter(total_hint: Optional[int]) -> Tuple[Callable[[Progress], None], Callable[[], None]]:
    """A tqdm bar on a terminal (the ``cli`` extra), else a plain line every few seconds."""
    tqdm: Any = None
    if sys.stderr.isatty():
        try:
            tqdm = importlib.import_module("tqdm").tqdm
        except ImportError:
            tqdm = None
    if tqdm is not None:
        bar = tqdm(total=total_hint, unit="msg", file=sys.stderr)

        def show_bar(progress: Progress) -> None:
            bar.update(progress.done - bar.n)
            bar.set_postfix(sent=progress.sent, failed=progress.failed, unknown=progress.unknown, refresh=False)

        return show_bar, bar.close
    last = [0.0]

    def show_line(progress: Progress) -> None:
        now = time.monotonic()
        if now - last[0] >= PLAIN_PROGRESS_EVERY:
            last[0] = now
            print(f"smsc-soap: bulk: {progress.done} done ({progress.sent} sent, {progress.failed} failed, "
                  f"{progress.unknown} unknown), {progress.rate:.0f} msgs/s", file=sys.stderr, flush=True)

    return show_line, lambda: None


# --- the command -----------------------------------------------------------------------------------


def add_command(command: Callable[[str, Callable[..., int], str], argparse.ArgumentParser]) -> None:
    """``smsc-soap bulk``, added with the CLI's ``command`` helper (common options included)."""
    bulk = command("bulk", run, "send every message of a CSV or JSON-lines file (phone, text, optional "
                                "sender, time, id) as list requests; resumable")
    bulk.add_argument("file", help="the messages: .csv with a header row, else JSON lines")
    bulk.add_argument("--results", metavar="FILE",
                      help="the results journal (JSON lines; default FILE.results.jsonl); a re-run with it "
                           "skips what was sent and checks what may have been, never sending twice")
    bulk.add_argument("--concurrency", type=bounded_int(1, spec.CONCURRENT_REQUESTS_ALLOWED),
                      default=spec.BULK_CONCURRENT_REQUESTS, metavar="N",
                      help=f"requests at once (default {spec.BULK_CONCURRENT_REQUESTS}; the service refuses "
                           f"{spec.CONCURRENT_REQUESTS_REFUSED_AT} or more under one login)")
    bulk.add_argument("--lines-per-request", type=bounded_int(1, 100_000), default=spec.BULK_LINES_PER_REQUEST,
                      metavar="N", help=f"messages per request (default {spec.BULK_LINES_PER_REQUEST})")


def reconcile(client: Any, results: Results) -> Set[int]:
    """Ask the service about each row that may have been sent; the rows found (now recorded as
    sent). A row not found under any number is left to be sent again; any other answer stops."""
    found: Set[int] = set()
    for row, (message_id, phones) in sorted(results.open.items()):
        for phone in phones:
            try:
                client.get_status(phone, message_id)
            except errors.MessageNotFound:
                continue
            results.write({"event": "sent", "row": row, "id": message_id, "phones": list(phones),
                           "reconciled": True})
            found.add(row)
            break
    return found


def run(args: argparse.Namespace, ctx: "Context") -> int:
    from .cli import EXIT_OK, EXIT_SERVICE, EXIT_TRANSPORT, UsageError, connect

    if not os.path.isfile(args.file):
        raise UsageError(f"{args.file}: no such file")
    results = Results(args.results or args.file + ".results.jsonl")
    counts = {"sent": 0, "failed": 0, "unknown": 0}
    try:
        with connect(args, ctx) as (client, _sleep):
            skip = results.sent | reconcile(client, results)
            rows: Dict[int, int] = {}  # send_bulk's index -> row, while in flight

            def messages() -> Iterator[Message]:
                index = 0
                for row, message in read_rows(args.file):
                    if row in skip:
                        continue
                    if isinstance(message, BadInput):
                        counts["failed"] += 1
                        results.write({"event": "failed", "row": row, "id": None, "error": str(message)})
                        continue
                    rows[index] = row
                    index += 1
                    yield message

            def before_send(chunk: Chunk) -> None:  # on disk before the request leaves
                results.write({"event": "pending", "id": chunk.id, "rows": [rows[i] for i in chunk.indices],
                               "phones": [list(p) for p in chunk.phones]}, sync=True)

            show, close = _reporter(None)
            try:
                for outcome in client.send_bulk(messages(), concurrency=args.concurrency,
                                                lines_per_request=args.lines_per_request,
                                                progress=show, before_send=before_send):
                    _record(results, rows.pop(outcome.index), outcome, counts)
            except KeyboardInterrupt:
                print(f"smsc-soap: bulk: interrupted; run the same command again to resume (nothing is sent "
                      f"twice): the journal is {results.path}", file=sys.stderr, flush=True)
                raise
            finally:
                close()
    finally:
        results.close()
    summary = (f"bulk: {counts['sent']} sent, {counts['failed']} failed, {counts['unknown']} unknown "
               f"({len(skip)} sent before); results in {results.path}")
    if ctx.out.json:
        print(json.dumps({"type": "bulk", **counts, "sent_before": len(skip), "results": results.path}))
    else:
        print(summary)
    if counts["unknown"]:
        return EXIT_TRANSPORT
    return EXIT_SERVICE if counts["failed"] else EXIT_OK


def _record(results: Results, row: int, outcome: Outcome, counts: Dict[str, int]) -> None:
    if isinstance(outcome, Sent):
        counts["sent"] += 1
        results.write({"event": "sent", "row": row, "id": outcome.id, "phones": list(outcome.phones)})
    elif isinstance(outcome, Failed):
        counts["failed"] += 1
        reason = str(outcome.error) if outcome.error is not None else "refused numbers: " + ", ".join(
            f"{e.phone} (status {int(e.status) if e.status is not None else '?'})" for e in outcome.failed)
        results.write({"event": "failed", "row": row, "id": outcome.id, "error": reason})
    else:
        assert isinstance(outcome, Unknown)
        counts["unknown"] += 1
        results.write({"event": "unknown", "row": row, "id": outcome.id, "phones": list(outcome.phones)})
