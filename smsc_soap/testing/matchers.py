"""Matchers: which recorded request answers a live one.

Every SOAP operation is a POST to the same URL with the same ``SOAPAction``, and vcrpy's default
matchers ignore the body, so a cassette could answer ``send`` with a recorded ``balance``.
:data:`MATCH_ON` adds two matchers: the operation (:func:`match_operation`) and the normalised
body (:func:`match_body`: parsed XML; secrets, prefixes, whitespace, the order of ``query``
parameters and the id the client draws for a send ignored; a ``multipart/form-data`` body by
its parts, its boundary ignored). Its port matcher
(:func:`match_port`) takes any two ports of a loopback host as equal: a sandbox takes a free
port on every run, and a cassette recorded against one replays against the next.
"""
from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING, Any, Dict, List, NamedTuple, Optional, Tuple
from urllib.parse import parse_qs

from ..redact import REDACTED
from .scrubbing import SECRET_FIELDS, body_bytes, decode, scrub_text

if TYPE_CHECKING:  # pragma: no cover
    import vcr  # type: ignore[import-untyped,unused-ignore]  # vcrpy ships no type hints
    import vcr.request  # type: ignore[import-untyped,unused-ignore]

OPERATION_MATCHER = "smsc_operation"
BODY_MATCHER = "smsc_body"
PORT_MATCHER = "smsc_port"
#: vcrpy's default matchers (its port matcher replaced by :func:`match_port`) plus the SOAP
#: operation and the normalised body.
MATCH_ON = ("method", "scheme", "host", PORT_MATCHER, "path", "query", OPERATION_MATCHER, BODY_MATCHER)
#: Hosts whose port is whatever was free when the server started (a sandbox's).
LOOPBACK_HOSTS = ("localhost", "::1", "[::1]")

#: The id :class:`smsc_soap.Client` gives a send whose caller gave none ("c" and 20 random hex
#: digits, :func:`smsc_soap.client.new_message_id`): new on every run, so the body matcher takes
#: any two such ids of a send as equal, and the replayed answer brings back the recorded one.
CLIENT_ID_PATTERN = re.compile(r"^c[0-9a-f]{20}$")
CLIENT_ID = "<client-generated id>"


class MultipartPart(NamedTuple):
    """One part of a ``multipart/form-data`` body: its Content-Disposition ``name`` and
    ``filename`` (None for a plain field), its Content-Type (None when it has none) and its
    value, scrubbed (a part named ``psw``/``apikey`` is ``REDACTED``)."""

    name: str
    filename: Optional[str]
    content_type: Optional[str]
    value: bytes


class MultipartBody(NamedTuple):
    """A ``multipart/form-data`` body reduced to its parts, sorted by name (repeated names in
    their order). The boundary is not kept: the client derives it from the fields with the
    password's placeholder in, and that placeholder is keyed per process
    (``smsc_soap._core.calls.placeholder``), so it differs on every run and with every password."""

    parts: Tuple[MultipartPart, ...]


class SoapBody(NamedTuple):
    """A SOAP request reduced to what it asks: the operation and its fields.

    ``fields`` is a sorted tuple of ``(name, value)``; a value is the element's text with
    surrounding whitespace dropped, or a tuple of the same shape for an element with children.
    ``psw`` is ``REDACTED``; ``query`` is parsed (``parse_qs``) into sorted
    ``(name, (values...))`` pairs with ``psw``/``apikey`` ``REDACTED``; the ``id`` the client
    generates for a send is :data:`CLIENT_ID`. Namespaces and prefixes are ignored (the
    endpoint, which is the namespace, is matched by the URL).
    """

    operation: str
    fields: Tuple[Tuple[str, Any], ...]


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _normal_query(query: str) -> Tuple[Tuple[str, Tuple[str, ...]], ...]:
    parsed = parse_qs(query.strip(), keep_blank_values=True)
    return tuple(sorted((name, (REDACTED,) if name.lower() in SECRET_FIELDS else tuple(values))
                        for name, values in parsed.items()))


def _normal_element(element: Any) -> Any:
    children = [child for child in element if isinstance(child.tag, str)]
    if not children:
        return (element.text or "").strip()
    return tuple(sorted(((_local(child.tag), _normal_field(child)) for child in children), key=lambda kv: kv[0]))


def _normal_field(element: Any) -> Any:
    name = _local(element.tag)
    if name == "psw":
        return REDACTED
    value = _normal_element(element)
    if name == "query" and isinstance(value, str):
        return _normal_query(value)
    return value


@functools.lru_cache(maxsize=512)
def _soap_body(data: bytes) -> Optional[SoapBody]:
    from lxml import etree

    if b"<" not in data:
        return None
    # Safe parsing: no DTD loaded, no entity expanded, nothing fetched.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                             huge_tree=False, remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        return None
    if root.getroottree().docinfo.internalDTD is not None or _local(root.tag) != "Envelope":
        return None
    body = next((child for child in root if _local(child.tag) == "Body"), None)
    request = None if body is None else next((child for child in body if isinstance(child.tag, str)), None)
    if request is None:
        return None
    operation = _local(request.tag)
    fields = [(_local(child.tag), _normal_field(child)) for child in request if isinstance(child.tag, str)]
    if operation in ("send", "send2"):
        fields = [(name, CLIENT_ID if name == "id" and isinstance(value, str) and CLIENT_ID_PATTERN.match(value)
                   else value) for name, value in fields]
    return SoapBody(operation, tuple(sorted(fields, key=lambda kv: kv[0])))


_MULTIPART_START = re.compile(rb"--([^\s]{1,200})\r\n")
_PARAM = re.compile(r';\s*(name|filename)\s*=\s*(?:"([^"]*)"|([^;\s]*))', re.IGNORECASE)


def _multipart_body(data: bytes) -> Optional[MultipartBody]:
    """``data`` as a :class:`MultipartBody` when it is one (it opens with a delimiter line and
    closes with the same boundary's close delimiter, as RFC 7578 bodies do), else None."""
    start = _MULTIPART_START.match(data)
    delimiter = b"\r\n--" + start.group(1) if start else b""
    if start is None or not data.rstrip(b"\r\n").endswith(delimiter + b"--"):
        return None
    scrubbed = scrub_text(data)  # by shape, as any other body: a psw part, psw=... in a value
    assert isinstance(scrubbed, bytes)
    parts = []
    for chunk in scrubbed[start.end():scrubbed.rstrip(b"\r\n").rindex(delimiter)].split(delimiter + b"\r\n"):
        head, separator, value = chunk.partition(b"\r\n\r\n")
        if not separator:
            return None
        headers: Dict[str, str] = {}
        for line in decode(head)[0].split("\r\n"):
            key, _, text = line.partition(":")
            headers[key.strip().lower()] = text.strip()
        params = {match.group(1).lower(): match.group(2) if match.group(2) is not None else match.group(3)
                  for match in _PARAM.finditer(headers.get("content-disposition", ""))}
        name = params.get("name", "")
        parts.append(MultipartPart(name, params.get("filename"), headers.get("content-type"),
                          REDACTED.encode() if name.lower() in SECRET_FIELDS else value))
    return MultipartBody(tuple(sorted(parts, key=lambda part: part.name)))


def _request_body(request_or_body: Any) -> bytes:
    if hasattr(request_or_body, "uri") and hasattr(request_or_body, "body"):
        from vcr.util import read_body  # type: ignore[import-untyped,unused-ignore]

        return body_bytes(read_body(request_or_body))
    return body_bytes(request_or_body)


def soap_operation(request_or_body: Any) -> Optional[str]:
    """The SOAP operation of a request (a vcrpy ``Request`` or a body): the local name of the
    Body's first element (``balance``, ``send``, ``send2``, ``cost``, ``cost2``, ``status``,
    ``status2``), or None when the body is not a SOAP envelope."""
    parsed = _soap_body(_request_body(request_or_body))
    return parsed.operation if parsed else None


def normalise_body(request_or_body: Any) -> Any:
    """What :func:`match_body` compares: a :class:`SoapBody` for a SOAP envelope, a
    :class:`MultipartBody` for a ``multipart/form-data`` one; for anything else the form fields
    (``parse_qs``, secrets REDACTED) when the body parses as a form, else the bytes with secrets
    scrubbed."""
    data = _request_body(request_or_body)
    parsed = _soap_body(data)
    if parsed is not None:
        return parsed
    multipart = _multipart_body(data)
    if multipart is not None:
        return multipart
    text = decode(data)[0]
    if text and "=" in text and not re.search(r"[\s<>{}\[\]\"]", text):
        return ("form", _normal_query(text))
    return ("raw", scrub_text(data))


def _describe_difference(new: Any, recorded: Any) -> str:
    if isinstance(new, SoapBody) and isinstance(recorded, SoapBody):
        if new.operation != recorded.operation:
            return f"SOAP operation {new.operation!r} != recorded {recorded.operation!r}"
        mine, theirs = dict(new.fields), dict(recorded.fields)
        lines = [f"{name}: {mine.get(name, '<absent>')!r} != recorded {theirs.get(name, '<absent>')!r}"
                 for name in sorted(set(mine) | set(theirs)) if mine.get(name) != theirs.get(name)]
        return f"SOAP {new.operation} bodies differ: " + "; ".join(lines or ["in repeated fields"])
    if isinstance(new, MultipartBody) and isinstance(recorded, MultipartBody):
        lines = [f"part {name!r}: {_show(_named(new, name))} != recorded {_show(_named(recorded, name))}"
                 for name in sorted({part.name for part in new.parts + recorded.parts})
                 if _named(new, name) != _named(recorded, name)]
        return "multipart bodies differ: " + "; ".join(lines)
    return f"bodies differ: {new!r:.200} != recorded {recorded!r:.200}"


def _named(body: MultipartBody, name: str) -> List[MultipartPart]:
    return [part for part in body.parts if part.name == name]


def _show(parts: List[MultipartPart]) -> str:
    """Parts as a difference message shows them: a file's bytes cut short, its size in full."""
    return " | ".join(f"filename={part.filename!r} content_type={part.content_type!r} "
                      f"value={part.value!r:.60} ({len(part.value)} bytes)" for part in parts) or "<absent>"


def match_operation(r1: "vcr.request.Request", r2: "vcr.request.Request") -> None:
    """vcrpy matcher: both requests ask for the same SOAP operation (or neither is SOAP)."""
    first, second = soap_operation(r1), soap_operation(r2)
    if first != second:
        raise AssertionError(f"SOAP operation {first!r} != recorded {second!r}")


def match_body(r1: "vcr.request.Request", r2: "vcr.request.Request") -> None:
    """vcrpy matcher: the normalised bodies are equal (see :class:`SoapBody`)."""
    first, second = normalise_body(r1), normalise_body(r2)
    if first != second:
        raise AssertionError(_describe_difference(first, second))


def _loopback(host: Optional[str]) -> bool:
    return host is not None and (host.lower() in LOOPBACK_HOSTS or host.startswith("127."))


def match_port(r1: "vcr.request.Request", r2: "vcr.request.Request") -> None:
    """vcrpy matcher: the same port, or any two ports of a loopback host (a sandbox's free port,
    new on every run; the host itself is still matched by ``host``)."""
    if r1.port != r2.port and not (_loopback(r1.host) and _loopback(r2.host)):
        raise AssertionError(f"port {r1.port} != recorded {r2.port}")


def register_matchers(recorder: "vcr.VCR") -> "vcr.VCR":
    """Register ``smsc_operation``, ``smsc_body`` and ``smsc_port`` on a ``vcr.VCR`` (e.g.
    pytest-recording's, from its ``pytest_recording_configure(config, vcr)`` hook) and return it."""
    recorder.register_matcher(OPERATION_MATCHER, match_operation)
    recorder.register_matcher(BODY_MATCHER, match_body)
    recorder.register_matcher(PORT_MATCHER, match_port)
    return recorder
