"""A compressed answer decoded by the shell itself, never beyond the size limit.

A shell reads the body's bytes as they came (no decoding by its HTTP library: urllib3 1.26,
what Python 3.9 gets with vcrpy, decodes a streamed gzip body whole in memory, so a 1 MB answer
could become gigabytes before any limit is checked) and hands them here: each content coding is
undone with zlib's ``max_length``, so at most ``limit + 1`` decoded bytes are ever made.
"""
from __future__ import annotations

import zlib
from typing import Iterable, Iterator, List, Optional

from ..errors import ConnectionError, ProtocolError

#: The content codings a shell asks for (its ``Accept-Encoding``) and the only ones it decodes.
ACCEPT_ENCODING = "gzip, deflate"

_GZIP_WBITS = 16 + zlib.MAX_WBITS


def decode_body(content_encoding: str, data: bytes, *, limit: int, status: int) -> bytes:
    """``data`` with the codings of ``content_encoding`` undone (last applied, first undone);
    a ProtocolError for a coding we did not ask for, a broken stream, or more than ``limit``
    decoded bytes."""
    codings: List[str] = [coding.strip().lower() for coding in content_encoding.split(",") if coding.strip()]
    for coding in reversed(codings):
        if coding == "identity":
            continue
        if coding in ("gzip", "x-gzip"):
            data = _inflate(data, _GZIP_WBITS, limit, status)
        elif coding == "deflate":  # zlib-wrapped as RFC 9110 says, or raw as some servers send
            try:
                data = _inflate(data, zlib.MAX_WBITS, limit, status)
            except ProtocolError:
                data = _inflate(data, -zlib.MAX_WBITS, limit, status)
        else:
            raise ProtocolError(f"HTTP {status}: answer in content coding {coding!r} refused "
                                f"(asked for {ACCEPT_ENCODING})", status_code=status)
    return data


def _inflate(data: bytes, wbits: int, limit: int, status: int) -> bytes:
    """Every member of a zlib/gzip stream, at most ``limit + 1`` bytes made in all."""
    out = b""
    rest = data
    while rest:
        decoder = zlib.decompressobj(wbits)
        try:
            out += decoder.decompress(rest, limit + 1 - len(out))
        except zlib.error as exc:
            raise ProtocolError(f"HTTP {status}: undecodable compressed answer: {exc}", status_code=status) from None
        if len(out) > limit or decoder.unconsumed_tail:
            raise ProtocolError(f"answer larger than {limit} bytes once decompressed refused", status_code=status)
        if not decoder.eof:
            raise ProtocolError(f"HTTP {status}: compressed answer cut short", status_code=status)
        rest = decoder.unused_data if wbits == _GZIP_WBITS else b""
    return out


def decode_stream(content_encoding: str, pieces: Iterable[bytes], *, chunk: int, status: int,
                  length: Optional[int] = None) -> Iterator[bytes]:
    """The pieces of a streamed body (a file, with no size limit) with its content codings undone
    as they come, each piece made at most ``chunk`` bytes long: memory stays bounded whatever the
    compression ratio (a gzip bomb is streamed out, never decoded whole). ``length``: the bytes
    the headers announced (:func:`content_length`); a body that ends short of it is an error."""
    decoder = StreamDecoder(content_encoding, chunk=chunk, status=status, length=length)

    def decoded() -> Iterator[bytes]:
        for data in pieces:
            yield from decoder.feed(data)
        decoder.end()
    return decoded()


def content_length(value: Optional[str], transfer_encoding: Optional[str] = None) -> Optional[int]:
    """The body's length as sent (before any content coding is undone) that the headers
    announce; None when they announce none that holds (chunked, absent or not a number: then
    only the codings' own end says whether the body was whole)."""
    if transfer_encoding or value is None:
        return None
    value = value.strip()
    return int(value) if value.isdigit() and value.isascii() else None


class StreamDecoder:
    """:func:`decode_stream` pushed into: ``feed(data)`` yields the decoded pieces of the next raw
    piece (each at most ``chunk`` bytes, made as they are taken), ``end()`` says whether the body
    was whole: every byte ``length`` announced came (urllib3 1.x does not check that on a
    streamed read) and every coding ended. An async shell feeds it what it awaited; an unknown
    coding is refused at once."""

    def __init__(self, content_encoding: str, *, chunk: int, status: int, length: Optional[int] = None) -> None:
        self._status = status
        self._length = length
        self._received = 0
        codings = [coding.strip().lower() for coding in content_encoding.split(",") if coding.strip()]
        self._stages: List[_Inflater] = []
        for coding in reversed(codings):
            if coding == "identity":
                continue
            if coding in ("gzip", "x-gzip"):
                self._stages.append(_Inflater(_GZIP_WBITS, chunk, status))
            elif coding == "deflate":
                self._stages.append(_Inflater(None, chunk, status))
            else:
                raise ProtocolError(f"HTTP {status}: answer in content coding {coding!r} refused "
                                    f"(asked for {ACCEPT_ENCODING})", status_code=status)

    def feed(self, data: bytes) -> Iterator[bytes]:
        self._received += len(data)
        out: Iterator[bytes] = iter((data,))
        for stage in self._stages:
            out = stage.feed(out)
        return out

    def end(self) -> None:
        if self._length is not None and self._received < self._length:
            raise ConnectionError(f"HTTP {self._status}: the connection broke after {self._received} of the "
                                  f"{self._length} bytes the answer's Content-Length announced")
        for stage in self._stages:
            stage.end()


class _Inflater:
    """One zlib/gzip coding, every member of it, piece by piece; ``wbits`` None: deflate,
    zlib-wrapped or raw as its first two bytes say."""

    def __init__(self, wbits: Optional[int], chunk: int, status: int) -> None:
        self._wbits = wbits
        self._chunk = chunk
        self._status = status
        self._decoder: Optional["zlib._Decompress"] = None

    def feed(self, pieces: Iterator[bytes]) -> Iterator[bytes]:
        wbits, chunk, status = self._wbits, self._chunk, self._status
        for data in pieces:
            while data:
                if self._decoder is None:
                    bits = wbits if wbits is not None else (
                        zlib.MAX_WBITS if len(data) > 1 and (data[0] << 8 | data[1]) % 31 == 0 and data[0] & 0x0F == 8
                        else -zlib.MAX_WBITS)
                    self._decoder = zlib.decompressobj(bits)
                error: Optional[ProtocolError] = None
                made = b""
                try:
                    made = self._decoder.decompress(data, chunk)
                except zlib.error as exc:
                    error = ProtocolError(f"HTTP {status}: undecodable compressed answer: {exc}", status_code=status)
                if error is not None:
                    raise error
                if made:
                    yield made
                if self._decoder.eof:
                    data = self._decoder.unused_data if wbits == _GZIP_WBITS else b""
                    self._decoder = None
                else:
                    data = self._decoder.unconsumed_tail

    def end(self) -> None:
        if self._decoder is not None:
            raise ProtocolError(f"HTTP {self._status}: compressed answer cut short", status_code=self._status)
