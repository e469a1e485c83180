"""The package's modules import one another without circles.

The graph is built from the source with :mod:`ast`, not by importing: every ``import`` and
``from ... import`` counts, at module level, inside ``if TYPE_CHECKING:`` and inside a function
alike, since a function-local import only hides a circle until the function runs (and a
type-only one still ties the two modules together for whoever reads or changes them). An
import of ``a.b.c`` counts as an edge to ``a.b.c`` itself, not to the packages ``a`` and ``a.b``
whose ``__init__`` Python runs first: a package gathering the names of its own modules is not a
circle. Names loaded through ``importlib`` (the package's lazy ``Client``) are not seen.
"""
from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, FrozenSet, Iterator, List, Mapping, NamedTuple, Set, Tuple

import smsc_soap

PACKAGE = Path(smsc_soap.__file__).parent


class Import(NamedTuple):
    line: int
    kind: str  # "module", "type-only" or "in a function"


Graph = Dict[str, Dict[str, List[Import]]]
Edge = Tuple[str, str]

#: The circles still open in the call engine's files (issue 21, points 1-3); delete an entry
#: here as soon as its edge is gone, which test_every_allowed_edge_still_exists demands. None is
#: left: bulk, the journal and tracking (sync and async) call the clients' named protocols
#: (smsc_soap._protocols) and import no client module.
ENGINE_CYCLES: Mapping[str, FrozenSet[Edge]] = {}
ALLOWED: FrozenSet[Edge] = frozenset().union(*ENGINE_CYCLES.values())


def _modules() -> Dict[str, Tuple[Path, bool]]:
    """Module name -> (file, is a package's __init__)."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.Module) -> Iterator[Tuple[ast.stmt, str]]:
    """Every import statement of ``tree`` with its kind."""

    def walk(node: ast.AST, kind: str) -> Iterator[Tuple[ast.stmt, str]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                yield child, kind
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                yield from walk(child, "in a function")
            elif isinstance(child, ast.If) and _is_type_checking(child) and kind == "module":
                for statement in child.body:
                    yield from walk(ast.Module(body=[statement], type_ignores=[]), "type-only")
                for statement in child.orelse:
                    yield from walk(ast.Module(body=[statement], type_ignores=[]), "module")
            else:
                yield from walk(child, kind)

    return walk(tree, "module")


def import_graph() -> Graph:
    modules = _modules()
    graph: Graph = {name: {} for name in modules}
    for name, (path, is_package) in modules.items():
        package = name if is_package else name.rpartition(".")[0]
        for node, kind in _imports(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                assert isinstance(node, ast.ImportFrom)
                if node.level:
                    base = package.split(".")[:len(package.split(".")) - node.level + 1]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                # ``from package import module`` imports the module; ``from module import name`` the module
                targets = [f"{source}.{alias.name}" if f"{source}.{alias.name}" in modules else source
                           for alias in node.names]
            for target in targets:
                while target and target not in modules:  # a name inside one of our modules
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].setdefault(target, []).append(Import(node.lineno, kind))
    return graph


def cycles(graph: Mapping[str, Mapping[str, object]]) -> List[List[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    on_stack: Set[str] = set()
    found: List[List[str]] = []

    def visit(module: str) -> None:  # the package's depth is small: recursion is fine
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in graph.get(module, {}):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def _describe(graph: Graph, component: List[str]) -> str:
    return "\n".join(
        f"  {source} -> {target}: " + ", ".join(f"line {i.line} ({i.kind})" for i in sorted(set(imports)))
        for source in component for target, imports in sorted(graph[source].items()) if target in component)


def test_the_package_has_no_import_circle_but_the_engines_listed_ones() -> None:
    graph = import_graph()
    without_allowed = {source: {target: imports for target, imports in targets.items()
                                if (source, target) not in ALLOWED}
                       for source, targets in graph.items()}
    found = cycles(without_allowed)
    assert not found, "import circles:\n" + "\n\n".join(_describe(graph, component) for component in found)


def test_every_allowed_edge_still_exists() -> None:
    """An entry of ENGINE_CYCLES whose import is gone must go too: the list only shrinks."""
    graph = import_graph()
    gone = sorted(edge for edge in ALLOWED if edge[1] not in graph.get(edge[0], {}))
    assert not gone, f"remove these from ENGINE_CYCLES, their imports are gone: {gone}"


def test_the_commands_modules_sit_below_the_command() -> None:
    """No module of smsc_soap.cli imports the package's __init__ or main (both gather the
    subcommands), and no module outside the command imports its parts but the old paths,
    which re-export them."""
    graph = import_graph()
    top = {"smsc_soap.cli", "smsc_soap.cli.main"}
    upward = {(source, target) for source, targets in graph.items() if source.startswith("smsc_soap.cli.")
              and source not in top | {"smsc_soap.cli.__main__"} for target in targets if target in top}
    assert not upward
    old_paths = {"smsc_soap.cli_bulk", "smsc_soap.cli_http", "smsc_soap.cli_channels", "smsc_soap.cli_listen",
                 "smsc_soap._argtypes", "smsc_soap.sandbox.cli", "smsc_soap.sandbox.__main__"}
    outside = {(source, target) for source, targets in graph.items()
               if not source.startswith("smsc_soap.cli.") and source != "smsc_soap.cli" and source not in old_paths
               for target in targets if target == "smsc_soap.cli" or target.startswith("smsc_soap.cli.")}
    assert not outside


def test_the_graph_sees_each_kind_of_import() -> None:
    """The builder finds imports in functions and under TYPE_CHECKING, relative and absolute
    (else a green test above would prove nothing)."""
    graph = import_graph()
    kinds = {i.kind for targets in graph.values() for imports in targets.values() for i in imports}
    assert kinds == {"module", "type-only", "in a function"}
    assert "smsc_soap.errors" in graph["smsc_soap._core.backoff"]  # from ..errors import ...
    assert "smsc_soap.cli.exits" in graph["smsc_soap.cli.main"]  # from .exits import ...
    assert cycles({"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}, "d": {"a": 1}}) == [["a", "b", "c"]]


#: The modules both shells have, under the same names (issue 21, point 2).
PEERS = {"client", "transport", "pages", "bulk", "engine"}


def test_the_sync_and_async_shells_are_peers_that_never_import_each_other() -> None:
    """``_sync`` and ``_async`` hold the same modules under the same names, and no module of one
    imports any module of the other (at module level, for types or inside a function)."""
    graph = import_graph()
    for flavour in ("_sync", "_async"):
        names = {m.rpartition(".")[2] for m in graph if m.startswith(f"smsc_soap.{flavour}.")}
        assert PEERS <= names, flavour
    crossings = [(source, target) for source, targets in graph.items() for target in targets
                 for mine, other in (("_sync", "_async"), ("_async", "_sync"))
                 if source.startswith(f"smsc_soap.{mine}") and target.startswith(f"smsc_soap.{other}")]
    assert crossings == []


def test_the_names_users_import_stay_where_they_were() -> None:
    """The shells moved into ``_sync``/``_async``; the modules users import still give the same objects."""
    import smsc_soap.async_client
    import smsc_soap.bulk
    import smsc_soap.client
    import smsc_soap.http_api.shell
    import smsc_soap.transport
    from smsc_soap._async import client as async_client
    from smsc_soap._core import bulk as shared_bulk
    from smsc_soap._sync import bulk as sync_bulk, client, pages, transport

    assert smsc_soap.client.Client is client.Client is smsc_soap.Client
    assert smsc_soap.async_client.AsyncClient is async_client.AsyncClient
    assert smsc_soap.transport.SoapTransport is transport.SoapTransport
    assert smsc_soap.http_api.shell.HttpShell is pages.HttpShell
    assert smsc_soap.bulk.send_bulk is sync_bulk.send_bulk and smsc_soap.bulk.Message is shared_bulk.Message
    for module in (smsc_soap.client, smsc_soap.async_client, smsc_soap.transport, smsc_soap.bulk):
        assert all(hasattr(module, name) for name in module.__all__)
