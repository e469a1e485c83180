"""The docs' generated tables lose nothing of the package's tables (no Sphinx build needed)."""
from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType
from typing import List, Tuple

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"

pytest.importorskip("docutils", reason="the docs extension builds docutils nodes; install '.[docs]'")
pytest.importorskip("sphinx", reason="the docs extension is a Sphinx extension; install '.[docs]'")


@pytest.fixture(scope="module")
def tables() -> ModuleType:
    sys.path.insert(0, str(DOCS / "_ext"))
    try:
        return importlib.import_module("smsc_tables")
    finally:
        sys.path.remove(str(DOCS / "_ext"))


def column(rows: List[Tuple[str, ...]], name: str) -> List[str]:
    index = rows[0].index(name)
    return [row[index] for row in rows[1:]]


def test_every_error_code_of_every_operation_is_in_the_error_table(tables: ModuleType) -> None:
    from smsc_soap import errors

    for operation, table in errors.ERRORS_BY_OPERATION.items():
        rows = tables.error_rows([operation])
        assert sorted(set(map(int, column(rows, "code")))) == sorted(table), operation
        for code, entry in table.items():
            cls, meaning = tables.error_entry(entry)
            assert (str(code), f":class:`~smsc_soap.{cls.__name__}`", meaning) in [
                (row[0], row[2], row[3]) for row in rows[1:]], (operation, code)


@pytest.mark.parametrize("name", ["SEND_ERRORS", "COST_ERRORS", "STATUS_ERRORS", "BALANCE_ERRORS"])
def test_the_combined_error_table_has_every_code_of_each_source_table(tables: ModuleType, name: str) -> None:
    from smsc_soap import errors

    codes = set(map(int, column(tables.error_rows(), "code")))
    assert set(getattr(errors, name)) <= codes


def test_a_code_with_one_meaning_everywhere_is_one_row_for_all_operations(tables: ModuleType) -> None:
    rows = tables.error_rows()
    assert [row[1] for row in rows[1:] if row[0] == "1"] == ["all"]


@pytest.mark.parametrize("enum_name", ["DeliveryStatus", "DeliveryError"])
def test_every_status_and_err_code_is_in_its_table(tables: ModuleType, enum_name: str) -> None:
    from smsc_soap import results

    rows = tables.code_table_rows(enum_name)
    members = list(getattr(results, enum_name))
    assert column(rows, "code") == [str(int(member)) for member in members]
    assert column(rows, "title") == [member.title for member in members]


def test_the_status_table_says_which_statuses_are_final(tables: ModuleType) -> None:
    from smsc_soap.results import DeliveryStatus

    finals = column(tables.code_table_rows("DeliveryStatus"), "final")
    assert finals == ["yes" if getattr(status, "final") else "no" for status in DeliveryStatus]
    assert "final" not in tables.code_table_rows("DeliveryError")[0]


def test_every_exit_code_is_in_the_table(tables: ModuleType) -> None:
    from smsc_soap.cli import EXIT_CODES

    rows = tables.exit_code_rows()
    assert column(rows, "code") == [str(code) for code in sorted(EXIT_CODES)]
    assert column(rows, "when") == [EXIT_CODES[code] for code in sorted(EXIT_CODES)]


def test_every_environment_variable_is_in_the_table(tables: ModuleType) -> None:
    from smsc_soap.cli import ENVIRONMENT

    assert column(tables.environment_rows(), "variable") == [f"``{name}``" for name in ENVIRONMENT]


def test_every_extended_parameter_is_in_the_table_with_its_type(tables: ModuleType) -> None:
    from smsc_soap.query import EXTENDED_PARAMS

    rows = tables.extended_param_rows()
    assert column(rows, "name") == [f"``{name}``" for name in EXTENDED_PARAMS]
    assert all(column(rows, "Python type"))
    assert dict(zip(column(rows, "name"), column(rows, "accepted")))["``cost``"] == "one of 0, 1, 2, 3"


def test_type_hints_read_as_words(tables: ModuleType) -> None:
    from typing import Literal, Optional, Tuple as T, Union

    assert tables.format_hint(Union[bool, Literal[0, 1]]) == "bool or 0, 1"
    assert tables.format_hint(Optional[T[int, str]]) == "(int, str)"


def test_every_fault_kind_of_the_sandbox_is_on_the_sandbox_page() -> None:
    from smsc_soap.sandbox import FAULT_KINDS

    page = (DOCS / "sandbox.rst").read_text(encoding="utf-8")
    assert [kind for kind in FAULT_KINDS if f"``{kind}``" not in page] == []


def test_the_command_table_lists_every_subcommand_of_the_parser(tables: ModuleType) -> None:
    from smsc_soap.cli import build_parser

    listed = {cell.strip("`").split()[0] for cell in column(tables.command_rows(), "command")}
    assert listed == {name for name, _, _ in tables._subcommands(build_parser())}
    assert {"send", "cost", "status", "balance", "bulk", "parts", "operator", "jobs", "exports"} <= listed
    actions = {cell.strip("`").split()[1] for cell in column(tables.command_rows(), "command")
               if cell.startswith("``jobs ")}
    assert actions == {"add", "list", "get", "cancel", "delete"}


def test_a_subcommand_added_to_the_parser_is_listed_without_an_edit(tables: ModuleType,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import argparse

    import smsc_soap.cli

    original = smsc_soap.cli.build_parser

    def with_one_more() -> argparse.ArgumentParser:
        parser = original()
        [commands] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        later = commands.add_parser("added-later", help="a subcommand the docs never named")
        later.add_argument("--port")
        return parser

    monkeypatch.setattr(smsc_soap.cli, "build_parser", with_one_more)
    assert ("``added-later``", "a subcommand the docs never named") in tables.command_rows()
