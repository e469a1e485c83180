"""The ``smsc_sandbox`` fixture reaches users' test suites through the ``pytest11`` entry point."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

USER_TESTS = textwrap.dedent(
    """
    import pytest
    import zeep

    def test_send_through_the_sandbox(smsc_sandbox):
        client = zeep.Client(smsc_sandbox.wsdl_url)
        sent = client.service.send_sms(login="alex", psw="123", phones="79999999999", mes="Your code: 1234")
        assert sent.id == "1"
        smsc_sandbox.advance(10)
        assert [(m.phone, m.text, m.status) for m in smsc_sandbox.messages] == [("79999999999", "Your code: 1234", 1)]

    def test_each_test_gets_a_fresh_sandbox(smsc_sandbox):
        assert smsc_sandbox.messages == [] and str(smsc_sandbox.balance("alex")) == "100.00"

    @pytest.mark.smsc_sandbox(accounts=["shop:secret:3"], senders=["SHOP"])
    def test_options_through_the_marker(smsc_sandbox):
        assert str(smsc_sandbox.balance("shop")) == "3.00"
        assert smsc_sandbox.service.senders == {"SHOP"}
    """
)


def test_users_get_the_fixture_from_the_entry_point(tmp_path: Path) -> None:
    (tmp_path / "test_user.py").write_text(USER_TESTS)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "--strict-markers", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 passed" in done.stdout


def test_loading_the_plugin_imports_no_sandbox() -> None:
    code = "import sys, smsc_soap.pytest_plugin; print('smsc_soap.sandbox' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "False", done.stderr
