"""The sync pipeline of a bulk send: ``list`` requests on a pool of threads, at most
``concurrency`` at once and within the client's own slots; outcomes in input order (or as they
finish). What a chunk is and how its answer is read are shared with the async pipeline
(:mod:`smsc_soap._core.bulk`).
"""
from __future__ import annotations

import functools
import logging
import threading
import time
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Callable, Deque, Iterable, Iterator, List, Optional, Set, Tuple, Union

from .. import spec
from .._core.bulk import (
    Chunk, ChunkNamer, Failed, InputBroke, MessageLike, Outcome, Progress, Tally, check_options, chunks, not_sent, read_outcomes,
    unreported,
)
from ..errors import SmscError
from ..results import SendResult

if TYPE_CHECKING:  # pragma: no cover
    from .._protocols import BulkSender

__all__ = ["send_bulk"]

log = logging.getLogger("smsc_soap")


def _write_list(client: "BulkSender", chunk: Chunk) -> Callable[[], SendResult]:
    """The send_sms2 of ``chunk``, by the client's named protocol (its ``list`` as written),
    checked and written, not sent: called by the thread writing the chunks, so that a worker
    whose answer came has only to send its next request (writing it is a fifth of a 100-line
    request's instructions, bench/instructions.py)."""
    return client.write_list(chunk.encoded_list, id=chunk.id, sender=chunk.sender, time=chunk.time,
                             extended=dict(chunk.extended))


def _written(client: "BulkSender", chunk: Chunk) -> Callable[[], SendResult]:
    """:func:`_write_list`'s, or, when checking refused the request, what raises that refusal
    when the worker would send it: it is the chunk's outcome, after ``before_send``, as for a
    request that failed."""
    try:
        return _write_list(client, chunk)
    except SmscError as error:
        return functools.partial(_raise, error)


def _raise(error: SmscError) -> SendResult:
    raise error


def _send_chunk(client: "BulkSender", chunk: Chunk, send: Callable[[], SendResult],
                before_send: Optional[Callable[[Chunk], None]], stopped: threading.Event) -> Answer:
    """The answer to ``chunk``'s one send_sms2 with ``list`` (``send``, written by
    :func:`_written`), or its typed error (read into outcomes by the consuming thread, not here: a
    worker goes back to the wire sooner); None, not sent, when the run ``stopped`` while it waited
    for its slot. ``before_send`` runs once the request has its slot, right before it leaves: a
    journal's ``pending`` records only requests that may really have gone, not those still waiting
    for a slot."""
    try:
        with client.bulk_slots:
            if stopped.is_set():
                return None
            if before_send is not None:
                before_send(chunk)
            return send()
    except SmscError as error:
        return error


#: What a request came to: its answer, its typed error, or None (never sent: the run had stopped).
Answer = Union[SendResult, SmscError, None]


def _outcomes(chunk: Chunk, answer: Answer) -> List[Outcome]:
    assert answer is not None, "only a stopped run has requests it did not send, and it reads none"
    return not_sent(chunk, answer) if isinstance(answer, SmscError) else read_outcomes(chunk, answer)


def _went(future: "Future[Answer]") -> bool:
    """Whether a request of a stopped run went (or may have): begun, and not stopped before it left."""
    return not future.cancelled() and (future.exception() is not None or future.result() is not None)


def _let_workers_in() -> None:
    """Hand the GIL to a worker waiting for it. Writing chunks and reading answers hold it, and
    a worker whose answer came would wait (up to the 5 ms switch interval) before it can send
    its next request: let it in between two pieces of this thread's work (2-3 % of the limit)."""
    time.sleep(0)


#: Messages read between two :func:`_let_workers_in` while chunks are written: a 100-line chunk
#: holds the GIL ~1 ms, long enough to hold up the workers whose answers came meanwhile; every
#: 25 lines gave 2-3 % more of the limit (bench/run.py), every line or three far less.
MESSAGES_BETWEEN_PAUSES = 25


def _with_pauses(messages: Iterable[MessageLike]) -> Iterator[MessageLike]:
    """``messages``, letting the workers in every :data:`MESSAGES_BETWEEN_PAUSES` of them."""
    for count, message in enumerate(messages, 1):
        if count % MESSAGES_BETWEEN_PAUSES == 0:
            _let_workers_in()
        yield message


Pending = Union[Tuple[Chunk, "Future[Answer]"], List[Outcome]]


def send_bulk(client: "BulkSender", messages: Iterable[MessageLike], *, concurrency: Optional[int] = None,
              ordered: bool = True, lines_per_request: int = spec.BULK_LINES_PER_REQUEST,
              bytes_per_request: int = spec.BULK_BYTES_PER_REQUEST,
              progress: Optional[Callable[[Progress], None]] = None,
              before_send: Optional[Callable[[Chunk], None]] = None,
              chunk_id: Optional[ChunkNamer] = None) -> Iterator[Outcome]:
    """See :meth:`smsc_soap.Client.send_bulk`."""
    slots = check_options(concurrency, lines_per_request, bytes_per_request)
    return _run(client, chunks(_with_pauses(messages), lines_per_request, bytes_per_request, chunk_id), slots,
                ordered, progress, before_send)


def _run(client: "BulkSender", source: Iterator[Union[Chunk, Failed, InputBroke]], slots: int, ordered: bool,
         progress: Optional[Callable[[Progress], None]],
         before_send: Optional[Callable[[Chunk], None]]) -> Iterator[Outcome]:
    tally = Tally()
    window = slots * spec.BULK_WINDOW_PER_SLOT
    queue: Deque[Pending] = deque()  # in input order
    running: Set["Future[Answer]"] = set()
    stopped = threading.Event()  # the run ended early: a request still waiting for its slot is not sent
    exhausted = False
    # Requests whose outcomes are being given: if the caller stops reading meanwhile, they are
    # among those it must look up (see unreported).
    reporting: Optional[Pending] = None
    unread: List[Pending] = []

    with ThreadPoolExecutor(max_workers=slots, thread_name_prefix="smsc-bulk") as pool:
        try:
            while True:
                while not exhausted and len(running) < window:
                    item = tally.next_chunk(source, queue)
                    if item is None:
                        exhausted = True
                        break
                    future = pool.submit(_send_chunk, client, item, _written(client, item), before_send, stopped)
                    running.add(future)
                    queue.append((item, future))
                    _let_workers_in()
                if not queue:
                    tally.raise_input_error()
                    break
                if ordered:
                    head = queue.popleft()
                    if not isinstance(head, list):
                        chunk, future = reporting = head
                        running.discard(future)
                        answer = future.result()
                        _let_workers_in()  # the worker that answered is sending its next request
                        head = _outcomes(chunk, answer)
                    yield from tally.report(head, progress)
                    reporting = None
                    continue
                ready: List[Pending] = [entry for entry in queue if isinstance(entry, list)]
                if not ready:
                    wait(running, return_when=FIRST_COMPLETED)
                    _let_workers_in()
                    ready = [entry for entry in queue if not isinstance(entry, list) and entry[1].done()]
                queue = deque(entry for entry in queue if not any(entry is done for done in ready))
                for number, entry in enumerate(ready):
                    unread = ready[number:]
                    if not isinstance(entry, list):
                        chunk, future = entry
                        running.discard(future)
                        entry = _outcomes(chunk, future.result())
                    yield from tally.report(entry, progress)
                unread = []
        finally:
            stopped.set()
            for future in running:
                future.cancel()  # not yet started: never sent; those in flight finish
            wait(running)
            left = [entry for entry in ([reporting] if reporting else []) + list(unread) + list(queue)
                    if not isinstance(entry, list) and _went(entry[1])]
            if left:
                log.warning("%s", unreported([chunk for chunk, _ in left]))
