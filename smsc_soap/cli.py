"""The ``smsc-soap`` command: the SMSC SOAP service from a shell.

``send``, ``cost``, ``status`` and ``balance`` call the service (or, with ``--sandbox``, a
sandbox running inside the command); ``wsdl`` prints the vendored WSDL for an endpoint;
``sandbox`` serves a local sandbox. Credentials come from the environment (or a password
prompt), never from the command line. Every error is one line on stderr and an exit code from
:data:`EXIT_CODES`.
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import enum
import getpass
import json
import os
import re
import sys
import time
import typing
from datetime import datetime
from decimal import Decimal
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Set, Tuple, Type, TypedDict

from . import env as env_names
from . import __version__, cli_channels, errors, spec
from ._argtypes import (
    OneLineParser, checked, message_id, positive_seconds, service_host, service_url, whole, xml_text,
)
from ._wsdl import endpoint_url, wsdl_for
from ._core import calls
from ._core.journal import JournalError, JournalLocked
from ._core.settings import DEFAULT_TIMEOUT, Timeout
from .client import Client, new_message_id  # noqa: F401 - importable from here before
from .params import split_phones
from .query import EXTENDED_PARAMS, HTTP_PAGE, SOAP_PAGE, ExtendedParams, build_query
from .redact import Secret, redact
from .results import DeliveryStatus

# --- exit codes: the one table, and the one place that maps exceptions to it -------------

EXIT_OK = 0
EXIT_SERVICE = 1
EXIT_USAGE = 2
EXIT_TRANSPORT = 3
EXIT_PENDING = 4
EXIT_NOT_DELIVERED = 5
EXIT_LOCKED = 6
EXIT_INTERRUPTED = 130

#: code -> when (the README's table is this one).
EXIT_CODES: Mapping[int, str] = {
    EXIT_OK: "success, also when the reader of the output stops early (| head): a send that went "
             "must not look failed, or it would be sent again",
    EXIT_SERVICE: "the service answered with an error code (the message names the code and its meaning)",
    EXIT_USAGE: "usage or validation error: nothing was sent",
    EXIT_TRANSPORT: "transport error: timeout, TLS, connection, or an answer that is not the service's",
    EXIT_PENDING: "--wait: the status was not final within --timeout",
    EXIT_NOT_DELIVERED: "--wait: the final status is a failure (expired, impossible to deliver, invalid or "
                        "unavailable number, prohibited, insufficient funds): the message will not arrive; "
                        "with several numbers, if any one failed",
    EXIT_LOCKED: "bulk: the journal is in use by another run (locked): nothing was sent by this one",
    EXIT_INTERRUPTED: "interrupted (Ctrl+C): during a send, the message id and the command that "
                      "checks whether it went are printed",
}


class UsageError(Exception):
    """A command line we cannot run (exit 2)."""


class StillPending(Exception):
    """``status --wait`` gave up before the status became final (exit 4)."""


class NotDelivered(Exception):
    """``--wait`` saw a final status that is not a delivery (exit 5)."""


#: The final statuses that mean the message arrived; every other final status is a failure.
DELIVERED_STATUSES = frozenset({DeliveryStatus.DELIVERED, DeliveryStatus.READ, DeliveryStatus.LINK_CLICKED})


#: Exception -> exit code; the first matching row wins.
_EXIT_BY_ERROR: Tuple[Tuple[Type[Exception], int], ...] = (
    (UsageError, EXIT_USAGE),
    (errors.ValidationError, EXIT_USAGE),
    (JournalLocked, EXIT_LOCKED),
    (JournalError, EXIT_USAGE),
    (errors.ApiError, EXIT_SERVICE),
    (errors.TransportError, EXIT_TRANSPORT),
    (StillPending, EXIT_PENDING),
    (NotDelivered, EXIT_NOT_DELIVERED),
)


# --- environment and limits ---------------------------------------------------------------

# The names live in smsc_soap.env, shared with Client.from_env; kept importable from here.
ENV_LOGIN, ENV_PASSWORD, ENV_APIKEY = env_names.ENV_LOGIN, env_names.ENV_PASSWORD, env_names.ENV_APIKEY
ENV_HOST, ENV_URL = env_names.ENV_HOST, env_names.ENV_URL

#: The SOAP page, get_status error 9: "more than five requests for the status of the same
#: message within a minute" (spec.RATE_LIMITS).
STATUS_REQUESTS_PER_MINUTE = spec.RATE_LIMITS[spec.STATUS].requests
#: Seconds between two status requests of ``status --wait``: keeps under that limit.
POLL_INTERVAL = 60.0 / STATUS_REQUESTS_PER_MINUTE
#: How long ``status --wait`` waits for a final status unless told otherwise.
DEFAULT_WAIT_TIMEOUT = 600.0
#: With ``--sandbox``, ``send`` asks for cost=3 so that cost and the new balance come back.
SANDBOX_SEND_COST = 3
#: Extended parameters that get no option: the API key is a secret (SMSC_APIKEY only).
SECRET_PARAMS = frozenset({"apikey"})

Sleep = Callable[[float], Any]


# --- extended-parameter options, generated from smsc_soap.query's table --------------------

_HINTS = typing.get_type_hints(ExtendedParams)
_PAGES = {SOAP_PAGE: "the SOAP page", HTTP_PAGE: "the HTTP mailing page"}


def _kinds(hint: Any) -> Set[type]:
    """The command-line kinds (bool, int, float, str) a type hint of ExtendedParams admits."""
    origin = typing.get_origin(hint)
    if origin is typing.Union:
        return set().union(*map(_kinds, typing.get_args(hint)))
    if origin is typing.Literal:
        return {type(value) for value in typing.get_args(hint)}
    return {hint} & {bool, int, float, str}


def _converter(kinds: Set[type]) -> Callable[[str], Any]:
    """Text -> the Python value the library expects; anything else is left for it to refuse."""

    def convert(text: str) -> Any:
        if int in kinds and re.fullmatch(r"-?[0-9]+", text):
            return int(text)
        if float in kinds and re.fullmatch(r"-?[0-9]*\.[0-9]+", text):
            return float(text)
        return xml_text(text)

    return convert


def add_extended_options(parser: argparse.ArgumentParser) -> None:
    """One ``--NAME`` per row of :data:`smsc_soap.query.EXTENDED_PARAMS` (values checked there)."""
    group = parser.add_argument_group(
        "extended parameters", "the query parameters of the *2 methods, checked by the library before sending")
    for name, param in EXTENDED_PARAMS.items():
        if name in SECRET_PARAMS:
            continue
        hint = _HINTS[name]
        kinds = _kinds(hint)
        source = _PAGES.get(param.source, param.source)
        if bool in kinds:  # a 0/1 flag: present means 1
            group.add_argument(f"--{name}", dest=f"x_{name}", action="store_const", const=1,
                               help=f"{name}=1, see {source}")
            continue
        if typing.get_origin(hint) is typing.Literal:
            metavar = "{" + ",".join(map(str, typing.get_args(hint))) + "}"
        else:
            metavar = name.upper()
        group.add_argument(f"--{name}", dest=f"x_{name}", metavar=metavar, type=_converter(kinds),
                           help=f"{name}={metavar}, see {source}")


def extended_values(args: argparse.Namespace) -> Dict[str, Any]:
    """The extended parameters given, checked now so that no password is asked for in vain."""
    given = {name: value for name in EXTENDED_PARAMS if (value := getattr(args, f"x_{name}", None)) is not None}
    build_query(**given)
    return given


# --- credentials and endpoint: environment, options, or a prompt; never a password argument ---


@dataclasses.dataclass
class Context:
    """What a command needs besides its arguments; tests inject ``sleep`` and ``env``."""

    env: Mapping[str, str]
    sleep: Sleep
    out: "Output"
    secrets: List[str] = dataclasses.field(default_factory=list)
    #: (phone, id) of a send under way, or done: what Ctrl+C tells the user to check.
    sending: Optional[Tuple[str, str]] = None
    sent: bool = False


class _Endpoint(TypedDict):
    host: Optional[str]
    url: Optional[str]


class _Credentials(TypedDict, total=False):
    login: str
    psw: str
    apikey: str


def _endpoint(args: argparse.Namespace, env: Mapping[str, str]) -> _Endpoint:
    """``--host``/``--url``, else ``SMSC_HOST``/``SMSC_URL``, else the library's default host."""
    if args.host or args.url:
        return {"host": args.host, "url": args.url}
    host, url = env.get(ENV_HOST) or None, env.get(ENV_URL) or None
    try:  # the same checks as --host and --url
        return {"host": host and checked(service_host, host, ENV_HOST),
                "url": url and checked(service_url, url, ENV_URL)}
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _password(login: str) -> str:
    if not sys.stdin.isatty():
        raise UsageError(f"no password for {login!r}: set {ENV_PASSWORD} (a password is never taken from "
                         "the command line), or run in a terminal to be asked for it")
    return getpass.getpass(f"SMSC password for {login}: ")


def _credentials(args: argparse.Namespace, ctx: Context) -> _Credentials:
    """``SMSC_APIKEY`` unless ``--login`` is given; else the login and ``SMSC_PASSWORD`` or a prompt."""
    apikey = ctx.env.get(ENV_APIKEY)
    if apikey and not args.login:
        ctx.secrets.append(apikey)
        if _has_control_character(apikey):
            raise UsageError(f"{ENV_APIKEY}: the key contains a control character a SOAP request cannot carry")
        return {"apikey": apikey}
    login = args.login or ctx.env.get(ENV_LOGIN)
    if not login:
        raise UsageError(f"no credentials: set {ENV_LOGIN} and {ENV_PASSWORD} (or {ENV_APIKEY}), "
                         "or try --sandbox")
    try:
        checked(xml_text, login, ENV_LOGIN)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    password = ctx.env.get(ENV_PASSWORD) or _password(login)
    ctx.secrets.append(password)
    if _has_control_character(password):  # never echoed: it is the secret
        raise UsageError(f"{ENV_PASSWORD}: the password contains a control character a SOAP request cannot carry")
    return {"login": login, "psw": password}


def _has_control_character(text: str) -> bool:
    try:
        xml_text(text)
    except argparse.ArgumentTypeError:
        return True
    return False


def _timeout(args: argparse.Namespace) -> Timeout:
    """``--request-timeout``: the client's limit on each call (else the library's default)."""
    seconds: Optional[float] = getattr(args, "request_timeout", None)
    return DEFAULT_TIMEOUT if seconds is None else seconds


@contextlib.contextmanager
def _embedded_sandbox(args: argparse.Namespace) -> Iterator[Tuple[Client, Sleep]]:
    """A client of a sandbox inside this process; its clock moves instead of sleeping."""
    from .sandbox import Sandbox
    from .sandbox.assumptions import DEMO_LOGIN, DEMO_PASSWORD

    accounts = getattr(args, "account", None) or None  # bulk's --account LOGIN:PSW:BALANCE
    login, psw = (accounts[0].login, accounts[0].psw) if accounts else (DEMO_LOGIN, DEMO_PASSWORD)
    with Sandbox(accounts) as sandbox:
        with Client(login, psw, url=sandbox.url, timeout=_timeout(args)) as client:
            yield client, sandbox.advance


@contextlib.contextmanager
def connect(args: argparse.Namespace, ctx: Context) -> Iterator[Tuple[Client, Sleep]]:
    """The client for this command, and how to let time pass between status requests."""
    if args.sandbox:
        if args.login or args.host or args.url:
            raise UsageError("--sandbox serves its own demo account: drop --login, --host and --url")
        with _embedded_sandbox(args) as connection:
            yield connection
        return
    with Client(**_credentials(args, ctx), **_endpoint(args, ctx.env), timeout=_timeout(args)) as client:
        yield client, ctx.sleep


# --- output: human-readable lines, or one JSON object per result ---------------------------

_LABELS = {"cnt": "parts"}


def _plain(value: Any) -> Any:
    """A JSON value: Decimal as a string, codes as ints, datetimes in ISO 8601."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple) and hasattr(value, "_asdict"):
        return {key: _plain(item) for key, item in value._asdict().items()}
    if isinstance(value, (tuple, list)):
        return [_plain(item) for item in value]
    return value


def _human(value: Any) -> str:
    if isinstance(value, enum.Enum):
        return f"{value.value} {value.title}"  # type: ignore[attr-defined]
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return ": ".join(_human(item) for item in value)
    return str(value)


def _fields(result: Any) -> Iterator[Tuple[str, Any]]:
    """A result's fields in their order, without ``raw`` and without absent values."""
    for field in dataclasses.fields(result):
        value = getattr(result, field.name)
        if field.name != "raw" and value is not None and value != ():
            yield field.name, value


class Output:
    """Where results go: aligned ``label value`` lines, or JSON lines for scripts."""

    def __init__(self, as_json: bool, stream: Optional[typing.TextIO] = None) -> None:
        self.json = as_json
        self.stream = stream if stream is not None else sys.stdout

    def line(self, label: str, value: Any) -> None:
        print(f"{label:<12} {_human(value)}", file=self.stream)

    def result(self, kind: str, result: Any, **context: Any) -> None:
        fields = dict(context, **dict(_fields(result)))
        if self.json:
            obj = {"type": kind, **{name: _plain(value) for name, value in fields.items()}}
            if hasattr(result, "final"):
                obj["final"] = result.final
            print(json.dumps(obj, ensure_ascii=False), file=self.stream)
            return
        for name, value in fields.items():
            for item in (value if name == "errors" else (value,)):  # errors: one line per phone
                self.line(_LABELS.get(name, name.replace("_", " ")), item)
        self.stream.flush()


def _progress(args: argparse.Namespace, ctx: Context, phone: str) -> Optional[Callable[[Any], None]]:
    """A note on stderr each time a waited-for status changes (not for JSON or the sandbox)."""
    if ctx.out.json or args.sandbox:
        return None
    return lambda status: _say(f"{phone}: {_human(status.status)}; asking again in {POLL_INTERVAL:g} s")


# --- waiting for a final status ------------------------------------------------------------


def wait_final(client: Client, phone: str, id: str, *, sleep: Sleep, timeout: float,
               all: int = 0, interval: float = POLL_INTERVAL,
               on_change: Optional[Callable[[Any], None]] = None) -> Any:
    """Poll get_status every ``interval`` seconds until the status is final or ``timeout``
    seconds of waiting have passed; the last status either way. An error 9 (too many status
    requests) only means "ask again later", unless no status came at all."""
    waited, last, refused = 0.0, None, None
    while True:
        pause = interval
        try:
            status = client.get_status(phone, id, all=all)
        except errors.RateLimited as exc:  # the client's own back-off says how long to keep off
            refused = exc
            pause = max(interval, getattr(exc, "retry_after", None) or 0.0)
        else:
            if status.final:
                return status
            if on_change is not None and (last is None or status.status != last.status):
                on_change(status)
            last = status
        if waited + pause > timeout:
            if last is None and refused is not None:
                raise refused
            return last
        sleep(pause)
        waited += pause


def _not_delivered(phone: str, status: Any) -> Optional[NotDelivered]:
    """The error for a final status that is a failure, else None."""
    if not status.final or status.status in DELIVERED_STATUSES:
        return None
    return NotDelivered(f"{phone}: not delivered: the final status is {_human(status.status)}")


def _pending(phone: str, status: Any, timeout: float) -> StillPending:
    return StillPending(f"{phone}: still {_human(status.status)} after {timeout:g} s of waiting "
                        "(the status is not final)")


# --- the subcommands: one function each ----------------------------------------------------


def _recipients(phones: str, result: Any) -> List[str]:
    """The phone numbers a send went to, less those its ``errors`` list refused."""
    refused = {error.phone.lstrip("+") for error in result.errors}
    return [entry for entry in split_phones(phones)
            if re.fullmatch(r"\+?[0-9]+", entry) and entry.lstrip("+") not in refused]


def cmd_send(args: argparse.Namespace, ctx: Context) -> int:
    extended, sender = cli_channels.channel_values(args, extended_values(args), args.sender)
    with connect(args, ctx) as (client, sleep):
        if args.sandbox:
            extended.setdefault("cost", SANDBOX_SEND_COST)
        # the id is chosen here, as the client would derive it, so that Ctrl+C mid-send can name it
        operation = "send_sms2" if extended else "send_sms"
        message_id = args.id or calls.default_send_id(operation, args.phones, args.mes, sender, args.time,
                                                      extended, login=client.login)
        fields = {"id": message_id, "sender": sender, "time": args.time}
        ctx.sending = (_first_phone(args.phones), fields["id"])
        if extended:
            result = client.send_sms2(args.phones, args.mes, **fields, **extended)
        else:
            result = client.send_sms(args.phones, args.mes, **fields)
        ctx.sent = True
        ctx.out.result("send", result)
        if (args.wait or args.sandbox) and args.phones is not None:
            _show_delivery(args, ctx, client, sleep, result)
    return EXIT_OK


def _first_phone(phones: Optional[str]) -> str:
    """The first recipient of ``phones`` (for a hint), or ``PHONE`` when there is none (``--list``)."""
    entries = split_phones(phones) if phones else []
    return entries[0] if entries else "PHONE"


def _show_delivery(args: argparse.Namespace, ctx: Context, client: Client, sleep: Sleep, sent: Any) -> None:
    """After a send: each recipient's final status (one ``status`` line, or a JSON object each)."""
    phones = _recipients(args.phones, sent)
    pending: List[Exception] = []
    failed: List[Exception] = []
    for phone in phones:
        status = wait_final(client, phone, sent.id, sleep=sleep, timeout=args.timeout,
                            on_change=_progress(args, ctx, phone))
        if ctx.out.json:
            ctx.out.result("status", status, phone=phone, id=sent.id)
        else:
            ctx.out.line("status", f"{phone}: {_human(status.status)}" if len(phones) > 1 else status.status)
        if not status.final:
            pending.append(_pending(phone, status, args.timeout))
        elif args.wait and (failure := _not_delivered(phone, status)) is not None:
            failed.append(failure)
    if failed or pending:  # a failure is known for sure: it wins over a status still open
        raise (failed + pending)[0]


def cmd_cost(args: argparse.Namespace, ctx: Context) -> int:
    extended, _ = cli_channels.channel_values(args, extended_values(args), None)
    with connect(args, ctx) as (client, _):
        if extended:
            result = client.get_sms_cost2(args.phones, args.mes, **extended)
        else:
            result = client.get_sms_cost(args.phones, args.mes)
    ctx.out.result("cost", result)
    return EXIT_OK


def cmd_status(args: argparse.Namespace, ctx: Context) -> int:
    with connect(args, ctx) as (client, sleep):
        if args.wait:
            result = wait_final(client, args.phone, args.id, sleep=sleep, timeout=args.timeout,
                                all=args.all, on_change=_progress(args, ctx, args.phone))
        else:
            result = client.get_status(args.phone, args.id, all=args.all)
    ctx.out.result("status", result, phone=args.phone, id=args.id)
    if args.wait and not result.final:
        raise _pending(args.phone, result, args.timeout)
    failure = _not_delivered(args.phone, result) if args.wait else None
    if failure is not None:
        raise failure
    return EXIT_OK


def cmd_balance(args: argparse.Namespace, ctx: Context) -> int:
    with connect(args, ctx) as (client, _):
        result = client.get_balance()
    ctx.out.result("balance", result)
    return EXIT_OK


def cmd_wsdl(args: argparse.Namespace, ctx: Context) -> int:
    sys.stdout.buffer.write(wsdl_for(endpoint_url(**_endpoint(args, ctx.env))))
    sys.stdout.flush()
    return EXIT_OK


# --- the parser ----------------------------------------------------------------------------

#: The environment, for every command's help (and the README).
ENVIRONMENT: Mapping[str, str] = {
    ENV_LOGIN: "account login (or --login)",
    ENV_PASSWORD: "its password; unset: asked for when run in a terminal (never an option)",
    ENV_APIKEY: "an API key, used instead of login and password unless --login is given",
    ENV_HOST: "service host such as smsc.kz (or --host; default smsc.ru)",
    ENV_URL: "full SOAP endpoint URL, e.g. a sandbox's (or --url)",
}
_EPILOG = ("environment:\n" + "\n".join(f"  {name:<14} {text}" for name, text in ENVIRONMENT.items())
           + "\n\nexit codes:\n" + "\n".join(f"  {code:<4} {text}" for code, text in EXIT_CODES.items()))


def _endpoint_options(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--host", type=service_host,
                       help=f"service host such as smsc.kz (default: ${ENV_HOST} or smsc.ru)")
    where.add_argument("--url", type=service_url, help=f"full SOAP endpoint URL (default: ${ENV_URL})")


def _common() -> OneLineParser:
    """Options of every command that calls the service."""
    common = OneLineParser(add_help=False)
    common.add_argument("--sandbox", action="store_true",
                        help="run against a sandbox inside this command: no server, no account")
    common.add_argument("--login", type=xml_text, help=f"account login (default: ${ENV_LOGIN}); the password is "
                                        f"${ENV_PASSWORD} or asked for, never an option")
    _endpoint_options(common)
    common.add_argument("--json", action="store_true", help="print one JSON object per result")
    common.add_argument("--request-timeout", type=positive_seconds, metavar="SECONDS",
                        help="the longest one request to the service may take, retries included "
                             "(default: the library's, 30 s; not --timeout, which bounds --wait)")
    return common


def _wait_options(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--wait", action="store_true",
                        help=f"{what}poll the status every {POLL_INTERVAL:g} s (the service allows "
                             f"{STATUS_REQUESTS_PER_MINUTE} status requests per message a minute) until it is final")
    parser.add_argument("--timeout", "--wait-timeout", dest="timeout", type=positive_seconds,
                        default=DEFAULT_WAIT_TIMEOUT, metavar="SECONDS",
                        help=f"with --wait, stop waiting for a final status after this long (default "
                             f"{DEFAULT_WAIT_TIMEOUT:g}; exit {EXIT_PENDING}); each request is bounded by "
                             "--request-timeout")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="smsc-soap", description="SMSC SOAP client and local sandbox.",
                                     epilog=_EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"smsc-soap {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = _common()

    def command(name: str, run: Callable[..., int], help: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, parents=[common], help=help, description=help,
                                  epilog=_EPILOG,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
        sub.set_defaults(run=run)
        return sub

    send = command("send", cmd_send, "send a message; with --sandbox, then show its delivery status")
    send.add_argument("phones", nargs="?", type=xml_text, help="recipients, separated by ',' or ';' (omit with --list)")
    send.add_argument("mes", nargs="?", type=xml_text, help=f"the text, at most {spec.MES_MAX_CHARS} characters, a comment included "
                           "(omit with --list)")
    send.add_argument("--id", type=message_id, help=f"your message id: {spec.ID_INT_RANGE.low}..{spec.ID_INT_RANGE.high} or up to "
                           f"{spec.ID_MAX_CHARS} of A-Z a-z 0-9 {' '.join(spec.ID_SYMBOLS)}")
    send.add_argument("--sender", type=xml_text, help=f"sender name registered in the account ({spec.SENDER_MAX_CHARS} "
                           f"characters or {spec.SENDER_MAX_DIGITS} digits)")
    send.add_argument("--time", type=xml_text, help="when to send: DDMMYYhhmm, 'DD.MM.YY hh:mm', h1-h2, 0<unix time>, +minutes")
    _wait_options(send, "after sending, ")
    add_extended_options(send)
    cli_channels.add_channel_options(send)

    cost = command("cost", cmd_cost, "what sending a message would cost; nothing is sent")
    cost.add_argument("phones", nargs="?", type=xml_text, help="recipients, separated by ',' or ';' (omit with --list)")
    cost.add_argument("mes", nargs="?", type=xml_text, help="the text (omit with --list)")
    add_extended_options(cost)
    cli_channels.add_channel_options(cost, sending=False)
    cli_channels.add_parts_command(commands, commands.add_parser)

    status = command("status", cmd_status, "the delivery status of a message")
    status.add_argument("phone", type=xml_text, help="the recipient's number")
    status.add_argument("id", type=message_id, help="the message id")
    status.add_argument("--all", type=whole, default=0, choices=spec.STATUS_DETAIL_LEVELS,
                        help="0 status only, 1 full information, 2 also operator and region")
    _wait_options(status, "")

    command("balance", cmd_balance, "the account's balance")

    from . import cli_bulk, cli_http  # many messages; the HTTP pages beside SOAP

    cli_http.add_commands(commands)
    cli_bulk.add_command(command)

    wsdl = commands.add_parser("wsdl", help="print the vendored WSDL as the service serves it at an endpoint",
                               description="print the vendored WSDL as the service serves it at an endpoint")
    _endpoint_options(wsdl)
    wsdl.set_defaults(run=cmd_wsdl)

    from .sandbox import cli as sandbox_cli

    sandbox = commands.add_parser("sandbox", help="serve a local SMSC SOAP sandbox until interrupted")
    sandbox_cli.add_arguments(sandbox)
    sandbox.set_defaults(run=lambda args, ctx: sandbox_cli.run(args))

    from . import cli_listen  # the service's callbacks, received locally

    cli_listen.add_command(commands)
    return parser


# --- main: the one place exceptions become exit codes -------------------------------------


def _message(exc: BaseException) -> str:
    """The one line to show for ``exc``."""
    if isinstance(exc, errors.SendOutcomeUnknown):
        phone = exc.phones[0] if exc.phones else "PHONE"
        return (f"{exc.operation}: the outcome of the send is unknown ({type(exc.cause).__name__}: "
                f"{exc.cause}); it was not repeated. Before sending again, check whether it arrived: "
                f"smsc-soap status {phone} {exc.id}")
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


def _to_devnull(stream: Any) -> None:
    """Point ``stream``'s file descriptor at /dev/null, so that the flush at exit does not fail
    again (Python's recipe for a reader that left); not a real file (tests): nothing to do."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, stream.fileno())
        finally:
            os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def _say(line: str) -> None:
    """One line on stderr; if nobody reads stderr any more, the exit code still tells."""
    try:
        print(f"smsc-soap: {line}", file=sys.stderr, flush=True)
    except OSError:
        _to_devnull(sys.stderr)


def main(argv: Optional[Sequence[str]] = None, *, sleep: Sleep = time.sleep,
         env: Optional[Mapping[str, str]] = None) -> int:
    """Run ``smsc-soap`` with ``argv``; the exit code. ``sleep`` and ``env`` are for tests."""
    args = build_parser().parse_args(argv)
    ctx = Context(env=os.environ if env is None else env, sleep=sleep,
                  out=Output(getattr(args, "json", False)))
    run: Callable[[argparse.Namespace, Context], int] = args.run
    try:
        code = run(args, ctx)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's flush at exit
        return code
    except BrokenPipeError:  # the reader of stdout left (`| head`): what was asked was done
        _to_devnull(sys.stdout)
        return EXIT_OK
    except tuple(cls for cls, _ in _EXIT_BY_ERROR) as exc:
        _say(redact(_message(exc), map(Secret, ctx.secrets)))
        return next(code for cls, code in _EXIT_BY_ERROR if isinstance(exc, cls))
    except KeyboardInterrupt:
        _say(_interrupted(ctx))
        return EXIT_INTERRUPTED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
