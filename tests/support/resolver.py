"""A name resolver for tests: ``socket.getaddrinfo`` answering for names of the test's own,
and as before for every other name. Nothing leaves loopback: the names resolve to loopback
addresses, stall, or are refused."""
from __future__ import annotations

import itertools
import socket
import threading
from typing import Any, Dict, List, Sequence

import pytest

#: Names under this one stall: the resolver answers nothing until the test ends (a stalled DNS
#: server). Each test gets a name of its own (:attr:`Resolver.stalled`): the client shares a
#: resolution under way, and one a test left behind is not another test's.
STALLED_DOMAIN = "stalled.test"
#: A name the resolver refuses at once (NXDOMAIN).
REFUSED = "refused.test"
#: How long a stalled resolution holds its thread if the test never ends it: far longer than
#: any call's time in the tests, so that a call that waits for it is seen to wait.
STALL_SECONDS = 30.0


_tests = itertools.count(1)


def named(url: str, name: str) -> str:
    """``url`` (a loopback server's, on 127.0.0.1) with the host ``name`` instead."""
    return url.replace("//127.0.0.1:", f"//{name}:", 1)


class Resolver:
    """Answers ``socket.getaddrinfo`` for names under :data:`STALLED_DOMAIN` (:attr:`stalled`
    is this test's own), :data:`REFUSED` and the names given to :meth:`resolve`; :attr:`asked`
    lists every name asked, in order."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.stalled = f"t{next(_tests)}.{STALLED_DOMAIN}"
        self._real = socket.getaddrinfo
        self._names: Dict[str, Sequence[str]] = {}
        self.asked: List[str] = []
        self.released = threading.Event()
        monkeypatch.setattr(socket, "getaddrinfo", self.getaddrinfo)

    def resolve(self, name: str, *numeric: str) -> None:
        """``name`` resolves to ``numeric`` addresses, in this order."""
        self._names[name] = numeric

    def getaddrinfo(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> List[Any]:
        name = host.decode("ascii") if isinstance(host, bytes) else host
        self.asked.append(name)
        if name.endswith("." + STALLED_DOMAIN):
            self.released.wait(STALL_SECONDS)
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        if name == REFUSED:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        if name in self._names:
            return [info for address in self._names[name] for info in self._real(address, port, *args, **kwargs)]
        return self._real(host, port, *args, **kwargs)

    def release(self) -> None:
        """End every stalled resolution (they fail): the test is over."""
        self.released.set()
