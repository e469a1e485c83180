"""``smsc-soap``'s parser, made of the subcommands' parts, and :func:`main`: the one place
exceptions become exit codes."""
from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Callable, Mapping, Optional, Sequence

from .. import errors
from .._version import __version__
from ..redact import Secret, redact
from . import bulk, listen, pages, sandbox, soap
from .argtypes import OneLineParser
from .context import Context, Sleep
from .exits import EXIT_BY_ERROR, EXIT_INTERRUPTED, EXIT_OK, file_problem
from .options import EPILOG
from .output import Output, say, to_devnull

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="smsc-soap", description="SMSC SOAP client and local sandbox.",
                           epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"smsc-soap {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    soap.add_commands(commands)  # send, cost, parts, status, balance
    pages.add_commands(commands)  # operator, jobs, exports: the HTTP pages beside SOAP
    bulk.add_command(commands)  # many messages
    soap.add_wsdl_command(commands)
    sandbox.add_command(commands)  # a local sandbox, served until interrupted
    listen.add_command(commands)  # the service's callbacks, received locally
    return parser


def _message(exc: BaseException) -> str:
    """The one line to show for ``exc``."""
    if isinstance(exc, errors.SendOutcomeUnknown):
        phone = exc.phones[0] if exc.phones else "PHONE"
        return (f"{exc.operation}: the outcome of the send is unknown ({type(exc.cause).__name__}: "
                f"{exc.cause}); it was not repeated. Before sending again, check whether it arrived: "
                f"smsc-soap status {phone} {exc.id}")
    if isinstance(exc, OSError):
        return file_problem(exc)
    return str(exc)


def _interrupted(ctx: Context) -> str:
    """The one line for Ctrl+C: during a send, its id and how to check whether it went."""
    if ctx.sending is None:
        return "interrupted"
    phone, id = ctx.sending
    if ctx.sent:
        return f"interrupted after message id {id} was sent; its status: smsc-soap status {phone} {id}"
    return (f"interrupted during the send of message id {id}: it may have been sent. Before "
            f"sending again, check whether it arrived: smsc-soap status {phone} {id}")


def main(argv: Optional[Sequence[str]] = None, *, sleep: Sleep = time.sleep,
         env: Optional[Mapping[str, str]] = None) -> int:
    """Run ``smsc-soap`` with ``argv``; the exit code. ``sleep`` and ``env`` are for tests."""
    args = build_parser().parse_args(argv)
    ctx = Context(env=os.environ if env is None else env, sleep=sleep,
                  out=Output(getattr(args, "json", False)), whole_process=argv is None)
    run: Callable[[argparse.Namespace, Context], int] = args.run
    try:
        code = run(args, ctx)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's flush at exit
        return code
    except BrokenPipeError:  # the reader of stdout left (`| head`): what was asked was done
        to_devnull(sys.stdout)
        return EXIT_OK
    except tuple(cls for cls, _ in EXIT_BY_ERROR) as exc:
        say(redact(_message(exc), map(Secret, ctx.secrets)))
        return next(code for cls, code in EXIT_BY_ERROR if isinstance(exc, cls))
    except KeyboardInterrupt:
        say(_interrupted(ctx))
        return EXIT_INTERRUPTED
