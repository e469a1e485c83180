"""Files of a mailing (mms, e-mail, voice call: 000:129-134, 148), checked, and the
``multipart/form-data`` body that carries them with the form's fields (pure, no I/O: a shell
sends the bytes and the content type it is given).

The body is built with the password's placeholder in it; the secret goes in only as the bytes
are handed to the socket layer (:meth:`smsc_soap.http_api.calls.HttpCall.reveal`). A file's
bytes are never in a repr or a log line: :class:`Attachment` shows its name, type and size.
"""
from __future__ import annotations

import hashlib
import mimetypes
import os
import re
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Optional, Sequence, Tuple, Union

from .. import spec
from ..errors import ValidationError

#: What a file name may not hold: a quote, a backslash, a line break or a control character (it
#: goes in a header), or a path separator (the service gets a name, not a path).
_BAD_NAME = re.compile(r'["\\/\x00-\x1f\x7f]')
_BAD_HEADER = re.compile(r'["\\\x00-\x1f\x7f]')


@dataclass(frozen=True)
class Attachment:
    """A file to attach: its ``name`` (as the recipient sees it; its extension gives an MMS file's
    type, 000:129), its bytes, and optionally its content type (else guessed from the name)."""

    name: str
    data: bytes = field(repr=False)
    content_type: Optional[str] = None

    @property
    def size(self) -> int:
        return len(self.data)

    @classmethod
    def from_path(cls, path: Union[str, "os.PathLike[str]"], name: Optional[str] = None) -> "Attachment":
        """The file at ``path`` (read now, whole), named as its base name unless ``name`` is given."""
        with open(path, "rb") as source:
            data = source.read()
        return cls(name if name is not None else os.path.basename(os.fspath(path)), data)


FileLike = Union[Attachment, Tuple[str, bytes]]


def attachments(files: Iterable[FileLike], channel: spec.Channel) -> Tuple[Attachment, ...]:
    """``files`` as :class:`Attachment`\\ s, checked for ``channel``: only the channels the page
    gives files to (spec.MAILING_FILE_CHANNELS), an MMS's types from its list (000:129), no empty
    file, at most spec.MAILING_FILES_MAX_BYTES in all."""
    if isinstance(files, (str, bytes)) or not isinstance(files, Iterable):
        raise ValidationError("files: give a list of Attachment or (name, bytes)", field="files")
    checked = tuple(_attachment(item) for item in files)
    if not checked:
        return ()
    if channel.name not in spec.MAILING_FILE_CHANNELS:
        owners = ", ".join(spec.CHANNELS[name].title for name in spec.MAILING_FILE_CHANNELS)
        raise ValidationError(f"files: only {owners} carry files (000:129-134, 148), not {channel.title}",
                              field="files")
    for item in checked:
        extension = item.name.rpartition(".")[2].lower() if "." in item.name else ""
        if channel.name == "mms" and extension not in spec.MMS_FILE_TYPES:
            raise ValidationError(f"files: {item.name!r}: an MMS carries {', '.join(spec.MMS_FILE_TYPES)} "
                                  "files (000:129)", field="files")
    total = sum(item.size for item in checked)
    if total > spec.MAILING_FILES_MAX_BYTES:
        raise ValidationError(f"files: {total} bytes in all; at most {spec.MAILING_FILES_MAX_BYTES} "
                              "(spec.MAILING_FILES_MAX_BYTES)", field="files")
    return checked


def _attachment(item: object) -> Attachment:
    if isinstance(item, tuple) and len(item) == 2:
        item = Attachment(*item)
    if not isinstance(item, Attachment):
        raise ValidationError(f"files: expected an Attachment or (name, bytes), got {type(item).__name__}",
                              field="files")
    if not isinstance(item.name, str) or not item.name.strip() or _BAD_NAME.search(item.name):
        raise ValidationError(f"files: {item.name!r} is no file name (no quotes, backslashes, slashes or "
                              "control characters)", field="files")
    if not isinstance(item.data, (bytes, bytearray)) or not item.data:
        raise ValidationError(f"files: {item.name!r} is empty or not bytes", field="files")
    if item.content_type is not None and (not isinstance(item.content_type, str)
                                          or _BAD_HEADER.search(item.content_type)):
        raise ValidationError(f"files: {item.name!r}: a content type is one header value", field="files")
    return Attachment(item.name, bytes(item.data), item.content_type)


def boundary(fields: Mapping[str, str], files: Sequence[Attachment]) -> str:
    """A boundary that none of the parts holds, derived from them (the same request, the same
    bytes: a retry or a recorded cassette sees one body)."""
    digest = hashlib.sha256()
    for name, value in fields.items():
        digest.update(f"{name}\0{value}\0".encode("utf-8"))
    for item in files:
        digest.update(item.name.encode("utf-8") + b"\0" + item.data)
    text = "smsc-soap-" + digest.hexdigest()[:40]
    while any(text.encode("ascii") in value.encode("utf-8") for value in fields.values()) \
            or any(text.encode("ascii") in item.data for item in files):
        text += "x"  # a part holds it (made on purpose): longer until none does
    return text


def content_type(boundary_text: str) -> str:
    return f"multipart/form-data; boundary={boundary_text}"


def body(fields: Mapping[str, str], files: Sequence[Attachment], boundary_text: str) -> bytes:
    """The ``multipart/form-data`` body (RFC 7578): each field a part, then each file, as
    ``file0``, ``file1``, ... (spec.MAILING_FILE_FIELD)."""
    mark = b"--" + boundary_text.encode("ascii")
    pieces = []
    for name, value in fields.items():
        pieces += [mark, b"\r\n", f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode("utf-8"),
                   value.encode("utf-8"), b"\r\n"]
    for number, item in enumerate(files):
        kind = item.content_type or mimetypes.guess_type(item.name)[0] or "application/octet-stream"
        head = (f'Content-Disposition: form-data; name="{spec.MAILING_FILE_FIELD.format(number)}"; '
                f'filename="{item.name}"\r\nContent-Type: {kind}\r\n\r\n')
        pieces += [mark, b"\r\n", head.encode("utf-8"), item.data, b"\r\n"]
    pieces += [mark, b"--\r\n"]
    return b"".join(pieces)


def describe(files: Sequence[Attachment]) -> str:
    """What a log line says of the files: names, types and sizes, never their bytes."""
    return ", ".join(f"{item.name} ({item.size} bytes)" for item in files)
