"""The line an HLR request's result arrives as (SMPP page 003), read into a typed report.

``id:855469 stat:DELIVRD err:000 imsi:250023012345678 ... cn:Russia net:MTS ...``: the fields and
their shapes are :data:`smsc_soap.spec.HLR_FIELDS`; country and network names are URL-encoded.
Unknown extra fields are kept in ``extra`` (the service may add some); a malformed line raises
:class:`~smsc_soap.errors.ReportFormatError` naming the field, rather than a half-read report.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, Mapping, Optional, Union
from urllib.parse import quote_plus, unquote_plus

from . import spec
from .errors import ReportFormatError
from .results import DeliveryError, DeliveryStatus

__all__ = ["HlrReport", "parse_hlr_report"]

_SHAPES = {name: re.compile(shape) for name, shape in spec.HLR_FIELDS}
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class HlrReport:
    """One HLR result. ``status``/``err`` are the enums of :mod:`smsc_soap.results` (a bare int
    for a code they do not list; ``status`` None for a ``stat`` word not in
    :data:`smsc_soap.spec.HLR_STAT_WORDS`); the string fields are URL-decoded, None when absent."""

    id: str
    stat: str
    status: Union[DeliveryStatus, int, None]
    err: Union[DeliveryError, int]
    imsi: Optional[str] = None
    msc: Optional[str] = None
    mcc: Optional[str] = None
    mnc: Optional[str] = None
    cn: Optional[str] = None
    net: Optional[str] = None
    rcn: Optional[str] = None
    rnet: Optional[str] = None
    extra: Mapping[str, str] = field(default_factory=dict)

    def line(self) -> str:
        """The report written back in the page's format (absent fields left out)."""
        pieces = []
        for name, _ in spec.HLR_FIELDS:
            value = self.stat if name == "stat" else (
                f"{int(self.err):03d}" if name == "err" else getattr(self, name))
            if value is None:
                continue
            pieces.append(f"{name}:{quote_plus(value, safe='') if name in spec.HLR_URLENCODED else value}")
        pieces.extend(f"{name}:{value}" for name, value in self.extra.items())
        return " ".join(pieces)


def parse_hlr_report(line: str) -> HlrReport:
    """The report in ``line`` (an HLR delivery report, 003); :class:`ReportFormatError` naming the
    field when the line is not in the page's format."""
    if not isinstance(line, str):
        raise ReportFormatError(f"an HLR report is a str, got {type(line).__name__}")
    values: Dict[str, str] = {}
    extra: Dict[str, str] = {}
    for token in line.strip().split(" "):
        name, colon, value = token.partition(":")
        if not colon or not _NAME.fullmatch(name):
            raise ReportFormatError(f"HLR report: {token!r} is not name:value", field=name or None)
        if name in values or name in extra:
            raise ReportFormatError(f"HLR report: {name} appears twice", field=name)
        shape = _SHAPES.get(name)
        if shape is None:
            extra[name] = value
            continue
        if not shape.fullmatch(value):
            raise ReportFormatError(f"HLR report: {name}:{value!r} is not {shape.pattern!r} (003)", field=name)
        values[name] = unquote_plus(value) if name in spec.HLR_URLENCODED else value  # PHP's urlencode: ' ' is '+'
    for name in spec.HLR_REQUIRED:
        if name not in values:
            raise ReportFormatError(f"HLR report: {name} is missing (003: 'id:<id> stat:<status> err:<err> ...')",
                                    field=name)
    code = spec.HLR_STAT_WORDS.get(values["stat"])
    status = DeliveryStatus.parse(code) if code is not None else None
    err = DeliveryError.parse(values["err"])
    assert err is not None  # "err" matched [0-9]+
    optional = {name: values.get(name) for name, _ in spec.HLR_FIELDS if name not in ("id", "stat", "err")}
    return HlrReport(id=values["id"], stat=values["stat"], status=status, err=err, extra=extra, **optional)
