"""Scrubbing of secrets (psw, apikey) from anything that may be logged, shown or recorded.

Two nets, used together: by shape (the ``psw`` element and ``apikey=`` in a query, whatever
their values) and by value (the client's own secrets, in the plain, XML-escaped and URL-encoded
forms they take on the wire).
"""
from __future__ import annotations

import re
from typing import Iterable, TypeVar
from urllib.parse import quote, quote_plus
from xml.sax.saxutils import escape

REDACTED = "REDACTED"

_PSW_ELEMENT = re.compile(r"(<(?:[\w.-]+:)?psw(?:\s[^>]*)?>)[^<]*(</(?:[\w.-]+:)?psw\s*>)")
# apikey=VALUE or psw=VALUE in a query string (the HTTP APIs', or send_sms2's query), also when
# the query sits in XML (& escaped as &amp;) or is itself URL-encoded (= as %3D, & as %26).
_QUERY_PARAM = re.compile(r"((?<![A-Za-z_])(?:apikey|psw)(?:=|%3D))(?:(?!%26)[^&<>\"'\s])*", re.IGNORECASE)

T = TypeVar("T", str, bytes)


def _forms(secret: str) -> Iterable[str]:
    """The ways a secret can appear on the wire or in a log."""
    xml = escape(secret, {'"': "&quot;", "'": "&apos;"})
    xml_minimal = secret.replace("&", "&amp;").replace("<", "&lt;")  # ">" and quotes may stay bare
    return {secret, xml, escape(secret), xml_minimal, quote(secret, safe=""), quote_plus(secret),
            quote(xml, safe="")}


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
            for form in sorted(_forms(secret.reveal()), key=len, reverse=True):
                text = text.replace(form, REDACTED)
    return text
