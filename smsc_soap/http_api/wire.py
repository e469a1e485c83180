"""What both shells of the HTTP pages (sync :mod:`.shell`, async :mod:`smsc_soap._async.pages`)
decide, without I/O: the call from the client's credentials, the request's address and headers,
the reading of a whole answer, and whether the start of a streamed answer is a file. A shell only
moves bytes and raises what these return or raise, outside its ``except`` blocks.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable, Dict, Generic, Iterable, Mapping, Optional, Sequence, Tuple, TypeVar
from urllib.parse import urlencode

from .. import spec
from .._core.checks import PAGE_STATUSES, check_page_answer, check_redirect, check_size, snippet
from .._core.decoding import ACCEPT_ENCODING, decode_body
from .._core.settings import LOG_BODY_CHARS
from ..errors import ProtocolError, SmscError, http_api_error
from ..redact import Secret, redact
from . import formats
from .calls import FORM_CONTENT_TYPE, HttpCall, page_url, prepare
from .multipart import Attachment, describe

log = logging.getLogger("smsc_soap")

R = TypeVar("R")

#: Bytes per read of a streamed file (and at most per decoded piece of a compressed one).
STREAM_CHUNK = 64 * 1024

#: The request's headers (the form's type; the codings decode_body undoes, bounded).
FORM_HEADERS: Mapping[str, str] = {"Content-Type": FORM_CONTENT_TYPE, "Accept-Encoding": ACCEPT_ENCODING}


def request_headers(call: HttpCall) -> Dict[str, str]:
    """The headers of ``call``'s POST: FORM_HEADERS, the Content-Type its body has (a form, or
    multipart with files)."""
    return {**FORM_HEADERS, "Content-Type": call.content_type}


class PageAccess:
    """A client's credentials and endpoint, as the pages take them: both shells derive from it."""

    def __init__(self, *, endpoint: str, login: Optional[str], psw: Secret, apikey: Secret) -> None:
        self._endpoint = endpoint
        self._login = login
        self._psw = psw
        self._apikey = apikey
        self._secrets: Tuple[Secret, ...] = (psw, apikey)

    def prepare(self, operation: str, fields: Mapping[str, Optional[str]], *, fmt: Optional[int] = None,
                phones: Tuple[str, ...] = (), files: Tuple[Attachment, ...] = ()) -> HttpCall:
        kwargs = {} if fmt is None else {"fmt": fmt}
        return prepare(operation, fields, login=self._login, psw=self._psw,
                       apikey=self._apikey if self._apikey else None, phones=phones, files=files, **kwargs)

    def url(self, call: HttpCall) -> str:
        return page_url(self._endpoint, call.facts.path)


@dataclass(frozen=True)
class PagePlan(Generic[R]):
    """One page call, ready: the call, the answer's fields, and how its records become the result.
    A page method makes the plan; a shell sends ``call`` and hands the answer to ``read``.

    ``listing``: the answer is a list, so an empty body in fmt 0 or 1 is no entries
    (spec.EMPTY_LIST_ANSWER_FMTS); any other empty body is refused here, before the plan's own
    reading (for a send: :class:`~smsc_soap.SendOutcomeUnknown`)."""

    call: HttpCall
    fields: Sequence[str]
    read: Callable[[formats.Answer], R]
    optional: Sequence[str] = ()
    listing: bool = False

    def __post_init__(self) -> None:
        own, call, listing = self.read, self.call, self.listing

        def read(answer: formats.Answer) -> R:
            if answer.empty and not (listing and call.fmt in spec.EMPTY_LIST_ANSWER_FMTS):
                error = ProtocolError(f"{call.operation}: HTTP 200 with an empty body")
                raise call.outcome_unknown(error) if call.is_send else error
            return own(answer)

        object.__setattr__(self, "read", read)


def log_request(url: str, call: HttpCall, secrets: Iterable[Secret]) -> None:
    if log.isEnabledFor(logging.DEBUG):  # placeholders, not secrets; and redacted by shape
        fields = redact(urlencode(call.masked), secrets)
        if call.files:  # the fields as a form would carry them; of the files, names and sizes only
            fields += f"\n+ files (multipart): {describe(call.files)}"
        log.debug("POST %s\n%s", url, fields)


def read_answer(url: str, status: int, location: Optional[str], content_encoding: str, raw: bytes, *,
                limit: int, fields: Sequence[str], optional: Sequence[str] = (),
                secrets: Iterable[Secret] = ()) -> formats.Answer:
    """The records (or the service's error code) of a whole answer read as sent (``raw``, at most
    ``limit + 1`` bytes): a redirect refused, the size checked, decoded bounded, checked, parsed."""
    secrets = tuple(secrets)
    check_redirect(status, location, secrets)
    check_size(status, raw, limit)
    body = decode_body(content_encoding, raw, limit=limit, status=status)
    if log.isEnabledFor(logging.DEBUG):
        text = redact(body.decode("utf-8", "replace"), secrets)
        log.debug("HTTP %s from %s\n%s", status, url,
                  text[:LOG_BODY_CHARS] + (f"… ({len(body)} bytes)" if len(text) > LOG_BODY_CHARS else ""))
    if status in PAGE_STATUSES and not body.strip():
        return formats.Answer(spec.WIRE_FMT, empty=True)  # a list's "no entries", or refused by the plan
    check_page_answer(status, body, secrets)
    return formats.parse(body, fields, optional=optional, secrets=secrets)


@dataclass(frozen=True)
class RawAnswer:
    """A page's answer as plain data, as sent: the HTTP library's response holds the request (the
    password in its body or stream), so it never outlives the send."""

    status: int
    location: Optional[str]
    content_encoding: str
    raw: bytes


def read_plan_answer(plan: PagePlan[R], url: str, answer: RawAnswer, *, limit: int,
                     secrets: Iterable[Secret]) -> R:
    """The result of ``plan`` from its whole answer (both shells' page attempts read with it): the
    service's error code raised as its exception, else the plan's reading of the records."""
    records = read_answer(url, answer.status, answer.location, answer.content_encoding, answer.raw,
                          limit=limit, fields=plan.fields, optional=plan.optional, secrets=secrets)
    if records.error_code is not None:
        raise http_api_error(plan.call.operation, records.error_code, records.error_text)
    return plan.read(records)


def file_start_error(call: HttpCall, status: int, first: bytes, *, fields: Sequence[str], limit: int,
                     secrets: Iterable[Secret] = ()) -> Optional[SmscError]:
    """None when ``first`` (the first decoded piece) starts a file; else the error to raise (an
    :class:`~smsc_soap.errors.ApiError` for the service's code: the shell opens its back-off
    window for it). An HTTP error or an unreadable answer is raised from here."""
    secrets = tuple(secrets)
    if not (status != 200 or not first.strip() or first.lstrip()[:1] in (b"{", b"[", b"<")
            or first.lstrip().startswith(b"ERROR") or _is_short_error(first)):
        return None
    check_page_answer(status, b"" if len(first) > limit else first, secrets)
    answer = formats.parse(first, fields, secrets=secrets)
    if answer.error_code is not None:
        return http_api_error(call.operation, answer.error_code, answer.error_text)
    return ProtocolError(f"{call.operation}: a file was expected, the answer holds records: {snippet(first, secrets)}")


def _is_short_error(first: bytes) -> bool:
    """A whole answer of ``0,-N`` (fmt=1's error) is not a one-line CSV file."""
    return len(first) < 32 and formats._CSV_ERROR.match(first.decode("utf-8", "replace").strip()) is not None
