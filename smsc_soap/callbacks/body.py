"""A callback's body read with a bound, whatever its Content-Length says: shared by the WSGI and
ASGI adapters and ``smsc-soap listen``, so a lying or hostile length is refused the same way."""
from __future__ import annotations

import re
from typing import Any, Optional, Union

from .. import spec
from .receiver import Answer

_DIGITS = re.compile(r"[0-9]+")  # ASCII only: str.isdigit() also takes "²" and "٥"


def too_large() -> Answer:
    """The 413 for a body over spec.CALLBACK_MAX_BODY_BYTES."""
    return Answer(413, f"body larger than {spec.CALLBACK_MAX_BODY_BYTES} bytes", None)


def declared_length(header: Optional[str]) -> Union[int, None, Answer]:
    """The Content-Length ``header`` states (None: absent), or the answer that refuses it at once:
    400 when it is not a plain number, 413 when it is over the bound (checked before any ``int()``
    of a huge string)."""
    text = (header or "").strip()
    if not text:
        return None
    if not _DIGITS.fullmatch(text):
        return Answer(400, "Content-Length is not a number of bytes", None)
    digits = text.lstrip("0") or "0"
    if len(digits) > len(str(spec.CALLBACK_MAX_BODY_BYTES)) or int(digits) > spec.CALLBACK_MAX_BODY_BYTES:
        return too_large()
    return int(digits)


def read_body(stream: Any, length_header: Optional[str], *, terminated: bool = False) -> Union[bytes, Answer]:
    """The body, or the answer that refuses it: 400 for a length that is no number or a body that
    ends before it, 413 past spec.CALLBACK_MAX_BODY_BYTES. Never reads more than the bound (plus
    one byte to tell). Without a length the body is empty, unless the server says the stream ends
    (``wsgi.input_terminated``)."""
    length = declared_length(length_header)
    if isinstance(length, Answer):
        return length
    if stream is None or (length is None and not terminated):
        return b""
    want = spec.CALLBACK_MAX_BODY_BYTES + 1 if length is None else length
    chunks = []
    got = 0
    while got < want:
        chunk: bytes = stream.read(want - got)
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
    if got > spec.CALLBACK_MAX_BODY_BYTES:
        return too_large()
    if length is not None and got < length:
        return Answer(400, f"the body ended after {got} of its {length} bytes", None)
    return b"".join(chunks)
