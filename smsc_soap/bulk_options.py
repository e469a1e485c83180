"""The keyword options of ``send_bulk`` (:class:`~smsc_soap.Client`'s and
:class:`~smsc_soap.AsyncClient`'s), as a TypedDict: a type checker and an IDE then know each
option's name and type. They are :func:`smsc_soap.bulk.send_bulk`'s keyword parameters, which
check them at run time; an option added there is added here.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional, TypedDict, Union

if TYPE_CHECKING:  # pragma: no cover
    from ._core.bulk import Chunk, Progress

__all__ = ["BulkOptions"]


class BulkOptions(TypedDict, total=False):
    """``send_bulk(messages, **options)``: every option may be left out."""

    concurrency: Optional[int]
    ordered: bool
    lines_per_request: int
    bytes_per_request: int
    progress: Optional[Callable[[Progress], None]]
    before_send: Optional[Callable[[Chunk], None]]
    #: With ``journal=`` only: what the messages are (a label, or a file's identity), recorded in
    #: the journal so that it is refused for other messages (:mod:`smsc_soap.journal`).
    source: Union[None, str, Mapping[str, Any]]
    #: With ``journal=`` only: called with (pairs looked up, pairs to look up) while a resume asks
    #: the service what an interrupted run sent.
    on_check: Optional[Callable[[int, int], None]]
