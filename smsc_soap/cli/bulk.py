"""``smsc-soap bulk FILE``: send every message of a CSV or JSON-lines file, resumably.

A thin shell over ``Client.send_bulk(messages, journal=PATH)`` (:mod:`smsc_soap.journal`): the
journal (JSON lines; default ``FILE.results.jsonl``, with ``--sandbox`` ``FILE.sandbox.results.jsonl``)
is locked for the run, bound to FILE's
content, and a re-run with it skips what was sent, looks up what may have been and sends the
rest: an interrupted run (Ctrl+C, kill -9, a power cut) never sends a message twice when
resumed. Here: reading the file (a row that cannot be read fails alone), progress, and telling
what happened (each failure's reason, counted by reason at the end).
"""
from __future__ import annotations

import argparse
import codecs
import collections
import csv
import importlib
import json
import os
import signal
import sys
import time
from typing import Any, Callable, Counter, Dict, Iterator, List, Optional, Tuple, Union

from .. import journal, spec
from ..bulk import BadInput, Message, Progress
from .argtypes import bounded_int
from .connection import connect
from .context import Context, leave_now
from .exits import EXIT_INTERRUPTED, EXIT_OK, EXIT_SERVICE, EXIT_TRANSPORT, FileError, UsageError, file_problem
from .options import Commands, leaf
from .output import say, write_or_drop
from .sandbox import account

__all__ = ["BadInput", "INPUT_FIELDS", "add_command", "read_rows", "run"]

#: Columns (CSV header) or keys (JSON lines) of an input row; ``phone`` and ``text`` are required.
INPUT_FIELDS = ("phone", "text", "sender", "time", "id")
#: Seconds between two plain progress lines when stderr is not a terminal.
PLAIN_PROGRESS_EVERY = 2.0
#: Failures shown one by one on stderr; the rest are counted (and all are in the journal).
FAILURES_SHOWN = 20


# --- input ---------------------------------------------------------------------------------------


def read_rows(path: str, encoding: str = "utf-8") -> Iterator[Tuple[int, Union[Message, BadInput]]]:
    """(row number from 1, its message) for each row of ``path``: CSV with a header when the
    name ends in .csv, else JSON lines (one object per line; blank lines skipped). A row that
    cannot be read (a field longer than csv's limit, bytes that are not ``encoding``, no phone)
    comes as a :class:`BadInput` in its place: it fails alone."""
    if codecs.lookup(encoding).name == "utf-8":
        encoding = "utf-8-sig"  # a spreadsheet's BOM
    with open(path, encoding=encoding, errors="surrogateescape", newline="") as file:
        rows = _csv_rows(file) if path.lower().endswith(".csv") else _json_rows(file)
        for number, record in enumerate(rows, 1):
            yield number, (_message(number, record, encoding) if isinstance(record, dict)
                           else BadInput(f"row {number}: {record}"))


def _csv_rows(file: Any) -> Iterator[Union[Dict[str, Any], str]]:
    reader = csv.reader(file)
    header: Optional[List[str]] = None
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # e.g. a field larger than csv.field_size_limit(): this row only
            yield f"cannot be read as CSV: {exc}"
            continue
        if not values:
            continue
        if header is None:
            header = [name.strip() for name in values]
            continue
        yield dict(zip(header, values))


def _json_rows(file: Any) -> Iterator[Union[Dict[str, Any], str]]:
    for text in file:
        if not text.strip():
            continue
        try:
            record = json.loads(text)
        except ValueError as exc:
            yield f"is not JSON: {exc}"
            continue
        yield record if isinstance(record, dict) else "is not a JSON object"


def _message(number: int, record: Dict[str, Any], encoding: str) -> Union[Message, BadInput]:
    values = {key: record.get(key) for key in INPUT_FIELDS}
    if any(isinstance(value, str) and _undecoded(value) for value in values.values()):
        return BadInput(f"row {number}: bytes that are not {encoding} (give the file's encoding with --encoding)")
    if not values["phone"] or values["text"] is None:
        return BadInput(f"row {number}: 'phone' and 'text' are required")
    return Message(str(values["phone"]), str(values["text"]),
                   sender=str(values["sender"]) if values["sender"] else None,
                   time=str(values["time"]) if values["time"] else None,
                   id=str(values["id"]) if values["id"] else None)


def _undecoded(text: str) -> bool:
    """Whether ``text`` holds a byte the encoding could not read (kept by surrogateescape)."""
    return any("\udc80" <= ch <= "\udcff" for ch in text)


# --- progress ------------------------------------------------------------------------------------


class Reporter:
    """A tqdm bar on a terminal (the ``cli`` extra), else a plain line every few seconds; both
    with the total, the percentage and the time left when the number of rows is known."""

    def __init__(self, total: Optional[int]) -> None:
        self.total = total
        self.before = 0
        self.checking: Optional[Tuple[int, int]] = None
        self._last = 0.0
        self._bar: Any = None
        self._latest: Optional[Progress] = None  # the last count, while not shown
        if sys.stderr.isatty():
            try:
                tqdm = importlib.import_module("tqdm").tqdm
            except ImportError:
                tqdm = None
            if tqdm is not None:
                self._bar = tqdm(total=total, unit="msg", file=sys.stderr)

    def check(self, done: int, total: int) -> None:
        """Pending rows being looked up."""
        self.checking = (done, total)
        if self._bar is not None:
            self._bar.set_description(f"checked {done}/{total} pending", refresh=True)
        elif done == total or self._due():
            _note(f"checked {done} of {total} rows that may have been sent")

    def show(self, progress: Progress, *, now: bool = False) -> None:
        done = self.before + progress.done
        self._latest = progress
        if self._bar is not None:
            self._bar.set_description("", refresh=False)
            self._bar.update(done - self._bar.n)
            self._bar.set_postfix(sent=progress.sent, failed=progress.failed, unknown=progress.unknown, refresh=False)
            return
        if not (self._due() or now):
            return
        self._latest = None  # shown
        line = f"{done} done"
        if self.total:
            left = (self.total - done) / progress.rate if progress.rate > 0 else None
            line = (f"{done} of {self.total} done ({100 * done / self.total:.0f}%"
                    + (f", {left:.0f} s left" if left is not None else "") + ")")
        _note(f"{line} ({progress.sent} sent, {progress.failed} failed, {progress.unknown} unknown), "
              f"{progress.rate:.0f} msgs/s")

    def _due(self) -> bool:
        now = time.monotonic()
        if now - self._last < PLAIN_PROGRESS_EVERY:
            return False
        self._last = now
        return True

    def close(self) -> None:
        """The bar closed; the plain lines end with the last count, if it was not shown."""
        if self._bar is not None:
            self._bar.close()
        elif self._latest is not None:
            self.show(self._latest, now=True)
        self._bar = self._latest = None


def _note(line: str) -> None:
    """A line on stderr, dropped if nobody reads it (`2>&1 | head`): never what stops the sending."""
    say(f"bulk: {line}")


# --- the command -----------------------------------------------------------------------------------


def add_command(commands: Commands) -> None:
    """Add ``smsc-soap bulk`` (the common options included)."""
    bulk = leaf(commands, "bulk", run, "send every message of a CSV or JSON-lines file (phone, text, optional "
                                "sender, time, id) as list requests; resumable")
    bulk.add_argument("file", help="the messages: .csv with a header row, else JSON lines")
    bulk.add_argument("--results", metavar="FILE",
                      help="the results journal (JSON lines; default FILE.results.jsonl, with --sandbox "
                           "FILE.sandbox.results.jsonl); a re-run with it "
                           "skips what was sent and checks what may have been, never sending twice")
    bulk.add_argument("--encoding", default="utf-8", metavar="NAME",
                      help="the file's encoding (default utf-8; e.g. cp1251, latin-1); a row with bytes "
                           "that are not in it fails alone")
    bulk.add_argument("--concurrency", type=bounded_int(1, spec.CONCURRENT_REQUESTS_ALLOWED),
                      default=spec.BULK_CONCURRENT_REQUESTS, metavar="N",
                      help=f"requests at once (default {spec.BULK_CONCURRENT_REQUESTS}; the service refuses "
                           f"{spec.CONCURRENT_REQUESTS_REFUSED_AT} or more under one login)")
    bulk.add_argument("--lines-per-request", type=bounded_int(1, 100_000), default=spec.BULK_LINES_PER_REQUEST,
                      metavar="N", help=f"messages per request (default {spec.BULK_LINES_PER_REQUEST})")
    bulk.add_argument("--account", action="append", type=account, default=[], metavar="LOGIN:PSW[:BALANCE]",
                      help="with --sandbox: the sandbox's account (as `smsc-soap sandbox --account`); "
                           "the first one sends")


def _leave_at_ctrl_c(message: Callable[[], str], close: Callable[[], None]) -> None:
    """Ctrl+C ends the process at once, saying how to resume (:func:`~smsc_soap.cli.context.leave_now`):
    as a KeyboardInterrupt, the run's end would first wait for its requests in flight. Not when
    SIGINT is ignored (``nohup``, a background job): that is the caller's to decide."""
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        return

    def interrupted(signum: int, frame: object) -> None:
        close()
        _note(message())
        leave_now(EXIT_INTERRUPTED)

    signal.signal(signal.SIGINT, interrupted)


def run(args: argparse.Namespace, ctx: Context) -> int:
    if not os.path.isfile(args.file):
        raise UsageError(f"{args.file}: no such file")
    try:
        codecs.lookup(args.encoding)
    except LookupError:
        raise UsageError(f"--encoding: no such encoding: {args.encoding!r}") from None
    if args.account and not args.sandbox:
        raise UsageError("--account sets the account of --sandbox: give --sandbox too")
    # A dry run's journal is never the real run's: taken for it, it said every row was sent.
    path = args.results or args.file + (".sandbox" if args.sandbox else "") + ".results.jsonl"
    reasons: Counter[str] = collections.Counter()
    try:
        sending, shown = _send(args, ctx, path, reasons)
    except OSError as exc:  # the input's or the journal's (a full disk): the journal tells what went
        raise FileError(f"bulk: stopped: {file_problem(exc)}; {_resume(path)}") from None
    if shown > FAILURES_SHOWN:
        _note(f"{shown - FAILURES_SHOWN} more not sent: see {path}")
    counts = {key: sending.counts[key] for key in ("sent", "failed", "unknown")}
    before = sending.sent_before + sending.reconciled
    if ctx.out.json:
        summary = json.dumps({"type": "bulk", **counts, "sent_before": before, "results": path,
                              "not_sent_by_reason": dict(reasons)}) + "\n"
    else:
        summary = (f"bulk: {counts['sent']} sent, {counts['failed']} failed, {counts['unknown']} unknown "
                   f"({before} sent before); results in {path}\n"
                   + "".join(f"  {count} {reason}\n" for reason, count in reasons.most_common()))
    write_or_drop(sys.stdout, summary)  # nobody reads it: the exit code and the journal still tell
    if counts["unknown"]:
        return EXIT_TRANSPORT
    return EXIT_SERVICE if counts["failed"] else EXIT_OK


def _send(args: argparse.Namespace, ctx: Context, path: str,
          reasons: Counter[str]) -> Tuple[journal.JournaledSend, int]:
    """The run itself: every row sent or accounted for, each failure shown (the first few) and
    counted by reason in ``reasons``; the finished run and how many rows were not sent."""
    source, lines = journal.file_source(args.file, args.encoding)
    total = max(lines - 1, 0) if args.file.lower().endswith(".csv") else lines
    reporter = Reporter(total)
    shown = 0
    with connect(args, ctx) as (client, _sleep):
        sending = journal.send_bulk(client, (message for _, message in read_rows(args.file, args.encoding)), path,
                                    source=source, on_check=reporter.check, concurrency=args.concurrency,
                                    lines_per_request=args.lines_per_request, progress=reporter.show)
        try:
            if ctx.whole_process:
                _leave_at_ctrl_c(lambda: _interrupted(reporter, path), reporter.close)
            reporter.before = sending.sent_before
            if sending.plan.to_check():
                reporter.checking = (0, len(sending.plan.to_check()))
                wait = sending.plan.state.wait_seconds(time.time())
                _note(f"looking up {len(sending.plan.state.open)} rows that may have been sent "
                      f"(a journal left by an interrupted run)"
                      + (f", in {wait:.0f} s, once their requests can no longer be on their way" if wait > 0 else ""))
            for outcome in sending:
                reporter.before = sending.sent_before + sending.reconciled
                event, reason = journal.event_of(outcome)
                if event == "sent":
                    continue
                reasons[journal.reason_of(outcome) if event == "failed" else "unknown: " + journal.reason_of(outcome)] += 1
                if shown < FAILURES_SHOWN:
                    _note(f"row {outcome.index + 1} {event}: {reason}")
                shown += 1
        except KeyboardInterrupt:
            reporter.close()
            _note(_interrupted(reporter, path))
            raise
        finally:
            reporter.close()
            sending.close()
    return sending, shown


def _resume(path: str) -> str:
    return f"run the same command again to resume (nothing is sent twice): the journal is {path}"


def _interrupted(reporter: Reporter, path: str) -> str:
    if reporter.checking is not None and reporter.checking[0] < reporter.checking[1]:
        done, total = reporter.checking
        return (f"interrupted while looking up rows that may have been sent ({done} of {total} looked up, "
                f"those found are recorded); {_resume(path)}")
    return f"interrupted; {_resume(path)}"
