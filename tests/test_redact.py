"""Redaction by value replaces a secret only where it stands as a whole token (or is long enough
to be unambiguous), so short common passwords do not garble messages, numbers or names."""
from __future__ import annotations

import pytest

from smsc_soap.redact import REDACTED, UNAMBIGUOUS_SECRET_CHARS, Secret, redact, redact_url


def test_a_short_password_does_not_garble_words() -> None:
    text = "ConnectionError: connection refused on port 9 (password on)"
    assert redact(text, [Secret("on")]) == "ConnectionError: connection refused REDACTED port 9 (password REDACTED)"


def test_a_short_numeric_password_does_not_garble_phone_numbers() -> None:
    assert redact("79991234567 got 123", [Secret("123")]) == f"79991234567 got {REDACTED}"


@pytest.mark.parametrize("echo", ["psw%3D123%26", "x=123&y", "'123'", "&lt;123&gt;", "%20123%20"])
def test_a_short_secret_is_found_between_separators_and_escapes(echo: str) -> None:
    assert "123" not in redact(echo, [Secret("123")])


def test_a_long_secret_is_found_even_glued_to_other_text() -> None:
    secret = "pw-Zx81!secret"
    assert len(secret) >= UNAMBIGUOUS_SECRET_CHARS
    assert redact(f"xx{secret}yy", [Secret(secret)]) == f"xx{REDACTED}yy"


def test_forms_escaped_twice_are_redacted() -> None:
    assert redact("sent a&amp;amp;b&amp;lt;c!", [Secret("a&b<c")]) == f"sent {REDACTED}!"


def test_shapes_are_redacted_whatever_the_secret() -> None:
    assert redact("<psw>on</psw> apikey=k1&x") == f"<psw>{REDACTED}</psw> apikey={REDACTED}&x"


def test_a_location_keeps_its_host_and_loses_its_secrets() -> None:
    url = "https://alex:pw-Zx81!secret@evil.example:8443/p?psw=pw-Zx81!secret&apikey=k&x=1"
    assert redact_url(url, [Secret("pw-Zx81!secret")]) == \
        f"https://alex:{REDACTED}@evil.example:8443/p?psw={REDACTED}&apikey={REDACTED}&x=1"
    assert redact_url("http://[bad", ()) == "http://[bad"
