"""``AsyncClient.send_bulk(messages, journal=PATH)``: the journaled run of :mod:`smsc_soap.journal`
(the same file, lock, checks and records: its :class:`~smsc_soap.journal.Plan`), with the
lookups and the sends awaited. The journal's writes are small appends, made inline.
"""
from __future__ import annotations

import asyncio
import os
import time
from typing import TYPE_CHECKING, Any, AsyncIterator, Dict, Iterable, Optional, Tuple

from .._core import reconcile
from .._core.bulk import MessageLike, Outcome
from ..errors import RateLimited
from .._core.journal import Lookup
from ..journal import CheckProgress, JournaledRun, Plan, Source, lookup_slots, owner_of

if TYPE_CHECKING:  # pragma: no cover
    from .._core.reconcile import Reconciliation
    from .._protocols import AsyncBulkSender

__all__ = ["AsyncJournaledSend", "send_bulk"]


async def _ask(client: "AsyncBulkSender", plan: Plan, semaphore: asyncio.Semaphore,
               lookup: Lookup) -> Optional["Reconciliation"]:
    tries = 0
    while True:
        tries += 1
        try:
            async with semaphore:
                if plan.settled(lookup):
                    return None
                return await client.reconcile_send(lookup[1], lookup[2])
        except RateLimited as error:  # another program asked about it too: wait as the service says
            wait = reconcile.wait_after(error, tries)
            if wait is None:
                raise
        await asyncio.sleep(wait)


async def reconcile_rows(client: "AsyncBulkSender", plan: Plan, slots: int, on_check: Optional[CheckProgress]) -> None:
    """As :func:`smsc_soap.journal.reconcile_rows`, ``slots`` lookups at once."""
    pairs = plan.to_check()
    if not pairs:
        return
    await asyncio.sleep(plan.state.wait_seconds(time.time()))  # see smsc_soap.journal.reconcile_rows
    semaphore = asyncio.Semaphore(slots)
    tasks = {asyncio.ensure_future(_ask(client, plan, semaphore, pair)): pair for pair in pairs}
    done = 0
    try:
        pending = set(tasks)
        while pending:
            finished, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in finished:
                pair = tasks[task]
                plan.checked(pair, task.result())
                done += 1
            if on_check is not None:
                on_check(done, len(pairs))
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


class AsyncJournaledSend(JournaledRun, AsyncIterator[Outcome]):
    """What :class:`smsc_soap.journal.JournaledSend` is, for ``async for``; :meth:`aclose` stops."""

    def __init__(self, client: "AsyncBulkSender", messages: Iterable[MessageLike], path: str, source: Source,
                 on_check: Optional[CheckProgress], options: Dict[str, Any]) -> None:
        from .bulk import send_bulk as plain_send_bulk

        slots = lookup_slots(client, options)
        super().__init__(messages, path, source, client.call_seconds(), owner_of(client))
        plan = self.plan

        async def run() -> AsyncIterator[Outcome]:
            try:
                await reconcile_rows(client, plan, slots, on_check)
                async for outcome in plain_send_bulk(client, plan.inputs(), chunk_id=plan.chunk_id,
                                                     before_send=plan.before_send, **options):
                    yield plan.record(outcome)
            finally:
                self.journal.close()

        self._outcomes = run()

    async def __anext__(self) -> Outcome:
        return await self._outcomes.__anext__()

    async def aclose(self) -> None:
        await self._outcomes.aclose()  # type: ignore[attr-defined]
        self.journal.close()


def send_bulk(client: "AsyncBulkSender", messages: Iterable[MessageLike], journal: Any, *, source: Source = None,
              on_check: Optional[CheckProgress] = None, **options: Any) -> AsyncJournaledSend:
    """See :meth:`smsc_soap.AsyncClient.send_bulk` with ``journal=``."""
    return AsyncJournaledSend(client, messages, os.fspath(journal), source, on_check, dict(options))
