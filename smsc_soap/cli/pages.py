"""``smsc-soap jobs``, ``operator`` and ``exports``: the HTTP pages beside SOAP from a shell.

Registered by :func:`smsc_soap.cli.build_parser` (:func:`add_commands`); the same credentials,
``--sandbox``, ``--json`` and exit codes (:data:`smsc_soap.cli.EXIT_CODES`) as every command.
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import importlib
import os
import stat
import sys
import typing
from typing import IO, TYPE_CHECKING, Any, Callable, Iterator, Optional

from .. import errors, spec
from ..client import Client
from .._files import whole_or_nothing
from ..query import EXTENDED_PARAMS, MAILING_SHARED
from .argtypes import bounded_int, id_or_name, whole
from .connection import connect
from .context import Context
from .exits import EXIT_OK, FileError, UsageError, file_problem
from .extended import HINTS, converter, kinds
from .options import Commands, leaf
from .output import say

if TYPE_CHECKING:  # pragma: no cover
    from ..sandbox import Sandbox

#: With --sandbox the account holds one daily mailing (id 1, sent twice, the first time now) and one
#: export task, done, of its sends.
SANDBOX_MAILING = ("demo", "79999999999", "Hello from the sandbox")
SANDBOX_EXPORT_NAME = "demo"
#: Plain progress lines (not a terminal, or no tqdm): one per this many bytes.
PROGRESS_LINE_BYTES = 10 * 1024 * 1024


def _seed(sandbox: "Sandbox", client: Client) -> None:
    """With --sandbox: one mailing's sends and a done export to look at."""
    from ..sandbox.exports import EXPORT_RUN_SECONDS, EXPORT_WAIT_SECONDS  # --sandbox only

    client.mailings.add(SANDBOX_MAILING[0], *SANDBOX_MAILING[1:], rpt="daily", rptn=2)
    sandbox.add_export(SANDBOX_EXPORT_NAME)
    sandbox.advance(EXPORT_WAIT_SECONDS + EXPORT_RUN_SECONDS)


@contextlib.contextmanager
def _connect(args: argparse.Namespace, ctx: Context) -> Iterator[Client]:
    """The command's client; with --sandbox, a sandbox holding one mailing's sends and a done export."""
    with connect(args, ctx, _seed) as (client, _):
        yield client


# --- operator -----------------------------------------------------------------------------------


def cmd_operator(args: argparse.Namespace, ctx: Context) -> int:
    with _connect(args, ctx) as client:
        for info in client.operator(args.phones):
            ctx.out.result("operator", info)
            if not ctx.out.json and len(args.phones) > 1:
                print(file=ctx.out.stream)
    return EXIT_OK


# --- jobs ---------------------------------------------------------------------------------------


def _mailing_extended(args: argparse.Namespace) -> typing.Dict[str, Any]:
    names = (*MAILING_SHARED, "rpt", "rptn", "sender2", "mes2", "tpl", "cost")
    return {name: value for name in names if (value := getattr(args, f"x_{name}", None)) is not None}


def cmd_jobs_add(args: argparse.Namespace, ctx: Context) -> int:
    extended = _mailing_extended(args)
    with _connect(args, ctx) as client:
        try:
            result = client.mailings.add(args.name, args.phones, args.mes, sender=args.sender, time=args.time,
                                         **extended)
        except errors.SendOutcomeUnknown as lost:
            raise errors.TransportError(
                f"jobs add: the outcome is unknown ({type(lost.cause).__name__}: {lost.cause}); it was not "
                "repeated. Before adding it again, check whether it exists: smsc-soap jobs list") from None
    ctx.out.result("mailing", result)
    return EXIT_OK


def cmd_jobs_list(args: argparse.Namespace, ctx: Context) -> int:
    with _connect(args, ctx) as client:
        mailings = client.mailings.get_all(args.start, args.end)
    for mailing in mailings:
        ctx.out.result("mailing", mailing)
    return EXIT_OK


def cmd_jobs_get(args: argparse.Namespace, ctx: Context) -> int:
    with _connect(args, ctx) as client:
        ctx.out.result("mailing", client.mailings.get(args.id))
    return EXIT_OK


def cmd_jobs_cancel(args: argparse.Namespace, ctx: Context) -> int:
    with _connect(args, ctx) as client:
        client.mailings.cancel(args.id)
    ctx.out.result("cancelled", _Done(args.id))
    return EXIT_OK


def cmd_jobs_delete(args: argparse.Namespace, ctx: Context) -> int:
    with _connect(args, ctx) as client:
        client.mailings.delete(args.id)
    ctx.out.result("deleted", _Done(args.id))
    return EXIT_OK


@dataclasses.dataclass(frozen=True)
class _Done:
    id: int


# --- exports ------------------------------------------------------------------------------------


def cmd_exports_list(args: argparse.Namespace, ctx: Context) -> int:
    with _connect(args, ctx) as client:
        tasks = client.exports.get_list(args.cnt, args.after_id)
    for task in tasks:
        ctx.out.result("export", task)
    return EXIT_OK


def cmd_exports_get(args: argparse.Namespace, ctx: Context) -> int:
    task: Optional[int] = args.task if isinstance(args.task, int) else None
    name = None if task is not None else args.task
    if args.output in (None, "-"):
        progress = _progress(quiet=ctx.out.json or sys.stdout.isatty())
        written = _download(args, ctx, task, name, sys.stdout.buffer, progress)
    else:  # the library's writer: whole or nothing, never through a link, never a wider mode than the file's
        _check_output(args.output)
        progress = _progress(quiet=ctx.out.json)
        try:
            with whole_or_nothing(args.output) as out:
                written = _download(args, ctx, task, name, out, progress)
        except OSError as exc:  # the file's: the service's errors are the library's, never OSErrors
            raise FileError(f"{file_problem(exc)}; nothing was written to {args.output}") from None
    progress(0)  # the last count, once the file is whole and in place: nothing on stderr can undo it
    if args.output not in (None, "-"):
        ctx.out.result("export file", _Written(args.output, written))
    return EXIT_OK


def _check_output(path: str) -> None:
    """A path the file cannot be put at is refused before the download, which it would cost
    (the file is renamed into place at the end): a missing directory, a directory."""
    directory = os.path.dirname(path) or "."
    if not os.path.basename(path):
        raise UsageError(f"-o {path}: not a file name; nothing was downloaded")
    if not os.path.isdir(directory):
        problem = "not a directory" if os.path.lexists(directory) else "no such directory"
        raise UsageError(f"-o {path}: {problem}: {directory}; nothing was downloaded")
    try:
        is_directory = stat.S_ISDIR(os.lstat(path).st_mode)  # a link is replaced, never followed
    except FileNotFoundError:
        return
    except OSError as exc:
        raise FileError(f"{file_problem(exc)}; nothing was downloaded") from None
    if is_directory:
        raise UsageError(f"-o {path}: is a directory; give the file's name; nothing was downloaded")


@dataclasses.dataclass(frozen=True)
class _Written:
    file: str
    bytes: int


def _download(args: argparse.Namespace, ctx: Context, task: Optional[int], name: Optional[str],
              out: IO[bytes], progress: Callable[[int], None]) -> int:
    written = 0
    with _connect(args, ctx) as client, client.exports.stream(task, name=name) as pieces:
        for piece in pieces:
            out.write(piece)
            written += len(piece)
            progress(len(piece))
    out.flush()
    return written


def _progress(*, quiet: bool) -> Callable[[int], None]:
    """Progress on stderr: a tqdm bar on a terminal (the ``cli`` extra), else a line per 10 MB;
    nothing when quiet (JSON output, or the file itself going to the terminal). ``progress(0)``:
    the end (the last count, the bar closed)."""
    if quiet:
        return lambda size: None
    if sys.stderr.isatty():
        try:
            tqdm: Any = importlib.import_module("tqdm")
        except ImportError:
            pass
        else:
            bar = tqdm.tqdm(unit="B", unit_scale=True, desc="export", file=sys.stderr)
            return lambda size: bar.update(size) if size else bar.close()
    state = {"total": 0, "shown": 0}

    def line(size: int) -> None:
        state["total"] += size
        if state["total"] - state["shown"] >= PROGRESS_LINE_BYTES or (size == 0 and state["total"] != state["shown"]):
            state["shown"] = state["total"]
            say(f"{state['total']} bytes written")  # dropped if nobody reads stderr: never stops the download

    return line


# --- the parser ---------------------------------------------------------------------------------


def _mailing_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("mailing parameters", "the parameters of page 000, checked by the library")
    for name in MAILING_SHARED:
        accepted = kinds(HINTS[name])
        if bool in accepted:
            group.add_argument(f"--{name}", dest=f"x_{name}", action="store_const", const=1, help=f"{name}=1")
        else:
            group.add_argument(f"--{name}", dest=f"x_{name}", metavar=name.upper(), type=converter(accepted))
    repeats = ", ".join(f"{code} {label}" for code, label in spec.MAILING_REPEATS.items())
    group.add_argument("--rpt", dest="x_rpt", type=converter({int, str}), help=f"repeat: {repeats}")
    group.add_argument("--rptn", dest="x_rptn", type=whole, help="how many times it is sent at most")
    group.add_argument("--sender2", dest="x_sender2", help="sender name of the SMS fallback")
    group.add_argument("--mes2", dest="x_mes2", help="text of the SMS fallback (sends fl[5]=1)")
    group.add_argument("--tpl", dest="x_tpl", type=whole, help="template id (give an empty MES)")
    group.add_argument("--cost", dest="x_cost", type=whole, choices=spec.MAILING_COST_CHOICES,
                       help="1 price only (nothing created), 2 add the cost, 3 also the new balance")
    assert set(MAILING_SHARED) <= set(EXTENDED_PARAMS)


def _date(text: str) -> Any:
    from datetime import datetime
    try:
        return datetime.strptime(text, spec.MAILING_DATE_FORMAT).date()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date dd.mm.yyyy") from None


def add_commands(commands: Commands) -> None:
    """Add ``operator``, ``jobs`` and ``exports`` to ``smsc-soap``'s subcommands."""

    operator = leaf(commands, "operator", cmd_operator, "the operator, country and region of numbers (page 001)")
    operator.add_argument("phones", nargs="+", metavar="PHONE", help="a phone number")

    jobs = commands.add_parser("jobs", help="mass mailings (page 000): add, list, get, cancel, delete",
                               description="mass mailings (page 000)").add_subparsers(
        dest="action", required=True, metavar="ACTION")
    add = leaf(jobs, "add", cmd_jobs_add, "create a mailing")
    add.add_argument("name", help="the mailing's name")
    add.add_argument("phones", nargs="?", help="recipients, separated by ',' or ';' (omit with --list)")
    add.add_argument("mes", nargs="?", help="the text (omit with --list; empty with --tpl)")
    add.add_argument("--sender", help="sender name registered in the account")
    add.add_argument("--time", help="when: DDMMYYhhmm, 'DD.MM.YY hh:mm', h1-h2, 0<unix time>, +minutes")
    _mailing_options(add)
    listing = leaf(jobs, "list", cmd_jobs_list, "the mailings (default: the last two months, at most ten)")
    listing.add_argument("--start", type=_date, help="from this date, dd.mm.yyyy")
    listing.add_argument("--end", type=_date, help="up to this date, dd.mm.yyyy")
    for name, run, help in (("get", cmd_jobs_get, "one mailing"),
                            ("cancel", cmd_jobs_cancel, "stop a mailing that waits to be sent"),
                            ("delete", cmd_jobs_delete, "delete a mailing")):
        leaf(jobs, name, run, help).add_argument("id", type=bounded_int(1, spec.PAGE_IDS.high), help="the mailing's id")

    exports = commands.add_parser("exports", help="deferred export tasks (page 002): list, get",
                                  description="deferred export tasks (page 002)").add_subparsers(
        dest="action", required=True, metavar="ACTION")
    listed = leaf(exports, "list", cmd_exports_list, "the export tasks")
    listed.add_argument("--cnt", type=whole, help="at most this many")
    listed.add_argument("--after-id", dest="after_id", type=whole, help="only those after this id")
    got = leaf(exports, "get", cmd_exports_get, "download a done task's CSV file")
    got.add_argument("task", type=id_or_name, help="the task's id, or its file name")
    got.add_argument("-o", "--output", help="write to this file (default: stdout)")

