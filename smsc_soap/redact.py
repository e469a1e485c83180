"""Scrubbing of secrets (psw, apikey) from anything that may be logged, shown or recorded.

Two nets, used together: by shape (the ``psw`` element and ``apikey=`` in a query, whatever
their values) and by value (the client's own secrets, in every form :func:`secret_forms` lists).

By value, a short secret is replaced only where it stands as a whole token: not glued to a letter or
digit on a side where the secret itself ends in one. A short common password (``on``, ``123``)
would otherwise turn ``ConnectionError`` into ``C…REDACTED…nectiREDACTED…Error`` and a phone
number 79991234567 into 7999REDACTED4567. A short secret echoed inside a longer word is the one
form this misses; the nets by shape (``<psw>``, ``psw=``/``apikey=``, headers) catch it where secrets
are expected to appear, whatever their length.
"""
from __future__ import annotations

import html
import json
import re
from typing import Iterable, List, Set, TypeVar
from urllib.parse import quote, quote_plus, urlsplit, urlunsplit

REDACTED = "REDACTED"
#: ASSUMPTION (a judgement, not a fact of the service): a secret form this long cannot turn up
#: by chance inside another word or number, so it is replaced wherever it appears, glued to
#: other text or not; shorter ones only where they stand as a whole token.
UNAMBIGUOUS_SECRET_CHARS = 12

_PSW_ELEMENT = re.compile(r"(<(?:[\w.-]+:)?psw(?:\s[^>]*)?>)[^<]*(</(?:[\w.-]+:)?psw\s*>)")
# apikey=VALUE or psw=VALUE in a query string (the HTTP APIs', or send_sms2's query), also when
# the query sits in XML (& escaped as &amp;) or is itself URL-encoded (= as %3D, & as %26).
_QUERY_PARAM = re.compile(r"((?<![A-Za-z_])(?:apikey|psw)(?:=|%3D))(?:(?!%26)[^&<>\"'\s])*", re.IGNORECASE)

T = TypeVar("T", str, bytes)


def _xml_forms(text: str) -> Set[str]:
    """Every usual way of escaping ``text`` for XML/HTML (``saxutils.escape`` leaves quotes bare,
    ``html.escape`` writes ``&#x27;``, a minimal writer escapes only ``&`` and ``<``)."""
    minimal = text.replace("&", "&amp;").replace("<", "&lt;")
    plain = minimal.replace(">", "&gt;")  # saxutils.escape's, written out: xml.sax costs ~1 ms at start-up
    quoted = plain.replace('"', "&quot;")
    return {plain, quoted, quoted.replace("'", "&apos;"), minimal, html.escape(text), html.escape(text, quote=False)}


def secret_forms(secret: str, encoding: str = "utf-8") -> List[str]:
    """The forms a secret takes on the wire, in logs and in files, longest first: plain, XML/HTML
    escaped once or twice (a server that echoes an escaped request in its own XML escapes it
    again: ``&amp;amp;``), JSON strings, and the URL encodings of each (of its bytes in
    ``encoding``: a page in windows-1251 percent-encodes those). Scrubbed by value; handy to grep
    files for. UnicodeEncodeError if ``encoding`` cannot write the secret.

    JSON strings also as PHP writes them: ``json_encode`` escapes "/" as "\\/" by default, and
    the service's pages are PHP."""
    once = _xml_forms(secret)
    json_forms = {json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}
    base = {secret, *once, *json_forms, *(form.replace("/", "\\/") for form in json_forms)}
    for form in once:
        base.update(_xml_forms(form))
    forms = set(base)
    for form in base:
        forms.update((quote(form, safe="", encoding=encoding), quote(form, encoding=encoding),
                      quote_plus(form, encoding=encoding)))
    return sorted((form for form in forms if form), key=len, reverse=True)


class Secret:
    """A password or API key that shows as REDACTED wherever it is printed or inspected."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The value itself, for the one place that sends it."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({REDACTED})"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)


def redact(text: T, secrets: Iterable[Secret] = ()) -> T:
    """``text`` with every psw/apikey value, and every given secret, replaced by ``REDACTED``."""
    if isinstance(text, bytes):
        return redact(text.decode("utf-8", "replace"), secrets).encode("utf-8")
    text = _PSW_ELEMENT.sub(rf"\g<1>{REDACTED}\g<2>", text)
    text = _QUERY_PARAM.sub(rf"\g<1>{REDACTED}", text)
    return redact_values(text, secrets)


def redact_values(text: str, secrets: Iterable[Secret], encoding: str = "utf-8") -> str:
    """``text`` (decoded from ``encoding``) with every form of the given secrets replaced by
    ``REDACTED``, a short one only as a whole token; a secret ``encoding`` cannot write is
    skipped (it cannot be in such text)."""
    for secret in secrets:
        try:
            forms = secret_forms(secret.reveal(), encoding) if secret else []
        except UnicodeEncodeError:
            continue
        for form in forms:
            text = _as_token(form).sub(REDACTED, text)
    return text


def _as_token(form: str) -> "re.Pattern[str]":
    """``form`` where it stands as a whole token: no word character right before it when it
    starts with one (a ``%XX`` escape counts as a boundary), none right after it when it ends
    with one; anywhere when it is :data:`UNAMBIGUOUS_SECRET_CHARS` long."""
    if len(form) >= UNAMBIGUOUS_SECRET_CHARS:
        return re.compile(re.escape(form))
    before = r"(?:(?<!\w)|(?<=%[0-9A-Fa-f]{2}))" if re.match(r"\w", form) else ""
    after = r"(?!\w)" if re.search(r"\w$", form) else ""
    return re.compile(before + re.escape(form) + after)


def redact_url(url: str, secrets: Iterable[Secret] = ()) -> str:
    """``url`` (a ``Location``, say) with a password in its authority, ``psw=``/``apikey=``
    values and the given secrets REDACTED; the host stays readable."""
    try:
        parts = urlsplit(url)
        if parts.password is not None:
            host = parts.netloc.rsplit("@", 1)[1]
            url = urlunsplit(parts._replace(netloc=f"{parts.username or ''}:{REDACTED}@{host}"))
    except ValueError:  # not a URL (a bad port, brackets): redact the text as it is
        pass
    return redact(url, secrets)
