"""Checks of an HTTP answer's status, headers and bytes before any SOAP parser sees it.

A shell reads at most ``limit + 1`` bytes of the body and hands them here with the status and
the Content-Type: an answer too big, not XML, empty, with a DTD or entity declarations, or not
one well-formed document is refused with a :class:`~smsc_soap.ProtocolError`; a redirect is
refused with :class:`~smsc_soap.RedirectRefused` (the shell never follows one).
"""
from __future__ import annotations

import re
from typing import Iterable, Optional
from urllib.parse import urlsplit

import lxml.etree

from ..errors import ProtocolError, RedirectRefused
from ..redact import Secret, redact, redact_url

#: Content types a SOAP 1.1 answer may carry.
XML_CONTENT_TYPES = ("text/xml", "application/xml", "application/soap+xml")
#: The HTTP statuses a SOAP 1.1 answer comes with: 200, and 500 for a Fault.
SOAP_STATUSES = (200, 500)

_FIRST_ELEMENT = re.compile(rb"<[A-Za-z_]")
_DECLARATIONS = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)


def snippet(content: bytes, secrets: Iterable[Secret] = (), limit: int = 120) -> str:
    """The start of a body, for people reading the error; a server may echo the request."""
    text = " ".join(redact(content[:4096].decode("utf-8", "replace"), secrets).split())
    return repr(text[:limit] + ("…" if len(text) > limit else ""))


def check_redirect(status: int, location: Optional[str], secrets: Iterable[Secret] = ()) -> None:
    """Refuse any 3xx: a shell never follows redirects (the request, credentials included, would
    go wherever the server says), so the answer to one request is this error, naming the host."""
    if 300 <= status < 400:
        where = redact_url(location or "", secrets)
        host = urlsplit(where).hostname or "the same host"
        raise RedirectRefused(f"HTTP {status} redirect to {host} refused (redirects are never followed): "
                              f"Location {where!r}", location=where, status_code=status)


def check_size(status: int, body: bytes, limit: int) -> None:
    """Refuse a body longer than ``limit`` bytes (the shell read at most one byte more)."""
    if len(body) > limit:
        raise ProtocolError(f"answer larger than {limit} bytes refused", status_code=status)


def check_http(status: int, content_type: str, body: bytes, secrets: Iterable[Secret] = ()) -> None:
    """Refuse answers that cannot be SOAP: another status, another content type, no body."""
    media_type = content_type.split(";")[0].strip().lower()
    is_xml = media_type in XML_CONTENT_TYPES or (not media_type and body.lstrip().startswith(b"<"))
    # A SOAP Fault comes with HTTP 500 (SOAP 1.1); any other status is not an answer.
    if status not in SOAP_STATUSES or not is_xml:
        raise ProtocolError(
            f"HTTP {status} with {media_type or 'no content type'} ({len(body)} bytes) "
            f"is not a SOAP answer: {snippet(body, secrets)}", status_code=status)
    if not body.strip():
        raise ProtocolError(f"HTTP {status} with an empty body", status_code=status)


def _strict_parser() -> lxml.etree.XMLParser:
    """A parser that repairs nothing, loads nothing and expands nothing; a new one per answer
    (lxml parsers are not to be shared between threads, and making one is cheap).

    zeep runs with ``strict=False`` (lxml's recover mode), which would quietly "repair" a
    truncated envelope into a shorter result.
    """
    return lxml.etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                                recover=False, remove_comments=True)  # as zeep's own parser: the tree goes to zeep


def check_xml(status: int, body: bytes) -> "lxml.etree._Element":
    """Refuse a body that declares a DTD or entities, or is not one well-formed XML document;
    return the parsed root (a later change can hand it to the SOAP layer: one parse per answer)."""
    first = _FIRST_ELEMENT.search(body)
    if _DECLARATIONS.search(body, 0, first.start() if first else len(body)):
        raise ProtocolError(f"HTTP {status}: answer with a DTD or entity declarations refused "
                            "(never parsed, never expanded)", status_code=status)
    try:
        root = lxml.etree.fromstring(body, parser=_strict_parser())
    except lxml.etree.XMLSyntaxError as exc:
        raise ProtocolError(f"HTTP {status}: the answer is not well-formed XML (cut short?): {exc}",
                            status_code=status) from None
    docinfo = root.getroottree().docinfo
    if getattr(docinfo, "doctype", "") or docinfo.internalDTD is not None:
        raise ProtocolError(f"HTTP {status}: answer with a DTD refused", status_code=status)
    return root


def check_answer(status: int, content_type: str, body: bytes, *, limit: int,
                 secrets: Iterable[Secret] = (), location: Optional[str] = None) -> "lxml.etree._Element":
    """Every check, in order: a redirect, size, HTTP status and type, emptiness, then the XML."""
    check_redirect(status, location, secrets)
    check_size(status, body, limit)
    check_http(status, content_type, body, secrets)
    return check_xml(status, body)


#: The HTTP status an answer of the HTTP pages (000-002) comes with: errors are in the body.
PAGE_STATUSES = (200,)


def check_page_answer(status: int, body: bytes, secrets: Iterable[Secret] = ()) -> None:
    """Refuse what cannot be an answer of an HTTP page (000-002): another status than 200 (a
    redirect, a proxy's error page) or an empty body. The pages name no content type, so none is
    required; the shape of the body is read by :mod:`smsc_soap.http_api.formats`."""
    if status not in PAGE_STATUSES:
        raise ProtocolError(f"HTTP {status} ({len(body)} bytes) is not an answer of the service: "
                            f"{snippet(body, secrets)}", status_code=status)
    if not body.strip():
        raise ProtocolError(f"HTTP {status} with an empty body", status_code=status)
