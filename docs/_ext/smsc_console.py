"""Shell examples that the doctest builder runs: ``.. smsc-console::``.

The page shows a console session (``$ command`` lines, each followed by its output); the
doctest builder runs each command through :func:`run_console` and compares what it prints
with the output shown (``...`` matches anything, as in doctest). So a command line in the docs
is a command line that worked when the docs were built.

``smsc-soap`` runs as ``python -m smsc_soap.cli`` with the interpreter of the build, from this
checkout. Leading ``NAME=value`` words set the environment, as in a shell. The address
``http://127.0.0.1:8000/sys/soap.php`` stands for the page's sandbox (``sandbox.url`` in
``doctest_global_setup``), so that the examples can say the port ``smsc-soap sandbox``
serves on by default. A command that exits with N > 0 prints ``[exit N]`` last.
"""
from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Tuple

from docutils import nodes
from docutils.parsers.rst import Directive
from sphinx.application import Sphinx

CHECKOUT = Path(__file__).resolve().parents[2]
#: The example test files the testing page shows and runs.
EXAMPLES = CHECKOUT / "docs" / "examples"
#: The sandbox address the examples are written with (the default of ``smsc-soap sandbox``).
EXAMPLE_SANDBOX_URL = "http://127.0.0.1:8000/sys/soap.php"
#: Variables of the build's environment that must not change an example's outcome.
_CLEARED = ("SMSC_LOGIN", "SMSC_PASSWORD", "SMSC_APIKEY", "SMSC_HOST", "SMSC_URL")
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
#: Seconds a documented command may take before the example fails.
COMMAND_TIMEOUT = 60


def _environment(extra: Mapping[str, str]) -> Dict[str, str]:
    """The build's environment without SMSC_* settings, this checkout first on the path."""
    env = {k: v for k, v in os.environ.items() if k not in _CLEARED}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(CHECKOUT), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def split_command(line: str) -> Tuple[Dict[str, str], List[str]]:
    """``A=1 B=2 smsc-soap x`` -> ({"A": "1", "B": "2"}, ["smsc-soap", "x"])."""
    words = shlex.split(line)
    env: Dict[str, str] = {}
    while words and _ASSIGNMENT.match(words[0]):
        name, _, value = words.pop(0).partition("=")
        env[name] = value
    return env, words


def run_console(line: str, sandbox_url: Optional[str] = None) -> None:
    """Run one documented command line and print its stdout, then its stderr, then
    ``[exit N]`` when N is not 0."""
    if sandbox_url:
        line = line.replace(EXAMPLE_SANDBOX_URL, sandbox_url)
    extra, words = split_command(line)
    if not words or words[0] != "smsc-soap":
        raise ValueError(f"only smsc-soap commands are run: {line!r}")
    done = subprocess.run([sys.executable, "-m", "smsc_soap.cli", *words[1:]], env=_environment(extra),
                          capture_output=True, text=True, timeout=COMMAND_TIMEOUT,
                          stdin=subprocess.DEVNULL, cwd=str(CHECKOUT))
    print((done.stdout + done.stderr).rstrip("\n"))
    if done.returncode:
        print(f"[exit {done.returncode}]")


def run_pytest(directory: str, *args: str, env: Optional[Mapping[str, str]] = None) -> None:
    """Run pytest on a documented example test file in ``directory`` (a fresh one, outside the
    checkout, so that this repository's configuration does not apply); print its summary line."""
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
                          env=_environment(env or {}), capture_output=True, text=True, timeout=COMMAND_TIMEOUT,
                          stdin=subprocess.DEVNULL, cwd=directory)
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    print(lines[-1] if done.returncode == 0 and lines else done.stdout + done.stderr)


def sessions(lines: List[str]) -> List[Tuple[str, str]]:
    """(command, expected output) per ``$ `` line of a console block. ``$ export A=1`` lines
    print nothing and prefix their assignments to the commands after them, as a shell would."""
    exported: List[str] = []
    found: List[Tuple[str, List[str]]] = []
    for line in lines:
        if line.startswith("$ export "):
            exported += shlex.split(line[len("$ export "):])
            found.append(("", []))  # its output, if any were shown, would be an error below
        elif line.startswith("$ "):
            prefix = " ".join(shlex.quote(word) for word in exported)
            found.append(((prefix + " " + line[2:].strip()).strip(), []))
        elif found:
            found[-1][1].append(line)
        elif line.strip():
            raise ValueError(f"output before the first '$ ' command: {line!r}")
    if any(not command and any(out) for command, out in found):
        raise ValueError("an export line shows output")
    return [(command, "\n".join(output).rstrip()) for command, output in found if command]


class Console(Directive):
    """A console block whose commands the doctest builder runs (group: the page's default)."""

    has_content = True

    def run(self) -> List[nodes.Node]:
        text = "\n".join(self.content)
        shown = nodes.literal_block(text, text, language="console")
        self.add_name(shown)
        result: List[nodes.Node] = [shown]
        try:
            found = sessions(list(self.content))
        except ValueError as error:
            return [self.state.document.reporter.error(str(error), line=self.lineno)]
        for command, output in found:
            code = f"run_console({command!r}, sandbox.url)"
            result.append(_hidden_test("testcode", code, {}))
            if output:  # no testoutput: the command must print nothing
                result.append(_hidden_test("testoutput", output, {}))
        for node in result[1:]:
            node.source, node.line = self.state_machine.get_source_and_line(self.lineno)
        return result


def _hidden_test(kind: str, code: str, options: Mapping[int, bool]) -> nodes.comment:
    """What ``.. testcode:: / .. testoutput:: :hide:`` would make: a comment the builder runs."""
    node = nodes.comment(code, code, testnodetype=kind, groups=["default"])
    node["options"] = dict(options)
    return node


def setup(app: Sphinx) -> Dict[str, Any]:
    app.add_directive("smsc-console", Console)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
