"""The sandbox's one reader of a whole number in a form field or query parameter: ASCII digits
only (``²``, ``٣``, ``1_000``, ``--5`` are not numbers), at most :data:`MAX_DIGITS` of them, so
that no value reaches ``int()`` to fail there (a traceback, a dropped connection): the caller
answers error 1 for a None. And its reader of a ``multipart/form-data`` POST (a mailing's files).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import Dict, List, Optional, Tuple

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


def multipart_form(content_type: str, body: bytes) -> Tuple[Dict[str, str], List[Upload]]:
    """The text fields and the files of a ``multipart/form-data`` body, as PHP reads it into
    ``$_POST`` and ``$_FILES`` (a part without a name is dropped; an unreadable body has none)."""
    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode("latin-1", "replace")
                                                  + b"\r\n\r\n" + body)
    fields: Dict[str, str] = {}
    uploads: List[Upload] = []
    if not message.is_multipart():
        return fields, uploads
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        if filename is None:
            fields[name] = data.decode("utf-8", "replace")
        else:
            uploads.append(Upload(name, filename, part.get_content_type(), data))
    return fields, uploads
