"""The documentation builds, and every example in it runs (the doctest builder, as CI runs it).

Each page's examples run against a sandbox of their own on 127.0.0.1; shell examples run the
``smsc-soap`` command. About 10 s.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytest.importorskip("sphinx", reason="building the docs needs Sphinx: pip install -e '.[docs]'")
pytest.importorskip("furo", reason="the docs' theme: pip install -e '.[docs]'")


def sphinx(builder: str, out: Path) -> "subprocess.CompletedProcess[str]":
    return subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", builder,
                           str(ROOT / "docs"), str(out)], capture_output=True, text=True, timeout=300)


def test_every_example_of_the_docs_runs(tmp_path: Path) -> None:
    done = sphinx("doctest", tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    report = (tmp_path / "output.txt").read_text(encoding="utf-8")
    assert "0 failures in tests" in report
    assert " tests\n" in report and "\n    0 tests" not in report  # some ran
