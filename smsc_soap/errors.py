"""Every exception smsc_soap raises, in one tree rooted at :class:`SmscError`.

Three branches, so callers can catch by what went wrong:

* :class:`ValidationError` -- bad input, raised before anything is sent (nothing charged);
* :class:`ApiError` -- the service answered with a non-zero ``error`` code;
* :class:`TransportError` -- the answer never came, or was not a SOAP answer.
"""
from __future__ import annotations

from typing import Optional


class SmscError(Exception):
    """Base of every error raised by smsc_soap."""


# --- input ------------------------------------------------------------------------------


class ValidationError(SmscError, ValueError):
    """An argument is not something the service accepts; raised before sending."""

    def __init__(self, message: str, *, field: Optional[str] = None) -> None:
        super().__init__(message)
        self.field = field
