"""A compressed answer is decoded by the transport itself, never beyond the size limit: a gzip
bomb (1 MB that inflates to 1 GB) is refused without being decoded whole, whatever urllib3
version is installed (1.26, what Python 3.9 gets with vcrpy, decodes a streamed body whole)."""
from __future__ import annotations

import functools
import gzip
import tracemalloc
import zlib
from typing import Any, Callable, Dict

import pytest
import urllib3

import smsc_soap
from smsc_soap import Client, RetryPolicy
from smsc_soap._core.decoding import decode_body, decode_stream
from smsc_soap._core.settings import MAX_RESPONSE_BYTES
from smsc_soap.http_api.shell import STREAM_CHUNK
from support.servers import Responder, soap_answer

GIGABYTE = 1 << 30


@functools.lru_cache(maxsize=None)
def gzip_bomb(size: int = GIGABYTE) -> bytes:
    """``size`` bytes of an XML-looking answer, gzipped (about 1 MB for 1 GB)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = b" " * (1 << 20)
    parts = [compressor.compress(b"<?xml version='1.0'?><a>")]
    parts += [compressor.compress(chunk) for _ in range(size // len(chunk))]
    return b"".join(parts) + compressor.flush()


def test_a_gzip_bomb_is_refused_without_being_decoded_whole(responder: Responder, any_client: Any) -> None:
    bomb = gzip_bomb()
    assert len(bomb) < 2 * MAX_RESPONSE_BYTES // 8  # about 1 MB on the wire
    responder.answer(bomb, headers=(("Content-Encoding", "gzip"),))
    client = any_client(login="alex", psw="pw-Zx81!secret", url=responder.url, retry=RetryPolicy(attempts=1))
    tracemalloc.start()
    try:
        with pytest.raises(smsc_soap.ProtocolError, match="decompressed"):
            client.get_balance()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * MAX_RESPONSE_BYTES, f"peak {peak} bytes for urllib3 {urllib3.__version__}"  # type: ignore[attr-defined]
    assert len(responder.requests) == 1


@pytest.mark.parametrize("encoding", ["gzip", "x-gzip", "deflate", "identity, gzip"])
def test_a_compressed_answer_within_the_limit_is_read(responder: Responder, encoding: str, any_client: Any) -> None:
    answer = soap_answer(responder.url, "get_balance", "<balance>12.50</balance>")
    data = zlib.compress(answer) if encoding == "deflate" else gzip.compress(answer)
    responder.answer(data, headers=(("Content-Encoding", encoding),))
    assert str(any_client(login="alex", psw="x", url=responder.url).get_balance().balance) == "12.50"
    assert responder.requests[0].headers.get("Accept-Encoding") == "gzip, deflate"


#: Each page call (000-002) with an answer of bounded size (SOAP's: the test above).
PAGE_CALLS: Dict[str, Callable[[Client], object]] = {
    "operator": lambda client: client.operator("79991234567"),
    "exports.get_list": lambda client: client.exports.get_list(),
    "mailings.add": lambda client: client.mailings.add("spring", "79991234567", "Hi"),
}


@pytest.mark.parametrize("call", sorted(PAGE_CALLS))
def test_a_gzip_bomb_is_refused_by_every_page_call(responder: Responder, call: str, any_client: Any) -> None:
    responder.answer(gzip_bomb(), content_type="application/json", headers=(("Content-Encoding", "gzip"),))
    client = any_client(login="alex", psw="pw-Zx81!secret", url=responder.url, retry=RetryPolicy(attempts=1))
    tracemalloc.start()
    try:
        with pytest.raises(smsc_soap.ProtocolError, match="decompressed"):
            PAGE_CALLS[call](client)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * MAX_RESPONSE_BYTES, f"peak {peak} bytes for urllib3 {urllib3.__version__}"  # type: ignore[attr-defined]
    assert len(responder.requests) == 1


@functools.lru_cache(maxsize=None)
def csv_gzip_bomb(size: int) -> bytes:
    """An export file's header line and ``size`` spaces, gzipped."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = b" " * (1 << 20)
    parts = [compressor.compress(b"id;phone\n")] + [compressor.compress(chunk) for _ in range(size // len(chunk))]
    return b"".join(parts) + compressor.flush()


def test_a_gzip_bomb_export_is_streamed_in_bounded_memory(responder: Responder, any_client: Any) -> None:
    """An export file has no size limit (it may be 100 MB), so a compressed one is decoded piece
    by piece as it is written: never whole, whatever it inflates to."""
    size = 256 << 20
    responder.answer(csv_gzip_bomb(size), content_type="text/csv",
                     headers=(("Content-Encoding", "gzip"),))
    client = any_client(login="alex", psw="pw-Zx81!secret", url=responder.url, retry=RetryPolicy(attempts=1))
    sink = _CountingSink()
    tracemalloc.start()
    try:
        written = client.exports.get_file(7, to=sink)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert written == sink.count == len(b"id;phone\n") + size
    assert peak < 16 * STREAM_CHUNK, f"peak {peak} bytes"


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_a_compressed_page_answer_is_read(responder: Responder, encoding: str, any_client: Any) -> None:
    entry = b'{"country": "Russia", "operator": "MTS", "region": "Moscow", "mcc": "250", "mnc": "01", "tz": "0"}'
    data = zlib.compress(entry) if encoding == "deflate" else gzip.compress(entry)
    responder.answer(data, content_type="application/json", headers=(("Content-Encoding", encoding),))
    assert any_client(login="alex", psw="x", url=responder.url).operator("79991234567")[0].operator == "MTS"
    assert responder.requests[0].headers.get("Accept-Encoding") == "gzip, deflate"


@pytest.mark.parametrize("wrap", ["gzip", "deflate", "raw deflate"])
def test_a_stream_is_decoded_piece_by_piece(wrap: str) -> None:
    data = b"".join(b"%d;line\n" % n for n in range(50_000))
    packed = {"gzip": gzip.compress(data) + gzip.compress(b"tail"), "deflate": zlib.compress(data) + b"",
              "raw deflate": zlib.compress(data)[2:-4]}[wrap]
    expected = data + (b"tail" if wrap == "gzip" else b"")
    coding = "gzip" if wrap == "gzip" else "deflate"
    pieces = list(decode_stream(coding, (packed[i:i + 1000] for i in range(0, len(packed), 1000)), chunk=4096,
                                status=200))
    assert b"".join(pieces) == expected and max(map(len, pieces)) <= 4096
    with pytest.raises(smsc_soap.ProtocolError, match="cut short"):
        list(decode_stream(coding, iter([packed[:len(packed) // 2]]), chunk=4096, status=200))


class _CountingSink:
    """A binary file that keeps nothing: counts what is written."""

    def __init__(self) -> None:
        self.count = 0

    def write(self, data: bytes) -> int:
        self.count += len(data)
        return len(data)


def test_codings_not_asked_for_and_broken_streams_are_protocol_errors() -> None:
    with pytest.raises(smsc_soap.ProtocolError, match="'br'"):
        decode_body("br", b"x", limit=100, status=200)
    with pytest.raises(smsc_soap.ProtocolError, match="undecodable"):
        decode_body("gzip", b"not gzip", limit=100, status=200)
    with pytest.raises(smsc_soap.ProtocolError, match="cut short"):
        decode_body("gzip", gzip.compress(b"x" * 1000)[:20], limit=10_000, status=200)
    two_members = gzip.compress(b"ab") + gzip.compress(b"cd")
    assert decode_body("gzip", two_members, limit=4, status=200) == b"abcd"
    with pytest.raises(smsc_soap.ProtocolError, match="larger than 3"):
        decode_body("gzip", two_members, limit=3, status=200)
    assert decode_body("deflate", zlib.compress(b"ab")[2:-4], limit=9, status=200) == b"ab"  # raw deflate
