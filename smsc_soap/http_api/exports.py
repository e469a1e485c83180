"""Deferred export tasks (page 002, ``/sys/downloads.php``): the list, typed, and each task's CSV
file, streamed to a file or as rows, never whole in memory."""
from __future__ import annotations

import codecs
import contextlib
import csv
import enum
import os
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, TYPE_CHECKING, Iterable, Iterator, List, Mapping, Optional, Tuple, Union

from .._fields import Fields
from .. import spec
from .._files import whole_or_nothing as whole_or_nothing  # where it was before
from ..errors import ProtocolError, TaskNotReady, ValidationError
from . import values
from .dates import service_datetime
from .calls import HttpCall
from .formats import Record
from .wire import PageAccess, PagePlan

if TYPE_CHECKING:  # pragma: no cover
    from .._sync.pages import HttpShell


class TaskStatus(int, enum.Enum):
    """``status`` of a task (002:136)."""

    WAITING = 0
    RUNNING = 1
    DONE = 2
    CANCELLED = 3
    FAILED = 4

    @property
    def title(self) -> str:
        """The page's word for it (spec.TASK_STATUSES)."""
        return spec.TASK_STATUSES[self.value]




@dataclass(frozen=True)
class ExportTask:
    """One deferred task (002:106-138); ``created`` and ``time`` are aware (spec.HTTP_DATE_FORMAT);
    a status the page does not list is kept as its int."""

    id: int
    name: str
    status: Union[TaskStatus, int]
    created: Optional[datetime]
    time: Optional[datetime]
    file: str
    raw: Mapping[str, str] = field(repr=False, compare=False, default_factory=dict)

    @property
    def done(self) -> bool:
        """Whether the file can be downloaded (002:141: from status 2 on)."""
        return self.status == TaskStatus.DONE

    @classmethod
    def from_record(cls, record: Record) -> "ExportTask":
        try:
            code = values.code(record, "status")
            if code is None:
                raise ValueError("status is missing")
            return cls(id=values.page_id(record), name=record.get("name", ""),
                       status=TaskStatus(code) if code in spec.TASK_STATUSES else code,
                       created=service_datetime(record.get("created")), time=service_datetime(record.get("time")),
                       file=record.get("file", ""), raw=Fields(record))
        except (KeyError, ValueError) as exc:
            raise ProtocolError(f"exports.get_list: an unreadable task: {exc}") from None


TaskRef = Union[ExportTask, int]



class Exports:
    """``client.exports``: the calls of page 002."""

    def __init__(self, shell: "HttpShell") -> None:
        self._shell = shell

    def get_list(self, cnt: Optional[int] = None, after_id: Optional[int] = None, *,
                 fmt: Optional[int] = None) -> Tuple[ExportTask, ...]:
        """The deferred tasks: at most ``cnt``, those after ``after_id`` (002:71-72)."""
        return self._shell.run(plan_get_list(self._shell, cnt, after_id, fmt=fmt))

    @contextlib.contextmanager
    def stream(self, task: Optional[TaskRef] = None, *, name: Optional[str] = None) -> Iterator[Iterator[bytes]]:
        """The task's file as pieces of bytes, by task (or id) or by file ``name`` (002:64).

        A task known not to be done is refused before anything is sent (:class:`TaskNotReady`);
        the service answers 5 (:class:`~smsc_soap.errors.TaskNotFound`) for a task or file it does
        not have (yet).
        """
        call = file_call(self._shell, task, name)
        with self._shell.stream(call, spec.TASK_FIELDS) as pieces:
            yield pieces

    def get_file(self, task: Optional[TaskRef] = None, *, name: Optional[str] = None,
                 to: Union[str, "os.PathLike[str]", IO[bytes]]) -> int:
        """Write the task's file to ``to`` (a path, or a binary file object); the bytes written.

        A path gets the whole file or nothing: it is written beside it under a temporary name,
        then renamed.
        """
        if isinstance(to, (str, os.PathLike)):
            with whole_or_nothing(to) as out:
                return self.get_file(task, name=name, to=out)
        written = 0
        with self.stream(task, name=name) as pieces:
            for piece in pieces:
                to.write(piece)
                written += len(piece)
        return written

    @contextlib.contextmanager
    def rows(self, task: Optional[TaskRef] = None, *, name: Optional[str] = None) -> Iterator[Iterator[List[str]]]:
        """The task's file as CSV rows (lists of str; the header first), read as they arrive.

        The file's encoding and delimiter are spec.EXPORT_CSV_ENCODING / EXPORT_CSV_DELIMITER."""
        with self.stream(task, name=name) as pieces:
            yield csv_rows(_lines(pieces))


def plan_get_list(access: PageAccess, cnt: Optional[int] = None, after_id: Optional[int] = None, *,
                  fmt: Optional[int] = None) -> PagePlan[Tuple[ExportTask, ...]]:
    """The call of ``get_list`` and the reading of its answer (no I/O, for both shells)."""
    fields = {"cnt": _whole("cnt", cnt), "after_id": _whole("after_id", after_id)}
    return PagePlan(access.prepare("exports.get_list", fields, fmt=fmt), spec.TASK_FIELDS,
                    lambda answer: tuple(ExportTask.from_record(record) for record in answer.records), listing=True)


def file_call(access: PageAccess, task: Optional[TaskRef], name: Optional[str]) -> HttpCall:
    """The call of ``get_file`` (its answer: a file, or records of the fields spec.TASK_FIELDS)."""
    return access.prepare("exports.get_file", _file_fields(task, name))


class Records:
    """Pieces of the file's bytes in, whole CSV records out (text, line ends kept): a record ends
    at a line end outside quotes, so a quoted field spanning lines stays in one record. Pure: the
    sync shell pulls, the async one pushes."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder(spec.EXPORT_CSV_ENCODING)()
        self._rest = ""
        self._record = ""

    def feed(self, piece: bytes) -> List[str]:
        text = self._rest + self._decoder.decode(piece)
        lines = text.splitlines(keepends=True)
        self._rest = lines.pop() if lines and not lines[-1].endswith(("\n", "\r")) else ""
        return self._records(lines)

    def end(self) -> List[str]:
        rest = self._rest + self._decoder.decode(b"", final=True)
        self._rest = ""
        records = self._records([rest] if rest else [])
        if self._record:
            records.append(self._record)
            self._record = ""
        return records

    def _records(self, lines: List[str]) -> List[str]:
        records: List[str] = []
        for line in lines:
            self._record += line
            if self._record.count('"') % 2 == 0:  # "" inside a quoted field counts twice
                records.append(self._record)
                self._record = ""
        return records


def csv_rows(records: Iterable[str]) -> Iterator[List[str]]:
    """The rows of whole records (spec.EXPORT_CSV_DELIMITER)."""
    return csv.reader(records, delimiter=spec.EXPORT_CSV_DELIMITER)


def _lines(pieces: Iterator[bytes]) -> Iterator[str]:
    """Whole records' text from pieces of bytes."""
    records = Records()
    for piece in pieces:
        yield from records.feed(piece)
    yield from records.end()


def _whole(name: str, value: Optional[int]) -> Optional[str]:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(f"{name} must be a whole number >= 0, got {value!r}", field=name)
    return str(value)


def _file_fields(task: Optional[TaskRef], name: Optional[str]) -> Mapping[str, Optional[str]]:
    if (task is None) == (name is None):
        raise ValidationError("give a task (or its id) or a file name, one of them", field="id")
    if isinstance(task, ExportTask):
        if not task.done:
            status = task.status.name.lower() if isinstance(task.status, TaskStatus) else task.status
            raise TaskNotReady(f"export task {task.id} ({task.name!r}) is {status}, not done: its file can be "
                               "downloaded once get_list shows it done (status 2)", status=task.status)
        return {"id": str(task.id)}
    if task is not None:
        return {"id": _whole("id", task)}
    if not isinstance(name, str) or not name.strip():
        raise ValidationError("name must be a non-empty str", field="name")
    return {"name": name}
