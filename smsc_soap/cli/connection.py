"""The client a command talks through: the service's, or that of a sandbox running inside the
command (``--sandbox``), whose clock moves instead of sleeping."""
from __future__ import annotations

import argparse
import contextlib
from typing import TYPE_CHECKING, Callable, Iterator, Optional, Tuple

from ..client import Client
from .context import Context, Sleep, credentials, endpoint, request_timeout
from .exits import UsageError

if TYPE_CHECKING:  # pragma: no cover
    from ..sandbox import Sandbox

__all__ = ["Prepare", "connect", "embedded_sandbox"]

#: What a subcommand puts into the embedded sandbox before it runs (a mailing, an export).
Prepare = Callable[["Sandbox", Client], None]


@contextlib.contextmanager
def embedded_sandbox(args: argparse.Namespace, prepare: Optional[Prepare] = None) -> Iterator[Tuple[Client, Sleep]]:
    """A client of a sandbox inside this process; its clock moves instead of sleeping."""
    from ..sandbox import Sandbox  # loaded for --sandbox only: the server is not light
    from ..sandbox.assumptions import DEMO_LOGIN, DEMO_PASSWORD

    accounts = getattr(args, "account", None) or None  # bulk's --account LOGIN:PSW:BALANCE
    login, psw = (accounts[0].login, accounts[0].psw) if accounts else (DEMO_LOGIN, DEMO_PASSWORD)
    with Sandbox(accounts) as sandbox:
        with Client(login, psw, url=sandbox.url, timeout=request_timeout(args)) as client:
            if prepare is not None:
                prepare(sandbox, client)
            yield client, sandbox.advance


@contextlib.contextmanager
def connect(args: argparse.Namespace, ctx: Context,
            prepare: Optional[Prepare] = None) -> Iterator[Tuple[Client, Sleep]]:
    """The client for this command, and how to let time pass between status requests."""
    if args.sandbox:
        if args.login or args.host or args.url:
            raise UsageError("--sandbox serves its own demo account: drop --login, --host and --url")
        with embedded_sandbox(args, prepare) as connection:
            yield connection
        return
    with Client(**credentials(args, ctx), **endpoint(args, ctx.env), timeout=request_timeout(args)) as client:
        yield client, ctx.sleep
