"""``pip install .`` gives a working Client outside the source tree, with no network at all.

The package is installed (not editable, no dependencies, no index) into a fresh virtual
environment; the dependencies come from this environment's site-packages as a plain path, so
nothing is downloaded. The client then talks to a loopback responder from a temporary folder.
"""
from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from support.servers import Responder, soap_answer

ROOT = Path(__file__).resolve().parent.parent

PROGRAM = """
import sys, smsc_soap
assert "site-packages" in smsc_soap.__file__, smsc_soap.__file__
client = smsc_soap.Client(login="alex", psw="123", url=sys.argv[1])
print(client.get_balance().balance, smsc_soap.__file__)
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with smsc-soap installed from this checkout, offline."""
    home = tmp_path_factory.mktemp("fresh")
    venv.create(home / "venv", with_pip=False)
    python = home / "venv" / "bin" / "python"
    site = Path(subprocess.check_output(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True).strip())
    # Build with this environment's setuptools (no build isolation: nothing to download).
    build = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--no-build-isolation",
         "--target", str(site), str(ROOT)],
        capture_output=True, text=True, cwd=home)
    assert build.returncode == 0, build.stdout + build.stderr
    # The dependencies (zeep, lxml, requests), as a plain path: no .pth of ours is processed.
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


def test_the_installed_package_ships_the_wsdl(installed: Path) -> None:
    site = Path(subprocess.check_output(
        [installed, "-c", "import smsc_soap, os; print(os.path.dirname(smsc_soap.__file__))"],
        text=True, cwd=installed.parent).strip())
    assert (site / "wsdl" / "soap.wsdl").is_file()
    assert not str(site).startswith(str(ROOT)), "imported from the source tree, not the install"


def test_the_installed_client_works_offline(installed: Path, responder: Responder, tmp_path: Path) -> None:
    responder.answer(soap_answer(responder.url, "get_balance", "<balance>42.00</balance>"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.update(http_proxy="", https_proxy="", no_proxy="*")
    run = subprocess.run([installed, "-c", PROGRAM, responder.url], capture_output=True, text=True,
                         cwd=tmp_path, env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    balance, location = run.stdout.split()
    assert balance == "42.00"
    assert location.startswith(str(installed.parent.parent))
    # One POST, no GET: the WSDL came from inside the package.
    assert [r.method for r in responder.requests] == ["POST"]


def test_the_pytest_plugins_load_light() -> None:
    """Every pytest run of every user loads our plugins: they must not pull in zeep or vcrpy."""
    code = ("import sys, smsc_soap.testing.plugin, smsc_soap.pytest_plugin, smsc_soap.testing, smsc_soap; "
            "print(sorted(m for m in ('zeep', 'vcr', 'requests', 'lxml') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"
