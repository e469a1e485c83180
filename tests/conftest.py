"""Shared fixtures. Helpers live in normal modules (tests/support/), never imported from here."""
from __future__ import annotations

from typing import Any, Iterator

import pytest
from support.clients import CLIENTS
from support.resolver import Resolver
from support.servers import Responder


@pytest.fixture
def responder() -> Iterator[Responder]:
    """A scripted SOAP responder on loopback (:class:`support.servers.Responder`), for exact wire
    control: an exact answer body, an undocumented code, the bytes a client sends."""
    with Responder() as server:
        yield server


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Resolver]:
    """``socket.getaddrinfo`` with the test's own names (:class:`support.resolver.Resolver`):
    one that stalls, one refused, and any the test maps to loopback addresses."""
    stub = Resolver(monkeypatch)
    try:
        yield stub
    finally:
        stub.release()


@pytest.fixture(params=sorted(CLIENTS))
def any_client(request: pytest.FixtureRequest) -> Any:
    """Each client class in turn, called as ``Client`` is (``any_client(login=..., ...)``,
    ``any_client.from_env(...)``): smsc_soap.Client, then smsc_soap.AsyncClient behind a sync
    facade (support.clients.SyncFacade), so that one test shows both keep the same guarantee."""
    return CLIENTS[request.param]
