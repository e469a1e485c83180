"""``async for`` over many messages: the async pipelines of :mod:`smsc_soap.bulk` and
:mod:`smsc_soap.track`, on their pure parts (chunking, the list call, outcome mapping, the
polling schedule); only the waiting is asyncio's here.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from typing import (
    Dict,
    TYPE_CHECKING, Any, AsyncIterator, Callable, Deque, Iterable, Iterator, List, Optional, Set, Tuple, Union,
)

from .. import spec
from .._core.bulk import (
    Chunk, ChunkNamer, Failed, InputBroke, MessageLike, Outcome, Progress, Tally, check_options, chunks, not_sent, read_outcomes,
    unreported,
)
from ..errors import SmscError
from .._core.polling import StatusChange, poll_async
from .._core.polling import check_options as check_track_options
from ..track import DEFAULT_TIMEOUT

if TYPE_CHECKING:  # pragma: no cover
    from .._protocols import AsyncBulkSender, AsyncStatusSource

log = logging.getLogger("smsc_soap")

__all__ = ["send_bulk", "track"]

Pending = Union["asyncio.Task[List[Outcome]]", List[Outcome]]


def send_bulk(client: "AsyncBulkSender", messages: Iterable[MessageLike], *, concurrency: Optional[int] = None,
              ordered: bool = True, lines_per_request: int = spec.BULK_LINES_PER_REQUEST,
              bytes_per_request: int = spec.BULK_BYTES_PER_REQUEST,
              progress: Optional[Callable[[Progress], None]] = None,
              before_send: Optional[Callable[[Chunk], None]] = None,
              chunk_id: Optional[ChunkNamer] = None) -> AsyncIterator[Outcome]:
    """See :meth:`smsc_soap.AsyncClient.send_bulk`; the options are checked at once."""
    slots = check_options(concurrency, lines_per_request, bytes_per_request)
    return _run(client, chunks(messages, lines_per_request, bytes_per_request, chunk_id), slots, ordered,
                progress, before_send)


async def _run(client: "AsyncBulkSender", source: Iterator[Union[Chunk, Failed, InputBroke]], slots: int, ordered: bool,
               progress: Optional[Callable[[Progress], None]],
               before_send: Optional[Callable[[Chunk], None]]) -> AsyncIterator[Outcome]:
    window = slots * spec.BULK_WINDOW_PER_SLOT
    semaphore = asyncio.Semaphore(slots)
    tally = Tally()
    queue: Deque[Pending] = deque()  # in input order
    running: Set["asyncio.Task[List[Outcome]]"] = set()
    started: Set["asyncio.Task[List[Outcome]]"] = set()
    chunk_of: Dict["asyncio.Task[List[Outcome]]", Chunk] = {}
    exhausted = False
    # Requests whose outcomes are being given: if the caller stops reading meanwhile, they are
    # among those it must look up (see unreported).
    unread: List[Pending] = []

    def forget(entry: Pending) -> None:
        """Its outcomes were given: the run keeps nothing of it (memory stays flat)."""
        if not isinstance(entry, list):
            started.discard(entry)
            chunk_of.pop(entry, None)

    async def send(chunk: Chunk) -> List[Outcome]:
        async with semaphore:
            task = asyncio.current_task()
            assert task is not None
            started.add(task)  # from here on it may reach the service
            if before_send is not None:
                before_send(chunk)  # right before it leaves (see smsc_soap.bulk._send_chunk)
            try:
                result = await client.send_list(chunk.encoded_list, id=chunk.id, sender=chunk.sender,
                                                time=chunk.time, extended=dict(chunk.extended))
            except SmscError as error:
                return not_sent(chunk, error)
        return read_outcomes(chunk, result)

    try:
        while True:
            while not exhausted and len(running) < window:
                item = tally.next_chunk(source, queue)
                if item is None:
                    exhausted = True
                    break
                task = asyncio.ensure_future(send(item))
                running.add(task)
                queue.append(task)
                chunk_of[task] = item
            if not queue:
                tally.raise_input_error()
                break
            if ordered:
                unread = [queue.popleft()]
                head = unread[0]
                if not isinstance(head, list):
                    head = await head
                    running = {t for t in running if not t.done()}
                for outcome in tally.report(head, progress):
                    yield outcome
                forget(unread[0])
                unread = []
                continue
            ready = [entry for entry in queue if isinstance(entry, list) or entry.done()]
            if not ready:
                await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                ready = [entry for entry in queue if isinstance(entry, list) or entry.done()]
            queue = deque(entry for entry in queue if not any(entry is done for done in ready))
            for number, entry in enumerate(ready):
                unread = ready[number:]
                if isinstance(entry, list):
                    outcomes = entry
                else:
                    running.discard(entry)
                    outcomes = entry.result()
                for outcome in tally.report(outcomes, progress):
                    yield outcome
                forget(entry)
            unread = []
    finally:
        waiting = [task for task in running if task not in started]
        for task in waiting:
            task.cancel()  # not yet started: never sent; those in flight finish
        if running:
            await asyncio.gather(*running, return_exceptions=True)
        left = [chunk_of[entry] for entry in unread + list(queue) if not isinstance(entry, list) and entry in started]
        if left:
            log.warning("%s", unreported(left))


def track(client: "AsyncStatusSource", ids_and_phones: Iterable[Tuple[str, str]], *,
          timeout: float = DEFAULT_TIMEOUT, interval: float = spec.STATUS_MIN_INTERVAL_SECONDS,
          clock: Callable[[], float] = time.monotonic,
          sleep: Optional[Callable[[float], Any]] = None) -> AsyncIterator[StatusChange]:
    """See :meth:`smsc_soap.AsyncClient.track`; ``sleep`` defaults to ``asyncio.sleep`` and may be
    a plain function (a sandbox's ``advance``). The options are checked at once."""
    pairs = check_track_options(ids_and_phones, timeout, interval)
    return poll_async(client.get_status, pairs, timeout, interval, clock, sleep or asyncio.sleep)
