"""``send_bulk(messages, journal=PATH)``: a bulk send that can be killed at any moment and run
again without sending a message twice or losing one.

The journal file is locked for the whole run (an OS lock, ``flock``, that dies with the process:
a ``kill -9`` never leaves it stuck); a second run on it fails at once with
:class:`JournalLocked`. It records what it was made from (:mod:`smsc_soap._core.journal`: a
header naming the input, and each row's content digest), so a journal used with other messages,
or a file changed since, is refused with :class:`JournalMismatch` before anything is sent. On a
re-run, rows already sent are skipped, rows that may have been sent (pending or unknown) are
looked up by their request's id and numbers (:meth:`~smsc_soap.Client.reconcile_send`, several
at once), and only the rows the service does not have are sent, with the rest. Rows that failed
are tried again (e.g. after topping up the balance).

Chunk ids come from the journal and the rows' content, so two runs that got past the lock (a
file system where ``flock`` does nothing) send identical requests, and the service's duplicate
guard (error 9) refuses the second; a refusal like that is recorded as ``unknown``, to be looked
up, never as ``failed``. What it cannot do: guard two machines that share no file system (use
one queue: the Celery tasks, docs/workers.rst); on Windows, the lock is ``msvcrt.locking``.
"""
from __future__ import annotations

import collections
import contextlib
import dataclasses
import errno
import hashlib
import os
import secrets
import stat
import threading
import time
from urllib.parse import urlsplit
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import (
    IO, TYPE_CHECKING, Any, Callable, Counter, Dict, Generator, Iterable, Iterator, List, Mapping, Optional, Set, Tuple, Union,
)

from . import spec
from ._files import try_lock
from ._fork import renew_in_children
from ._core import journal as core
from ._core import reconcile
from ._core.journal import JournalCorrupt, JournalError, JournalLocked, JournalMismatch
from ._core.bulk import (
    BadInput, Chunk, Failed, Message, MessageLike, Outcome, Sent, Unknown, as_message, check_options,
)
from .errors import RateLimited, ValidationError
from .limits import concurrency_of

if TYPE_CHECKING:  # pragma: no cover
    from ._core.reconcile import Reconciliation
    from ._protocols import AsyncBulkSender, BulkSender

__all__ = ["BadInput", "JournalCorrupt", "JournalError", "JournalLocked", "JournalMismatch", "JournaledSend",
           "event_of", "file_source", "send_bulk"]

#: Called while pending rows are looked up: (pairs checked, pairs to check).
CheckProgress = Callable[[int, int], None]
#: Times one (id, phone) lookup is asked in all when it gets error 9 (another program asked too).
RECONCILE_RATE_LIMIT_TRIES = reconcile.RATE_LIMIT_TRIES
Source = Union[None, str, Mapping[str, Any]]
_END: Any = object()


# --- the file: opened without following a link, locked, read, appended ---------------------------


def _lock(fd: int, path: str) -> None:
    if not try_lock(fd):
        raise JournalLocked(f"{path}: the journal is in use by another run (it is locked); wait for it "
                            "to end, or stop it: nothing was sent by this one")


class JournalFile:
    """An open, locked journal: its records so far (``state``), and appending new ones."""

    def __init__(self, path: str, source: Mapping[str, Any], owner: Mapping[str, str]) -> None:
        self.path = path
        flags = os.O_RDWR | os.O_CREAT | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        if os.path.islink(path):  # O_NOFOLLOW's check, where the OS has no O_NOFOLLOW
            raise JournalError(f"{path}: the journal is a symbolic link; give the file itself")
        try:
            fd = os.open(path, flags, 0o666)  # the mode the umask gives
        except OSError as exc:
            raise JournalError(f"{path}: cannot open the journal: {exc.strerror}") from None
        self._file: IO[bytes] = os.fdopen(fd, "r+b", buffering=0)  # closed by GC if never closed
        self._write_lock = threading.Lock()
        try:
            status = os.fstat(fd)
            if not stat.S_ISREG(status.st_mode):
                raise JournalError(f"{path}: the journal is not a regular file")
            if status.st_nlink > 1:  # a write would land in the other names too
                raise JournalError(f"{path}: the journal has other hard links ({status.st_nlink} names); give a "
                                   "file of its own")
            _lock(fd, path)
            self._file.seek(0)
            data = self._file.read()
            state, keep = core.read(data)
            if keep < len(data):
                os.ftruncate(fd, keep)  # the torn last line of a killed run (see _core.journal)
            if state is None:
                state = core.State(nonce=secrets.token_hex(16), source=dict(source), owner=dict(owner))
                self.write(core.header(state.nonce, source, owner), sync=True)
                _sync_directory(path)
            else:
                elsewhere = core.describe_owner_difference(state.owner, owner)
                if elsewhere is not None:
                    raise JournalMismatch(f"{path}: {elsewhere}; nothing was sent (resume it under the login and "
                                          "service it names; another journal sends every row afresh)")
                difference = core.describe_difference(state.source, source)
                if difference is not None:
                    raise JournalMismatch(f"{path}: {difference}; nothing was sent (give another journal to "
                                          "start afresh)")
        except BaseException:
            self._file.close()
            raise
        self.state = state
        renew_in_children(self)

    def renew_after_fork(self) -> None:
        """In a forked child (a pool started while the run goes on): the run and its journal stay
        the parent's. The child's copy of the file is closed: the lock lives while any copy is
        open, so the journal stayed locked for as long as the child lived, after the run ended."""
        with contextlib.suppress(OSError):
            self._file.close()

    def write(self, record: Mapping[str, Any], *, sync: bool = False) -> None:
        """Append one record whole, or raise :class:`JournalError` with the file as it was;
        ``sync``: on disk before this returns. A ``pending`` record that did not reach the disk
        whole must stop its request: a resume drops a torn last line as a request that never
        left, and would send its rows again (a full disk, a file size limit: short writes)."""
        line = (core.dumps(record) + "\n").encode("utf-8", "surrogatepass")
        with self._write_lock:
            fd = self._file.fileno()
            end = os.fstat(fd).st_size
            try:
                written = 0
                while written < len(line):
                    count = os.write(fd, line[written:])
                    if count <= 0:
                        raise OSError(errno.ENOSPC, "nothing more could be written")
                    written += count
                if sync:
                    os.fsync(fd)
            except OSError as exc:
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, end)  # no torn record left for the next write to follow
                raise JournalError(f"{self.path}: cannot write the journal: {exc.strerror or exc}; the request it "
                                   "was to record was not sent") from None

    def close(self) -> None:
        """Close the file (which releases the lock)."""
        self._file.close()


def _sync_directory(path: str) -> None:
    """Put the new journal's name on disk too: its records are synced, but a power cut could
    still lose the file itself, and a resume without it would send every row again."""
    try:
        fd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:  # a platform whose directories cannot be opened (Windows): its own rules
        return
    try:
        os.fsync(fd)
    except OSError as exc:
        raise JournalError(f"{path}: cannot put the new journal on disk: {exc.strerror}; nothing was sent") from None
    finally:
        os.close(fd)


def file_source(path: str, encoding: str = "utf-8") -> Tuple[Dict[str, Any], int]:
    """What a journal of input file ``path`` records of it (path, size, SHA-256, encoding),
    and its row count (non-blank lines), read in one pass."""
    digest, size, lines = hashlib.sha256(), 0, 0
    with open(path, "rb") as file:
        for line in file:
            digest.update(line)
            size += len(line)
            lines += bool(line.strip())
    return ({"kind": "file", "path": os.path.abspath(path), "size": size, "sha256": digest.hexdigest(),
             "encoding": encoding}, lines)


def owner_of(client: "BulkSender | AsyncBulkSender") -> Dict[str, str]:
    """Whom a journal sends under: the client's account (:attr:`~smsc_soap.Client.limits_key`:
    the login, or the API key's hash) and the service's host name (every port of one host is
    one service: the sandbox's port changes from run to run)."""
    return {"account": client.limits_key, "service": (urlsplit(client.endpoint).hostname or "").lower()}


def source_header(source: Source) -> Mapping[str, Any]:
    if source is None or isinstance(source, str):
        return {"kind": "messages", "label": source}
    return source


# --- what a run does with its journal (no I/O of its own but the journal's writes) ---------------


def item_digest(item: MessageLike) -> str:
    """The content digest of an input item, as the journal records it."""
    if isinstance(item, BadInput):
        return core.digest(["unreadable", str(item)])
    try:
        message = as_message(item)
    except ValidationError:
        return core.digest(["not a message", repr(item)])
    phones = message.phones if isinstance(message.phones, str) else [str(p) for p in message.phones]
    return core.digest(["message", phones, message.text, message.sender, message.time, message.id])


def event_of(outcome: Outcome) -> Tuple[str, str]:
    """How the journal records ``outcome``: its event and why (empty for a sent one). A refusal
    with error 9 is ``unknown``: the same request may have been made by another run."""
    if isinstance(outcome, Sent):
        return "sent", ""
    if isinstance(outcome, Unknown):
        return "unknown", str(outcome.error)
    if outcome.error is None:
        return "failed", "refused numbers: " + ", ".join(
            f"{e.phone} (status {int(e.status) if e.status is not None else '?'})" for e in outcome.failed)
    if isinstance(outcome.error, RateLimited) and outcome.id:
        return "unknown", f"{outcome.error} (the same request may have been sent by another run)"
    return "failed", str(outcome.error)


def reason_of(outcome: Outcome) -> str:
    """A failure's reason, as counted at the end: the error's kind."""
    if isinstance(outcome, Sent):
        return ""
    if isinstance(outcome, Failed) and outcome.error is None:
        return "refused numbers"
    if isinstance(outcome.error, BadInput):
        return "unreadable row"
    error = outcome.error
    code = getattr(error, "code", None)
    return type(error).__name__ + (f" (error {code}: {getattr(error, 'meaning', '')})" if code is not None else "")


class Plan:
    """This run's bookkeeping over its journal: which rows to skip, to look up, to send; the
    ids of its chunks; the record of each outcome. Shared by the sync and the async runs."""

    def __init__(self, journal: JournalFile, call_seconds: float) -> None:
        self.journal = journal
        self.call_seconds = call_seconds
        self.state = journal.state
        self.sent_before = len(self.state.sent)
        self.reconciled = 0
        self.counts: Counter[str] = collections.Counter()
        self._ahead: List[Tuple[int, MessageLike, str]] = []  # rows of the journal's range to send
        self._rest: Iterator[MessageLike] = iter(())
        self._rows: Dict[int, Tuple[int, str]] = {}  # send_bulk's index -> (row, digest)
        self._phones: Dict[int, Tuple[str, ...]] = {}  # send_bulk's index -> numbers, once chunked
        self._found: Set[int] = set()  # requests found by a lookup: their other rows need none

    def prepare(self, messages: Iterable[MessageLike]) -> None:
        """Read the input as far as the journal goes, checking each row against its record
        (:class:`JournalMismatch` before anything is sent); keep the rows not sent yet."""
        items = iter(messages)
        last = self.state.last_row
        for row in range(1, last + 1):
            item = next(items, _END)
            if item is _END:
                raise JournalMismatch(f"{self.journal.path}: the input ends at row {row - 1}, the journal has rows "
                                      f"up to {last}: it was made from other messages; nothing was sent")
            row_digest = item_digest(item)
            known = self.state.digests.get(row)
            if known is not None and known != row_digest:
                raise JournalMismatch(f"{self.journal.path}: row {row} is not the row the journal recorded: the "
                                      "input changed since (or another encoding was used); nothing was sent")
            if row not in self.state.sent:
                self._ahead.append((row, item, row_digest))
        self._rest = items

    def to_check(self) -> List[core.Lookup]:
        """The lookups to make, in the order to ask (:func:`smsc_soap._core.journal.lookup_order`)."""
        return core.lookup_order(self.state.open)

    def settled(self, lookup: core.Lookup) -> bool:
        """Whether ``lookup`` needs no asking any more (its request was found meanwhile)."""
        return lookup[0] in self._found

    def checked(self, lookup: core.Lookup, found: Optional["Reconciliation"]) -> None:
        """The service's answer for ``lookup`` (None: not asked, settled meanwhile): when found,
        every open row of its request is recorded sent, and not sent again."""
        if found is None or not found.found:
            return
        request, message_id, phones = lookup
        self._found.add(request)
        numbers = {row: self.state.open[row][1] for row in self.state.open if self.state.open[row][2] == request}
        for row in self.state.request_found(request):
            self.journal.write({"event": "sent", "row": row, "digest": self.state.digests[row], "id": message_id,
                                "phones": list(numbers[row]), "reconciled": True if numbers[row] == phones
                                else "request"})
            self.reconciled += 1

    def inputs(self) -> Iterator[MessageLike]:
        """The items send_bulk is to send, in input order: the rows of the journal's range not
        found sent, then the rest of the input."""
        index = 0
        for row, item, row_digest in self._ahead:
            if row in self.state.sent:
                continue
            self._rows[index] = (row, row_digest)
            index += 1
            yield item
        self._ahead = []
        for row, item in enumerate(self._rest, self.state.last_row + 1):
            self._rows[index] = (row, item_digest(item))
            index += 1
            yield item

    def chunk_id(self, indices: Tuple[int, ...]) -> str:
        return core.chunk_id(self.state.nonce, [self._rows[i] for i in indices])

    def before_send(self, chunk: Chunk) -> None:
        """The chunk's pending record, on disk before its request leaves."""
        rows = [self._rows[i] for i in chunk.indices]
        for index, phones in zip(chunk.indices, chunk.phones):
            self._phones[index] = phones
        self.journal.write({"event": "pending", "id": chunk.id, "rows": [row for row, _ in rows],
                            "digests": [d for _, d in rows], "phones": [list(p) for p in chunk.phones],
                            "settle_after": round(time.time() + self.call_seconds, 3)}, sync=True)

    def record(self, outcome: Outcome) -> Outcome:
        """Write ``outcome``'s record; the outcome, its ``index`` now its input position."""
        row, row_digest = self._rows.pop(outcome.index)
        phones = self._phones.pop(outcome.index, ())
        event, reason = event_of(outcome)
        record: Dict[str, Any] = {"event": event, "row": row, "digest": row_digest, "id": outcome.id}
        if event == "sent" or event == "unknown":
            record["phones"] = list(getattr(outcome, "phones", phones) or phones)
        if reason:
            record["error"] = reason
        self.journal.write(record)
        self.counts[event] += 1
        return dataclasses.replace(outcome, index=row - 1)


# --- the sync run ------------------------------------------------------------------------------


def _slots(options: Mapping[str, Any]) -> int:
    return check_options(options.get("concurrency"), options.get("lines_per_request", spec.BULK_LINES_PER_REQUEST),
                         options.get("bytes_per_request", spec.BULK_BYTES_PER_REQUEST))


def lookup_slots(client: object, options: Mapping[str, Any]) -> int:
    """Lookups at once while a resume settles its open rows: the ``concurrency`` given, else the
    login's whole bound (``limits.concurrency_of`` the client's limits, which the engine's gate
    enforces across processes too): the resume sends nothing while it looks rows up."""
    slots = _slots(options)
    if options.get("concurrency") is not None:
        return slots
    return concurrency_of(getattr(client, "limits", None))


def _ask(client: "BulkSender", plan: Plan, lookup: core.Lookup) -> Optional["Reconciliation"]:
    tries = 0
    while not plan.settled(lookup):
        tries += 1
        try:
            return client.reconcile_send(lookup[1], lookup[2])
        except RateLimited as error:  # another program asked about it too: wait as the service says
            wait = reconcile.wait_after(error, tries)
            if wait is None:
                raise
        time.sleep(wait)
    return None


def reconcile_rows(client: "BulkSender", plan: Plan, slots: int, on_check: Optional[CheckProgress]) -> None:
    """Look up every (id, phones) the journal left open, ``slots`` at once (and within the
    client's ``limits``, which every call passes); record those found. Each pair is asked once,
    well within the service's five status requests per message a minute. Any answer but found /
    not found stops the run (those found so far stay recorded)."""
    pairs = plan.to_check()
    if not pairs:
        return
    time.sleep(plan.state.wait_seconds(time.time()))  # a request sent just before a kill may still be on its way
    done = 0
    pool = ThreadPoolExecutor(max_workers=slots, thread_name_prefix="smsc-reconcile")
    try:
        running: Dict["Future[Optional[Reconciliation]]", core.Lookup] = {
            pool.submit(_ask, client, plan, pair): pair for pair in pairs}
        while running:
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                pair = running.pop(future)
                plan.checked(pair, future.result())
                done += 1
            if on_check is not None:
                on_check(done, len(pairs))
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


class JournaledRun:
    """What a journaled run is, sync or async: its journal opened, locked and bound to the
    messages (closed again if that fails), and what the run did: ``sent_before`` (rows an earlier
    run sent), ``reconciled`` (rows found sent by their lookup), ``counts`` (this run's events)."""

    def __init__(self, messages: Iterable[MessageLike], path: str, source: Source, call_seconds: float,
                 owner: Mapping[str, str]) -> None:
        self.path = os.fspath(path)
        self.journal = JournalFile(self.path, source_header(source), owner)
        try:
            self.plan = Plan(self.journal, call_seconds)
            self.plan.prepare(messages)
        except BaseException:
            self.journal.close()
            raise

    @property
    def sent_before(self) -> int:
        return self.plan.sent_before

    @property
    def reconciled(self) -> int:
        return self.plan.reconciled

    @property
    def counts(self) -> Counter[str]:
        return self.plan.counts


class JournaledSend(JournaledRun, Iterator[Outcome]):
    """The outcomes of ``Client.send_bulk(messages, journal=PATH)``, each recorded before it is
    yielded; ``index`` is the message's input position. ``sent_before``, ``reconciled`` and
    ``counts`` say what the run did (:class:`JournaledRun`). The journal stays locked until the
    iteration ends or :meth:`close`."""

    def __init__(self, client: "BulkSender", messages: Iterable[MessageLike], path: str, source: Source,
                 on_check: Optional[CheckProgress], options: Dict[str, Any]) -> None:
        from ._sync.bulk import send_bulk as plain_send_bulk

        slots = lookup_slots(client, options)
        super().__init__(messages, path, source, client.call_seconds(), owner_of(client))
        plan = self.plan

        def run() -> Generator[Outcome, None, None]:
            try:
                reconcile_rows(client, plan, slots, on_check)
                for outcome in plain_send_bulk(client, plan.inputs(), chunk_id=plan.chunk_id,
                                               before_send=plan.before_send, **options):
                    yield plan.record(outcome)
            finally:
                self.journal.close()

        self._outcomes = run()

    def __next__(self) -> Outcome:
        return next(self._outcomes)

    def close(self) -> None:
        """Stop: requests not started are not sent; the journal is closed and unlocked."""
        self._outcomes.close()
        self.journal.close()

    def __enter__(self) -> "JournaledSend":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def send_bulk(client: "BulkSender", messages: Iterable[MessageLike], journal: Union[str, "os.PathLike[str]"], *,
              source: Source = None, on_check: Optional[CheckProgress] = None, **options: Any) -> JournaledSend:
    """See :meth:`smsc_soap.Client.send_bulk` with ``journal=``. The journal is opened, locked
    and checked against the input at once (a :class:`JournalError` raises here, nothing sent);
    the lookups and the sends happen as the result is iterated."""
    return JournaledSend(client, messages, os.fspath(journal), source, on_check, dict(options))
