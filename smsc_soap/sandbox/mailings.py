"""The mass mailings of page 000 on the sandbox (``/sys/jobs.php``)."""
from __future__ import annotations

from typing import Any, Mapping

from . import tables as T


class Mailings:
    """Every account's mailings."""

    def __init__(self, service: Any) -> None:
        self.service = service

    def handle(self, operation: str, login: str, form: Mapping[str, str], fmt: int, now: float) -> Any:
        from .http_pages import _Refused
        raise _Refused(T.ERR_PARAMS)
