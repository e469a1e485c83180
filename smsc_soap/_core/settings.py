"""How a shell talks HTTP, as data: timeouts, the size limit, the retry policy.

Every shell (requests today; httpx or a plain-HTTP API later) reads the same settings object,
so the defaults and their checks exist once.
"""
from __future__ import annotations

import logging
import platform
from dataclasses import dataclass
from typing import Tuple, Union

from .. import errors
from .._version import __version__
from .retry import RetryPolicy

#: (connect, read) seconds. Our choice: the pages state no answer time. ``connect`` bounds each
#: connection attempt; ``read`` bounds the whole call, retries and back-off included.
DEFAULT_TIMEOUT: Tuple[float, float] = (10.0, 30.0)
#: Largest answer we read. Answers are a few hundred bytes; an ``errors`` list for a huge
#: mailing stays far below this. Anything larger is refused, not buffered.
MAX_RESPONSE_BYTES = 8 * 1024 * 1024
#: How much of an answer the DEBUG log shows.
LOG_BODY_CHARS = 16 * 1024

Timeout = Union[float, Tuple[float, float]]


@dataclass(frozen=True)
class TransportSettings:
    """How the client talks HTTP; one object instead of flags threaded through calls."""

    timeout: Timeout = DEFAULT_TIMEOUT
    verify: Union[bool, str] = True
    max_response_bytes: int = MAX_RESPONSE_BYTES
    retry: RetryPolicy = RetryPolicy()

    def __post_init__(self) -> None:
        values = self.timeout if isinstance(self.timeout, tuple) else (self.timeout,)
        if len(values) != (2 if isinstance(self.timeout, tuple) else 1) or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and 0 < v < float("inf") for v in values):
            raise errors.ValidationError(
                f"timeout must be seconds > 0, or a (connect, read) pair of them, got {self.timeout!r}",
                field="timeout")

    def requests_timeout(self) -> Tuple[float, float]:
        """``(connect, read)`` seconds, a single number given for both."""
        if isinstance(self.timeout, tuple):
            return (float(self.timeout[0]), float(self.timeout[1]))
        return (float(self.timeout), float(self.timeout))

    def call_seconds(self) -> float:
        """The longest one call may take in all: the read timeout (a single number: that number)."""
        return self.requests_timeout()[1]


def user_agent() -> str:
    """What every request of the package says it is, whichever shell sends it (SOAP and the HTTP
    pages; not zeep's, nor the HTTP library's): set once where a shell builds its session."""
    return f"smsc-soap/{__version__} Python/{platform.python_version()}"


def warn_if_unverified(settings: TransportSettings) -> None:
    """Every shell says it once, when it is built: a client that does not check the server's
    certificate hands its password to whoever sits on the path."""
    if settings.verify is False:
        logging.getLogger("smsc_soap").warning(
            "TLS certificate verification is OFF: anyone on the path can read and change requests, "
            "passwords included")
