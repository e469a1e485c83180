"""The :class:`Sandbox`: service state, clock, fault plan and HTTP server, for in-process use."""
from __future__ import annotations

import threading
from collections import deque
from decimal import Decimal
from typing import Any, Deque, Iterable, List, Mapping, Optional, Tuple, Union

from .._wsdl import SOAP_PATH
from . import assumptions as A
from .callbacks import CallbackSender
from .clock import Clock
from .exports import Task
from .faults import Fault, FaultPlan
from .http_pages import HttpPages


from .limits import ConcurrencyLimit
from .server import RecordedRequest, SandboxServer
from .service import Account, Result, SentMessage, Service


class Sandbox:
    """A local SMSC SOAP service with the documented semantics.

    ``with Sandbox() as sb:`` serves on a free port of 127.0.0.1 until the block ends. Point any
    SOAP client at ``sb.wsdl_url`` (or ``sb.url``). The clock stands still unless ``realtime``:
    move it with :meth:`advance`. With no ``accounts`` there is one demo account, ``alex``/``123``
    (the page's own examples) with a balance of 100.00.

    ``accounts`` are :class:`Account` objects or ``"LOGIN:PSW[:BALANCE]"`` strings; ``apikeys``
    maps API keys to logins; ``senders``, when given, are the only sender names accepted (others
    get error 6). ``max_connections`` and ``head_seconds`` bound the HTTP server (see
    :mod:`.server`; defaults: below the open-file limit, and :data:`.assumptions.HEAD_SECONDS`).
    ``latency`` (seconds) is slept by every request (SOAP or page) while it counts as in flight, as a
    network round trip would be; fifteen or more requests in flight under one login are answered
    with error 9, as the service does (``sandbox.concurrency.refused`` counts them).

    ``callback_url``: the handler URL set in the account; the sandbox posts to it on every status
    change (as its clock moves) and on :meth:`receive_sms`/:meth:`confirm_call`, in the format,
    charset and signature its query asks for (``sandbox.callbacks.log`` lists what was sent).
    """

    def __init__(
        self,
        accounts: Optional[Iterable[Union[Account, str]]] = None,
        *,
        apikeys: Optional[Mapping[str, str]] = None,
        senders: Optional[Iterable[str]] = None,
        host: str = "127.0.0.1",
        port: int = 0,
        realtime: bool = False,
        start_time: Optional[float] = None,
        max_connections: Optional[int] = None,
        head_seconds: float = A.HEAD_SECONDS,
        latency: float = 0.0,
        callback_url: Optional[str] = None,
    ) -> None:
        if not latency >= 0:
            raise ValueError(f"latency must be seconds >= 0, got {latency!r}")
        parsed = [a if isinstance(a, Account) else Account.parse(a) for a in (accounts or ())]
        if not parsed:
            parsed = [Account(A.DEMO_LOGIN, A.DEMO_PASSWORD, A.DEFAULT_BALANCE)]
        self.clock = Clock(start_time, realtime=realtime)
        self.service = Service(parsed, apikeys=apikeys, senders=senders, clock=self.clock)
        self.faults = FaultPlan()
        #: Seconds each request (SOAP or page) waits before it is served: a simulated network round trip.
        self.latency = float(latency)
        #: The per-login limit of requests in flight (``concurrency.refused`` counts the 9s it gave).
        self.concurrency = ConcurrencyLimit()
        self.pages = HttpPages(self.service, self.concurrency)  # /sys/info.php, downloads.php, jobs.php
        self._host, self._port = host, port
        self._max_connections, self._head_seconds = max_connections, head_seconds
        self._requests: Deque[Tuple[int, RecordedRequest]] = deque()  # (its size, the request)
        self._requests_bytes = 0
        self._requests_lock = threading.Lock()
        self._server: Optional[SandboxServer] = None
        #: The callbacks' sender (None without ``callback_url``).
        self.callbacks = (CallbackSender(callback_url, self.clock, self.service.status_changes)
                          if callback_url else None)

    # --- life cycle ----------------------------------------------------------------------------

    def start(self) -> "Sandbox":
        """Bind and serve in background threads (``port=0``: a free port)."""
        if self._server is not None:
            raise RuntimeError("sandbox already started")
        self._server = SandboxServer((self._host, self._port), self, max_connections=self._max_connections,
                                     head_seconds=self._head_seconds)
        self._port = self._server.server_address[1]
        self._server.start()
        if self.callbacks is not None:
            self.callbacks.start()
        return self

    def stop(self) -> None:
        """Stop serving: pending delays end, connections close, threads are joined."""
        server, self._server = self._server, None
        if self.callbacks is not None:
            self.callbacks.stop()
        if server is not None:
            server.stop()

    def __enter__(self) -> "Sandbox":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    # --- addresses -----------------------------------------------------------------------------

    @property
    def host(self) -> str:
        return self._host

    @property
    def port(self) -> int:
        if self._server is None and self._port == 0:
            raise RuntimeError("the sandbox has no port until start()")
        return self._port

    @property
    def url(self) -> str:
        """The SOAP endpoint, ``http://<host>:<port>/sys/soap.php``."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}{SOAP_PATH}"

    endpoint = url

    @property
    def wsdl_url(self) -> str:
        return self.url + "?wsdl"

    # --- clock ---------------------------------------------------------------------------------

    def now(self) -> float:
        """The sandbox time (epoch seconds)."""
        return self.clock.now()

    def advance(self, seconds: float) -> float:
        """Move the sandbox clock ahead: statuses progress (and are called back), rate windows and
        IP blocks expire."""
        now = self.clock.advance(seconds)
        if self.callbacks is not None:
            self.callbacks.scan()
        return now

    # --- callbacks -------------------------------------------------------------------------------

    def _sender(self) -> CallbackSender:
        if self.callbacks is None:
            raise RuntimeError("the sandbox has no callback_url")
        return self.callbacks

    def receive_sms(self, phone: str, text: str, *, to: Optional[str] = None) -> str:
        """Fake an SMS from ``phone`` to the account's number ``to``: its callback is queued; its id."""
        return self._sender().incoming(phone, text, to)

    def confirm_call(self, phone: str) -> None:
        """Fake a call from ``phone`` confirming its number: its callback is queued."""
        self._sender().call(phone)

    def wait_callbacks(self, timeout: float = 10.0) -> bool:
        """Wait until every callback due was delivered or given up on; False on timeout."""
        return self._sender().wait(timeout)

    # --- state, for assertions -------------------------------------------------------------------

    @property
    def messages(self) -> List[SentMessage]:
        """Every message sent (one per number), oldest first, with its status as of now."""
        return self.service.messages()

    @property
    def requests(self) -> List[RecordedRequest]:
        """The requests received (the last ``REQUEST_LOG_LIMIT``, within ``REQUEST_LOG_BYTES``), oldest first."""
        with self._requests_lock:
            return [request for _, request in self._requests]

    def record(self, request: RecordedRequest) -> None:
        """Called by the HTTP layer for each request, before it answers."""
        size = _size(request)
        with self._requests_lock:
            self._requests.append((size, request))
            self._requests_bytes += size
            while len(self._requests) > A.REQUEST_LOG_LIMIT or (
                    self._requests_bytes > A.REQUEST_LOG_BYTES and len(self._requests) > 1):
                dropped, _ = self._requests.popleft()
                self._requests_bytes -= dropped

    def balance(self, login: Optional[str] = None) -> Decimal:
        """The balance of ``login`` (default: the first account)."""
        return self.service.balance(login or self.service.logins[0])

    def set_balance(self, login: str, amount: Union[Decimal, int, str]) -> None:
        self.service.set_balance(login, amount)

    def add_account(self, account: Union[Account, str]) -> Account:
        account = account if isinstance(account, Account) else Account.parse(account)
        self.service.add_account(account)
        return account

    def call(self, operation: str, client_ip: str = "127.0.0.1", **params: Any) -> Result:
        """Run an operation in-process, without HTTP or XML (parameters as strings)."""
        return self.service.call(operation, params, client_ip)

    def add_export(self, name: str, login: Optional[str] = None, *, synthetic_rows: int = 0,
                   final: int = 2) -> Task:
        """Create a deferred export task (page 002; the service creates them in its web UI): it waits,
        runs, then is done (``final``) as the clock moves; its file lists ``login``'s sends and then
        ``synthetic_rows`` made-up rows (to test large files)."""
        return self.pages.exports.add(login or self.service.logins[0], name, self.clock.now(),
                                      synthetic_rows=synthetic_rows, final=final)

    # --- fault injection ------------------------------------------------------------------------

    def inject(self, kind: str, times: int = 1, *, operation: Optional[str] = None, **options: Any) -> Fault:
        """Make the next ``times`` matching requests fail as ``kind`` (see :mod:`.faults`)."""
        return self.faults.add(kind, times, operation, **options)

    def clear_faults(self) -> None:
        self.faults.clear()


def _size(request: RecordedRequest) -> int:
    """Roughly the bytes a recorded request holds: its body and answer, path, headers and parameters."""
    headers = sum(len(name) + len(value) for name, value in request.headers.items())
    return len(request.body) + len(request.response) + len(request.path) + headers + len(repr(request.params))
