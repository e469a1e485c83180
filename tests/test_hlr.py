"""Issue 15, point 3: the HLR delivery report line of the SMPP page (003)."""
from __future__ import annotations

from typing import Optional

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsc_soap.errors import ReportFormatError, SmscError
from smsc_soap.hlr import HlrReport, parse_hlr_report
from smsc_soap.results import DeliveryError, DeliveryStatus


def test_the_pages_example() -> None:
    """003: "id:855469 stat:DELIVRD err:000 imsi:250023012345678"."""
    report = parse_hlr_report("id:855469 stat:DELIVRD err:000 imsi:250023012345678")
    assert report == HlrReport(id="855469", stat="DELIVRD", status=DeliveryStatus.DELIVERED,
                               err=DeliveryError.NO_ERROR, imsi="250023012345678")
    assert report.mnc is None and report.extra == {}


def test_every_field_with_url_encoded_names() -> None:
    line = ("id:1 stat:UNDELIV err:001 imsi:250011234567890 msc:79160000000 mcc:250 mnc:01 "
            "cn:%D0%A0%D0%BE%D1%81%D1%81%D0%B8%D1%8F net:MTS%20Moscow rcn:Russia rnet:Beeline%2BX")
    report = parse_hlr_report(line)
    assert report.status is DeliveryStatus.UNDELIVERABLE and report.err is DeliveryError.NO_SUBSCRIBER
    assert (report.mcc, report.mnc, report.cn, report.net, report.rnet) == ("250", "01", "Россия", "MTS Moscow",
                                                                         "Beeline+X")
    assert parse_hlr_report(report.line()) == report


def test_unknown_fields_and_codes_are_kept() -> None:
    report = parse_hlr_report("id:7 stat:WHATEVER err:999 imsi: ported:1")
    assert report.status is None and report.stat == "WHATEVER"
    assert report.err == 999 and not isinstance(report.err, DeliveryError)
    assert report.imsi == "" and report.extra == {"ported": "1"}


@pytest.mark.parametrize(
    "line, field",
    [
        ("stat:DELIVRD err:000", "id"),
        ("id:1 err:000", "stat"),
        ("id:1 stat:DELIVRD", "err"),
        ("id:x stat:DELIVRD err:000", "id"),
        ("id:1 stat:DELIVRD err:0a", "err"),
        ("id:1 stat:DELIVRD err:000 mcc:25O", "mcc"),
        ("id:1 stat:DELIVRD err:000 imsi", "imsi"),
        ("id:1 id:2 stat:DELIVRD err:000", "id"),
        ("id:1  stat:DELIVRD err:000", None),
    ],
)
def test_a_malformed_line_names_the_field(line: str, field: Optional[str]) -> None:
    with pytest.raises(ReportFormatError) as refused:
        parse_hlr_report(line)
    assert refused.value.field == field
    assert isinstance(refused.value, SmscError) and isinstance(refused.value, ValueError)


_digits = st.text(alphabet="0123456789", max_size=15)
_names = st.one_of(st.none(), st.text(max_size=20))


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 2**40), st.sampled_from(["DELIVRD", "UNDELIV", "EXPIRED", "UNKNOWN", "REJECTD"]),
       st.integers(0, 999), st.one_of(st.none(), _digits), _names, _names, _names, _names)
def test_write_then_read_is_the_identity(id_: int, stat: str, err: int, imsi: Optional[str], cn: Optional[str],
                                         net: Optional[str], rcn: Optional[str], rnet: Optional[str]) -> None:
    report = parse_hlr_report(f"id:{id_} stat:{stat} err:{err:03d}")
    full = HlrReport(id=report.id, stat=stat, status=report.status, err=report.err, imsi=imsi, cn=cn, net=net,
                     rcn=rcn, rnet=rnet)
    assert parse_hlr_report(full.line()) == full


def test_php_urlencode_writes_a_space_as_plus() -> None:
    """003:13: the string fields are written by PHP's urlencode: '+' is a space, %XX a byte."""
    report = parse_hlr_report("id:1 stat:DELIVRD err:000 cn:United+States net:AT%26T+Mobility rnet:a%2Bb")
    assert (report.cn, report.net, report.rnet) == ("United States", "AT&T Mobility", "a+b")
    assert "cn:United+States" in report.line() and parse_hlr_report(report.line()) == report
