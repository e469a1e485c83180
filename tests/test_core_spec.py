"""The operations section of smsc_soap.spec: one table, consistent with the WSDL, and the one
source of the client's kinds and result types and of errors.py's tables."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

import smsc_soap
from smsc_soap import errors, results, spec
from smsc_soap._zeep import wsdl_document
from smsc_soap.client import Client


def test_the_table_has_the_wsdls_seven_operations() -> None:
    document = wsdl_document("https://smsc.ru/sys/soap.php")
    [port] = [port for service in document.services.values() for port in service.ports.values()]
    assert set(spec.OPERATIONS) == set(port.binding._operations) and len(spec.OPERATIONS) == 7


@pytest.mark.parametrize("name", list(spec.OPERATIONS))
def test_each_operation_is_consistent(name: str) -> None:
    operation = spec.OPERATIONS[name]
    assert operation.name == name and operation.kind in spec.KINDS
    assert operation.has_query == name.endswith("2")
    if operation.twin is not None:  # twins pair a plain operation with its *2 one, both ways
        twin = spec.OPERATIONS[operation.twin]
        assert twin.twin == name and twin.has_query != operation.has_query
        assert (twin.kind, twin.result, twin.errors) == (operation.kind, operation.result, operation.errors)
    assert isinstance(getattr(results, operation.result), type)
    for row in operation.errors.values():
        assert issubclass(getattr(smsc_soap, row.exception), smsc_soap.ApiError)


@pytest.mark.parametrize("name", list(spec.OPERATIONS))
def test_the_clients_method_returns_the_result_type_the_table_names(name: str) -> None:
    annotation = getattr(Client, name).__annotations__["return"]  # a string: postponed annotations
    assert annotation == spec.OPERATIONS[name].result


def test_errors_py_builds_its_tables_from_the_spec() -> None:
    for name, operation in spec.OPERATIONS.items():
        assert {code: (cls.__name__, meaning) for code, (cls, meaning) in errors.ERRORS_BY_OPERATION[name].items()} \
            == {code: tuple(row) for code, row in operation.errors.items()}
    assert errors.SEND_ERRORS is errors.ERRORS_BY_OPERATION["send_sms"]
    assert errors.STATUS_ERRORS[3][0] is smsc_soap.MessageNotFound and errors.COST_ERRORS == errors.SEND_ERRORS
    assert set(errors.BALANCE_ERRORS) == {1, 2, 4, 9}


def test_spec_imports_nothing_of_the_package() -> None:
    tree = ast.parse(Path(spec.__file__).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0 and not (node.module or "").startswith("smsc_soap"), ast.dump(node)
        elif isinstance(node, ast.Import):
            assert not any(alias.name.startswith("smsc_soap") for alias in node.names)


def test_the_rate_limits_are_the_pages_and_the_back_off_covers_their_window() -> None:
    assert {kind: limit.requests for kind, limit in spec.RATE_LIMITS.items()} == {
        spec.SEND: 1, spec.STATUS: 5, spec.BALANCE: 10}
    for kind, limit in spec.RATE_LIMITS.items():  # the meaning of 9 says the same number
        operation = next(op for op in spec.OPERATIONS.values() if op.kind == kind)
        words = {1: "more than one", 5: "more than five", 10: "more than ten"}[limit.requests]
        assert words in operation.errors[9].meaning
    from smsc_soap.transport import RATE_LIMITED_BACKOFF
    assert RATE_LIMITED_BACKOFF >= spec.RATE_LIMIT_WINDOW_SECONDS == 60
