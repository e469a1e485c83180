"""An answer's fields as the service sent them, kept read-only on a result (its ``raw``)."""
from __future__ import annotations

from typing import Iterator, Mapping, Tuple, TypeVar

__all__ = ["Fields"]

V = TypeVar("V")


class Fields(Mapping[str, V]):
    """A read-only copy of an answer's fields. Not ``types.MappingProxyType``, which cannot be
    pickled: a result must cross a process boundary (a multiprocessing pool's worker, a task
    queue's result) as its errors do."""

    __slots__ = ("_fields",)

    def __init__(self, fields: Mapping[str, V]) -> None:
        self._fields = dict(fields)

    def __getitem__(self, name: str) -> V:
        return self._fields[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)

    def __repr__(self) -> str:
        return f"Fields({self._fields!r})"

    def __reduce__(self) -> Tuple[object, ...]:
        return (Fields, (self._fields,))
