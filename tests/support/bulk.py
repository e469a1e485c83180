"""What the bulk tests share (the command's and send_bulk's journal): a sandbox with a funded
bulk account, the command's environment for it, and its ledger of messages per number."""
from __future__ import annotations

import collections
from typing import Dict, Iterator

import pytest

from smsc_soap.sandbox import Sandbox


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(accounts=["bulk:pw:100000"]) as sb:
        yield sb


def bulk_env(sandbox: Sandbox) -> Dict[str, str]:
    """The ``smsc-soap`` command's environment for the bulk account of ``sandbox``."""
    return {"SMSC_LOGIN": "bulk", "SMSC_PASSWORD": "pw", "SMSC_URL": sandbox.url}


def ledger(sandbox: Sandbox) -> "collections.Counter[str]":
    """How many messages the sandbox took for each number: what "sent once" is checked against."""
    return collections.Counter(m.phone for m in sandbox.messages)
