"""The one way the sandbox's logic refuses a request: :class:`Refused`, an error code of the pages
(and, for the pages, the text to show); the SOAP endpoint and each page turn it into their answer."""
from __future__ import annotations

__all__ = ["Refused"]


class Refused(Exception):
    """A request refused with the service's error ``code`` (``text``: the pages' own wording, if any)."""

    def __init__(self, code: int, text: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.text = text
