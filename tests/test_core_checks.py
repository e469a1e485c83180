"""The core's checks of an answer's status, type and bytes, and its exception translation,
alone: bytes in, a ProtocolError (or the parsed root) out; no sockets."""
from __future__ import annotations

import pytest

import smsc_soap
from smsc_soap._core import check_answer, snippet, soap_fault, translate
from smsc_soap.redact import Secret

OK = b'<?xml version="1.0"?><Envelope><Body><r>1</r></Body></Envelope>'
PSW = Secret("s3cret-pass")


def test_a_well_formed_xml_answer_passes_and_is_parsed() -> None:
    root = check_answer(200, "text/xml; charset=utf-8", OK, limit=1000)
    assert root.tag == "Envelope"
    assert check_answer(500, "", b"  <Fault/>", limit=1000).tag == "Fault"  # no type: sniffed as XML


@pytest.mark.parametrize(("status", "content_type", "body", "words"), [
    (200, "text/xml", OK * 100, "larger than 1000 bytes"),
    (404, "text/xml", OK, "HTTP 404"),
    (503, "text/html", b"<html>busy</html>", "text/html"),
    (200, "text/html", b"<html>login</html>", "not a SOAP answer"),
    (200, "text/xml", b"   ", "empty body"),
    (200, "text/xml", b'<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', "DTD or entity"),
    (200, "text/xml", b"<Envelope><Body>", "not well-formed"),
    (200, "text/xml", b"<a/><b/>", "not well-formed"),
])
def test_what_cannot_be_an_answer_is_refused(status: int, content_type: str, body: bytes, words: str) -> None:
    with pytest.raises(smsc_soap.ProtocolError, match=words) as caught:
        check_answer(status, content_type, body, limit=1000)
    assert caught.value.status_code == status


def test_the_snippet_of_a_refused_body_is_short_and_redacted() -> None:
    body = b"<html>" + b"x" * 500 + b" psw=s3cret-pass <psw>s3cret-pass</psw></html>"
    with pytest.raises(smsc_soap.ProtocolError) as caught:
        check_answer(502, "text/html", b"<html>echo: s3cret-pass</html>", limit=1000, secrets=[PSW])
    assert "s3cret" not in str(caught.value) and "REDACTED" in str(caught.value)
    text = snippet(body, [PSW])
    assert len(text) <= 125 and text.endswith("…'")


class LibraryTimeout(Exception):
    pass


class LibraryError(Exception):
    pass


RULES = ((LibraryTimeout, smsc_soap.TimeoutError, "timed out"), (Exception, smsc_soap.ConnectionError, "failed"))


def test_translate_picks_the_first_matching_rule_and_scrubs_secrets() -> None:
    error = translate(LibraryTimeout("read s3cret-pass"), RULES, "get_balance", "http://x", [PSW])
    assert type(error) is smsc_soap.TimeoutError
    assert str(error) == "get_balance at http://x: timed out: read REDACTED"
    assert type(translate(LibraryError("x"), RULES, "op", "a")) is smsc_soap.ConnectionError


def test_shape_errors_after_a_whole_answer_are_protocol_errors() -> None:
    assert translate(KeyError("balance"), (), "get_balance", "a") is None  # a bug, left alone
    error = translate(KeyError("balance"), (), "get_balance", "a", answered=True)
    assert isinstance(error, smsc_soap.ProtocolError) and "does not follow the WSDL" in str(error)


def test_a_soap_fault_keeps_code_and_text_without_secrets() -> None:
    fault = soap_fault("Server", "bad psw s3cret-pass", [PSW])
    assert (fault.faultcode, fault.faultstring, fault.status_code) == ("Server", "bad psw REDACTED", 500)
