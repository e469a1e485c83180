"""``smsc-soap sandbox``: serve a sandbox until SIGINT/SIGTERM (also ``python -m smsc_soap.sandbox``)."""
from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from typing import Any, Dict, List, Optional, Tuple

from ..sandbox import assumptions as A
from ..sandbox.sandbox import Sandbox
from ..sandbox.service import Account
from .argtypes import OneLineParser, bounded_int, port
from .options import Commands


def account(spec: str) -> Account:
    """``LOGIN:PSW[:BALANCE]``: an account of the sandbox (``--account``)."""
    try:
        return Account.parse(spec)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _apikey(spec: str) -> Tuple[str, str]:
    key, sep, login = spec.rpartition("=")
    if not sep or not key or not login:
        raise argparse.ArgumentTypeError(f"apikey must be KEY=LOGIN, got {spec!r}")
    return key, login


def _senders(spec: str) -> List[str]:
    names = [name.strip() for name in spec.split(",") if name.strip()]
    if not names:
        raise argparse.ArgumentTypeError("--senders needs at least one name")
    return names


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The sandbox's command-line options, on ``parser``."""
    parser.add_argument("--bind", default="127.0.0.1", metavar="ADDRESS", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=port, default=8000, help="port to listen on; 0 takes a free one (default 8000)")
    parser.add_argument(
        "--account", action="append", type=account, default=[], metavar="LOGIN:PSW[:BALANCE]",
        help=f"an account (repeatable); none given: {A.DEMO_LOGIN}:{A.DEMO_PASSWORD}:{A.DEFAULT_BALANCE}",
    )
    parser.add_argument("--apikey", action="append", type=_apikey, default=[], metavar="KEY=LOGIN",
                        help="an API key acting for LOGIN (repeatable)")
    parser.add_argument("--senders", type=_senders, default=None, metavar="NAME,...",
                        help="the only sender names accepted (others get error 6)")
    parser.add_argument("--max-connections", type=bounded_int(1, 1_000_000), default=None, metavar="N",
                        help=f"connections served at once (default {A.MAX_CONNECTIONS}, or fewer when the "
                             "open-file limit is low); past it the oldest idle one is closed")
    parser.add_argument("--latency-ms", type=bounded_int(0, 60_000), default=0, metavar="MS",
                        help="a simulated network round trip: each SOAP request waits MS milliseconds (default 0)")
    parser.add_argument("--callback-url", default=None, metavar="URL",
                        help="post status changes and faked incoming SMS to this handler URL, in the format, charset "
                             "and signature its query asks for (fmt=2|3, charset=..., md5=SECRET or sha1=SECRET)")
    parser.add_argument("--quiet", action="store_true", help="do not log each request to stderr")


def run(args: argparse.Namespace) -> int:
    """Serve until SIGINT or SIGTERM; 0 on a clean stop, 2 if the sandbox cannot start."""
    apikeys: Dict[str, str] = dict(args.apikey)
    try:  # no --account: the Sandbox's demo account
        sandbox = Sandbox(args.account or None, apikeys=apikeys, senders=args.senders, host=args.bind,
                          port=args.port, realtime=True, max_connections=args.max_connections,
                          latency=args.latency_ms / 1000, callback_url=args.callback_url)
    except ValueError as exc:  # an --apikey for a login no --account gives, or a bad --callback-url
        what = "--callback-url" if args.callback_url and "callback_url" in str(exc) else "--apikey: no such account"
        print(f"smsc-soap sandbox: {what}: {exc}", file=sys.stderr)
        return 2
    accounts = [sandbox.service.account(login) for login in sandbox.service.logins]
    if not args.quiet:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        logger = logging.getLogger("smsc_soap.sandbox")
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)

    try:
        sandbox.start()
    except (OSError, ValueError, OverflowError) as exc:  # ValueError: e.g. a NUL in --bind
        print(f"smsc-soap sandbox: cannot listen on {args.bind}:{args.port}: {exc}", file=sys.stderr)
        return 2

    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        # First the endpoint to give the client (SMSC_URL=, url=), then the WSDL for other SOAP clients.
        print(f"URL: {sandbox.url}", flush=True)
        print(f"WSDL: {sandbox.wsdl_url}", flush=True)
        for held in accounts:
            print(f"account: login={held.login} psw={held.psw} balance={held.balance}")
        for key, login in apikeys.items():
            print(f"apikey: {key} -> {login}")
        if args.senders is not None:
            print(f"senders: {', '.join(args.senders)}")
        if sandbox.callbacks is not None:
            print(f"callbacks: {sandbox.callbacks.target!r}")
        print("serving; stop with Ctrl+C (SIGINT) or SIGTERM", flush=True)
        while not stop.wait(0.2):
            pass
    finally:
        sandbox.stop()
        for sig, old in previous.items():
            signal.signal(sig, old)
    print("stopped", flush=True)
    return 0


def add_command(commands: Commands) -> None:
    """Add ``smsc-soap sandbox``."""
    sandbox = commands.add_parser("sandbox", help="serve a local SMSC SOAP sandbox until interrupted")
    add_arguments(sandbox)
    sandbox.set_defaults(run=lambda args, ctx: run(args))


def main(argv: Optional[List[str]] = None) -> int:
    parser = OneLineParser(prog="python -m smsc_soap.sandbox", description="A local SMSC SOAP sandbox.")
    add_arguments(parser)
    return run(parser.parse_args(argv))
