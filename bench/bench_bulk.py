"""Bulk sending through smsc_soap against the sandbox, as a ratio to a bare HTTP baseline.

The baseline posts ready-made send envelopes with a plain ``requests.Session`` to the same
sandbox in the same run: the server's work and the HTTP round trip, with no client at all. The
ratio says what the client adds per call (validation, zeep serialisation and parsing, error
mapping). Run: ``python bench/bench_bulk.py [N]``.
"""
from __future__ import annotations

import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, List

import requests

from smsc_soap import Client
from smsc_soap.sandbox import Sandbox

ENVELOPE = ('<?xml version="1.0" encoding="UTF-8"?><SOAP-ENV:Envelope xmlns:SOAP-ENV='
            '"http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns1="{ns}"><SOAP-ENV:Body><ns1:send>'
            '<login>bench</login><psw>pw</psw><phones>{phone}</phones><mes>{mes}</mes><id>{id}</id>'
            '</ns1:send></SOAP-ENV:Body></SOAP-ENV:Envelope>')


def timed(label: str, calls: int, threads: int, one: Callable[[int], object]) -> float:
    """Seconds per call (median of three rounds) for ``calls`` calls over ``threads`` threads.

    Every call gets a number never used before: the sandbox refuses an identical send (error 9).
    """
    rounds: List[float] = []
    for round_no in range(3):
        first = (threads * 3 + round_no) * calls
        start = time.perf_counter()
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(one, range(first, first + calls)))
        rounds.append((time.perf_counter() - start) / calls)
    per_call = statistics.median(rounds)
    print(f"  {label:<34} {per_call * 1e3:8.3f} ms/call")
    return per_call


def main(calls: int = 300) -> None:
    with Sandbox(accounts=["bench:pw:100000000"]) as sandbox:
        session = requests.Session()
        headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{sandbox.url}"'}

        def bare(i: int) -> None:
            body = ENVELOPE.format(ns=sandbox.url, phone=f"7916{i:07d}", mes=f"bare {i}", id=f"b{i}")
            response = session.post(sandbox.url, data=body.encode(), headers=headers, timeout=10)
            assert response.status_code == 200 and b"<error>" not in response.content

        client = Client(login="bench", psw="pw", url=sandbox.url)

        def through_client(i: int) -> None:
            client.send_sms(f"7903{i:07d}", f"client {i}", id=f"c{i}")

        for threads in (1, 8):
            print(f"{calls} sends, {threads} thread(s):")
            baseline = timed("baseline: bare requests.post", calls, threads, bare)
            measured = timed("smsc_soap.Client.send_sms", calls, threads, through_client)
            print(f"  ratio client/baseline: {measured / baseline:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
