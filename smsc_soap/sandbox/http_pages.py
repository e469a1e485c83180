"""The sandbox's HTTP pages beside soap.php: ``/sys/info.php`` (001), ``/sys/downloads.php``
(002) and ``/sys/jobs.php`` (000), with the pages' answer shapes for every ``fmt``, their error
codes and their limits. The facts are :mod:`smsc_soap.spec`'s; the logic is the sandbox's own.

PHP reads ``$_REQUEST``: the parameters may come in the URL or in a form-encoded POST body.
"""
from __future__ import annotations

import contextlib
import threading
from collections import deque
from typing import Any, Callable, Deque, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

from .. import spec
from .._wsdl import SOAP_PATH
from . import lookup
from . import tables as T
from .exports import Exports, csv_file
from .forms import Upload, whole
from .limits import ConcurrencyLimit, caller_of
from .mailings import Mailings
from .page_answers import CONTENT_TYPES, CSV_CONTENT_TYPE, DEFAULT_FMT, PageAnswer, render, render_error
from .refusal import Refused

Form = Mapping[str, str]

PAGES = (spec.INFO_PHP, spec.DOWNLOADS_PHP, spec.JOBS_PHP)


class HttpPages:
    """The three pages of one sandbox, on its service (accounts, messages, IP blocks) and clock."""

    def __init__(self, service: Any, concurrency: Optional[ConcurrencyLimit] = None) -> None:
        self.service = service
        self.exports = Exports()
        self._lock = threading.Lock()
        #: Requests in flight per login, shared with the SOAP endpoint: the limit is the login's.
        self.concurrency = concurrency if concurrency is not None else ConcurrencyLimit()
        self._hits: Dict[Tuple[Any, ...], Deque[float]] = {}
        self.mailings = Mailings(service)

    # --- one request ------------------------------------------------------------------------

    def handle(self, page: str, form: Form, client_ip: str,
               in_flight: Optional[Callable[[], object]] = None, files: Sequence[Upload] = ()) -> PageAnswer:
        """Answer one request to ``page`` (e.g. ``info.php``); ``in_flight`` is called once it is
        admitted under the login's limit (the server sleeps the sandbox's latency there, as for SOAP)."""
        fmt = _fmt(form.get("fmt"))
        operation = operation_of(page, form)
        with contextlib.ExitStack() as stack:
            try:
                if operation is None:
                    raise Refused(T.ERR_PARAMS)
                login = self._authenticate(form, client_ip, spec.HTTP_OPERATIONS[operation].apikey)
                stack.enter_context(self._running(login))
                if in_flight is not None:
                    in_flight()
                answer = self._dispatch(operation, login, form, fmt, files)
            except Refused as refused:
                self._note_error(client_ip, refused.code)
                meaning = refused.text or _meaning(operation, refused.code)
                return PageAnswer(CONTENT_TYPES[fmt], render_error(fmt, refused.code, meaning))
            if isinstance(answer.body, bytes):
                return answer
            body, running = answer.body, stack.pop_all()  # a file: the request runs while it is written

            def written() -> Iterator[bytes]:
                with running:
                    yield from body

            return PageAnswer(answer.content_type, written())
        raise AssertionError("unreachable")  # pragma: no cover

    def _dispatch(self, operation: str, login: str, form: Form, fmt: int, files: Sequence[Upload] = ()) -> PageAnswer:
        now = self.service.clock.now()
        identity = (operation, login, tuple(sorted((k, v) for k, v in form.items() if k not in ("psw", "apikey"))))
        if operation == "get_operator":
            self._limit(("same",) + identity, spec.LOOKUP_IDENTICAL_PER_MINUTE, now)
            self._limit(("lookup", login), spec.LOOKUP_ANY_PER_MINUTE, now)
            phones = form.get("phone", "")
            if not phones.strip():
                raise Refused(T.ERR_PARAMS)
            entries = lookup.answer(phones)
            if entries is None:
                raise Refused(3)
            many = "," in phones
            return PageAnswer(CONTENT_TYPES[fmt], render(fmt, entries, list_tag="list", item_tag="info", many=many))
        if operation.startswith("exports."):
            self._limit(("same",) + identity, spec.EXPORT_IDENTICAL_PER_MINUTE, now)
            return self._exports(operation, login, form, fmt, now)
        answer: PageAnswer = self.mailings.handle(operation, login, form, fmt, now, files)
        return answer

    def _exports(self, operation: str, login: str, form: Form, fmt: int, now: float) -> PageAnswer:
        if operation == "exports.get_list":
            cnt = _optional_int(form, "cnt")
            after_id = _optional_int(form, "after_id")
            tasks = self.exports.listing(login, now, cnt, after_id)
            return PageAnswer(CONTENT_TYPES[fmt], render(fmt, tasks, list_tag="list", item_tag="task", many=True,
                                                         numbers=spec.TASK_JSON_NUMBERS))
        task_id = _optional_int(form, "id")
        name = form.get("name") or None
        if task_id is None and name is None:
            raise Refused(T.ERR_PARAMS)
        task = self.exports.find(login, task_id, name)
        if task is None or task.status(now) != spec.TASK_DONE:
            raise Refused(5)  # ASSUMPTION: a task not done has no file yet: "file not found"
        return PageAnswer(CSV_CONTENT_TYPE, csv_file(task, self.service.messages))

    # --- the pages' common rules --------------------------------------------------------------

    def _authenticate(self, form: Form, client_ip: str, takes_apikey: bool) -> str:
        """The login of the request; an ``apikey`` counts only on a page that lists it
        (spec.JOBS_ACCEPTS_APIKEY: elsewhere it is an unknown field, and login/psw are missing)."""
        return str(self.service.page_login(form, client_ip, takes_apikey=takes_apikey))

    @contextlib.contextmanager
    def _running(self, login: str) -> Iterator[None]:
        """001:90, 002:101: fifteen or more requests at once under one login get error 9; counted
        with the SOAP endpoint's requests of the same login (the key is limits.caller_of's)."""
        with self.concurrency.admit(caller_of({"login": login})) as admitted:
            if not admitted:
                raise Refused(T.ERR_RATE, spec.CONCURRENT_PHRASE)
            yield

    def hold(self, login: str, count: int) -> contextlib.ExitStack:
        """Count ``count`` requests of ``login`` as running (for tests of the concurrent limit)."""
        stack = contextlib.ExitStack()
        for _ in range(count):
            stack.enter_context(self._running(login))
        return stack

    def _limit(self, key: Tuple[Any, ...], allowed: int, now: float) -> None:
        """More than ``allowed`` answered requests within a minute: error 9."""
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - spec.RATE_LIMIT_WINDOW_SECONDS:
                hits.popleft()
            if len(hits) >= allowed:
                raise Refused(T.ERR_RATE)
            hits.append(now)

    def _note_error(self, client_ip: str, code: int) -> None:
        self.service.note_page_error(client_ip, code)


def _fmt(raw: Optional[str]) -> int:
    value = (raw or "").strip()
    return int(value) if value in ("0", "1", "2", "3") else DEFAULT_FMT


def operation_of(page: str, form: Form) -> Optional[str]:
    for name, facts in spec.HTTP_OPERATIONS.items():
        flag, value = facts.action
        if facts.path == page and form.get(flag) == value:
            return name
    return None


def _meaning(operation: Optional[str], code: int) -> str:
    facts = spec.HTTP_OPERATIONS.get(operation or "get_operator")
    row = facts.errors.get(code) if facts is not None else None
    return row.meaning if row is not None else "error"


def _optional_int(form: Form, name: str) -> Optional[int]:
    if not form.get(name, "").strip():
        return None
    value = whole(form[name])
    if value is None:
        raise Refused(T.ERR_PARAMS)  # "²", "--5", "-5", 5,000 digits: not a whole number of the page
    return value


def pieces(answer: PageAnswer) -> List[bytes]:
    """The whole body of a small answer (tests)."""
    return [answer.body] if isinstance(answer.body, bytes) else list(answer.body)


# --- for the server's handler (server.py), which serves the pages on its connections ----------


def page_of(path: str) -> Optional[str]:
    """The page a request path names (``/sys/info.php`` -> ``info.php``), if it is one of ours."""
    directory, _, page = path.rpartition("/")
    return page if page in PAGES and directory == SOAP_PATH.rpartition("/")[0] else None
