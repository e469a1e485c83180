"""The message id a send carries when its caller gives none: derived from the request and the
minute it is made in, so that the service's duplicate guard keeps working.

The page (004:280-283) says the server refuses a second *identical* send request within a minute
(error 9), "to protect against errors and loops in the client's program" and so as not to spend
the client's money twice. A random id per call would make every call different on the wire, so a
loop that sends the same message would be sent and charged every time. The id derived here is
the same for the same request within one window of :data:`smsc_soap.spec.DUPLICATE_SEND_WINDOW_SECONDS`:

* a repeated identical call within the window carries the same id and the same fields, and the
  service refuses it with error 9 (:class:`~smsc_soap.DuplicateRequest`), as the page intends;
* a send whose answer was lost can still be looked up by its id (``Client.reconcile``), and
  resending it *with that id* (``id=lost.id``) is the identical request again;
* a different text, number, sender, time or extended parameter gives a different id.

The window is fixed (``floor(now / window)``), so two identical calls that straddle its edge get
different ids and are both sent: at most one send per window, as with the server's own rule of
"one per minute". A caller who wants one send per business event whatever the time passes its own
id (an order number): see docs/reliability.rst.

What goes in: the login, the kind of operation, every wire field but the password and the id, and
``query`` without the API key (secrets never go into something that travels and is logged; ids
are per account, so two accounts sharing an id is harmless). ``send_sms`` with no extended
parameters and ``send_sms2`` with an empty query are the same request here.
"""
from __future__ import annotations

import hashlib
import json
import math
import time
from typing import Mapping, Optional

from .. import spec

#: The prefix of a client-made id: a letter, so the id is never read as a number (numeric ids
#: must be 1..2147483647, 004:35).
ID_PREFIX = "c"
#: Hex digits after the prefix: 80 bits, and 21 characters of the page's 40 (004:35).
ID_HEX_DIGITS = 20
#: Fields that never go into the derived id: the secret, and the id itself.
_LEFT_OUT = frozenset({"psw", "id", "query"})


def wall_clock() -> float:
    """Seconds since the epoch: the windows are the service's minutes, not this process's."""
    return time.time()


def send_window(now: float) -> int:
    """The number of the duplicate-guard window ``now`` falls in."""
    return math.floor(now / spec.DUPLICATE_SEND_WINDOW_SECONDS)


def query_without_apikey(query: str) -> str:
    """``query`` less its ``apikey=...`` piece (the key is a secret and not part of the message)."""
    return "&".join(piece for piece in query.split("&") if piece and not piece.startswith("apikey="))


def derived_message_id(kind: str, request: Mapping[str, str], now: Optional[float] = None) -> str:
    """The id for a send of ``kind`` with wire fields ``request`` made at ``now`` (default: the
    wall clock): ``c`` and 20 hex digits of a SHA-256 of the request and its window."""
    fields = sorted((name, value) for name, value in request.items() if name not in _LEFT_OUT)
    window = send_window(wall_clock() if now is None else now)
    # JSON, so that no text can imitate a field boundary (a mes holding "\nsender=...").
    identity = json.dumps([kind, fields, query_without_apikey(request.get("query") or ""), window])
    digest = hashlib.sha256(identity.encode("utf-8")).hexdigest()
    return ID_PREFIX + digest[:ID_HEX_DIGITS]
