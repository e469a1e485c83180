"""Shared fixtures. Helpers live in normal modules (tests/support/), never imported from here."""
from __future__ import annotations

from typing import Iterator

import pytest
from support.servers import Responder


@pytest.fixture
def responder() -> Iterator[Responder]:
    """A scripted SOAP responder on loopback (:class:`support.servers.Responder`), for exact wire
    control: an exact answer body, an undocumented code, the bytes a client sends."""
    with Responder() as server:
        yield server
