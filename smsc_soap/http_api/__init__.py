"""The service's HTTP pages beside SOAP, reached through the same :class:`~smsc_soap.Client`:

* ``client.operator(phones)``: the operator of numbers (page 001, :mod:`.operator`);
* ``client.exports``: deferred export tasks and their CSV files (page 002, :mod:`.exports`);
* ``client.mailings``: mass mailings (page 000, :mod:`.mailings`).

The same rules as SOAP hold (:mod:`.shell`): endpoint per host, login+psw or apikey where the page
allows it, a form-encoded POST, the client's timeouts, retries, back-off and exceptions.
"""
from __future__ import annotations

from .operator import OperatorInfo

__all__ = ["OperatorInfo"]
