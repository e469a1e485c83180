"""Every Python example of README.rst and docs/ passes ``mypy --strict`` as written.

A page's examples run in one namespace (the doctest builder's group "default"), after
``doctest_global_setup`` of docs/conf.py: each page becomes one module, that setup first, then
its ``testsetup`` and ``testcode`` blocks in page order. A ``code-block:: python`` (shown, not
run: a file of the user's, such as a ``tasks.py``) is a module of its own after the same setup.
The README's quick start is a module as it is. The files
shown whole with ``literalinclude`` (docs/examples/) are checked as they are. mypy runs with this
repository's configuration (pyproject.toml), as a user's project would with theirs, and a cache
of its own (a warm cache once hid errors). About 10 s.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

#: A directive whose body is Python, then its indented body (options lines first, if any).
BLOCK = re.compile(r"^\.\. (testsetup::|testcode::|code-block:: python)[^\n]*\n((?:[ \t]+[^\n]*\n|[ \t]*\n)+)", re.M)


def python_blocks(text: str, run: bool = True) -> List[str]:
    """The bodies of the page's Python blocks that run (``run``) or are only shown, dedented,
    their option lines dropped."""
    blocks = []
    for match in BLOCK.finditer(text):
        if (match.group(1) != "code-block:: python") != run:
            continue
        lines = match.group(2).splitlines()
        body = [line for line in lines if not re.match(r"^\s+:[a-z-]+:", line)]
        indent = min(len(line) - len(line.lstrip()) for line in body if line.strip())
        blocks.append("\n".join(line[indent:] for line in body).strip("\n") + "\n")
    return blocks


def doctest_setup() -> str:
    """docs/conf.py's doctest_global_setup: what every page's examples start from."""
    source = (DOCS / "conf.py").read_text(encoding="utf-8")
    setup = re.search(r'^doctest_global_setup = """\n(.*?)"""', source, re.M | re.S)
    assert setup is not None, "docs/conf.py defines doctest_global_setup"
    return setup.group(1)


def page_modules(out: Path) -> List[Path]:
    """One module per page with Python examples, under ``out``."""
    files = []
    readme = python_blocks((ROOT / "README.rst").read_text(encoding="utf-8"), run=False)
    assert readme, "README.rst has its quick start"
    files.append(out / "readme.py")
    files[-1].write_text("".join(readme), encoding="utf-8")
    setup = doctest_setup()
    for page in sorted(DOCS.glob("*.rst")):
        text = page.read_text(encoding="utf-8")
        blocks = python_blocks(text)
        if blocks:
            files.append(out / f"docs_{page.stem}.py")
            files[-1].write_text(setup + "\n" + "\n".join(blocks), encoding="utf-8")
        for n, shown in enumerate(python_blocks(text, run=False)):
            files.append(out / f"docs_{page.stem}_shown_{n}.py")
            files[-1].write_text(setup + "\n" + shown, encoding="utf-8")
    return files


def test_the_extractor_finds_every_page_with_examples(tmp_path: Path) -> None:
    names = {path.name for path in page_modules(tmp_path)}
    assert {"readme.py", "docs_quickstart.py", "docs_workers.py", "docs_testing.py", "docs_bulk.py"} <= names


#: Misuse a type checker must catch: send_bulk's options are typed (one error per line marked).
MISUSE = """\
import smsc_soap

client = smsc_soap.Client(login="alex", psw="123")
client.send_bulk([], concurency=3)  # MISUSE
client.send_bulk([], lines_per_request="100")  # MISUSE
client.send_bulk([], ordered=False, concurrency=4, progress=print)
"""


def test_every_python_example_passes_mypy_strict(tmp_path: Path) -> None:
    pytest.importorskip("mypy", reason="mypy checks the examples: pip install -e '.[dev]'")
    misuse = tmp_path / "misuse" / "misuse.py"
    misuse.parent.mkdir()
    misuse.write_text(MISUSE, encoding="utf-8")
    files = page_modules(tmp_path) + sorted((DOCS / "examples").glob("*.py")) + [misuse]
    env = dict(os.environ, MYPYPATH=str(DOCS / "_ext"))
    # zeep ships no types: the sandbox page's zeep example calls it as any user of zeep does.
    done = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--untyped-calls-exclude=zeep",
                           "--no-error-summary", "--show-error-codes", f"--cache-dir={tmp_path / 'cache'}", *map(str, files)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    # The package's own modules are checked by `mypy --strict smsc_soap` with its own flags.
    caught = {int(line.split(":")[1]) for line in done.stdout.splitlines() if line.startswith(str(misuse))}
    assert caught == {n for n, line in enumerate(MISUSE.splitlines(), 1) if "# MISUSE" in line}, done.stdout
    examples = [line for line in done.stdout.splitlines() if not line.startswith(str(misuse))
                and line.startswith((str(tmp_path), str(DOCS / "examples"), "docs/examples/"))]
    assert examples == [], "\n".join(examples)
    assert done.returncode == 0 or "error:" in done.stdout, done.stdout + done.stderr  # mypy itself ran
