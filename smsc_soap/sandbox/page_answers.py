"""What the sandbox's HTTP pages answer: the content types and the records' shapes for every
``fmt`` (001:99-118, 002:104-130), errors included. Below the pages (http_pages.py) and the
mailings (mailings.py), which both answer in these shapes."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterator, Mapping, Sequence, Union
from xml.sax.saxutils import escape

from .. import spec

__all__ = ["CONTENT_TYPES", "CSV_CONTENT_TYPE", "DEFAULT_FMT", "PageAnswer", "render", "render_error"]

#: ASSUMPTION (the pages name no content types): fmt 2 is XML, 3 JSON, 0 and 1 plain text, all
#: UTF-8; the export file is text/csv.
CONTENT_TYPES = {spec.FMT_TEXT: "text/plain; charset=utf-8", spec.FMT_CSV: "text/plain; charset=utf-8",
                 spec.FMT_XML: "text/xml; charset=utf-8", spec.FMT_JSON: "application/json; charset=utf-8"}
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
#: ASSUMPTION: a missing or unknown fmt answers as fmt=0 (the pages' first shape).
DEFAULT_FMT = spec.FMT_TEXT


@dataclass
class PageAnswer:
    """What a page answers: a body, or pieces of one (a file, written as it is made)."""

    content_type: str
    body: Union[bytes, Iterator[bytes]]


def render(fmt: int, records: Sequence[Mapping[str, str]], *, list_tag: str, item_tag: str,
           many: bool, numbers: Sequence[str] = ()) -> bytes:
    """Records in the page's shape for ``fmt`` (001:99-118, 002:104-130); in fmt=3 the fields
    ``numbers`` are JSON numbers (002:124 ``"id": id``), the others strings."""
    if fmt == spec.FMT_JSON:
        typed = [{k: int(v) if k in numbers and v else v for k, v in r.items()} for r in records]
        value: Any = typed if many else typed[0]
        return json.dumps(value, ensure_ascii=False).encode("utf-8")
    if fmt == spec.FMT_XML:
        def item(record: Mapping[str, str]) -> str:
            return f"<{item_tag}>" + "".join(f"<{k}>{escape(v)}</{k}>" for k, v in record.items()) + f"</{item_tag}>"
        inner = "".join(item(r) for r in records)
        return (f"<{list_tag}>{inner}</{list_tag}>" if many else inner).encode("utf-8")
    if fmt == spec.FMT_CSV:
        return "\n".join(",".join(r.values()) for r in records).encode("utf-8")
    return "\n".join(", ".join(f"{k} = {v}" for k, v in r.items()) for r in records).encode("utf-8")


def render_error(fmt: int, code: int, text: str) -> bytes:
    """An error in the page's shape for ``fmt`` (001:65-81, 002:76-92)."""
    if fmt == spec.FMT_JSON:
        return json.dumps({"error": text, "error_code": code}, ensure_ascii=False).encode("utf-8")
    if fmt == spec.FMT_XML:
        return f"<result><error>{escape(text)}</error><error_code>{code}</error_code></result>".encode("utf-8")
    if fmt == spec.FMT_CSV:
        return f"0,-{code}".encode()
    return f"ERROR = {code} ({text})".encode("utf-8")
