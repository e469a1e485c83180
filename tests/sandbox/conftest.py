"""Fixtures for the sandbox's own tests."""
from __future__ import annotations

import os
import shutil
import subprocess
from typing import Iterator

import pytest
from sandbox_helpers import HERE, PhpStub, _php_problem, free_port, wait_for_port

from smsc_soap._wsdl import vendored_wsdl
from smsc_soap.sandbox import Sandbox


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    """A running sandbox with the demo account (alex / 123, 100.00) and a frozen clock."""
    with Sandbox() as sandbox:
        yield sandbox


@pytest.fixture(scope="session")
def php() -> str:
    """The php binary with the soap extension. Skipped, with the reason, only where it is absent;
    set SMSC_REQUIRE_PHP=1 (CI) to fail instead."""
    problem = _php_problem()
    if problem:
        if os.environ.get("SMSC_REQUIRE_PHP") == "1":
            pytest.fail(f"SMSC_REQUIRE_PHP=1 but {problem}")
        pytest.skip(problem)
    return shutil.which("php")  # type: ignore[return-value]


@pytest.fixture(scope="session")
def php_stub(php: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PhpStub]:
    tmp = tmp_path_factory.mktemp("php")
    wsdl = tmp / "soap.wsdl"
    wsdl.write_bytes(vendored_wsdl())
    stub = PhpStub("", tmp / "result.json", tmp / "seen.json")
    stub.returns({})
    stub.forget()
    port = free_port()
    env = dict(os.environ, SMSC_WSDL=str(wsdl), SMSC_STUB_RESULT=str(stub.result_file), SMSC_STUB_SEEN=str(stub.seen_file))
    proc = subprocess.Popen(
        [php, "-d", "soap.wsdl_cache_enabled=0", "-S", f"127.0.0.1:{port}", str(HERE / "php" / "stub_server.php")],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        stub.url = f"http://127.0.0.1:{port}/sys/soap.php"
        yield stub
    finally:
        proc.terminate()
        proc.wait(10)
