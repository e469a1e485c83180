"""The bulk journal's pure parts: its records, reading them back, what they bind to, and the ids
its chunks carry. No file, no lock, no network: :mod:`smsc_soap.journal` does the I/O.

A journal is JSON lines. The first record (the header) says what the journal belongs to: the
format, a random ``nonce`` made when it was created, the ``source`` (for a file: its path,
size and SHA-256), and the ``account`` and ``service`` host it sends under (a resume looks its
rows up there: under another login, or at a sandbox, it would find none and send them again).
Then, per request, a ``pending`` record (its id, its rows, each row's content
digest and numbers) written before the request leaves; after it, one ``sent``, ``failed`` or
``unknown`` record per row, each with the row's digest.

Reading it back (:func:`read`): every complete line must be one of those records, or the journal
is refused (:class:`JournalCorrupt`) before anything is sent. The one exception is a last line
with no newline at its end: a write cut short by a kill (``kill -9``, a power cut). It is dropped,
but only after a header: a file with no complete line that is not the start of a header is not a
journal, and is refused (never cut to nothing and written over).
That is safe because a record is written in one piece and a request leaves only after its
``pending`` record is on disk: a torn ``pending`` means its request never left, and a torn
``sent``/``failed``/``unknown`` leaves its row pending, to be looked up with get_status.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Set, Tuple

from ..errors import SmscError

__all__ = ["FORMAT", "OWNER_FIELDS", "JournalCorrupt", "JournalError", "JournalLocked", "JournalMismatch", "Lookup",
           "Open", "State", "chunk_id", "describe_difference", "describe_owner_difference", "digest", "dumps",
           "lookup_order", "header", "read"]

#: The journal format written and read here (a journal without a header is the format before it).
FORMAT = 2
#: The prefix of a journal-made chunk id: a letter (never read as a number, 004:35), then hex.
ID_PREFIX = "j"
#: Hex digits of a chunk id after the prefix (80 bits; 21 characters of the page's 40, 004:35).
ID_HEX_DIGITS = 20
#: The events a row record may carry.
ROW_EVENTS = ("sent", "failed", "unknown")
#: ASSUMPTION (a choice): the longest a resume waits for requests that may still be on their way
#: (a pending record's ``settle_after``), whatever the record says: a bound on a tampered value.
SETTLE_WAIT_LIMIT = 300.0


class JournalError(SmscError):
    """A journal cannot be used for this run; nothing was sent."""


class JournalLocked(JournalError):
    """Another run (a process, or another send_bulk in this one) holds the journal."""


class JournalMismatch(JournalError):
    """The journal was made from another input, or the input changed since; says what differs."""


class JournalCorrupt(JournalError):
    """A line of the journal is not a record this package wrote (tampered or damaged)."""


def digest(fields: Sequence[Any]) -> str:
    """The content digest of a row: SHA-256 (32 hex digits) of its fields as JSON."""
    text = json.dumps(list(fields), ensure_ascii=False, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def dumps(record: Mapping[str, Any]) -> str:
    """One record as its line (without the newline)."""
    return json.dumps(record, ensure_ascii=False, default=repr)


def chunk_id(nonce: str, rows: Sequence[Tuple[int, str]]) -> str:
    """The id of a request carrying ``rows`` ((row, digest) pairs) under the journal ``nonce``:
    the same rows of the same journal make the same id, so two runs that both got past the lock
    send identical requests and the service's duplicate guard (error 9) refuses the second."""
    text = json.dumps([nonce, [[row, row_digest] for row, row_digest in rows]])
    return ID_PREFIX + hashlib.sha256(text.encode("utf-8")).hexdigest()[:ID_HEX_DIGITS]


def header(nonce: str, source: Mapping[str, Any], owner: Optional[Mapping[str, str]] = None) -> Dict[str, Any]:
    """The first record of a new journal; ``owner``: the ``account`` and ``service`` it sends
    under (none: a journal that names neither, as those of an older smsc-soap)."""
    return {"event": "journal", "format": FORMAT, "nonce": nonce, "source": dict(source), **(owner or {})}


#: What a journal's header says it sends under: the login (or the API key's hash,
#: :func:`smsc_soap.limits.account_key`), and the service's host name.
OWNER_FIELDS = ("account", "service")


def describe_owner_difference(recorded: Mapping[str, Any], current: Mapping[str, str]) -> Optional[str]:
    """What differs between whom a journal was made under and this run's client; None if nothing
    (or the journal predates the record: it says nothing)."""
    if recorded.get("account") is not None and recorded.get("account") != current.get("account"):
        return (f"the journal was made under {_account(recorded.get('account'))}, this run is "
                f"{_account(current.get('account'))}: its rows would be looked up under the wrong account and "
                "sent again")
    if recorded.get("service") is not None and recorded.get("service") != current.get("service"):
        return (f"the journal was made against {recorded.get('service')}, this run talks to "
                f"{current.get('service')}: the rows it sent there are not known here, and would be sent again")
    return None


def _account(key: Any) -> str:
    text = str(key)
    return f"login {text[6:]!r}" if text.startswith("login:") else "an API key"


@dataclass
class State:
    """What a journal says: its header, each row's digest and where each row stands."""

    nonce: str = ""
    source: Dict[str, Any] = field(default_factory=dict)
    digests: Dict[int, str] = field(default_factory=dict)
    sent: Set[int] = field(default_factory=set)
    failed: Set[int] = field(default_factory=set)
    #: Whom the journal sends under (its header's :data:`OWNER_FIELDS`; empty in an older journal).
    owner: Dict[str, str] = field(default_factory=dict)
    #: Rows that may have been sent (pending or unknown): row -> (id, phones, request) to look up;
    #: ``request`` numbers the pending record the row was last sent in: rows carrying an id of
    #: their own may share it across requests, and finding one request says nothing of another.
    open: Dict[int, "Open"] = field(default_factory=dict)
    #: Pending records read so far (the last request's number).
    requests: int = 0
    #: Request id -> when (epoch seconds) the run that sent it would have given up waiting for
    #: its answer: before then it may still be on its way, and a lookup could miss it.
    settle_after: Dict[str, float] = field(default_factory=dict)

    def wait_seconds(self, now: float) -> float:
        """How long to wait before looking up the open rows (their requests settled)."""
        ids = {message_id for message_id, _, _ in self.open.values()}
        wait = max([self.settle_after[i] - now for i in ids if i in self.settle_after] + [0.0])
        return min(wait, SETTLE_WAIT_LIMIT)

    @property
    def last_row(self) -> int:
        return max(self.digests, default=0)

    def apply(self, record: Mapping[str, Any]) -> None:
        """One record (already checked). A row once sent stays sent, whatever comes after (a
        second run's refusal of the same request must not make it look unsent)."""
        event = record["event"]
        if event == "pending":
            if "settle_after" in record:
                self.settle_after[record["id"]] = max(float(record["settle_after"]),
                                                      self.settle_after.get(record["id"], 0.0))
            self.requests += 1
            for row, row_digest, phones in zip(record["rows"], record["digests"], record["phones"]):
                self._row(row, row_digest)
                if row not in self.sent:
                    self.open[row] = (record["id"], tuple(phones), self.requests)
                    self.failed.discard(row)
            return
        row = record["row"]
        self._row(row, record["digest"])
        if row in self.sent:
            return
        if event == "sent":
            self.sent.add(row)
            self.open.pop(row, None)
            self.failed.discard(row)
        elif event == "failed":
            self.failed.add(row)
            self.open.pop(row, None)
        else:
            known = self.open.get(row)
            if known is not None and known[0] == record["id"]:
                request = known[2]
            else:  # not after its pending record (a hand-made journal): a request of its own
                self.requests += 1
                request = self.requests
            self.open[row] = (record["id"], tuple(record["phones"]), request)

    def request_found(self, request: int) -> List[int]:
        """The open rows of ``request`` (its number), now known to have reached the service: the
        service accepts a ``list`` request whole, so none of its rows is to be sent again. (A
        row whose numbers it refused then stays refused: get_status says so.)"""
        rows = sorted(row for row, (_, _, number) in self.open.items() if number == request)
        for row in rows:
            del self.open[row]
            self.sent.add(row)
            self.failed.discard(row)
        return rows

    def _row(self, row: int, row_digest: str) -> None:
        known = self.digests.setdefault(row, row_digest)
        if known != row_digest:
            raise JournalCorrupt(f"row {row} is recorded with two different contents")


#: An open row: its request's id, its numbers, and the request's number (:attr:`State.open`).
Open = Tuple[str, Tuple[str, ...], int]
#: A lookup: (the request's number, its id, the numbers of one of its rows).
Lookup = Tuple[int, str, Tuple[str, ...]]


def lookup_order(open_rows: Mapping[int, Open]) -> List[Lookup]:
    """The distinct lookups of the open rows, in the order to ask them: one row of each request,
    then a second of each, and so on. One found is enough for its whole request (a ``list``
    request is accepted whole: :meth:`State.request_found`), so the requests that went out are
    settled by their first lookups; only those that did not need every row asked."""
    by_request: Dict[int, List[Lookup]] = {}
    for _, (message_id, phones, request) in sorted(open_rows.items()):
        lookups = by_request.setdefault(request, [])
        if (request, message_id, phones) not in lookups:
            lookups.append((request, message_id, phones))
    order: List[Lookup] = []
    for round_ in range(max((len(lookups) for lookups in by_request.values()), default=0)):
        order.extend(lookups[round_] for lookups in by_request.values() if round_ < len(lookups))
    return order


def read(data: bytes) -> Tuple[Optional[State], int]:
    """The state a journal's bytes record (None: no header yet, a new journal), and how many
    bytes of it to keep (all but a torn last line). Raises :class:`JournalCorrupt` naming the
    first line that is not a record."""
    keep = data.rfind(b"\n") + 1  # a last line with no newline is a torn write: dropped
    lines = data[:keep].split(b"\n")[:-1]
    if not lines:
        if data and not _HEADER_START.startswith(data[:len(_HEADER_START)]):
            raise JournalCorrupt("not a journal: it holds no complete line, and does not begin as a journal "
                                 "begins (left as it is)")
        return None, keep
    state = State()
    for number, raw in enumerate(lines, 1):
        try:
            record = json.loads(raw.decode("utf-8"))
        except ValueError:
            raise JournalCorrupt(f"line {number} is not JSON") from None
        problem = _check(record, number)
        if problem is not None:
            raise JournalCorrupt(f"line {number}: {problem}")
        if number == 1:
            state.nonce, state.source = record["nonce"], dict(record["source"])
            state.owner = {name: record[name] for name in OWNER_FIELDS if isinstance(record.get(name), str)}
        else:
            state.apply(record)
    return state, keep


#: How every journal this package writes begins (:func:`header`, written by :func:`dumps`).
_HEADER_START = b'{"event": "journal"'


def _check(record: Any, number: int) -> Optional[str]:
    """What is wrong with ``record`` as line ``number`` of a journal; None if nothing."""
    if not isinstance(record, dict):
        return f"not a record (a JSON {type(record).__name__})"
    event = record.get("event")
    if number == 1:
        if event != "journal":
            return ("no journal header: made by an older smsc-soap, or not a journal; "
                    "start a new one (another --results file)")
        if record.get("format") != FORMAT:
            return f"journal format {record.get('format')!r}; this smsc-soap reads format {FORMAT}"
        if not isinstance(record.get("nonce"), str) or not isinstance(record.get("source"), dict):
            return "the header has no nonce or no source"
        return None
    if event == "pending":
        rows: Any = record.get("rows")
        digests, phones = record.get("digests"), record.get("phones")
        if not (isinstance(record.get("id"), str) and _rows(rows) and isinstance(digests, list)
                and isinstance(phones, list) and len(rows) == len(digests) == len(phones)
                and all(isinstance(d, str) for d in digests) and all(_phones(p) for p in phones)):
            return "a pending record needs id, rows, digests and phones of one length"
        settle = record.get("settle_after", 0)
        if isinstance(settle, bool) or not isinstance(settle, (int, float)):
            return "settle_after must be a number of seconds"
        return None
    if event not in ROW_EVENTS:
        return f"unknown event {event!r}"
    if not (_rows([record.get("row")]) and isinstance(record.get("digest"), str)):
        return f"a {event} record needs a row number and a digest"
    if event == "unknown" and not (isinstance(record.get("id"), str) and _phones(record.get("phones"))):
        return "an unknown record needs the id and phones to look it up by"
    return None


def _rows(rows: Any) -> bool:
    return isinstance(rows, list) and bool(rows) and all(
        isinstance(row, int) and not isinstance(row, bool) and row >= 1 for row in rows)


def _phones(phones: Any) -> bool:
    return isinstance(phones, list) and bool(phones) and all(isinstance(phone, str) for phone in phones)


def describe_difference(recorded: Mapping[str, Any], current: Mapping[str, Any]) -> Optional[str]:
    """What differs between the source a journal was made from and this run's; None if it is
    the same input. Files are compared by content (SHA-256); a moved file is the same input."""
    if recorded.get("kind") != current.get("kind"):
        return f"the journal was made from {_name(recorded)}, this run reads {_name(current)}"
    if recorded.get("kind") != "file":
        if recorded.get("label") != current.get("label"):
            return f"the journal was made for source {recorded.get('label')!r}, this run is {current.get('label')!r}"
        return None
    if recorded.get("sha256") == current.get("sha256"):
        return None
    if recorded.get("path") == current.get("path"):
        return (f"{current.get('path')} changed since the journal was made: it was {recorded.get('size')} bytes "
                f"(sha256 {str(recorded.get('sha256'))[:12]}...), it is {current.get('size')} bytes "
                f"(sha256 {str(current.get('sha256'))[:12]}...)")
    return (f"the journal was made from another file: {_name(recorded)}; this run reads {_name(current)}")


def _name(source: Mapping[str, Any]) -> str:
    if source.get("kind") == "file":
        return (f"{source.get('path')} ({source.get('size')} bytes, "
                f"sha256 {str(source.get('sha256'))[:12]}...)")
    return f"messages given to send_bulk (source {source.get('label')!r})"

