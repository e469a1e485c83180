"""What the command prints: aligned ``label value`` lines or JSON lines on stdout, one-line
notes on stderr."""
from __future__ import annotations

import dataclasses
import enum
import json
import os
import sys
import typing
from datetime import datetime
from decimal import Decimal
from typing import Any, Iterator, Optional, Tuple

__all__ = ["Output", "human", "plain", "say", "to_devnull", "write_or_drop"]

_LABELS = {"cnt": "parts"}


def plain(value: Any) -> Any:
    """A JSON value: Decimal as a string, codes as ints, datetimes in ISO 8601."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple) and hasattr(value, "_asdict"):
        return {key: plain(item) for key, item in value._asdict().items()}
    if isinstance(value, (tuple, list)):
        return [plain(item) for item in value]
    return value


def human(value: Any) -> str:
    if isinstance(value, enum.Enum):
        return f"{value.value} {value.title}"  # type: ignore[attr-defined]
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return ": ".join(human(item) for item in value)
    return str(value)


def _fields(result: Any) -> Iterator[Tuple[str, Any]]:
    """A result's fields in their order, without ``raw`` and without absent values."""
    for field in dataclasses.fields(result):
        value = getattr(result, field.name)
        if field.name != "raw" and value is not None and value != ():
            yield field.name, value


class Output:
    """Where results go: aligned ``label value`` lines, or JSON lines for scripts."""

    def __init__(self, as_json: bool, stream: Optional[typing.TextIO] = None) -> None:
        self.json = as_json
        self.stream = stream if stream is not None else sys.stdout

    def line(self, label: str, value: Any) -> None:
        print(f"{label:<12} {human(value)}", file=self.stream)

    def result(self, kind: str, result: Any, **context: Any) -> None:
        fields = dict(context, **dict(_fields(result)))
        if self.json:
            obj = {"type": kind, **{name: plain(value) for name, value in fields.items()}}
            if hasattr(result, "final"):
                obj["final"] = result.final
            print(json.dumps(obj, ensure_ascii=False), file=self.stream)
            return
        for name, value in fields.items():
            for item in (value if name == "errors" else (value,)):  # errors: one line per phone
                self.line(_LABELS.get(name, name.replace("_", " ")), item)
        self.stream.flush()


def to_devnull(stream: Any) -> None:
    """Point ``stream``'s file descriptor at /dev/null, so that the flush at exit does not fail
    again (Python's recipe for a reader that left); not a real file (tests): nothing to do."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, stream.fileno())
        finally:
            os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def write_or_drop(stream: Any, text: str) -> bool:
    """Write ``text`` to ``stream`` now; if nobody reads it any more (a closed pipe), drop it and
    what follows (the descriptor then points at /dev/null): what cannot be shown must never stop
    the work, whose exit code still tells. False if dropped."""
    try:
        stream.write(text)
        stream.flush()
    except OSError:
        to_devnull(stream)
        return False
    return True


def say(line: str) -> None:
    """One line on stderr; if nobody reads stderr any more, the exit code still tells."""
    write_or_drop(sys.stderr, f"smsc-soap: {line}\n")
