"""Tables of the docs built from the package's own tables, so that the docs cannot drift.

Directives (no arguments unless said):

``.. smsc-error-table:: [OPERATION ...]``
    the ``error`` codes per operation: ``smsc_soap.errors.ERRORS_BY_OPERATION``
``.. smsc-http-error-table:: OPERATION ...``
    the codes of the HTTP pages' operations: ``smsc_soap.errors.HTTP_ERRORS_BY_OPERATION``
``.. smsc-status-table::``
    delivery statuses: ``smsc_soap.results.DeliveryStatus``
``.. smsc-delivery-error-table::``
    the ``err`` codes: ``smsc_soap.results.DeliveryError``
``.. smsc-exit-codes::``
    the exit codes of ``smsc-soap``: ``smsc_soap.cli.EXIT_CODES``
``.. smsc-environment::``
    the environment ``smsc-soap`` reads: ``smsc_soap.cli.ENVIRONMENT``
``.. smsc-channel-table::``
    the channels (e-mail, calls, Viber, HLR, ...): ``smsc_soap.spec.CHANNELS`` and the helpers of
    ``smsc_soap.channels.HELPERS``
``.. smsc-extended-params::``
    the extended parameters of the ``*2`` methods: ``smsc_soap.query.EXTENDED_PARAMS`` and the
    hints of ``smsc_soap.query.ExtendedParams``

The ``*_rows`` functions are plain data (header first) so that a test can check them without
building the docs. Rows are read defensively: other attributes may be added to the package's
tables, and only the names above are relied on.
"""
from __future__ import annotations

import argparse
import collections.abc
import importlib
import inspect
import json
import re
import typing
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from docutils import nodes
from docutils.parsers.rst import Directive
from sphinx.application import Sphinx

Row = Tuple[str, ...]

#: The error tables' operations in the order the SOAP page gives them.
OPERATIONS_IN_PAGE_ORDER = ("send_sms", "send_sms2", "get_sms_cost", "get_sms_cost2",
                            "get_status", "get_status2", "get_balance")


def _load(module: str, name: str) -> Any:
    return getattr(importlib.import_module(module), name)


def _class_ref(cls: Any) -> str:
    """A cross-reference to an exception class under its public name ``smsc_soap.X``."""
    name = getattr(cls, "__name__", str(cls))
    return f":class:`~smsc_soap.{name}`"


def error_entry(entry: Any) -> Tuple[Any, str]:
    """(exception class, meaning) from a row of an error table: a pair, or an object with them."""
    if isinstance(entry, tuple):
        return entry[0], str(entry[1])
    cls = next(getattr(entry, a) for a in ("exception", "cls", "error") if hasattr(entry, a))
    return cls, str(getattr(entry, "meaning", ""))


def error_rows(operations: Optional[Sequence[str]] = None, table: str = "ERRORS_BY_OPERATION") -> List[Row]:
    """One row per code and meaning, naming the operations that share it (``table``: the SOAP
    operations' ``ERRORS_BY_OPERATION``, or the HTTP pages' ``HTTP_ERRORS_BY_OPERATION``)."""
    tables: Mapping[str, Mapping[int, Any]] = _load("smsc_soap.errors", table)
    order = [op for op in OPERATIONS_IN_PAGE_ORDER if op in tables]
    order += sorted(op for op in tables if op not in order)
    chosen = [op for op in order if not operations or op in operations]
    grouped: Dict[Tuple[int, Any, str], List[str]] = {}
    for operation in chosen:
        for code, entry in tables[operation].items():
            cls, meaning = error_entry(entry)
            grouped.setdefault((int(code), cls, meaning), []).append(operation)
    rows: List[Row] = [("code", "operations", "exception", "meaning")]
    for (code, cls, meaning), ops in sorted(grouped.items(), key=lambda item: item[0][0]):
        where = "all" if len(ops) == len(chosen) > 1 else ", ".join(f"``{op}``" for op in ops)
        rows.append((str(code), where, _class_ref(cls), meaning))
    return rows


def code_table_rows(enum_name: str) -> List[Row]:
    """A row per member of ``smsc_soap.results.<enum_name>``: code, name, title, description
    and, for a table whose members say so, whether the code is final."""
    members = list(_load("smsc_soap.results", enum_name))
    has_final = any(hasattr(m, "final") for m in members)
    header: Row = ("code", "name", "title", "description") + (("final",) if has_final else ())
    rows: List[Row] = [header]
    for member in members:
        row: Row = (str(int(member)), f"``{member.name}``", str(getattr(member, "title", "")),
                    str(getattr(member, "description", "")))
        if has_final:
            row += ("yes" if getattr(member, "final", False) else "no",)
        rows.append(row)
    return rows


def exit_code_rows() -> List[Row]:
    codes: Mapping[int, str] = _load("smsc_soap.cli", "EXIT_CODES")
    rows: List[Row] = [("code", "when")]
    return rows + [(str(code), text) for code, text in sorted(codes.items())]


def environment_rows() -> List[Row]:
    env: Mapping[str, str] = _load("smsc_soap.cli", "ENVIRONMENT")
    rows: List[Row] = [("variable", "meaning")]
    return rows + [(f"``{name}``", text) for name, text in env.items()]


def _subcommands(parser: argparse.ArgumentParser) -> List[Tuple[str, str, argparse.ArgumentParser]]:
    """(name, help, parser) of each subcommand of ``parser``, in the order they were added."""
    found = []
    for action in parser._actions:  # argparse has no public way to list subcommands
        if isinstance(action, argparse._SubParsersAction):
            found.extend((choice.dest, choice.help or "", action.choices[choice.dest])
                         for choice in action._choices_actions)
    return found


def _positionals(parser: argparse.ArgumentParser) -> str:
    return " ".join(action.metavar if isinstance(action.metavar, str) else action.dest.upper()
                    for action in parser._actions
                    if not action.option_strings and not isinstance(action, argparse._SubParsersAction))


def command_rows() -> List[Row]:
    """Every subcommand of ``smsc-soap`` (and each action of one that has actions), read from the
    command's own parser, so a subcommand added there is listed here without an edit."""
    parser: argparse.ArgumentParser = _load("smsc_soap.cli", "build_parser")()
    rows: List[Row] = [("command", "what it does")]
    for name, help, sub in _subcommands(parser):
        actions = _subcommands(sub)
        if not actions:
            rows.append((f"``{' '.join(filter(None, (name, _positionals(sub))))}``", help))
        for action, action_help, action_parser in actions:
            rows.append((f"``{' '.join(filter(None, (name, action, _positionals(action_parser))))}``", action_help))
    return rows


# --- extended parameters ----------------------------------------------------------------------

#: "period: 0.1..720 hours" -> "0.1..720 hours": a checker's docstring may name its parameter.
_LABEL = re.compile(r"^[a-z_]+: ")
_DESCRIPTION_ATTRIBUTES = ("description", "doc", "help", "meaning")
_ALLOWED_ATTRIBUTES = ("allowed", "values", "choices", "range", "bounds")


def format_hint(hint: Any) -> str:
    """A type hint as a reader says it: ``bool or 0, 1``; ``int``; ``str or (int, int, int)``."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Union:
        return " or ".join(format_hint(arg) for arg in args if arg is not type(None))
    if origin is typing.Literal:
        return ", ".join(map(repr, args))
    if origin is tuple and args:
        return "(" + ", ".join(format_hint(arg) for arg in args) + ")"
    if origin is collections.abc.Iterable and args:
        return f"iterable of {format_hint(args[0])}"
    if isinstance(hint, type) and not args:
        return hint.__name__
    return str(hint).replace("typing.", "")


def _attribute(row: Any, names: Iterable[str]) -> Optional[Any]:
    for name in names:
        value = getattr(row, name, None)
        if value not in (None, ""):
            return value
    return None


def _from_checker(checker: Any) -> str:
    """What a checking function accepts: its docstring, else its closure's bounds or choices."""
    doc = inspect.getdoc(checker)
    if doc:
        return _LABEL.sub("", doc.splitlines()[0])
    try:
        bound = inspect.getclosurevars(checker).nonlocals
    except TypeError:
        return ""
    if bound.get("flag"):
        return "0 or 1, or a bool"
    if "allowed" in bound:
        return "one of " + ", ".join(map(str, bound["allowed"]))
    if "low" in bound:
        high = bound.get("high")
        top = "" if high is None else f"..{high}"
        return f"an int {bound['low']}{top}{bound.get('unit', '')}".rstrip() + ("" if top else " or more")
    if bound.get("shape"):
        return f"a str: {bound['shape']}"
    return ""


def _accepted(row: Any) -> str:
    given = _attribute(row, _ALLOWED_ATTRIBUTES)
    if given is not None:
        if isinstance(given, (tuple, list, frozenset, set, range)):
            return ", ".join(map(str, given))
        return str(given)
    checker = _attribute(row, ("normalise", "check", "validate"))
    return _from_checker(checker) if checker is not None else ""


def _page(source: str) -> str:
    """The page a row cites, by the name :mod:`smsc_soap.query` gives it."""
    query = importlib.import_module("smsc_soap.query")
    names = {getattr(query, "SOAP_PAGE", None): "SOAP", getattr(query, "HTTP_PAGE", None): "HTTP mailing"}
    return names.get(source) or source.rsplit("/", 1)[-1]


def _extended_table() -> Mapping[str, Any]:
    query = importlib.import_module("smsc_soap.query")
    for name in ("EXTENDED_PARAMS", "PARAMS"):
        if hasattr(query, name):
            table: Mapping[str, Any] = getattr(query, name)
            return table
    raise LookupError("smsc_soap.query has neither EXTENDED_PARAMS nor PARAMS")


def extended_param_rows() -> List[Row]:
    """name, Python type, what is accepted, where it is documented (and a description if any)."""
    table = _extended_table()
    hints = typing.get_type_hints(_load("smsc_soap.query", "ExtendedParams"))
    described = any(_attribute(row, _DESCRIPTION_ATTRIBUTES) for row in table.values())
    header: Row = ("name", "Python type", "accepted", "page") + (("description",) if described else ())
    rows: List[Row] = [header]
    for name, row in table.items():
        source = str(getattr(row, "source", ""))
        out: Row = (f"``{name}``", format_hint(hints[name]) if name in hints else "",
                    _accepted(row), _page(source))
        if described:
            out += (str(_attribute(row, _DESCRIPTION_ATTRIBUTES) or ""),)
        rows.append(out)
    return rows


# --- docutils ---------------------------------------------------------------------------------


#: A role as a reader sees it: :class:`~smsc_soap.ApiError` shows as ApiError.
_ROLE = re.compile(r":[a-z]+:`~?(?:[\w.]+\.)?([^`.]+)`")


def _visible_length(cell: str) -> int:
    return len(_ROLE.sub(r"\1", cell).replace("``", '"'))


def _widths(rows: Sequence[Row], cap: int = 50) -> List[int]:
    """Relative column widths: the longest cell of each column as shown, within 4..cap."""
    return [max(4, min(cap, max(_visible_length(row[i]) for row in rows))) for i in range(len(rows[0]))]


def otel_attribute_rows() -> List[Row]:
    attributes: Mapping[str, str] = _load("smsc_soap.otel", "SPAN_ATTRIBUTES")
    rows: List[Row] = [("attribute", "value")]
    return rows + [(f"``{name}``", text) for name, text in attributes.items()]


def otel_metric_rows() -> List[Row]:
    found: Mapping[str, Tuple[str, str]] = _load("smsc_soap.otel", "METRICS")
    rows: List[Row] = [("metric", "unit", "what")]
    return rows + [(f"``{name}``", f"``{unit}``", text) for name, (unit, text) in found.items()]


class _TableDirective(Directive):
    """Renders ``rows()`` (header first) as a table; cells are inline reStructuredText."""

    def rows(self) -> List[Row]:
        raise NotImplementedError

    def run(self) -> List[nodes.Node]:
        rows = self.rows()
        table = nodes.table(classes=["smsc-table"])
        group = nodes.tgroup(cols=len(rows[0]))
        table += group
        group.extend(nodes.colspec(colwidth=width) for width in _widths(rows))
        head, body = nodes.thead(), nodes.tbody()
        head += self._row(rows[0])
        body.extend(self._row(row) for row in rows[1:])
        group += head
        group += body
        return [table]

    def _row(self, cells: Row) -> nodes.row:
        row = nodes.row()
        for text in cells:
            inline, messages = self.state.inline_text(text, self.lineno)
            row += nodes.entry("", nodes.paragraph("", "", *inline), *messages)
        return row


class ErrorTable(_TableDirective):
    optional_arguments = len(OPERATIONS_IN_PAGE_ORDER)

    def rows(self) -> List[Row]:
        return error_rows(self.arguments or None)


class HttpErrorTable(_TableDirective):
    optional_arguments = 8

    def rows(self) -> List[Row]:
        return error_rows(self.arguments or None, table="HTTP_ERRORS_BY_OPERATION")


class StatusTable(_TableDirective):
    def rows(self) -> List[Row]:
        return code_table_rows("DeliveryStatus")


class DeliveryErrorTable(_TableDirective):
    def rows(self) -> List[Row]:
        return code_table_rows("DeliveryError")


class ExitCodes(_TableDirective):
    def rows(self) -> List[Row]:
        return exit_code_rows()


class Environment(_TableDirective):
    def rows(self) -> List[Row]:
        return environment_rows()


class Commands(_TableDirective):
    def rows(self) -> List[Row]:
        return command_rows()


class ExtendedParams(_TableDirective):
    def rows(self) -> List[Row]:
        return extended_param_rows()


class OtelAttributes(_TableDirective):
    def rows(self) -> List[Row]:
        return otel_attribute_rows()


class OtelMetrics(_TableDirective):
    def rows(self) -> List[Row]:
        return otel_metric_rows()


def channel_rows() -> List[Row]:
    """One row per channel: its helper, what selects it, what it needs and may take, how its text
    is read and billed, its SMPP prefix."""
    channels = _load("smsc_soap.spec", "CHANNELS")
    helpers = _load("smsc_soap.channels", "HELPERS")
    rows: List[Row] = [("Channel", "Helper", "Selected by", "Needs", "May take", "Text", "Billed", "SMPP")]
    for name, channel in channels.items():
        helper = helpers.get(name)
        flag = channel.flag
        selected = "(nothing)" if flag is None else (
            f"``{flag}={'|'.join(map(str, channel.flag_values))}``" if channel.flag_values else f"``{flag}=NAME``")
        needs = [f"``{p}``" for p in channel.needs if p != flag] + (["``sender`` (e-mail address)"]
                                                                    if channel.needs_sender else [])
        rows.append((
            channel.title,
            f":class:`~smsc_soap.channels.{helper.__name__}`" if helper is not None else "a ``str``",
            selected,
            ", ".join(needs) or "-",
            ", ".join(f"``{p}``" for p in channel.allows) or "-",
            channel.text,
            channel.billing,
            f"``{channel.smpp_prefix}``" if channel.smpp_prefix else "-",
        ))
    return rows


class ChannelTable(_TableDirective):
    def rows(self) -> List[Row]:
        return channel_rows()


#: The last ``python bench/run.py --json bench/last-run.json``: the table docs/bulk.rst shows.
BENCH_RUN = Path(__file__).resolve().parents[2] / "bench" / "last-run.json"


def bench_rows(path: Path = BENCH_RUN) -> List[Row]:
    """measure, value, target: each row of the benchmark's last run, as it printed them."""
    run = json.loads(path.read_text(encoding="utf-8"))
    return [("measure", "value", "target")] + [(what, value, target) for what, value, target in run["rows"]]


class BenchTable(_TableDirective):
    """The benchmark's last run (bench/last-run.json), with the line that says where and when."""

    def rows(self) -> List[Row]:
        self.state.document.settings.record_dependencies.add(str(BENCH_RUN))
        return bench_rows()

    def run(self) -> List[nodes.Node]:
        header = json.loads(BENCH_RUN.read_text(encoding="utf-8"))["header"]
        return [nodes.paragraph("", header)] + super().run()


def setup(app: Sphinx) -> Dict[str, Any]:
    app.add_directive("smsc-bench-table", BenchTable)
    app.add_directive("smsc-channel-table", ChannelTable)
    app.add_directive("smsc-otel-attributes", OtelAttributes)
    app.add_directive("smsc-otel-metrics", OtelMetrics)
    app.add_directive("smsc-error-table", ErrorTable)
    app.add_directive("smsc-http-error-table", HttpErrorTable)
    app.add_directive("smsc-status-table", StatusTable)
    app.add_directive("smsc-delivery-error-table", DeliveryErrorTable)
    app.add_directive("smsc-exit-codes", ExitCodes)
    app.add_directive("smsc-environment", Environment)
    app.add_directive("smsc-extended-params", ExtendedParams)
    app.add_directive("smsc-commands", Commands)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
