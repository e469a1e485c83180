"""pytest fixtures for users' own test suites (registered through the ``pytest11`` entry point).

``smsc_sandbox`` gives each test a fresh, running :class:`smsc_soap.sandbox.Sandbox` (its own port,
accounts, clock and messages). Options go through a marker::

    @pytest.mark.smsc_sandbox(accounts=["shop:secret:50"], senders=["SHOP"])
    def test_checkout_sends_sms(smsc_sandbox):
        ...

This module loads in every pytest run, so it imports nothing heavy until the fixture is used.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

import pytest

if TYPE_CHECKING:  # pragma: no cover
    from smsc_soap.sandbox import Sandbox


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "smsc_sandbox(**options): options for the smsc_sandbox fixture, as Sandbox(**options) takes them "
        "(accounts=, apikeys=, senders=, realtime=, start_time=)",
    )


@pytest.fixture
def smsc_sandbox(request: pytest.FixtureRequest) -> Iterator["Sandbox"]:
    """A running SMSC SOAP sandbox, fresh for this test; stopped afterwards."""
    from smsc_soap.sandbox import Sandbox

    marker = request.node.get_closest_marker("smsc_sandbox")
    options = dict(marker.kwargs) if marker else {}
    with Sandbox(**options) as sandbox:
        yield sandbox
