"""Every answer shape the HTTP pages show, read into records or an error code (pure, no I/O).

The client asks for one ``fmt`` (:data:`smsc_soap.spec.WIRE_FMT`), but reads the answer by its
shape, not by what it asked for, so that a proxy or an old account answering in another shape is
still understood (001:66-81, 002:77-92):

* fmt 0: ``ERROR = N (text)``, or lines of ``name = value, name = value``, or a mailing's
  ``OK - 1 SMS, ID - 1234`` (000:173);
* fmt 1: ``0,-N``, or lines of comma-separated values in the page's field order;
* fmt 2: ``<result><error>text</error><error_code>N</error_code></result>``, or an element
  whose children are the fields, or a ``<list>`` of such elements;
* fmt 3: ``{"error": "text", "error_code": N}``, or an object, or an array of objects.

Anything else is a :class:`~smsc_soap.ProtocolError` carrying the answer's first bytes (redacted).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from .. import spec
from .._core.checks import check_xml, snippet
from ..errors import ProtocolError
from ..redact import Secret, redact

Record = Mapping[str, str]

_TEXT_ERROR = re.compile(r"ERROR\s*=\s*(-?[0-9]+)\s*(?:\((.*)\))?\s*\Z", re.DOTALL)
_CSV_ERROR = re.compile(r"0\s*,\s*-([0-9]+)\s*\Z")
#: 000:173 a mailing's add, fmt=0: "OK - 1 SMS, ID - 1234" (cost and balance: spec's ASSUMPTION).
_SEND_TEXT = re.compile(r"OK - ([0-9]+) SMS, ID - ([^,\s]+)(?:, COST - ([0-9.]+))?(?:, BALANCE - ([0-9.]+))?\s*\Z")
_COST_TEXT = re.compile(r"COST - ([0-9.]+), ([0-9]+) SMS\s*\Z")


@dataclass(frozen=True)
class Answer:
    """What an answer said: ``records`` (one per entry), or the service's ``error_code`` and text;
    ``fmt`` is the shape it came in."""

    fmt: int
    records: Tuple[Record, ...] = ()
    error_code: Optional[int] = None
    error_text: str = ""
    #: The body was empty (HTTP 200): no records in fmt 0 and 1 (spec.EMPTY_LIST_ANSWER_FMTS).
    empty: bool = False


def parse(body: bytes, fields: Sequence[str], *, optional: Sequence[str] = (),
          secrets: Iterable[Secret] = ()) -> Answer:
    """Read ``body`` in whichever of the four shapes it has.

    ``fields`` are the page's fields in the order fmt=1 writes them; ``optional`` are fields that
    may come first in fmt=1 (an entry with one value more), such as the lookup's ``phone``.
    An error's text is redacted: a server may echo the request, password included.
    """
    answer = _parse(body, fields, optional, secrets)
    return replace(answer, error_text=redact(answer.error_text, secrets)) if answer.error_text else answer


def _parse(body: bytes, fields: Sequence[str], optional: Sequence[str], secrets: Iterable[Secret]) -> Answer:
    try:
        text = body.decode("utf-8").lstrip("\ufeff").strip()
    except UnicodeDecodeError:
        raise _unreadable(body, secrets, "not UTF-8") from None
    if not text:
        raise ProtocolError("the answer is empty")
    try:
        if text[0] in "{[":
            return _json(text, body, secrets)
        if text[0] == "<":
            return _xml(body)
        error = _TEXT_ERROR.match(text)
        if error:
            return Answer(spec.FMT_TEXT, error_code=int(error.group(1)), error_text=(error.group(2) or "").strip())
        error = _CSV_ERROR.match(text)
        if error:
            return Answer(spec.FMT_CSV, error_code=int(error.group(1)))
        sent = _SEND_TEXT.match(text)
        if sent:
            record = dict(zip(("cnt", "id", "cost", "balance"), sent.groups()))
            return Answer(spec.FMT_TEXT, records=({k: v for k, v in record.items() if v is not None},))
        cost = _COST_TEXT.match(text)
        if cost:
            return Answer(spec.FMT_TEXT, records=({"cost": cost.group(1), "cnt": cost.group(2)},))
        if re.match(r"[A-Za-z_]+ = ", text):
            return Answer(spec.FMT_TEXT, records=tuple(_text_line(line, (*optional, *fields))
                                                       for line in text.splitlines() if line.strip()))
        return Answer(spec.FMT_CSV, records=tuple(_csv_line(line, fields, optional)
                                                  for line in text.splitlines() if line.strip()))
    except _Unexpected as problem:
        raise _unreadable(body, secrets, str(problem)) from None


class _Unexpected(Exception):
    """The body has none of the page's shapes (said why)."""


def _unreadable(body: bytes, secrets: Iterable[Secret], why: str) -> ProtocolError:
    return ProtocolError(f"the answer has none of the page's shapes ({why}): {snippet(body, secrets)}")


def _value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or isinstance(value, (dict, list)):
        raise _Unexpected(f"a field holds {type(value).__name__}")
    return str(value)


def _object(pairs: List[Tuple[str, Any]]) -> Dict[str, Any]:
    """A JSON object whose keys are each given once: ``{"id": 5, "id": 6}`` says two things."""
    value = dict(pairs)
    if len(value) != len(pairs):
        twice = sorted({key for key, _ in pairs if sum(1 for k, _ in pairs if k == key) > 1})
        raise _Unexpected(f"a JSON object gives {', '.join(map(repr, twice))[:80]} twice")
    return value


def _json(text: str, body: bytes, secrets: Iterable[Secret]) -> Answer:
    try:
        value = json.loads(text, object_pairs_hook=_object)
    except ValueError as exc:
        raise _Unexpected(f"JSON that does not parse: {exc}") from None
    if isinstance(value, dict) and "error_code" in value:
        code = value["error_code"]
        if isinstance(code, bool) or not str(code).strip().lstrip("-").isdigit():
            raise _Unexpected("an error_code that is not a number")
        return Answer(spec.FMT_JSON, error_code=int(str(code).strip()), error_text=_value(value.get("error")))
    items = value if isinstance(value, list) else [value]
    if not all(isinstance(item, dict) for item in items):
        raise _Unexpected("JSON that is not an object or an array of objects")
    return Answer(spec.FMT_JSON, records=tuple({str(k): _value(v) for k, v in item.items()} for item in items))


def _xml(body: bytes) -> Answer:
    root = check_xml(200, body)  # refuses DTDs and entities, repairs nothing
    fields = {child.tag: (child.text or "").strip() for child in root if isinstance(child.tag, str)}
    if "error_code" in fields:
        code = fields["error_code"]
        if not code.lstrip("-").isdigit():
            raise _Unexpected("an error_code that is not a number")
        return Answer(spec.FMT_XML, error_code=int(code), error_text=fields.get("error", ""))
    children = [child for child in root if isinstance(child.tag, str)]
    if children and all(len(child) for child in children):  # <list><info>...</info>...</list>
        return Answer(spec.FMT_XML, records=tuple(
            {field.tag: (field.text or "").strip() for field in child if isinstance(field.tag, str)}
            for child in children))
    if children and any(len(child) for child in children):
        raise _Unexpected("XML mixing fields and entries")
    return Answer(spec.FMT_XML, records=(fields,) if fields else ())


def _text_line(line: str, names: Sequence[str]) -> Dict[str, str]:
    """``name = value, name = value``: split only before a known name, so a value may hold ", "."""
    known = "|".join(re.escape(name) for name in names)
    pieces = re.split(rf"(?:^|,\s*)({known}) =(?: |$)", line.strip())
    if pieces[0].strip():
        raise _Unexpected(f"text before the first field: {pieces[0][:40]!r}")
    record = {pieces[i]: pieces[i + 1].strip() for i in range(1, len(pieces) - 1, 2)}
    if not record:
        raise _Unexpected("a line without fields")
    return record


def _csv_line(line: str, fields: Sequence[str], optional: Sequence[str]) -> Dict[str, str]:
    values = [value.strip() for value in line.split(",")]
    for extra in range(len(optional) + 1):
        names = (*optional[:extra], *fields) if extra else tuple(fields)
        if len(values) == len(names):
            return dict(zip(names, values))
    raise _Unexpected(f"{len(values)} comma-separated values where {len(fields)} were expected")
