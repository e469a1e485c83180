"""Both clients behind one call interface, so that a test of the client's behaviour runs for each.

``any_client`` (tests/conftest.py) is :class:`smsc_soap.Client` or :class:`SyncFacade`: an
:class:`smsc_soap.AsyncClient` whose coroutines run on one private event loop thread, each call
waiting for its result. The test code stays the sync code; what runs is the async client's own
path (its deadline, pool, exchange, error translation), on a real event loop.
"""
from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import threading
from typing import Any, Awaitable, Callable, Generator, Iterator, Optional, TypeVar

import smsc_soap

T = TypeVar("T")

_LOOP: Optional[asyncio.AbstractEventLoop] = None
_LOCK = threading.Lock()


def loop() -> asyncio.AbstractEventLoop:
    """The facade's event loop, running in a daemon thread (started on first use)."""
    global _LOOP
    with _LOCK:
        if _LOOP is None:
            _LOOP = asyncio.new_event_loop()
            threading.Thread(target=_LOOP.run_forever, name="async-client-facade", daemon=True).start()
        return _LOOP


def run(awaitable: Awaitable[T]) -> T:
    """Run ``awaitable`` on the facade's loop and wait for its result (or its exception)."""
    async def main() -> T:
        return await awaitable
    return asyncio.run_coroutine_threadsafe(main(), loop()).result()


class SyncFacade:
    """An AsyncClient with Client's interface: ``facade.send_sms(...)`` runs ``await
    client.send_sms(...)`` on the facade's loop. ``vars(facade)`` is the AsyncClient's own."""

    __slots__ = ("_client",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        session = kwargs.get("session")
        if session is not None and not _is_httpx(session):
            import httpx  # a test's requests.Session: the async client's counterpart is httpx's
            kwargs["session"] = httpx.AsyncClient()
        object.__setattr__(self, "_client", smsc_soap.AsyncClient(*args, **kwargs))

    @classmethod
    def from_env(cls, *args: Any, **kwargs: Any) -> "SyncFacade":
        facade = cls.__new__(cls)
        object.__setattr__(facade, "_client", smsc_soap.AsyncClient.from_env(*args, **kwargs))
        return facade

    @property
    def __dict__(self) -> Any:  # type: ignore[override]
        return vars(self._client)

    def __repr__(self) -> str:
        return repr(self._client)

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._client, name)
        if inspect.iscoroutinefunction(value):  # its help kept, for tests that read it
            return functools.wraps(value)(lambda *args, **kwargs: run(value(*args, **kwargs)))
        if inspect.isasyncgenfunction(value) or name in ("send_bulk", "track"):
            return lambda *args, **kwargs: _iterate(value(*args, **kwargs))
        if name in ("mailings", "exports"):  # the pages' objects: their coroutines run on the loop too
            return _PagesFacade(value)
        return value

    def close(self) -> None:
        run(self._client.aclose())

    def __enter__(self) -> "SyncFacade":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _PagesFacade:
    """``aclient.mailings`` / ``aclient.exports`` with the sync pages' interface: coroutines run and
    waited for; ``rows`` and ``stream`` as the sync context managers (each step on the loop)."""

    def __init__(self, pages: Any) -> None:
        self._pages = pages

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._pages, name)
        if name == "rows":
            return lambda *args, **kwargs: contextlib.closing(_iterate(value(*args, **kwargs)))
        if name == "stream":
            return lambda *args, **kwargs: sync_stream(value(*args, **kwargs))
        if inspect.iscoroutinefunction(value):
            return lambda *args, **kwargs: run(value(*args, **kwargs))
        return value


@contextlib.contextmanager
def sync_stream(manager: Any) -> Iterator[Iterator[bytes]]:
    pieces = run(manager.__aenter__())
    try:
        yield _iterate(pieces)
    except BaseException as exc:
        if not run(manager.__aexit__(type(exc), exc, exc.__traceback__)):
            raise
    else:
        run(manager.__aexit__(None, None, None))


def _iterate(agen: Any) -> Generator[Any, None, None]:
    """An async iterator as a sync one, each step on the facade's loop; closed (on the loop) when
    this one is, so that an async generator left early still ends on its loop."""
    iterator = agen.__aiter__()
    try:
        while True:
            try:
                yield run(iterator.__anext__())
            except StopAsyncIteration:
                return
    finally:
        aclose = getattr(iterator, "aclose", None)
        if aclose is not None:
            run(aclose())


def _is_httpx(session: object) -> bool:
    return type(session).__module__.startswith("httpx")


#: The parameters of ``any_client``: the sync client, and the async one behind the facade.
CLIENTS: dict[str, type[smsc_soap.Client] | type[SyncFacade]] = {"sync": smsc_soap.Client, "async": SyncFacade}
ClientFactory = Callable[..., Any]
