"""README.rst's two commands stay true: CI runs the README's test command word for word."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> list:
    lines = (ROOT / "README.rst").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip().startswith("python3 -m venv .venv")]


def test_the_readme_has_the_two_commands() -> None:
    main_job, tests = readme_commands()
    assert main_job.endswith('smsc-soap send --sandbox 79991234567 "Hello from smsc-soap"')
    assert "pytest" in tests


def test_ci_runs_the_readmes_test_command_verbatim() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert readme_commands()[1] in [line.strip() for line in ci]
