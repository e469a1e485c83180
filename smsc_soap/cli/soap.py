"""``smsc-soap send``, ``cost``, ``status``, ``balance`` and ``wsdl``: the SOAP operations from a shell.

They call the service (or, with ``--sandbox``, a sandbox running inside the command); ``wsdl``
prints the vendored WSDL for an endpoint.
"""
from __future__ import annotations

import argparse
import re
import sys
from typing import Any, Callable, List, Optional

from .. import spec
from .._core import calls, polling
from .._wsdl import endpoint_url, wsdl_for
from ..client import Client
from ..params import split_phones
from ..results import DeliveryStatus
from . import channels
from .argtypes import message_id, positive_seconds, whole, xml_text
from .connection import connect
from .context import Context, Sleep, endpoint
from .exits import EXIT_OK, EXIT_PENDING, NotDelivered, StillPending
from .extended import add_extended_options, extended_values
from .options import Commands, endpoint_options, leaf
from .output import human, say

__all__ = ["DEFAULT_WAIT_TIMEOUT", "DELIVERED_STATUSES", "POLL_INTERVAL", "SANDBOX_SEND_COST",
           "STATUS_REQUESTS_PER_MINUTE", "add_commands", "add_wsdl_command", "cmd_balance", "cmd_cost",
           "cmd_send", "cmd_status", "cmd_wsdl", "wait_final"]

#: The final statuses that mean the message arrived; every other final status is a failure.
DELIVERED_STATUSES = frozenset({DeliveryStatus.DELIVERED, DeliveryStatus.READ, DeliveryStatus.LINK_CLICKED})

#: The SOAP page, get_status error 9: "more than five requests for the status of the same
#: message within a minute" (spec.RATE_LIMITS).
STATUS_REQUESTS_PER_MINUTE = spec.RATE_LIMITS[spec.STATUS].requests
#: Seconds between two status requests of ``status --wait``: keeps under that limit.
POLL_INTERVAL = polling.MIN_INTERVAL
#: How long ``status --wait`` waits for a final status unless told otherwise.
DEFAULT_WAIT_TIMEOUT = 600.0
#: With ``--sandbox``, ``send`` asks for cost=3 so that cost and the new balance come back.
SANDBOX_SEND_COST = 3


def _progress(args: argparse.Namespace, ctx: Context, phone: str) -> Optional[Callable[[Any], None]]:
    """A note on stderr each time a waited-for status changes (not for JSON or the sandbox)."""
    if ctx.out.json or args.sandbox:
        return None
    return lambda status: say(f"{phone}: {human(status.status)}; asking again in {POLL_INTERVAL:g} s")


# --- waiting for a final status ------------------------------------------------------------


def wait_final(client: Client, phone: str, id: str, *, sleep: Sleep, timeout: float,
               all: int = 0, interval: float = POLL_INTERVAL,
               on_change: Optional[Callable[[Any], None]] = None) -> Any:
    """Poll get_status every ``interval`` seconds until the status is final or ``timeout``
    seconds of waiting have passed; the last status either way. An error 9 (too many status
    requests) only means "ask again later", unless no status came at all (the schedule:
    :func:`smsc_soap._core.polling.wait_final`)."""
    return polling.wait_final(lambda: client.get_status(phone, id, all=all), sleep=sleep, timeout=timeout,
                              interval=interval, on_change=on_change)


def _not_delivered(phone: str, status: Any) -> Optional[NotDelivered]:
    """The error for a final status that is a failure, else None."""
    if not status.final or status.status in DELIVERED_STATUSES:
        return None
    return NotDelivered(f"{phone}: not delivered: the final status is {human(status.status)}")


def _pending(phone: str, status: Any, timeout: float) -> StillPending:
    return StillPending(f"{phone}: still {human(status.status)} after {timeout:g} s of waiting "
                        "(the status is not final)")


# --- the subcommands: one function each ----------------------------------------------------


def _recipients(phones: str, result: Any) -> List[str]:
    """The phone numbers a send went to, less those its ``errors`` list refused."""
    refused = {error.phone.lstrip("+") for error in result.errors}
    return [entry for entry in split_phones(phones)
            if re.fullmatch(r"\+?[0-9]+", entry) and entry.lstrip("+") not in refused]


def cmd_send(args: argparse.Namespace, ctx: Context) -> int:
    extended, sender = channels.channel_values(args, extended_values(args), args.sender)
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
            ctx.out.line("status", f"{phone}: {human(status.status)}" if len(phones) > 1 else status.status)
        if not status.final:
            pending.append(_pending(phone, status, args.timeout))
        elif args.wait and (failure := _not_delivered(phone, status)) is not None:
            failed.append(failure)
    if failed or pending:  # a failure is known for sure: it wins over a status still open
        raise (failed + pending)[0]


def cmd_cost(args: argparse.Namespace, ctx: Context) -> int:
    extended, _ = channels.channel_values(args, extended_values(args), None)
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
    sys.stdout.buffer.write(wsdl_for(endpoint_url(**endpoint(args, ctx.env))))
    sys.stdout.flush()
    return EXIT_OK


# --- the parser ----------------------------------------------------------------------------


def _wait_options(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--wait", action="store_true",
                        help=f"{what}poll the status every {POLL_INTERVAL:g} s (the service allows "
                             f"{STATUS_REQUESTS_PER_MINUTE} status requests per message a minute) until it is final")
    parser.add_argument("--timeout", "--wait-timeout", dest="timeout", type=positive_seconds,
                        default=DEFAULT_WAIT_TIMEOUT, metavar="SECONDS",
                        help=f"with --wait, stop waiting for a final status after this long (default "
                             f"{DEFAULT_WAIT_TIMEOUT:g}; exit {EXIT_PENDING}); each request is bounded by "
                             "--request-timeout")


def add_commands(commands: Commands) -> None:
    """Add ``send``, ``cost`` (and ``parts``), ``status`` and ``balance`` to ``smsc-soap``'s subcommands."""
    send = leaf(commands, "send", cmd_send, "send a message; with --sandbox, then show its delivery status")
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
    channels.add_channel_options(send)

    cost = leaf(commands, "cost", cmd_cost, "what sending a message would cost; nothing is sent")
    cost.add_argument("phones", nargs="?", type=xml_text, help="recipients, separated by ',' or ';' (omit with --list)")
    cost.add_argument("mes", nargs="?", type=xml_text, help="the text (omit with --list)")
    add_extended_options(cost)
    channels.add_channel_options(cost, sending=False)
    channels.add_parts_command(commands, commands.add_parser)

    status = leaf(commands, "status", cmd_status, "the delivery status of a message")
    status.add_argument("phone", type=xml_text, help="the recipient's number")
    status.add_argument("id", type=message_id, help="the message id")
    status.add_argument("--all", type=whole, default=0, choices=spec.STATUS_DETAIL_LEVELS,
                        help="0 status only, 1 full information, 2 also operator and region")
    _wait_options(status, "")

    leaf(commands, "balance", cmd_balance, "the account's balance")


def add_wsdl_command(commands: Commands) -> None:
    """Add ``wsdl`` (no credentials: it prints what the package carries)."""
    wsdl = commands.add_parser("wsdl", help="print the vendored WSDL as the service serves it at an endpoint",
                               description="print the vendored WSDL as the service serves it at an endpoint")
    endpoint_options(wsdl)
    wsdl.set_defaults(run=cmd_wsdl)
