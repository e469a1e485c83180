"""The documentation builds, and every example in it runs (the doctest builder, as CI runs it);
the README's quick start runs too.

Each page's examples run against a sandbox of their own on 127.0.0.1; shell examples run the
``smsc-soap`` command. About 10 s.
"""
from __future__ import annotations

import contextlib
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def sphinx(builder: str, out: Path) -> "subprocess.CompletedProcess[str]":
    return subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", builder,
                           str(ROOT / "docs"), str(out)], capture_output=True, text=True, timeout=300)


def test_every_example_of_the_docs_runs(tmp_path: Path) -> None:
    pytest.importorskip("sphinx", reason="building the docs needs Sphinx: pip install -e '.[docs]'")
    pytest.importorskip("furo", reason="the docs' theme: pip install -e '.[docs]'")
    done = sphinx("doctest", tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    report = (tmp_path / "output.txt").read_text(encoding="utf-8")
    assert "0 failures in tests" in report
    assert re.search(r"^ +[1-9][0-9]* tests$", report, re.M), report  # some ran


def readme_python_blocks() -> "list[str]":
    text = (ROOT / "README.rst").read_text(encoding="utf-8")
    blocks = re.findall(r"^\.\. code-block:: python\n\n((?:    .*\n|\n)+)", text, re.M)
    return [re.sub(r"^    ", "", block, flags=re.M) for block in blocks]


def test_the_readme_quick_start_runs_and_prints_what_its_comment_says() -> None:
    [quick_start] = readme_python_blocks()
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(quick_start, "README.rst", "exec"), {})
    assert printed.getvalue() == "Delivered 98.00\n"
    assert "# Delivered 98.00" in quick_start
