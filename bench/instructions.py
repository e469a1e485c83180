"""Instructions per message of ``send_bulk``, counted by valgrind's callgrind: the figure a slow or
busy machine does not change (this kind of machine's speed was seen to drift twofold within an
hour, and the bulk row of bench/run.py with it). ``python bench/instructions.py`` prints:

* the thread writing the chunks: a send_bulk of personalised messages whose requests are
  replaced by canned results, less the same input consumed with no send_bulk (the input is the
  caller's, not the client's);
* each 100-line request: ``list`` requests sent one after another to bench/sim_server.py (no
  delay), less the writing of their chunks.

Each figure is the difference of two runs of different sizes, so start-up and imports cancel out.
Needs valgrind (Debian's package); slow (a minute or two), so not part of bench/run.py.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from typing import Any, Dict, Iterator, cast

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def _messages(n: int) -> Iterator[Any]:
    from smsc_soap.bulk import Message
    return (Message(f"7916{i:07d}", f"Dear customer {i}, your code is {i * 7919 % 100000}") for i in range(n))


def _writer(n: int, with_client: bool) -> None:
    from smsc_soap import Client
    from smsc_soap._sync import bulk  # the sync pipeline, whose request this replaces
    from smsc_soap.bulk import Sent
    from smsc_soap.results import SendResult

    bulk._write_list = lambda client, chunk: lambda: SendResult(chunk.id, len(chunk), Decimal("0"), None, (), {})
    if not with_client:
        assert sum(1 for _ in _messages(n)) == n
        return
    with Client("bench", "pw", url="http://127.0.0.1:9/sys/soap.php") as client:
        assert sum(isinstance(o, Sent) for o in client.send_bulk(_messages(n))) == n


def _requests(n: int, send: bool) -> None:
    sys.path.insert(0, os.path.join(ROOT, "bench"))
    from run import SimulatedService

    from smsc_soap import Client
    from smsc_soap._core.bulk import Chunk, chunks
    from smsc_soap._sync.bulk import _write_list

    with SimulatedService(0) as url, Client("bench", "pw", url=url) as client:
        # Valid messages only: every item is a Chunk, none a Failed (one cast, outside the loop).
        for chunk in cast("Iterator[Chunk]", chunks(_messages(100 * n), 100, 1 << 20)):
            if send:
                _write_list(client, chunk)()  # written and sent: the whole request


def _count(*args: str) -> int:
    """Instructions of one run of this file with ``args`` (its child mode), under callgrind."""
    run = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
                          os.path.abspath(__file__), "--child", *args],
                         env=dict(os.environ, PYTHONHASHSEED="0"), capture_output=True, text=True, check=True)
    found = re.search(r"I\s+refs:\s+([\d,]+)", run.stderr)
    if found is None:
        raise RuntimeError(f"no instruction count from valgrind:\n{run.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def _per_unit(kind: str, small: int, large: int, flag: str) -> float:
    return (_count(kind, str(large), flag) - _count(kind, str(small), flag)) / (large - small)


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        kind, n, flag = sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1"
        (_writer if kind == "writer" else _requests)(n, flag)
        return 0
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 2
    figures: Dict[str, float] = {}
    figures["writer"] = _per_unit("writer", 2000, 6000, "1") - _per_unit("writer", 2000, 6000, "0")
    figures["request"] = _per_unit("requests", 10, 40, "1") - _per_unit("requests", 10, 40, "0")
    print(f"send_bulk, thread writing the chunks: {figures['writer']:,.0f} instructions per message")
    print(f"send_bulk, each 100-line request:     {figures['request']:,.0f} instructions "
          f"({figures['request'] / 100:,.0f} per message)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
