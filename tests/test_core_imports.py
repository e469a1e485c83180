"""The core is sans-IO: no module of smsc_soap._core, nor any package module it pulls in,
imports an HTTP library, zeep, threading or socket (read from the source with ast)."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from typing import Dict, Iterator, Set

import smsc_soap

PACKAGE = Path(smsc_soap.__file__).parent
FORBIDDEN = {"requests", "urllib3", "threading", "socket", "httpx", "zeep", "aiohttp", "http"}


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node, except those under ``if TYPE_CHECKING:`` (imported by type checkers only)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.dump(node.test):
            yield from (n for child in node.orelse for n in [child, *_runtime_nodes(child)])
            continue
        yield node
        yield from _runtime_nodes(node)


def _imports(path: Path) -> Dict[str, Set[str]]:
    """{'external': top-level modules imported, 'internal': package modules (dotted, absolute)}."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    package = ".".join(parts[:-1])  # what a relative import of level 1 starts from
    found: Dict[str, Set[str]] = {"external": set(), "internal": set()}
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found["internal" if alias.name.startswith("smsc_soap") else "external"].add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
                found["internal"].add(target)
                found["internal"].update(f"{target}.{alias.name}" for alias in node.names)
            elif (node.module or "").startswith("smsc_soap"):
                found["internal"].add(node.module or "")
            else:
                found["external"].add(node.module or "")
    return found


def _file_of(module: str) -> Path:
    parts = module.split(".")[1:]
    as_package = PACKAGE.joinpath(*parts, "__init__.py")
    return as_package if as_package.exists() else PACKAGE.joinpath(*parts).with_suffix(".py")


def test_the_core_and_everything_it_imports_do_no_io() -> None:
    todo = [f"smsc_soap._core.{p.stem}" if p.stem != "__init__" else "smsc_soap._core"
            for p in (PACKAGE / "_core").glob("*.py")]
    seen: Set[str] = set()
    offenders = {}
    while todo:
        module = todo.pop()
        path = _file_of(module)
        if module in seen or not path.exists():
            continue
        seen.add(module)
        found = _imports(path)
        bad = {name for name in found["external"] if name.split(".")[0] in FORBIDDEN}
        if bad:
            offenders[module] = sorted(bad)
        todo.extend(found["internal"])
    assert {"smsc_soap._core.retry", "smsc_soap._core.calls", "smsc_soap.errors", "smsc_soap.spec",
            "smsc_soap.params", "smsc_soap.query"} <= seen  # the walk reached what the core uses
    assert "smsc_soap.transport" not in seen and "smsc_soap.client" not in seen
    assert offenders == {}


def test_importing_the_core_loads_no_http_library() -> None:
    code = ("import sys, smsc_soap._core; "
            "print(sorted(m for m in ('requests', 'urllib3', 'zeep', 'httpx') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_check_sees_the_imports_of_a_shell() -> None:
    """The same reading finds the I/O imports of the sync shell, so an empty result above means something."""
    found = _imports(PACKAGE / "_sync" / "transport.py")
    assert {"requests", "urllib3", "threading", "socket"} <= {n.split(".")[0] for n in found["external"]}
    assert "smsc_soap._core" in found["internal"]
    # zeep's side (what the codec leaves to zeep) is a module of its own since calls stopped needing zeep.
    assert "zeep" in {n.split(".")[0] for n in _imports(PACKAGE / "_zeep.py")["external"]}
