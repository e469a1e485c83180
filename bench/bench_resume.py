"""Resuming a killed bulk run: how long the lookups of its pending rows take (issue 20).

A journal of 2,000 messages with 20 requests of 100 rows pending is resumed against the sandbox
at a 200 ms round trip (``Sandbox(latency=0.2)``), in three cases: half of those requests had
gone out, all of them, and none (the worst case: every row must be asked about, as a request
is settled by any one of its rows found). A default run leaves fewer: ``pending`` is written
when a request takes its slot, so at most ``concurrency`` requests (10 x 100 rows) are pending
at a kill, and those had mostly gone out. Prints the seconds until every pending row was
settled, and the status requests it took, at the default (the login's whole bound) and at 10; each
message is in the sandbox's ledger exactly once at the end. Run: ``python bench/bench_resume.py``.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from typing import Any, List, Optional, Tuple, cast

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from smsc_soap import Client, journal, spec  # noqa: E402
from smsc_soap._core import journal as core  # noqa: E402
from smsc_soap.bulk import Message  # noqa: E402
from smsc_soap.results import StatusResult  # noqa: E402
from smsc_soap.sandbox import Sandbox  # noqa: E402

ROWS, PER_REQUEST, LATENCY = 2000, 100, 0.2


def one(sent_requests: int, concurrency: Optional[int]) -> Tuple[float, int]:
    """Seconds to settle the pending rows, and how many lookups it took."""
    messages = [Message(f"79{200000000 + i:09d}", f"hi {i}") for i in range(ROWS)]
    with tempfile.TemporaryDirectory() as tmp, Sandbox(accounts=["bench:pw:1000000"]) as sandbox:
        path = os.path.join(tmp, "j.jsonl")
        digests = [journal.item_digest(m) for m in messages]
        lines: List[str] = [json.dumps(core.header("bench", {"kind": "messages", "label": None}))]
        with Client("bench", "pw", url=sandbox.url) as client:
            for n, first in enumerate(range(0, ROWS, PER_REQUEST)):
                rows = range(first, first + PER_REQUEST)
                lines.append(json.dumps({"event": "pending", "id": f"r{n}", "rows": [i + 1 for i in rows],
                                         "digests": [digests[i] for i in rows],
                                         "phones": [[messages[i].phones] for i in rows]}))
                if n < sent_requests:
                    client.send_sms2(None, None, id=f"r{n}",
                                     list=[(messages[i].phones, cast(str, messages[i].text)) for i in rows])
        with open(path, "w") as file:
            file.write("\n".join(lines) + "\n")
        sandbox.latency = LATENCY
        settled: List[Tuple[float, int]] = []

        def on_check(done: int, total: int) -> None:
            if done == total:
                settled.append((time.monotonic(), asked[0]))

        asked = [0]
        with Client("bench", "pw", url=sandbox.url) as client:
            get_status = client.get_status

            def counted(*args: Any, **kwargs: Any) -> StatusResult:
                asked[0] += 1
                return get_status(*args, **kwargs)

            client.get_status = counted  # type: ignore[method-assign]
            start = time.monotonic()
            for _ in client.send_bulk(messages, journal=path, concurrency=concurrency, on_check=on_check):
                pass  # the rows the service did not have are sent after the lookups
        assert len(sandbox.messages) == ROWS, "each message exactly once"
        return settled[0][0] - start, settled[0][1]


def main() -> int:
    print(f"resume of {ROWS} pending rows ({ROWS // PER_REQUEST} requests of {PER_REQUEST}) "
          f"at a {LATENCY * 1000:.0f} ms round trip")
    # None: the default, the login's whole bound (the client's limits); then send_bulk's default.
    for concurrency in (None, spec.BULK_CONCURRENT_REQUESTS):
        label = "default (14)" if concurrency is None else f"concurrency {concurrency}"
        for sent in (10, 20, 0):
            seconds, lookups = one(sent, concurrency)
            print(f"  {label:>14}, {sent:>2} of 20 requests had gone out: "
                  f"{seconds:5.1f} s, {lookups} status requests")
    return 0


if __name__ == "__main__":
    sys.exit(main())
