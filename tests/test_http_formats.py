"""Every answer shape of the HTTP pages (001:65-118, 002:76-130) is read, for success and errors;
anything else is a ProtocolError carrying the first bytes, redacted."""
from __future__ import annotations

import pytest

from smsc_soap import ProtocolError, spec
from smsc_soap.http_api import formats
from smsc_soap.redact import Secret

OP = spec.OPERATOR_FIELDS
ENTRY = {"country": "Russia", "operator": "MTS", "region": "Moscow", "mcc": "250", "mnc": "01", "tz": "0"}

SUCCESS = {
    spec.FMT_TEXT: b"country = Russia, operator = MTS, region = Moscow, mcc = 250, mnc = 01, tz = 0",
    spec.FMT_CSV: b"Russia,MTS,Moscow,250,01,0",
    spec.FMT_XML: b"<info>\n<country>Russia</country>\n<operator>MTS</operator>\n<region>Moscow</region>\n"
                  b"<mcc>250</mcc>\n<mnc>01</mnc>\n<tz>0</tz>\n</info>",
    spec.FMT_JSON: b'{\n"country": "Russia",\n"operator": "MTS",\n"region": "Moscow",\n"mcc": "250",\n'
                   b'"mnc": "01",\n"tz": "0"\n}',
}
ERRORS = {
    spec.FMT_TEXT: b"ERROR = 3 (operator not found)",
    spec.FMT_CSV: b"0,-3",
    spec.FMT_XML: b"<result>\n<error>operator not found</error>\n<error_code>3</error_code>\n</result>",
    spec.FMT_JSON: b'{\n"error": "operator not found",\n"error_code": 3\n}',
}


@pytest.mark.parametrize("fmt", sorted(SUCCESS))
def test_each_success_shape_gives_the_record(fmt: int) -> None:
    answer = formats.parse(SUCCESS[fmt], OP)
    assert (answer.fmt, answer.error_code, answer.records) == (fmt, None, (ENTRY,))


@pytest.mark.parametrize("fmt", sorted(ERRORS))
def test_each_error_shape_gives_the_code(fmt: int) -> None:
    answer = formats.parse(ERRORS[fmt], OP)
    assert (answer.fmt, answer.error_code, answer.records) == (fmt, 3, ())
    assert answer.error_text == ("" if fmt == spec.FMT_CSV else "operator not found")


def test_lists_in_every_shape_name_the_phone() -> None:
    lines = {
        spec.FMT_TEXT: b"phone = 79161234567, country = Russia, operator = MTS, region = Moscow, mcc = 250, "
                       b"mnc = 01, tz = 0\nphone = 79161234568, country = Russia, operator = MTS, "
                       b"region = Moscow, mcc = 250, mnc = 01, tz = 0",
        spec.FMT_CSV: b"79161234567,Russia,MTS,Moscow,250,01,0\n79161234568,Russia,MTS,Moscow,250,01,0",
        spec.FMT_XML: b"<list><info><phone>79161234567</phone>" + SUCCESS[2][6:-7] + b"</info>"
                      b"<info><phone>79161234568</phone>" + SUCCESS[2][6:-7] + b"</info></list>",
        spec.FMT_JSON: b'[{"phone": "79161234567", "country": "Russia", "operator": "MTS", "region": "Moscow", '
                       b'"mcc": "250", "mnc": "01", "tz": "0"}, {"phone": "79161234568", "country": "Russia", '
                       b'"operator": "MTS", "region": "Moscow", "mcc": "250", "mnc": "01", "tz": 0}]',
    }
    for fmt, body in lines.items():
        answer = formats.parse(body, OP, optional=("phone",))
        assert [dict(r) for r in answer.records] == [{"phone": "79161234567", **ENTRY},
                                                     {"phone": "79161234568", **ENTRY}], fmt


def test_a_text_value_may_hold_a_comma() -> None:
    answer = formats.parse(b"country = Russia, operator = MTS, region = Moscow, oblast, mcc = 250, mnc = 01, tz = 0", OP)
    assert answer.records[0]["region"] == "Moscow, oblast"


@pytest.mark.parametrize("body", [
    b"<html><body>502 Bad Gateway</body></html>x",
    b"Bad gateway",
    b'{"country": ',
    b"[1, 2]",
    b"<result><error_code>x</error_code></result>",
    b"\xff\xfe\x00",
    b'<!DOCTYPE x [<!ENTITY a "b">]><info><tz>&a;</tz></info>',
])
def test_none_of_the_shapes_is_a_protocol_error(body: bytes) -> None:
    with pytest.raises(ProtocolError):
        formats.parse(body, OP)


def test_the_error_carries_the_first_bytes_redacted() -> None:
    with pytest.raises(ProtocolError) as caught:
        formats.parse(b"Proxy says: login=alex&psw=s3cret refused", OP, secrets=[Secret("s3cret")])
    assert "Proxy says" in str(caught.value) and "s3cret" not in str(caught.value)
