"""README.rst's two commands stay true: CI runs the README's test command word for word."""
from __future__ import annotations

from pathlib import Path
from typing import List

ROOT = Path(__file__).resolve().parent.parent
MAIN_JOB = ('python3 -m venv .venv && .venv/bin/pip install -q . && '
            '.venv/bin/smsc-soap send --sandbox 79991234567 "Hello from smsc-soap"')
TEST_COMMAND = "bash scripts/check"


def stripped_lines(path: Path) -> List[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]


def test_the_readme_has_the_two_commands() -> None:
    readme = stripped_lines(ROOT / "README.rst")
    assert MAIN_JOB in readme
    assert TEST_COMMAND in readme
    assert (ROOT / "scripts" / "check").is_file()


def test_ci_runs_the_readmes_test_command_verbatim() -> None:
    assert TEST_COMMAND in stripped_lines(ROOT / ".ci" / "run")
