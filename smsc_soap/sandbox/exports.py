"""The deferred export tasks of page 002 on the sandbox: tasks that move 0 -> 1 -> 2 on the
sandbox clock, and their CSV of the account's sends, generated while it is written."""
from __future__ import annotations

import csv
import io
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable, Dict, Iterator, List, Optional, Sequence

from .. import spec
from .service import SentMessage

#: ASSUMPTION (002 does not say how long a task takes): a new task waits this long (status 0),
#: then runs this long (status 1), then is done (2), on the sandbox clock.
EXPORT_WAIT_SECONDS = 10.0
EXPORT_RUN_SECONDS = 50.0
#: ASSUMPTION: the columns of the export file (002:141 "пакет відправлених повідомлень").
CSV_COLUMNS = ("id", "phone", "send_date", "status", "cost", "sender", "mes")
#: Bytes per piece of a generated file.
CHUNK_BYTES = 64 * 1024
#: Synthetic rows per piece (about 100 KB).
SYNTHETIC_BLOCK = 1000

_MOSCOW = timezone(timedelta(hours=spec.MOSCOW_UTC_OFFSET_HOURS))


def service_date(epoch: float) -> str:
    """A moment as the pages write dates (spec.HTTP_DATE_FORMAT, Moscow time)."""
    return datetime.fromtimestamp(epoch, _MOSCOW).strftime(spec.HTTP_DATE_FORMAT)


@dataclass
class Task:
    """One deferred task: ``synthetic_rows`` more rows follow the account's sends (for tests of
    large files); ``final`` is the status it ends in (2, or 3/4 to model a cancelled or failed task)."""

    id: int
    login: str
    name: str
    created: float
    synthetic_rows: int = 0
    final: int = spec.TASK_DONE

    @property
    def file(self) -> str:
        return f"{self.name}.csv"

    def status(self, now: float) -> int:
        if now < self.created + EXPORT_WAIT_SECONDS:
            return 0
        if now < self.created + EXPORT_WAIT_SECONDS + EXPORT_RUN_SECONDS:
            return 1
        return self.final

    def record(self, now: float) -> Dict[str, str]:
        started = self.created + EXPORT_WAIT_SECONDS
        return {"id": str(self.id), "name": self.name, "status": str(self.status(now)),
                "created": service_date(self.created), "time": service_date(started) if now >= started else "",
                "file": self.file if self.status(now) == spec.TASK_DONE else ""}


class Exports:
    """Every account's tasks; ids count from 1 per sandbox."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tasks: List[Task] = []

    def add(self, login: str, name: str, now: float, *, synthetic_rows: int = 0,
            final: int = spec.TASK_DONE) -> Task:
        with self._lock:
            task = Task(len(self._tasks) + 1, login, name, now, int(synthetic_rows), int(final))
            self._tasks.append(task)
            return task

    def listing(self, login: str, now: float, cnt: Optional[int], after_id: Optional[int]) -> List[Dict[str, str]]:
        with self._lock:
            tasks = [t for t in self._tasks if t.login == login and (after_id is None or t.id > after_id)]
        return [t.record(now) for t in tasks[:cnt] if cnt is None or cnt >= 0]

    def find(self, login: str, id: Optional[int], name: Optional[str]) -> Optional[Task]:  # noqa: A002
        with self._lock:
            for task in self._tasks:
                if task.login == login and (task.id == id or (name is not None and name in (task.name, task.file))):
                    return task
        return None


def csv_file(task: Task, messages: Callable[[], Sequence[SentMessage]]) -> Iterator[bytes]:
    """The task's file, piece by piece: a header, the account's sends, then the synthetic rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=spec.EXPORT_CSV_DELIMITER, lineterminator="\n")

    def take() -> bytes:
        data = buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
        return data

    writer.writerow(CSV_COLUMNS)
    for message in messages():
        if message.login == task.login:
            writer.writerow((message.id, message.phone, service_date(message.send_at), message.status,
                             message.cost, message.sender or "", message.mes))
    yield take()
    # The synthetic rows as csv.writer would write them, a block at a time (fast enough for tests
    # of files of a hundred megabytes).
    writer.writerow(("s{0}", "7999{1:07d}", service_date(task.created), 1, "1.50", "SANDBOX",
                     'synthetic row {0}; a text, with commas and "quotes"'))
    template = take().decode("utf-8")
    for start in range(1, task.synthetic_rows + 1, SYNTHETIC_BLOCK):
        stop = min(start + SYNTHETIC_BLOCK, task.synthetic_rows + 1)
        yield "".join([template.format(row, row % 10_000_000) for row in range(start, stop)]).encode("utf-8")
