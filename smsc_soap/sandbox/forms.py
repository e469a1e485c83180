"""The sandbox's one reader of a whole number in a form field or query parameter: ASCII digits
only (``²``, ``٣``, ``1_000``, ``--5`` are not numbers), at most :data:`MAX_DIGITS` of them, so
that no value reaches ``int()`` to fail there (a traceback, a dropped connection): the caller
answers error 1 for a None. And its reader of a ``multipart/form-data`` POST (a mailing's files).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from . import assumptions as A

#: ASSUMPTION (the sandbox's own bound): more digits than this are no number the pages take.
MAX_DIGITS = 18
_WHOLE = re.compile(rf"[0-9]{{1,{MAX_DIGITS}}}")
_SIGNED = re.compile(rf"[+-]?[0-9]{{1,{MAX_DIGITS}}}")


def whole(raw: Optional[str], *, signed: bool = False) -> Optional[int]:
    """``raw`` (spaces around it dropped) as an int, or None when it is not one."""
    text = (raw or "").strip()
    return int(text) if (_SIGNED if signed else _WHOLE).fullmatch(text) else None


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart POST (PHP's ``$_FILES`` entry): its part's name, the file's, its type, bytes."""

    part: str
    name: str
    content_type: str
    data: bytes = field(repr=False)


def is_multipart(content_type: Optional[str]) -> bool:
    return (content_type or "").split(";")[0].strip().lower() == "multipart/form-data"


class BadForm(ValueError):
    """A multipart body the sandbox will not read (beyond :data:`~.assumptions.MULTIPART_MAX_PARTS`
    and its neighbours, or a part whose headers never end): the server answers a bad request."""


#: ``; name=value`` of a header, the value a token or a quoted string (``\\"`` and ``\\\\`` in it
#: stand for themselves, as PHP reads them).
_PARAM = re.compile(r';\s*([^\s=;]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))')
_QUOTED_PAIR = re.compile(r'\\([\\"])')
_BLANK_LINE = re.compile(rb"\n\r?\n")
#: RFC 2046 5.1.1: a boundary is 1 to 70 characters.
_BOUNDARY_CHARS = 70


def header_params(value: str) -> Dict[str, str]:
    """The ``; name=value`` parameters of a header's ``value``, names in lower case; BadForm past
    :data:`~.assumptions.MULTIPART_MAX_PARAMS` of them."""
    params: Dict[str, str] = {}
    for count, match in enumerate(_PARAM.finditer(value), 1):
        if count > A.MULTIPART_MAX_PARAMS:
            raise BadForm(f"more than {A.MULTIPART_MAX_PARAMS} parameters in a header")
        quoted, plain = match.group(2), match.group(3)
        params[match.group(1).lower()] = _QUOTED_PAIR.sub(r"\1", quoted) if quoted is not None else plain.strip()
    return params


def multipart_form(content_type: str, body: bytes) -> Tuple[Dict[str, str], List[Upload]]:
    """The text fields and the files of a ``multipart/form-data`` body, as PHP reads it into
    ``$_POST`` and ``$_FILES`` (a part without a name is dropped; a body without its boundary has
    none). Our own reader, not the e-mail parser (whose cost grows faster than the body, before
    any login is checked): one pass over the bytes, within the bounds of
    :data:`~.assumptions.MULTIPART_MAX_PARTS` and its neighbours (:class:`BadForm` beyond them),
    for only what the pages use: each part's name, file name, type and bytes. Lines may end in
    LF alone, as PHP allows."""
    fields: Dict[str, str] = {}
    uploads: List[Upload] = []
    boundary = header_params(content_type).get("boundary", "")
    if not 0 < len(boundary) <= _BOUNDARY_CHARS:
        return fields, uploads
    delimiter = b"\n--" + boundary.encode("latin-1", "replace")
    pieces = (b"\n" + body).split(delimiter, A.MULTIPART_MAX_PARTS + 1)
    for count, piece in enumerate(pieces[1:], 1):  # pieces[0]: the preamble
        if piece.startswith(b"--"):
            break  # the close delimiter; the epilogue follows
        if count > A.MULTIPART_MAX_PARTS:
            raise BadForm(f"more than {A.MULTIPART_MAX_PARTS} parts")
        headers, data = _part(piece)
        disposition = header_params(headers.get("content-disposition", ""))
        name = disposition.get("name")
        if name is None:
            continue
        filename = disposition.get("filename")
        if filename is None:
            fields[name] = data.decode("utf-8", "replace")
        else:
            kind = headers.get("content-type", "").split(";")[0].strip().lower()
            uploads.append(Upload(name, filename, kind if "/" in kind else "text/plain", data))
    return fields, uploads


def _part(piece: bytes) -> Tuple[Dict[str, str], bytes]:
    """A part's headers (names in lower case) and bytes. ``piece`` starts with the rest of its
    delimiter's line and ends before the next delimiter's line break."""
    blank = _BLANK_LINE.search(piece, 0, A.MULTIPART_MAX_PART_HEAD_BYTES)
    if blank is None:
        raise BadForm(f"a part's headers do not end within {A.MULTIPART_MAX_PART_HEAD_BYTES} bytes")
    headers: Dict[str, str] = {}
    for line in piece[:blank.start()].split(b"\n")[1:]:  # [0]: the delimiter line's padding
        name, colon, value = line.decode("utf-8", "replace").partition(":")
        if colon:
            headers[name.strip().lower()] = value.strip()
    data = piece[blank.end():]
    return headers, data[:-1] if data.endswith(b"\r") else data
