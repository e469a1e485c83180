"""Scrubbing of secrets (psw, apikey) from anything that may be logged, shown or recorded.

Two nets, used together: by shape (the ``psw`` element and ``apikey=`` in a query, whatever
their values) and by value (the client's own secrets, in every form :func:`secret_forms` lists).
"""
from __future__ import annotations

import html
import json
import re
from typing import Iterable, List, TypeVar
from urllib.parse import quote, quote_plus
from xml.sax.saxutils import escape

REDACTED = "REDACTED"

_PSW_ELEMENT = re.compile(r"(<(?:[\w.-]+:)?psw(?:\s[^>]*)?>)[^<]*(</(?:[\w.-]+:)?psw\s*>)")
# apikey=VALUE or psw=VALUE in a query string (the HTTP APIs', or send_sms2's query), also when
# the query sits in XML (& escaped as &amp;) or is itself URL-encoded (= as %3D, & as %26).
_QUERY_PARAM = re.compile(r"((?<![A-Za-z_])(?:apikey|psw)(?:=|%3D))(?:(?!%26)[^&<>\"'\s])*", re.IGNORECASE)

T = TypeVar("T", str, bytes)


def secret_forms(secret: str) -> List[str]:
    """The forms a secret takes on the wire, in logs and in files, longest first: plain, every
    usual way of escaping XML/HTML (``saxutils.escape`` leaves quotes bare, ``html.escape`` writes
    ``&#x27;``, a minimal writer escapes only ``&`` and ``<``), JSON strings, and the URL encodings
    of each. Scrubbed by value; handy to grep files for."""
    base = {secret, escape(secret), escape(secret, {'"': "&quot;"}), escape(secret, {'"': "&quot;", "'": "&apos;"}),
            secret.replace("&", "&amp;").replace("<", "&lt;"), html.escape(secret), html.escape(secret, quote=False),
            json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}
    forms = set(base)
    for form in base:
        forms.update((quote(form, safe=""), quote(form), quote_plus(form)))
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
    for secret in secrets:
        if secret:
            for form in secret_forms(secret.reveal()):
                text = text.replace(form, REDACTED)
    return text
