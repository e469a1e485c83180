"""Mass mailings (page 000, ``/sys/jobs.php``)."""
from __future__ import annotations

from .shell import HttpShell


class Mailings:
    """``client.mailings``: the calls of page 000."""

    def __init__(self, shell: HttpShell) -> None:
        self._shell = shell
