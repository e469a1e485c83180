"""Fault injection: make the next N answers fail the ways a real network and server do.

``sandbox.inject(kind, times=N, operation=None, **options)`` queues a :class:`Fault`; each request it
matches uses it up once. ``operation`` limits it to one WSDL operation (``"send_sms"``...), to the
WSDL download (``"wsdl"``), or to one call of the HTTP pages (``"get_operator"``, ``"mailings.add"``,
``"exports.get_list"``...: the names of spec.HTTP_OPERATIONS; the faulty answer is the same, with
the page's real answer where the kind uses it); ``None`` matches every SOAP request, well-formed or
not (never a page's: name it).

Every kind takes ``run``: whether the operation really runs (message sent, balance charged) before
the faulty answer goes out, so a client can be tested both for "nothing happened" and for "it
happened but the answer was lost". The defaults are the natural reading of each kind.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

#: kind -> (default options, does the operation run by default)
KINDS: Dict[str, Dict[str, Any]] = {
    # An HTTP error page instead of SOAP, e.g. a proxy's 502/503 (status=, body=, content_type=).
    "http_status": {"status": 503, "body": None, "content_type": "text/html", "run": False},
    # HTTP 200 with an HTML page (a captive portal, a maintenance page).
    "html": {"status": 200, "body": None, "content_type": "text/html; charset=utf-8", "run": False},
    # The real SOAP answer under a wrong Content-Type.
    "content_type": {"content_type": "text/html; charset=utf-8", "run": True},
    # An empty body (Content-Length: 0) with the given status.
    "empty": {"status": 200, "content_type": "text/xml; charset=utf-8", "run": False},
    # The real answer cut short: keep= a fraction (0..1) or a byte count. honest_length=True sends
    # a Content-Length matching the cut body (the XML is broken); False announces the full length
    # and closes the connection early (the HTTP message is broken).
    "truncated": {"keep": 0.5, "honest_length": True, "run": True},
    # Wait seconds= before handling the request (after=True: after running it, before answering).
    # The wait ends at once when the sandbox stops.
    "delay": {"seconds": 1.0, "after": False, "run": True},
    # Close the connection without a byte of answer, before / after running the operation.
    # reset=True sends a TCP RST instead of a clean close.
    "drop_before": {"reset": False, "run": False},
    "drop_after": {"reset": False, "run": True},
    # A 200 text/xml answer that declares a DTD: variant="billion_laughs" (nested entities) or
    # "external" (an entity pointing at file:///etc/passwd). A client must refuse it unexpanded.
    "dtd": {"variant": "billion_laughs", "run": False},
    # A 200 text/xml answer of size= bytes (default 50 MiB), streamed; declare_length=False sends
    # it without Content-Length, delimited by closing the connection.
    "huge": {"size": 50 * 1024 * 1024, "declare_length": True, "run": False},
    # A SOAP Fault (HTTP 500) with code= (PHP's: "Server", "Client") and string=.
    "soap_fault": {"code": "Server", "string": "Internal Server Error", "run": False},
}


@dataclass
class Fault:
    """One queued fault; ``hits`` counts the requests it has been applied to."""

    kind: str
    times: int
    operation: Optional[str] = None
    options: Dict[str, Any] = field(default_factory=dict)
    hits: int = 0

    @property
    def remaining(self) -> int:
        return self.times - self.hits

    @property
    def run(self) -> bool:
        return bool(self.options["run"])

    def __getitem__(self, name: str) -> Any:
        return self.options[name]


class FaultPlan:
    """The queue of faults of one sandbox; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: List[Fault] = []

    def add(self, kind: str, times: int = 1, operation: Optional[str] = None, **options: Any) -> Fault:
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; known: {', '.join(KINDS)}")
        unknown = set(options) - set(KINDS[kind])
        if unknown:
            raise TypeError(f"fault {kind!r} takes no option(s) {', '.join(sorted(unknown))}")
        if times < 1:
            raise ValueError("times must be at least 1")
        if kind in ("content_type", "truncated") and options.get("run") is False:
            raise ValueError(f"fault {kind!r} alters the real answer, so the operation must run")
        fault = Fault(kind, int(times), operation, {**KINDS[kind], **options})
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, operation: Optional[str], *, page: bool = False) -> Optional[Fault]:
        """The first pending fault matching a request for ``operation``, used up once. A request
        of an HTTP page (``page``: ``"get_operator"``, ``"mailings.add"``, ... as spec.HTTP_OPERATIONS
        names them) matches only a fault that names its operation."""
        with self._lock:
            for fault in self._faults:
                if fault.operation is None and (operation == "wsdl" or page):
                    continue
                if fault.operation is not None and fault.operation != operation:
                    continue
                fault.hits += 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def pending(self) -> List[Fault]:
        with self._lock:
            return list(self._faults)


def html_page(status: int, phrase: str) -> bytes:
    """An error page the way nginx writes one."""
    title = f"{status} {phrase}"
    return (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    ).encode("ascii")


def dtd_declaration(variant: str) -> Tuple[str, str]:
    """The DOCTYPE of a ``dtd`` fault and the entity reference its answer uses."""
    if variant == "external":
        return '<!DOCTYPE SOAP-ENV:Envelope [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n', "&xxe;"
    if variant == "billion_laughs":
        lines = ['<!ENTITY lol0 "lol">']
        lines += [f'<!ENTITY lol{i} "{("&lol%d;" % (i - 1)) * 10}">' for i in range(1, 10)]
        return "<!DOCTYPE SOAP-ENV:Envelope [" + "".join(lines) + "]>\n", "&lol9;"
    raise ValueError(f"unknown dtd variant {variant!r}")
