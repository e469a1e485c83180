"""A real Redis server for tests: Debian's ``redis-server`` on a free loopback port, no files.

Missing ``redis-server`` skips the test with the reason, unless ``SMSC_REQUIRE_REDIS=1`` (set by
.ci/run after installing it): then it FAILS, so a CI run never passes by skipping.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from typing import Iterator

import pytest


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def redis_server_path() -> str:
    found = shutil.which("redis-server") or next(
        (p for p in ("/usr/bin/redis-server", "/usr/local/bin/redis-server") if os.path.exists(p)), None)
    if found is None:
        reason = "redis-server is not installed (apt-get install redis-server)"
        if os.environ.get("SMSC_REQUIRE_REDIS") == "1":
            pytest.fail(reason + " and SMSC_REQUIRE_REDIS=1", pytrace=False)
        pytest.skip(reason)
    return found


def run_redis() -> Iterator[str]:
    """Start redis-server, yield its URL, stop it."""
    pytest.importorskip("redis")
    port = free_port()
    process = subprocess.Popen([redis_server_path(), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--protected-mode", "no"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}"
    import redis

    client = redis.Redis.from_url(url)
    try:
        for _ in range(200):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.02)
        else:
            pytest.fail("redis-server did not start", pytrace=False)
        yield url
    finally:
        client.close()
        process.terminate()
        process.wait(10)
