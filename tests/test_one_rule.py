"""Each rule has one owner (issue 21, point 3): the reconcile rule and the polling schedule live
in smsc_soap._core, and everything that reconciles or polls (both clients, the journal, the
Celery tasks, tracking and the command) gives the same decisions for the same answers; nothing
outside the clients builds or sends a call by their private ``_prepare``/``_call``."""
from __future__ import annotations

import ast
import asyncio
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple, Union

import pytest

import smsc_soap
from smsc_soap import AsyncClient, Client, errors
from smsc_soap._async.bulk import track as async_track
from smsc_soap._core import polling
from smsc_soap.cli.soap import wait_final
from smsc_soap.results import DeliveryError, DeliveryStatus, StatusResult
from smsc_soap.track import track

PACKAGE = Path(smsc_soap.__file__).parent
CLIENTS = {"_sync/client.py", "_async/client.py", "_base.py"}


def _status(code: int) -> StatusResult:
    return StatusResult(DeliveryStatus(code), DeliveryError(0), None, None)


def _error(code: int) -> errors.SmscError:
    return errors.api_error("get_status", code)


WAITING, DELIVERED = _status(-1), _status(1)
NOT_FOUND, RATE_LIMITED, BROKEN = _error(3), _error(9), errors.ConnectionError("cut")
Answer = Union[StatusResult, errors.SmscError]


# --- the source: what a test's stand-in for the service answers --------------------------------


class Source:
    """Answers get_status from a script per phone (the last answer repeats)."""

    def __init__(self, script: Dict[str, List[Answer]]) -> None:
        self.script = {phone: list(answers) for phone, answers in script.items()}
        self.asked: List[str] = []

    def answer(self, phone: str) -> StatusResult:
        self.asked.append(phone)
        answers = self.script[phone]
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    def get_status(self, phone: str, id: Any, *, all: int = 0) -> StatusResult:  # noqa: A002
        return self.answer(phone)

    # the client's own method, on this stand-in (Any: mypy checks its self against Client)
    reconcile_send: Any = Client.reconcile_send


class AsyncSource(Source):
    async def get_status(self, phone: str, id: Any, *, all: int = 0) -> StatusResult:  # type: ignore[override]  # noqa: A002
        return self.answer(phone)

    reconcile_send: Any = AsyncClient.reconcile_send


# --- the reconcile rule ---------------------------------------------------------------------------

RECONCILE_TABLE = [  # answers per phone -> (found under which phone, or "raises" the error)
    ({"1": [DELIVERED], "2": [DELIVERED]}, "1"),
    ({"1": [NOT_FOUND], "2": [WAITING]}, "2"),
    ({"1": [NOT_FOUND], "2": [NOT_FOUND]}, None),
    ({"1": [RATE_LIMITED], "2": [DELIVERED]}, errors.RateLimited),
    ({"1": [NOT_FOUND], "2": [BROKEN]}, errors.ConnectionError),
]


def _decide(run: Callable[[], Any]) -> Any:
    try:
        found = run()
    except errors.SmscError as error:
        return type(error)
    return found


def _sync_client(script: Dict[str, List[Answer]]) -> Tuple[Union[str, None, type], List[str]]:
    source = Source(script)
    decision = _decide(lambda: source.reconcile_send("m1", ["1", "2"]))
    return (decision if isinstance(decision, type) else decision.phone), source.asked


def _async_client(script: Dict[str, List[Answer]]) -> Tuple[Union[str, None, type], List[str]]:
    source = AsyncSource(script)
    decision = _decide(lambda: asyncio.run(source.reconcile_send("m1", "1,2")))
    return (decision if isinstance(decision, type) else decision.phone), source.asked


def _celery(script: Dict[str, List[Answer]]) -> Tuple[Union[str, None, type], List[str]]:
    pytest.importorskip("celery")
    from smsc_soap.celery import _found

    source = Source(script)
    decision = _decide(lambda: _found(source, "m1", ["1", "2"]))  # type: ignore[arg-type]
    return (decision if isinstance(decision, type) else (source.asked[-1] if decision else None)), source.asked


@pytest.mark.parametrize("script, expected", RECONCILE_TABLE)
@pytest.mark.parametrize("user", [_sync_client, _async_client, _celery])
def test_every_reconciler_decides_alike(user: Callable[..., Any], script: Dict[str, List[Answer]],
                                        expected: Any) -> None:
    decision, asked = user(script)
    assert decision == expected
    stop = 1 if expected in ("1", errors.RateLimited) else 2
    assert asked == ["1", "2"][:stop]  # in order, and no number after the one that decided


def test_a_9_is_asked_again_after_the_services_wait_a_few_times_then_raised() -> None:
    from smsc_soap._core.reconcile import RATE_LIMIT_TRIES, wait_after

    limited = errors.RateLimited(9, "too many", "get_status")
    limited.retry_after = 30.0
    waits = [wait_after(limited, tries) for tries in range(1, RATE_LIMIT_TRIES + 1)]
    assert waits[:-1] == [30.0] * (RATE_LIMIT_TRIES - 1) and waits[-1] is None
    assert wait_after(errors.RateLimited(9, "too many", "get_status"), 1) == polling.MIN_INTERVAL


# --- the polling schedule -------------------------------------------------------------------------

POLL_TABLE: List[List[Answer]] = [  # one message's answers, in order
    [WAITING, WAITING, DELIVERED],
    [RATE_LIMITED, WAITING, DELIVERED],
    [NOT_FOUND, WAITING, _status(20)],
    [WAITING, BROKEN, WAITING, DELIVERED],
]


def _sync_track(script: List[Answer]) -> Tuple[List[float], List[Any]]:
    now = [0.0]
    slept: List[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    changes = list(track(Source({"1": script}), [("m1", "1")], timeout=600, clock=lambda: now[0], sleep=sleep))
    return slept, [(c.status, type(c.error)) for c in changes]


def _async_track(script: List[Answer]) -> Tuple[List[float], List[Any]]:
    now = [0.0]
    slept: List[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    async def run() -> List[Any]:
        return [c async for c in async_track(AsyncSource({"1": script}), [("m1", "1")], timeout=600,
                                             clock=lambda: now[0], sleep=sleep)]

    return slept, [(c.status, type(c.error)) for c in asyncio.run(run())]


@pytest.mark.parametrize("script", POLL_TABLE)
def test_sync_and_async_tracking_poll_alike(script: List[Answer]) -> None:
    assert _sync_track(script) == _async_track(script)


@pytest.mark.parametrize("script", [s for s in POLL_TABLE if NOT_FOUND not in s and BROKEN not in s])
def test_the_commands_wait_pauses_as_tracking_does(script: List[Answer]) -> None:
    """``status --wait`` (one message; an error but a 9 ends it) sleeps what tracking sleeps."""
    slept: List[float] = []
    limited = [a for a in script if isinstance(a, errors.RateLimited)]
    final = wait_final(Source({"1": script}), "1", "m1", sleep=slept.append, timeout=600)  # type: ignore[arg-type]
    assert final is DELIVERED
    assert slept == _sync_track(script)[0] == [polling.pause_after(a, polling.MIN_INTERVAL) for a in script[:-1]]
    assert not limited or slept[0] >= polling.MIN_INTERVAL


# --- one owner, in the source -----------------------------------------------------------------------


def _calls_in_loops(tree: ast.AST, names: Tuple[str, ...]) -> List[int]:
    """Lines of a call to ``.name(...)`` (one of ``names``) inside a ``for`` or ``while`` body."""
    found = []
    for loop in ast.walk(tree):
        if isinstance(loop, (ast.For, ast.AsyncFor, ast.While)):
            for node in ast.walk(loop):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                        and node.func.attr in names):
                    found.append(node.lineno)
    return found


def _sources() -> List[Tuple[str, ast.AST]]:
    return [(str(path.relative_to(PACKAGE)), ast.parse(path.read_text(encoding="utf-8")))
            for path in sorted(PACKAGE.rglob("*.py")) if "sandbox" not in path.parts]


def test_no_module_outside_the_core_asks_get_status_in_a_loop() -> None:
    """The loops that ask one status after another (per phone, per poll) are the core's."""
    loops = {name: lines for name, tree in _sources() if not name.startswith("_core")
             for lines in [_calls_in_loops(tree, ("get_status", "get_status2"))] if lines}
    assert loops == {}
    assert _calls_in_loops(ast.parse("for p in ps:\n    c.get_status(p, i)\n"), ("get_status",)) == [2]


def test_nothing_outside_the_clients_calls_their_prepare_or_call() -> None:
    """Bulk, the journal, tracking and Celery use the named protocols (smsc_soap._protocols)."""
    private = {name: node.lineno for name, tree in _sources() if name not in CLIENTS
               for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
               and node.func.attr in ("_prepare", "_call")}
    assert private == {}


def test_the_clients_are_what_the_protocols_name() -> None:
    from smsc_soap import _protocols

    for protocol, client in ((_protocols.BulkSender, Client), (_protocols.AsyncBulkSender, AsyncClient)):
        members = {name for name in dir(protocol) if not name.startswith("_")}
        assert members == {"bulk_slots", "call_seconds", "endpoint", "get_status", "limits_key", "reconcile_send",
                           "send_list", "write_list"} - ({"bulk_slots", "write_list"} if client is AsyncClient else set())
        data = {"bulk_slots", "endpoint", "limits_key"}  # the others are methods
        assert all(name in data or callable(getattr(client, name)) for name in members)
        assert all(hasattr(client("alex", "x"), name) for name in data - {"bulk_slots"})
