"""Scrubbing: psw and apikey become ``REDACTED`` in everything a cassette would keep.

vcrpy's ``filter_post_data_parameters`` does not look inside XML, so these hooks do it: the
``<psw>`` element, the ``query`` string inside the XML, URLs, forms, the parts of a multipart
body and headers, by shape; and the secrets in use, by value, in every form
:func:`smsc_soap.redact.secret_forms` lists (XML-escaped twice included; a short secret only
where it stands as a whole token, so SMSC_PASSWORD=123 leaves the phone 79991234567 alone:
:func:`smsc_soap.redact.redact` says why). They run before anything is written, and before a
live request is matched against recorded ones.
"""
from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Optional, Tuple, Union
from urllib.parse import quote, unquote_plus, urlsplit, urlunsplit
from xml.sax.saxutils import escape as xml_escape, unescape as xml_unescape

from .. import spec
from ..redact import REDACTED, Secret, redact, redact_values

if TYPE_CHECKING:  # pragma: no cover
    import vcr.request  # type: ignore[import-untyped,unused-ignore]  # vcrpy ships no type hints

#: Names of the secret fields: the ``<psw>`` element, and ``psw=``/``apikey=`` in query strings.
SECRET_FIELDS = ("psw", "apikey")
#: Environment variables whose values are scrubbed wherever they appear, in any wire form,
#: on top of the scrubbing by shape (the names the recording script reads credentials from).
SECRET_ENV_VARS = ("SMSC_PASSWORD", "SMSC_APIKEY")
#: Request headers whose whole value is a credential.
SECRET_HEADERS = ("authorization", "proxy-authorization", "cookie")

Body = Union[bytes, str, None]
#: Secrets to scrub by value: strings or :class:`~smsc_soap.redact.Secret`; None means "those in
#: :data:`SECRET_ENV_VARS`".
SecretsArg = Optional[Iterable[Union[str, Secret]]]


def body_bytes(body: Any) -> bytes:
    """A body as vcrpy may hold it (None, text, bytes, a file, an iterator of chunks) as bytes."""
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, (bytes, bytearray, memoryview)):
        return bytes(body)
    if hasattr(body, "read"):
        return body_bytes(body.read())
    return b"".join(body_bytes(chunk) for chunk in body)


def decode(data: bytes) -> Tuple[str, str]:
    """``data`` as text and the codec that gives the same bytes back (UTF-8, else Latin-1: the
    service's HTTP APIs may answer in windows-1251, and the patterns we scrub are ASCII)."""
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def secrets_to_scrub(secrets: SecretsArg) -> Tuple[Secret, ...]:
    """Secrets to scrub by value: those given, or (None) those in :data:`SECRET_ENV_VARS`."""
    if secrets is None:
        secrets = [os.environ.get(name, "") for name in SECRET_ENV_VARS]
    return tuple(s if isinstance(s, Secret) else Secret(str(s)) for s in secrets if s)


_QUERY_ELEMENT = re.compile(r"(<(?:[\w.-]+:)?query(?:\s[^>]*)?>)([^<]*)(</(?:[\w.-]+:)?query\s*>)")
_FORM = re.compile(r"^[^=&\s<>]+=[^\s<>]*$")


def scrub_query(query: str) -> str:
    """A query string with the whole value of every ``psw``/``apikey`` parameter REDACTED.

    It splits on ``&`` as ``parse_qs`` does, so a secret holding an encoded ``&`` (``%26``) is
    removed whole, not cut at the first ``%26``.
    """
    out = []
    for part in query.split("&"):
        name, sep, _ = part.partition("=")
        if sep and unquote_plus(name).strip().lower() in SECRET_FIELDS:
            part = f"{name}={REDACTED}"
        out.append(part)
    return "&".join(out)


def _scrub_query_element(match: "re.Match[str]") -> str:
    return match.group(1) + xml_escape(scrub_query(xml_unescape(match.group(2)))) + match.group(3)


# psw=/apikey= and the whole value after it, encoded "&" (%26) included: a URL-encoded value
# ends at a raw "&", quote, "<" or space. (redact() stops at %26, taking it for the separator of a
# query nested in a URL parameter; here scrubbing too much only costs matching precision.)
_GREEDY_PARAM = re.compile(r"((?<![A-Za-z_])(?:apikey|psw)(?:=|%3D))[^&<>\"'\s]*", re.IGNORECASE)
# A multipart/form-data part named psw or apikey (RFC 7578, as a mailing with files is sent):
# its delimiter line, its headers (one a Content-Disposition naming it), the blank line, then
# its value, up to the next delimiter of the same boundary (which no part holds).
_MULTIPART_SECRET = re.compile(
    r"(--(?P<boundary>[^\s]+)\r?\n(?:[^\r\n]+\r?\n)*?"
    rf'content-disposition:[ \t]*form-data[^\r\n]*;[ \t]*name=(?P<quote>"?)(?:{"|".join(SECRET_FIELDS)})(?P=quote)'
    r"(?:[ \t]*;[^\r\n]*)?\r?\n(?:[^\r\n]+\r?\n)*\r?\n)"
    r".*?(?=\r?\n--(?P=boundary))",
    re.IGNORECASE | re.DOTALL)


def scrub_text(text: Union[str, bytes], secrets: SecretsArg = ()) -> Union[str, bytes]:
    """``text`` with every psw/apikey value REDACTED: the ``<psw>`` element, the secret parameters
    of a ``<query>`` element, of a form-encoded body or of a multipart one (its parts named so),
    ``psw=``/``apikey=`` anywhere else (also XML-escaped or URL-encoded), and each of ``secrets``
    in its plain, XML-escaped and URL-encoded forms (in bytes, also as windows-1251 and koi8-r
    write it). Bytes stay bytes, in their own encoding (decoded as UTF-8 or Latin-1, both give
    the same bytes back: a binary file part is kept)."""
    found = secrets_to_scrub(secrets)
    if isinstance(text, (bytes, bytearray)):
        decoded, codec = decode(_scrub_charsets(bytes(text), found))
        return str(scrub_text(decoded, found)).encode(codec)
    text = _MULTIPART_SECRET.sub(rf"\g<1>{REDACTED}", text)
    text = _QUERY_ELEMENT.sub(_scrub_query_element, text)
    if _FORM.match(text):
        text = scrub_query(text)
    return _GREEDY_PARAM.sub(rf"\g<1>{REDACTED}", redact(text, found))


def _scrub_charsets(data: bytes, secrets: Tuple[Secret, ...]) -> bytes:
    """``data`` with each non-ASCII secret REDACTED as each of the pages' charsets
    (spec.MAILING_CHARSETS) writes its bytes, plain or percent-encoded. A body with binary parts,
    or an answer in windows-1251, is not the UTF-8 text in which :func:`scrub_text` looks for
    them; an ASCII secret has the same bytes in all of them, and scrub_text finds those."""
    wide = [secret for secret in secrets if not secret.reveal().isascii()]
    if not wide:
        return data
    for charset in spec.MAILING_CHARSETS:
        text = data.decode(charset, "surrogateescape")  # undecodable bytes kept as they are
        data = redact_values(text, wide, charset).encode(charset, "surrogateescape")
    return data


def scrub_url(url: str, secrets: SecretsArg = ()) -> str:
    """``url`` with its ``psw``/``apikey`` query parameters, a password in the authority, and the
    given secrets REDACTED."""
    parts = urlsplit(url)
    if parts.password is not None:
        host = parts.netloc.rsplit("@", 1)[1]
        parts = parts._replace(netloc=f"{quote(parts.username or '', safe='')}:{REDACTED}@{host}")
    parts = parts._replace(query=scrub_query(parts.query))
    return redact(urlunsplit(parts), secrets_to_scrub(secrets))


def scrub_request(request: "vcr.request.Request", secrets: SecretsArg = ()) -> "vcr.request.Request":
    """vcrpy ``before_record_request``: scrub the URL, the body and the headers in place.

    vcrpy runs it on a copy before a request is written, and on each request before it is
    matched, so recorded and live requests are compared with their secrets REDACTED alike.
    """
    found = secrets_to_scrub(secrets)
    request.uri = scrub_url(request.uri, found)
    body = request.body
    scrubbed: Union[str, bytes] = b""
    if body is not None:
        request.body = scrubbed = scrub_text(body_bytes(body), found)
    for name in list(request.headers):
        value = request.headers[name]
        if name.lower() in SECRET_HEADERS:
            request.headers[name] = REDACTED
        elif name.lower() == "content-length" and body is not None:
            request.headers[name] = str(len(scrubbed))  # the old length would tell the secret's
        elif isinstance(value, (str, bytes)):
            request.headers[name] = scrub_text(value, found)
    return request


def scrub_response(response: Dict[str, Any], secrets: SecretsArg = ()) -> Dict[str, Any]:
    """vcrpy ``before_record_response``: scrub the body and the headers of a recorded answer.

    A compressed body is decompressed first (scrubbing cannot see into gzip), as
    ``decode_compressed_response`` would.
    """
    found = secrets_to_scrub(secrets)
    headers: Dict[str, List[Any]] = response.get("headers") or {}
    if any(name.lower() == "content-encoding" for name in headers):
        from vcr.filters import decode_response  # type: ignore[import-untyped,unused-ignore]

        response = decode_response(response)
        headers = response.get("headers") or {}
    body: Dict[str, Any] = response.get("body") or {}
    if body.get("string") is not None:
        body["string"] = scrub_text(body_bytes(body["string"]), found)
    for name, values in list(headers.items()):
        if name.lower() == "set-cookie":
            headers[name] = [REDACTED for _ in values]
        elif name.lower() == "content-length" and body.get("string") is not None:
            headers[name] = [str(len(body["string"]))]  # replay reads exactly this many bytes
        else:
            headers[name] = [scrub_text(v, found) if isinstance(v, (str, bytes)) else v for v in values]
    return response
