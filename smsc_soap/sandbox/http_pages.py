"""The sandbox's HTTP pages beside soap.php: ``/sys/info.php`` (001), ``/sys/downloads.php``
(002) and ``/sys/jobs.php`` (000), with the pages' answer shapes for every ``fmt``, their error
codes and their limits. The facts are :mod:`smsc_soap.spec`'s; the logic is the sandbox's own.

PHP reads ``$_REQUEST``: the parameters may come in the URL or in a form-encoded POST body.
"""
from __future__ import annotations

import contextlib
import json
import threading
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Deque, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Union
from xml.sax.saxutils import escape

from .. import spec
from . import lookup
from . import tables as T
from .exports import Exports, csv_file
from .forms import Upload, is_multipart, multipart_form, whole
from .limits import ConcurrencyLimit, caller_of

Form = Mapping[str, str]

#: ASSUMPTION (the pages name no content types): fmt 2 is XML, 3 JSON, 0 and 1 plain text, all
#: UTF-8; the export file is text/csv.
CONTENT_TYPES = {spec.FMT_TEXT: "text/plain; charset=utf-8", spec.FMT_CSV: "text/plain; charset=utf-8",
                 spec.FMT_XML: "text/xml; charset=utf-8", spec.FMT_JSON: "application/json; charset=utf-8"}
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
#: ASSUMPTION: a missing or unknown fmt answers as fmt=0 (the pages' first shape).
DEFAULT_FMT = spec.FMT_TEXT
PAGES = (spec.INFO_PHP, spec.DOWNLOADS_PHP, spec.JOBS_PHP)


@dataclass
class PageAnswer:
    """What a page answers: a body, or pieces of one (a file, written as it is made)."""

    content_type: str
    body: Union[bytes, Iterator[bytes]]


class _Refused(Exception):
    def __init__(self, code: int, text: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.text = text


def render(fmt: int, records: Sequence[Mapping[str, str]], *, list_tag: str, item_tag: str,
           many: bool, numbers: Sequence[str] = ()) -> bytes:
    """Records in the page's shape for ``fmt`` (001:99-118, 002:104-130); in fmt=3 the fields
    ``numbers`` are JSON numbers (002:124 ``"id": id``), the others strings."""
    if fmt == spec.FMT_JSON:
        typed = [{k: int(v) if k in numbers and v else v for k, v in r.items()} for r in records]
        value: Any = typed if many else typed[0]
        return json.dumps(value, ensure_ascii=False).encode("utf-8")
    if fmt == spec.FMT_XML:
        def item(record: Mapping[str, str]) -> str:
            return f"<{item_tag}>" + "".join(f"<{k}>{escape(v)}</{k}>" for k, v in record.items()) + f"</{item_tag}>"
        inner = "".join(item(r) for r in records)
        return (f"<{list_tag}>{inner}</{list_tag}>" if many else inner).encode("utf-8")
    if fmt == spec.FMT_CSV:
        return "\n".join(",".join(r.values()) for r in records).encode("utf-8")
    return "\n".join(", ".join(f"{k} = {v}" for k, v in r.items()) for r in records).encode("utf-8")


def render_error(fmt: int, code: int, text: str) -> bytes:
    """An error in the page's shape for ``fmt`` (001:65-81, 002:76-92)."""
    if fmt == spec.FMT_JSON:
        return json.dumps({"error": text, "error_code": code}, ensure_ascii=False).encode("utf-8")
    if fmt == spec.FMT_XML:
        return f"<result><error>{escape(text)}</error><error_code>{code}</error_code></result>".encode("utf-8")
    if fmt == spec.FMT_CSV:
        return f"0,-{code}".encode()
    return f"ERROR = {code} ({text})".encode("utf-8")


class HttpPages:
    """The three pages of one sandbox, on its service (accounts, messages, IP blocks) and clock."""

    def __init__(self, service: Any, concurrency: Optional[ConcurrencyLimit] = None) -> None:
        self.service = service
        self.exports = Exports()
        self._lock = threading.Lock()
        #: Requests in flight per login, shared with the SOAP endpoint: the limit is the login's.
        self.concurrency = concurrency if concurrency is not None else ConcurrencyLimit()
        self._hits: Dict[Tuple[Any, ...], Deque[float]] = {}
        from .mailings import Mailings  # the mailings need the service's sending
        self.mailings = Mailings(service)

    # --- one request ------------------------------------------------------------------------

    def handle(self, page: str, form: Form, client_ip: str,
               in_flight: Optional[Callable[[], object]] = None, files: Sequence[Upload] = ()) -> PageAnswer:
        """Answer one request to ``page`` (e.g. ``info.php``); ``in_flight`` is called once it is
        admitted under the login's limit (the server sleeps the sandbox's latency there, as for SOAP)."""
        fmt = _fmt(form.get("fmt"))
        operation = _operation(page, form)
        with contextlib.ExitStack() as stack:
            try:
                if operation is None:
                    raise _Refused(T.ERR_PARAMS)
                login = self._authenticate(form, client_ip, spec.HTTP_OPERATIONS[operation].apikey)
                stack.enter_context(self._running(login))
                if in_flight is not None:
                    in_flight()
                answer = self._dispatch(operation, login, form, fmt, files)
            except _Refused as refused:
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
                raise _Refused(T.ERR_PARAMS)
            entries = lookup.answer(phones)
            if entries is None:
                raise _Refused(3)
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
            raise _Refused(T.ERR_PARAMS)
        task = self.exports.find(login, task_id, name)
        if task is None or task.status(now) != spec.TASK_DONE:
            raise _Refused(5)  # ASSUMPTION: a task not done has no file yet: "file not found"
        return PageAnswer(CSV_CONTENT_TYPE, csv_file(task, self.service.messages))

    # --- the pages' common rules --------------------------------------------------------------

    def _authenticate(self, form: Form, client_ip: str, takes_apikey: bool) -> str:
        """The login of the request; an ``apikey`` counts only on a page that lists it
        (spec.JOBS_ACCEPTS_APIKEY: elsewhere it is an unknown field, and login/psw are missing)."""
        service = self.service
        with service._lock:
            if service._ip_blocked_until.get(client_ip, float("-inf")) > service.clock.now():
                raise _Refused(T.ERR_IP_BLOCKED)
            apikey = form.get("apikey") if takes_apikey else None
            if apikey is not None:
                login = service._apikeys.get(apikey)
                if login is None:
                    raise _Refused(T.ERR_AUTH)
                return str(login)
            try:
                return str(service._authenticate(form, {}).login)
            except Exception as refused:  # the service's own refusal: its code
                raise _Refused(getattr(refused, "code", T.ERR_AUTH)) from None

    @contextlib.contextmanager
    def _running(self, login: str) -> Iterator[None]:
        """001:90, 002:101: fifteen or more requests at once under one login get error 9; counted
        with the SOAP endpoint's requests of the same login (the key is limits.caller_of's)."""
        with self.concurrency.admit(caller_of({"login": login})) as admitted:
            if not admitted:
                raise _Refused(T.ERR_RATE, spec.CONCURRENT_PHRASE)
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
                raise _Refused(T.ERR_RATE)
            hits.append(now)

    def _note_error(self, client_ip: str, code: int) -> None:
        service = self.service
        with service._lock:
            service._note_ip_error(client_ip, code, service.clock.now())


def _fmt(raw: Optional[str]) -> int:
    value = (raw or "").strip()
    return int(value) if value in ("0", "1", "2", "3") else DEFAULT_FMT


def _operation(page: str, form: Form) -> Optional[str]:
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
        raise _Refused(T.ERR_PARAMS)  # "²", "--5", "-5", 5,000 digits: not a whole number of the page
    return value


def pieces(answer: PageAnswer) -> List[bytes]:
    """The whole body of a small answer (tests)."""
    return [answer.body] if isinstance(answer.body, bytes) else list(answer.body)


# --- the HTTP side, called by the server's handler ------------------------------------------


def page_of(path: str) -> Optional[str]:
    """The page a request path names (``/sys/info.php`` -> ``info.php``), if it is one of ours."""
    from .._wsdl import SOAP_PATH
    directory, _, page = path.rpartition("/")
    return page if page in PAGES and directory == SOAP_PATH.rpartition("/")[0] else None


def serve(handler: Any, page: str, query: str, post: bool) -> None:
    """Answer a GET or POST to ``page`` on the handler's connection (the server's hook)."""
    from urllib.parse import parse_qsl

    from .server import _Answer
    body = b""
    if post:
        read = handler._read_body()
        if read is None:
            return
        body = read
    at = handler.server.app.clock.now()
    form = dict(parse_qsl(query, keep_blank_values=True))
    files: List[Upload] = []
    content_type = handler.headers.get("Content-Type")
    if is_multipart(content_type):  # a mailing's files (000:129-134, 148): $_POST and $_FILES
        fields, files = multipart_form(content_type, body)
        form.update(fields)
    else:
        form.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    app = handler.server.app
    operation = _operation(page, form)

    def handle() -> PageAnswer:
        pages: HttpPages = app.pages
        return pages.handle(page, form, handler.client_address[0],
                            in_flight=lambda: app.latency > 0 and handler.server.stopping.wait(app.latency), files=files)

    fault = app.faults.take(operation, page=True) if operation is not None else None
    if fault is not None:  # as for SOAP (faults.py); a file answer goes whole into the faulty one
        def real() -> Any:
            answer = handle()
            return _Answer(200, answer.content_type, b"".join(pieces(answer)))
        handler._deliver(fault, real, None, "", dict(body=body, at=at, operation=operation, params=form))
        return
    answer = handle()
    if isinstance(answer.body, bytes):
        handler._record(body=body, at=at, operation=operation, params=form, status=200, response=answer.body)
        handler._send(_Answer(200, answer.content_type, answer.body))
        return
    handler._record(body=body, at=at, operation=operation, params=form, status=200)
    handler.close_connection = True  # no length: the end of the file is the end of the connection
    if not handler._write(handler._head(200, answer.content_type, None)):
        return
    file = answer.body
    try:
        for piece in file:
            if handler.server.stopping.is_set() or not handler._write(piece):
                break
    finally:
        close = getattr(file, "close", None)
        if close is not None:
            close()
    handler._drop()
