"""The benchmark suite: ``python bench/run.py`` prints a table, then one JSON line of ratios.

Every comparison is measured side by side in the same run: rounds interleave the contenders and
the table shows medians. Baselines are what a new user would write, untuned:

* plain zeep: ``zeep.Client(<the same WSDL>)`` with its default settings and transport;
* the floor: a hand-written envelope posted with ``requests`` and the answer read with ``lxml``.

Sections: client CPU per call (canned HTTP answers, no network), the same for the async
clients (``AsyncClient`` against zeep's own ``AsyncClient``, canned httpx answers), per call
over loopback against the sandbox (its own process), cold start (a fresh process: import,
construct, first call), 10,000 personalised messages at a simulated 50 ms round trip
(``send_bulk`` against one ``send_sms`` per message, against bench/sim_server.py: canned answers
after a fixed delay, so the CPU counted is the client's; CPU per message is this process's),
and peak memory for 200,000 messages. The targets are issue 25's. Sized for 2 cores and about
three minutes; ``--quick`` runs fewer rounds. ``--json PATH`` also writes the run (header, rows,
ratios) as one JSON line: docs/bulk.rst's table is made from bench/last-run.json. Timings move
with the machine's speed; bench/instructions.py counts send_bulk's work in instructions instead.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import lxml.etree
import requests
import urllib3
import zeep
import zeep.transports
from requests.adapters import BaseAdapter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from smsc_soap import Client, spec  # noqa: E402
from smsc_soap._wsdl import wsdl_for  # noqa: E402
from smsc_soap.bulk import Message, Sent  # noqa: E402

LOGIN, PSW = "bench", "pw"
ENVELOPE = ('<?xml version="1.0" encoding="UTF-8"?><SOAP-ENV:Envelope xmlns:SOAP-ENV='
            '"http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns1="{ns}"><SOAP-ENV:Body><ns1:cost>'
            '<login>{login}</login><psw>{psw}</psw><phones>{phone}</phones><mes>{mes}</mes>'
            '</ns1:cost></SOAP-ENV:Body></SOAP-ENV:Envelope>')
CANNED = ('<?xml version="1.0" encoding="UTF-8"?>\n<SOAP-ENV:Envelope xmlns:SOAP-ENV='
          '"http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns1="{ns}"><SOAP-ENV:Body><ns1:CostResponse>'
          '<costresult><cost>2.50</cost><cnt>1</cnt></costresult></ns1:CostResponse></SOAP-ENV:Body>'
          '</SOAP-ENV:Envelope>\n')

Row = Tuple[str, str, str]  # what, value, target and pass/miss


# --- contenders ------------------------------------------------------------------------------------


class CannedAdapter(BaseAdapter):
    """Answers every request with the same bytes, without a network: only client CPU is left."""

    def __init__(self, body: bytes) -> None:
        super().__init__()
        self.body = body

    # Kept as **kwargs (hence the ignore), not BaseAdapter's named parameters: every timed call of
    # every contender goes through here, and its figures stay comparable with earlier runs.
    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        response = requests.Response()
        response.status_code = 200
        response.headers["Content-Type"] = "text/xml; charset=utf-8"
        response.headers["Content-Length"] = str(len(self.body))
        response.raw = urllib3.HTTPResponse(body=io.BytesIO(self.body), headers=dict(response.headers), status=200,
                                            preload_content=False, decode_content=False)
        response.url = request.url or ""
        response.request = request
        return response

    def close(self) -> None:
        pass


def canned_session(body: bytes) -> requests.Session:
    session = requests.Session()
    session.mount("http://", CannedAdapter(body))
    return session


def wsdl_file(url: str, folder: str) -> str:
    path = os.path.join(folder, f"soap-{abs(hash(url))}.wsdl")
    with open(path, "wb") as file:
        file.write(wsdl_for(url))
    return path


def contenders(url: str, folder: str, session: Optional[Callable[[], requests.Session]]) -> Dict[str, Callable[[int], Any]]:
    """One call of get_sms_cost each way; ``session`` makes the sessions (canned), or None (network)."""
    client = Client(LOGIN, PSW, url=url, session=session() if session else None)
    plain = zeep.Client(wsdl_file(url, folder), transport=zeep.Transport(session=session()) if session else None)  # type: ignore[no-untyped-call]
    floor_session = session() if session else requests.Session()
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{url}"'}

    def facade(i: int) -> Any:
        return client.get_sms_cost("79161234567", f"bench {i}").cost

    def zeep_plain(i: int) -> Any:
        return plain.service.get_sms_cost(login=LOGIN, psw=PSW, phones="79161234567", mes=f"bench {i}").cost

    def floor(i: int) -> Any:
        body = ENVELOPE.format(ns=url, login=LOGIN, psw=PSW, phone="79161234567", mes=f"bench {i}")
        response = floor_session.post(url, data=body.encode(), headers=headers, timeout=10)
        root = lxml.etree.fromstring(response.content)
        return root.findtext(".//cost")

    for one in (facade, zeep_plain, floor):  # warm up: WSDL caches, connections
        assert one(0) is not None
    return {"Client": facade, "plain zeep": zeep_plain, "requests+lxml": floor}


def async_contenders(url: str, folder: str, body: bytes) -> Dict[str, Callable[[int], Any]]:
    """One get_sms_cost each way through the async clients, httpx answering from memory; each
    contender's calls run in one event loop, made here once (what a service using them does)."""
    import asyncio

    import httpx
    from smsc_soap import AsyncClient

    def canned(_request: "httpx.Request") -> "httpx.Response":
        return httpx.Response(200, content=body, headers={"Content-Type": "text/xml; charset=utf-8"})

    loop = asyncio.new_event_loop()
    client = AsyncClient(LOGIN, PSW, url=url, session=httpx.AsyncClient(transport=httpx.MockTransport(canned)))
    plain = zeep.AsyncClient(wsdl_file(url, folder), transport=zeep.transports.AsyncTransport(  # type: ignore[no-untyped-call]
        client=httpx.AsyncClient(transport=httpx.MockTransport(canned))))

    async def ours(i: int) -> Any:
        return (await client.get_sms_cost("79161234567", f"bench {i}")).cost

    async def theirs(i: int) -> Any:
        return (await plain.service.get_sms_cost(login=LOGIN, psw=PSW, phones="79161234567", mes=f"bench {i}")).cost

    def batch(one: Callable[[int], Any]) -> Callable[[int], Any]:
        return lambda i: loop.run_until_complete(one(i))

    runs = {"AsyncClient": batch(ours), "zeep AsyncClient": batch(theirs)}
    for one in runs.values():
        assert one(0) is not None
    return runs


def interleaved(runs: Dict[str, Callable[[int], Any]], calls: int, rounds: int) -> Dict[str, float]:
    """Median seconds per call of each contender, rounds interleaved."""
    samples: Dict[str, List[float]] = {name: [] for name in runs}
    for round_no in range(rounds):
        order = list(runs.items())
        if round_no % 2:
            order.reverse()
        for name, one in order:
            start = time.perf_counter()
            for i in range(calls):
                one(i)
            samples[name].append((time.perf_counter() - start) / calls)
    return {name: statistics.median(values) for name, values in samples.items()}


# --- the sandbox in a process of its own ----------------------------------------------------------


class SandboxProcess:
    def __init__(self, latency_ms: int = 0) -> None:
        self.latency_ms = latency_ms

    def __enter__(self) -> str:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "smsc_soap.sandbox", "--port", "0", "--quiet",
             "--account", f"{LOGIN}:{PSW}:1000000000", "--latency-ms", str(self.latency_ms)],
            stdout=subprocess.PIPE, text=True, cwd=ROOT)
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("WSDL: "):
                return line.split(" ", 1)[1].strip()[:-len("?wsdl")]
        raise RuntimeError("the sandbox did not start")

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        self.proc.wait(10)


# --- sections -----------------------------------------------------------------------------------------


def mark(ok: bool) -> str:
    return "pass" if ok else "MISS"


def per_call(rows: List[Row], ratios: Dict[str, float], label: str, times: Dict[str, float],
             zeep_target: float, floor_target: Optional[float], moonshot: Optional[float] = None) -> None:
    client, plain, floor = times["Client"], times["plain zeep"], times["requests+lxml"]
    for name, value in times.items():
        rows.append((f"{label}: {name}", f"{value * 1e3:.3f} ms/call", ""))
    rows.append((f"{label}: Client / plain zeep", f"{client / plain:.2f}x",
                 f"<= {zeep_target}x {mark(client / plain <= zeep_target)}"
                 + (f" (moonshot <= {moonshot}x {mark(client / plain <= moonshot)})" if moonshot else "")))
    ratios[f"{label}_client_vs_zeep"] = round(client / plain, 3)
    rows.append((f"{label}: Client / requests+lxml", f"{client / floor:.2f}x",
                 f"<= {floor_target}x {mark(client / floor <= floor_target)}" if floor_target else "(no target)"))
    ratios[f"{label}_client_vs_floor"] = round(client / floor, 3)


COLD_CLIENT = """
import smsc_soap
c = smsc_soap.Client({login!r}, {psw!r}, url={url!r})
c.get_sms_cost("79161234567", "cold")
"""
COLD_ZEEP = """
import zeep
c = zeep.Client({wsdl!r})
c.service.get_sms_cost(login={login!r}, psw={psw!r}, phones="79161234567", mes="cold")
"""


def cold_start(url: str, folder: str, rounds: int) -> Dict[str, float]:
    """Seconds from a fresh interpreter to the first answer, each way. The package's bytecode is
    written first, as pip does when it installs a package (zeep's was, at its install): with
    PYTHONDONTWRITEBYTECODE set, a source newer than its .pyc would be compiled in every run."""
    import compileall

    compileall.compile_dir(os.path.join(ROOT, "smsc_soap"), quiet=1)
    scripts = {"Client": COLD_CLIENT.format(login=LOGIN, psw=PSW, url=url),
               "plain zeep": COLD_ZEEP.format(wsdl=wsdl_file(url, folder), login=LOGIN, psw=PSW)}
    samples: Dict[str, List[float]] = {name: [] for name in scripts}
    for round_no in range(rounds):
        for name, script in (scripts.items() if round_no % 2 == 0 else reversed(list(scripts.items()))):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", textwrap.dedent(script)], check=True, cwd=ROOT)
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in samples.items()}


class SimulatedService:
    """bench/sim_server.py in a process of its own: canned answers after ``delay_ms``."""

    def __init__(self, delay_ms: int) -> None:
        self.delay_ms = delay_ms

    def __enter__(self) -> str:
        self.proc = subprocess.Popen([sys.executable, os.path.join(ROOT, "bench", "sim_server.py"),
                                      str(self.delay_ms)], stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.startswith("URL: "):
            raise RuntimeError("the simulated service did not start")
        return line.split(" ", 1)[1].strip()

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def service_time(url: str, connections: int, requests_each: int) -> float:
    """The median time the simulated service takes to answer a 100-line ``list`` request, with
    ``connections`` bare sockets each sending ``requests_each`` one after another (what the
    apparatus itself adds to its delay, with next to no client work)."""
    host, port = url.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)
    body = ("<send2>" + "%0A".join(f"7916{i:07d}:Dear%20customer%20{i}" for i in range(100)) + "</send2>").encode()
    request = b"POST /sys/soap.php HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    times: List[float] = []

    def one_connection(_: int) -> None:
        with socket.create_connection((host, int(port))) as conn:
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for _ in range(requests_each):
                start, answer = time.perf_counter(), b""
                conn.sendall(request)
                while not answer.endswith(b"</SOAP-ENV:Envelope>\n"):
                    piece = conn.recv(65536)
                    if not piece:  # closed mid-answer: an error, not a loop on empty reads
                        raise RuntimeError("the simulated service closed the connection before answering")
                    answer += piece
                times.append(time.perf_counter() - start)

    with ThreadPoolExecutor(connections) as pool:
        list(pool.map(one_connection, range(connections)))
    return statistics.median(times)


def bulk(url: str, rounds: int, messages: int, sample: int, rtt: float) -> Dict[str, float]:
    """send_bulk of ``messages`` against one send_sms per message (a sample of ``sample``
    messages, at the concurrency one client allows, scaled to ``messages``); with this
    process's CPU time per message of send_bulk."""
    walls: List[float] = []
    cpus: List[float] = []
    singles: List[float] = []
    requests_bulk = 0
    for round_no in range(rounds):
        tag = f"r{round_no}"
        with Client(LOGIN, PSW, url=url) as client:
            texts = (Message(f"7916{i:07d}", f"Dear customer {i}, your code is {i * 7919 % 100000} ({tag})")
                     for i in range(messages))
            chunks = 0

            def count(_chunk: Any) -> None:
                nonlocal chunks
                chunks += 1

            cpu, start = time.process_time(), time.perf_counter()
            sent = sum(isinstance(o, Sent) for o in client.send_bulk(texts, before_send=count))
            walls.append(time.perf_counter() - start)
            cpus.append((time.process_time() - cpu) / messages)
            assert sent == messages, f"only {sent} of {messages} sent"
            requests_bulk = chunks

            def one(i: int) -> None:
                client.send_sms(f"7903{i:07d}", f"Dear customer {i}, one by one ({tag})")

            start = time.perf_counter()
            with ThreadPoolExecutor(spec.BULK_CONCURRENT_REQUESTS) as pool:
                list(pool.map(one, range(sample)))
            singles.append((time.perf_counter() - start) / sample)
    wall = statistics.median(walls)
    single = statistics.median(singles) * messages
    limit = spec.BULK_LINES_PER_REQUEST * spec.BULK_CONCURRENT_REQUESTS / rtt
    return {"bulk_wall": wall, "bulk_requests": requests_bulk, "single_wall": single, "single_requests": messages,
            "bulk_rate": messages / wall, "single_rate": messages / single, "limit": limit,
            "cpu_per_message": statistics.median(cpus),
            "service": service_time(url, spec.BULK_CONCURRENT_REQUESTS, 10)}


MEMORY = """
import sys, tracemalloc
from decimal import Decimal
sys.path.insert(0, {root!r})
from smsc_soap import Client
from smsc_soap._sync import bulk  # the sync pipeline, whose request this replaces
from smsc_soap.bulk import Message, Sent
from smsc_soap.results import SendResult
bulk._write_list = lambda client, chunk: lambda: SendResult(chunk.id, len(chunk), Decimal("0"), None, (), {{}})
client = Client("bench", "pw", url="http://127.0.0.1:9/sys/soap.php")
tracemalloc.start()
n = sum(isinstance(o, Sent) for o in client.send_bulk(Message("7916%07d" % i, "Hello %d" % i) for i in range({n})))
peak = tracemalloc.get_traced_memory()[1]
assert n == {n}, "not every message went through the fake send"
print(peak / 2 ** 20)
"""


def memory(n: int) -> float:
    """Peak of memory allocated (MiB, tracemalloc) while ``n`` messages stream through send_bulk
    (sends answered instantly by a fake: the client's memory alone)."""
    out = subprocess.run([sys.executable, "-c", MEMORY.format(root=ROOT, n=n)], check=True, capture_output=True,
                         text=True, cwd=ROOT)
    return float(out.stdout.strip())


# --- the run ------------------------------------------------------------------------------------------


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds and calls (a smoke run)")
    parser.add_argument("--json", metavar="PATH", help="also write the run as one JSON line to PATH "
                        "(bench/last-run.json is what docs/bulk.rst shows)")
    args = parser.parse_args(argv)
    rounds, calls = (3, 60) if args.quick else (9, 300)
    rows: List[Row] = []
    ratios: Dict[str, float] = {}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        canned_url = "http://canned.invalid/sys/soap.php"
        body = CANNED.format(ns=canned_url).encode()
        times = interleaved(contenders(canned_url, folder, lambda: canned_session(body)), calls, rounds)
        per_call(rows, ratios, "cpu", times, 1.0, None, moonshot=0.8)

        times = interleaved(async_contenders(canned_url, folder, body), calls, rounds)
        ours, theirs = times["AsyncClient"], times["zeep AsyncClient"]
        for name, seconds in times.items():
            rows.append((f"async cpu: {name}", f"{seconds * 1e3:.3f} ms/call", ""))
        rows.append(("async cpu: AsyncClient / zeep AsyncClient", f"{ours / theirs:.2f}x",
                     f"<= 1.0x {mark(ours / theirs <= 1.0)}"))
        ratios["async_cpu_client_vs_zeep"] = round(ours / theirs, 3)

        with SandboxProcess() as url:
            times = interleaved(contenders(url, folder, None), calls // 2, rounds)
            per_call(rows, ratios, "loopback", times, 1.0, None)
            cold = cold_start(url, folder, 3 if args.quick else 11)
        ratio = cold["Client"] / cold["plain zeep"]
        rows.append(("cold start: Client", f"{cold['Client'] * 1e3:.0f} ms", ""))
        rows.append(("cold start: plain zeep", f"{cold['plain zeep'] * 1e3:.0f} ms", ""))
        rows.append(("cold start: Client / plain zeep", f"{ratio:.2f}x", f"<= 1.1x {mark(ratio <= 1.1)}"))
        ratios["cold_client_vs_zeep"] = round(ratio, 3)

        rtt = 0.050
        messages, sample = (2000, 200) if args.quick else (10_000, 500)
        with SimulatedService(int(rtt * 1000)) as url:
            b = bulk(url, 2 if args.quick else 3, messages, sample, rtt)
        fewer = b["single_requests"] / b["bulk_requests"]
        faster = b["single_wall"] / b["bulk_wall"]
        reached = b["bulk_rate"] / b["limit"]
        rows.append((f"bulk {messages} msgs @{rtt * 1e3:.0f} ms (simulated service): send_bulk requests",
                     f"{b['bulk_requests']:.0f}", ""))
        rows.append(("bulk: one send_sms per message, requests", f"{b['single_requests']:.0f}", ""))
        rows.append(("bulk: requests, one-per-message / send_bulk", f"{fewer:.0f}x", f">= 50x {mark(fewer >= 50)}"))
        rows.append(("bulk: send_bulk wall time", f"{b['bulk_wall']:.2f} s ({b['bulk_rate']:.0f} msgs/s)", ""))
        rows.append(("bulk: send_bulk CPU per message (this process)", f"{b['cpu_per_message'] * 1e6:.1f} us", ""))
        rows.append((f"bulk: one-per-message wall time (x{spec.BULK_CONCURRENT_REQUESTS} threads; "
                     f"{sample} sent, scaled)", f"{b['single_wall']:.1f} s ({b['single_rate']:.0f} msgs/s)", ""))
        rows.append(("bulk: wall time, one-per-message / send_bulk", f"{faster:.0f}x", f">= 50x {mark(faster >= 50)}"))
        rows.append((f"bulk: limit = {spec.BULK_LINES_PER_REQUEST} lines x {spec.BULK_CONCURRENT_REQUESTS} "
                     f"requests / {rtt * 1e3:.0f} ms", f"{b['limit']:.0f} msgs/s", ""))
        rows.append(("bulk: fraction of the limit reached", f"{reached:.0%}", f">= 90% {mark(reached >= 0.9)}"))
        rows.append((f"bulk: simulated service's answer time ({spec.BULK_CONCURRENT_REQUESTS} bare sockets)",
                     f"{b['service'] * 1e3:.2f} ms", f"(its delay: {rtt * 1e3:.0f} ms)"))
        ratios.update(bulk_fewer_requests=round(fewer, 1), bulk_less_wall=round(faster, 1),
                      bulk_limit_fraction=round(reached, 3), bulk_cpu_us_per_message=round(b["cpu_per_message"] * 1e6, 1),
                      bulk_service_ms=round(b["service"] * 1e3, 2))

        peak = memory(200_000)
        rows.append(("memory: peak allocated (tracemalloc), 200,000 messages", f"{peak:.1f} MiB",
                     f"< 24 MiB {mark(peak < 24)}"))
        ratios["memory_200k_mib"] = round(peak, 1)

    width = max(len(what) for what, _, _ in rows)
    header = (f"smsc-soap bench, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, Python "
              f"{platform.python_version()}, {platform.machine()} x{os.cpu_count()}, {platform.platform(terse=True)}; "
              f"zeep {zeep.__version__}; medians of interleaved rounds; {time.perf_counter() - started:.0f} s")
    print(header)
    print(f"{'measure':<{width}}  {'value':>28}  target")
    for what, value, target in rows:
        print(f"{what:<{width}}  {value:>28}  {target}")
    print(json.dumps(ratios, sort_keys=True))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            out.write(json.dumps({"header": header, "rows": rows, "ratios": ratios}, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
