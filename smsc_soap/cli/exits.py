"""The exit codes of ``smsc-soap``: the one table, and the one place that maps exceptions to it."""
from __future__ import annotations

from typing import Mapping, Tuple, Type

from .. import errors
from .._core.journal import JournalError, JournalLocked

__all__ = [
    "EXIT_BY_ERROR", "EXIT_CODES", "EXIT_FILE", "EXIT_INTERRUPTED", "EXIT_LOCKED", "EXIT_NOT_DELIVERED", "EXIT_OK",
    "EXIT_PENDING", "EXIT_SERVICE", "EXIT_TRANSPORT", "EXIT_USAGE", "FileError", "NotDelivered", "StillPending",
    "UsageError", "file_problem",
]

EXIT_OK = 0
EXIT_SERVICE = 1
EXIT_USAGE = 2
EXIT_TRANSPORT = 3
EXIT_PENDING = 4
EXIT_NOT_DELIVERED = 5
EXIT_LOCKED = 6
EXIT_FILE = 7
EXIT_INTERRUPTED = 130

#: code -> when (the README's table is this one).
EXIT_CODES: Mapping[int, str] = {
    EXIT_OK: "success, also when the reader of the output stops early (| head): a send that went "
             "must not look failed, or it would be sent again",
    EXIT_SERVICE: "the service answered with an error code (the message names the code and its meaning)",
    EXIT_USAGE: "usage or validation error: nothing was sent",
    EXIT_TRANSPORT: "transport error: timeout, TLS, connection, or an answer that is not the service's",
    EXIT_PENDING: "--wait: the status was not final within --timeout",
    EXIT_NOT_DELIVERED: "--wait: the final status is a failure (expired, impossible to deliver, invalid or "
                        "unavailable number, prohibited, insufficient funds): the message will not arrive; "
                        "with several numbers, if any one failed",
    EXIT_LOCKED: "bulk: the journal is in use by another run (locked): nothing was sent by this one",
    EXIT_FILE: "a local file could not be read or written (a full disk, an I/O error, no permission): "
               "exports get -o wrote nothing; bulk stopped, and the same command run again resumes "
               "(nothing is sent twice)",
    EXIT_INTERRUPTED: "interrupted (Ctrl+C): during a send, the message id and the command that "
                      "checks whether it went are printed",
}


class UsageError(Exception):
    """A command line we cannot run (exit 2)."""


class FileError(Exception):
    """A local file could not be read or written (exit 7); the message names the file."""


class StillPending(Exception):
    """``status --wait`` gave up before the status became final (exit 4)."""


class NotDelivered(Exception):
    """``--wait`` saw a final status that is not a delivery (exit 5)."""


def file_problem(exc: OSError) -> str:
    """An OSError as a person reads it: ``PATH: No space left on device``, not ``[Errno 28] ...``."""
    if not exc.strerror:
        return str(exc)
    return f"{exc.filename}: {exc.strerror}" if exc.filename is not None else exc.strerror


#: Exception -> exit code; the first matching row wins.
EXIT_BY_ERROR: Tuple[Tuple[Type[Exception], int], ...] = (
    (UsageError, EXIT_USAGE),
    (errors.ValidationError, EXIT_USAGE),
    (JournalLocked, EXIT_LOCKED),
    (JournalError, EXIT_USAGE),
    (errors.ApiError, EXIT_SERVICE),
    (errors.TransportError, EXIT_TRANSPORT),
    (StillPending, EXIT_PENDING),
    (NotDelivered, EXIT_NOT_DELIVERED),
    (FileError, EXIT_FILE),
    (OSError, EXIT_FILE),  # one no command foresaw: still one line, not a traceback
)
