"""Files we write: whole or not at all, never through a link we did not create, with the mode
the umask gives (never wider than that of the file replaced); and the one exclusive lock that
state files (journals) and the temporary files of a write are held under, which dies with its
process."""
from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
import time
from typing import IO, Iterator, Union

__all__ = ["try_lock", "whole_or_nothing"]

#: How many temporary names whole_or_nothing tries before it gives up (each is random: a clash
#: means someone plants names beside the target).
_TEMPORARY_TRIES = 8
#: A temporary file left by a writer that died (kill -9, power cut) is removed by the next write
#: to the same path once it is this old and no process holds its lock (a live writer always
#: does; the age only covers the instant between creating the file and locking it).
STALE_TEMPORARY_SECONDS = 10.0


def try_lock(fd: int) -> bool:
    """Take the exclusive lock of ``fd``'s file without waiting: False if another open file
    holds it. The lock goes with the process, however it ends: never left stuck."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: a lock on the first byte, released at exit
        import msvcrt
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        except OSError:
            return False
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _temporary_pattern(name: str) -> "re.Pattern[str]":
    return re.compile(rf"\.{re.escape(name)}\.[0-9a-f]{{12}}\.part")


def _remove_stale_temporaries(directory: str, name: str) -> None:
    """Remove the temporaries of earlier writes to ``name`` whose writers died: ours (owned by this
    user, regular files, not links), old enough, and unlocked. A live writer's is never touched."""
    pattern = _temporary_pattern(name)
    try:
        entries = os.listdir(directory or ".")
    except OSError:
        return
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)
    for entry in entries:
        if not pattern.fullmatch(entry):
            continue
        path = os.path.join(directory, entry)
        try:
            fd = os.open(path, flags)
        except OSError:  # a link, gone already, or not ours to read
            continue
        try:
            info = os.fstat(fd)
            if (not stat.S_ISREG(info.st_mode) or info.st_uid != getattr(os, "getuid", lambda: info.st_uid)()
                    or time.time() - info.st_mtime < STALE_TEMPORARY_SECONDS or not try_lock(fd)):
                continue
            now = os.lstat(path)
            if (now.st_dev, now.st_ino) == (info.st_dev, info.st_ino):  # still the file we locked
                os.unlink(path)
        except OSError:
            continue
        finally:
            os.close(fd)


def _no_wider_than_replaced(fd: int, target: str) -> None:
    """Narrow ``fd``'s mode (the umask's) to that of the regular file at ``target`` it is to
    replace, if any: a write must not widen who may read what the file holds."""
    try:
        replaced = os.lstat(target)
    except FileNotFoundError:
        return
    if stat.S_ISREG(replaced.st_mode) and hasattr(os, "fchmod"):  # Windows: no such modes
        os.fchmod(fd, stat.S_IMODE(os.fstat(fd).st_mode) & stat.S_IMODE(replaced.st_mode))


@contextlib.contextmanager
def whole_or_nothing(path: Union[str, "os.PathLike[str]"]) -> Iterator[IO[bytes]]:
    """A binary file that becomes ``path`` only once the block ends without an error: written
    beside it under a new temporary name, flushed to disk, then renamed over ``path``; removed if
    anything goes wrong, so no partial file is left.

    The temporary file is created by us (``O_EXCL``: never a name someone planted, ``O_NOFOLLOW``:
    never through a link) with mode 0666 less the umask, the mode of a new file; one that replaces
    a regular file gets no bit that file lacked (a 0600 file stays 0600: what its owner restricted
    is not exposed by the write). The rename replaces a link at ``path`` itself, never writing
    through it (nor taking its target's mode). It is locked while written, so one left by a
    writer that was killed is known and removed by the next write to ``path``.
    """
    target = os.fspath(path)
    directory, name = os.path.split(target)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0) \
        | getattr(os, "O_BINARY", 0)
    for _ in range(_TEMPORARY_TRIES):
        temporary = os.path.join(directory, f".{name}.{secrets.token_hex(6)}.part")
        try:
            handle = os.open(temporary, flags, 0o666)  # the umask applies, as for any new file
        except FileExistsError:
            continue
        break
    else:
        raise FileExistsError(f"no free temporary name beside {target!r} after {_TEMPORARY_TRIES} tries")
    try_lock(handle)  # ours, new: no one else can hold it
    _remove_stale_temporaries(directory, name)
    try:
        with os.fdopen(handle, "wb") as out:
            yield out
            out.flush()
            _no_wider_than_replaced(out.fileno(), target)
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
