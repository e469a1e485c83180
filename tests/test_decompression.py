"""A compressed answer is decoded by the transport itself, never beyond the size limit: a gzip
bomb (1 MB that inflates to 1 GB) is refused without being decoded whole, whatever urllib3
version is installed (1.26, what Python 3.9 gets with vcrpy, decodes a streamed body whole)."""
from __future__ import annotations

import functools
import gzip
import tracemalloc
import zlib

import pytest
import urllib3

import smsc_soap
from smsc_soap import Client, RetryPolicy
from smsc_soap._core.decoding import decode_body
from smsc_soap._core.settings import MAX_RESPONSE_BYTES
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


def test_a_gzip_bomb_is_refused_without_being_decoded_whole(responder: Responder, any_client) -> None:
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
    assert peak < 4 * MAX_RESPONSE_BYTES, f"peak {peak} bytes for urllib3 {urllib3.__version__}"
    assert len(responder.requests) == 1


@pytest.mark.parametrize("encoding", ["gzip", "x-gzip", "deflate", "identity, gzip"])
def test_a_compressed_answer_within_the_limit_is_read(responder: Responder, encoding: str, any_client) -> None:
    answer = soap_answer(responder.url, "get_balance", "<balance>12.50</balance>")
    data = zlib.compress(answer) if encoding == "deflate" else gzip.compress(answer)
    responder.answer(data, headers=(("Content-Encoding", encoding),))
    assert str(any_client(login="alex", psw="x", url=responder.url).get_balance().balance) == "12.50"
    assert responder.requests[0].headers.get("Accept-Encoding") == "gzip, deflate"


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
