"""The channel options of ``smsc-soap send``/``cost`` and the ``parts`` command.

The options are generated from :data:`smsc_soap.spec.CHANNELS`, not listed by hand: for each
channel, one ``--<channel>-<name>`` per channel-only parameter it needs or allows (``subj`` is
called ``subject``), and ``--<channel>-sender`` where it needs a sender address. Each selects its
channel. The channel flags themselves (``--mail``, ``--viber``, ``--hlr``, ...) and ``--voice``,
``--subj`` are the extended-parameter options of :mod:`smsc_soap.cli.extended`.
"""
from __future__ import annotations

import argparse
import dataclasses
from typing import Any, Callable, Dict, List, Optional, Tuple

from .. import message, spec
from ..errors import ValidationError
from .argtypes import whole, xml_text

__all__ = ["CHANNEL_OPTIONS", "ChannelOption", "add_channel_options", "channel_values", "add_parts_command"]

#: How a parameter is named in an option (the page's ``subj`` reads better spelt out).
_OPTION_WORDS = {"subj": "subject"}


@dataclasses.dataclass(frozen=True)
class ChannelOption:
    """``--<channel>-<word>``: sets ``param`` (None: the base ``sender``) and the channel's flag."""

    option: str
    channel: spec.Channel
    param: Optional[str]

    @property
    def dest(self) -> str:
        return "ch_" + self.option.replace("-", "_")


def _options() -> Tuple[ChannelOption, ...]:
    out: List[ChannelOption] = []
    for channel in spec.CHANNELS.values():
        if channel.flag is None:
            continue
        for param in channel.needs + channel.allows:
            if param in spec.CHANNEL_ONLY_PARAMS and param != channel.flag:
                out.append(ChannelOption(f"{channel.name}-{_OPTION_WORDS.get(param, param)}", channel, param))
        if channel.needs_sender:
            out.append(ChannelOption(f"{channel.name}-sender", channel, None))
    return tuple(out)


#: Every generated option (e.g. ``--email-subject``, ``--email-sender``, ``--call-voice``).
CHANNEL_OPTIONS: Tuple[ChannelOption, ...] = _options()


def add_channel_options(parser: argparse.ArgumentParser, *, sending: bool = True) -> None:
    """The generated options; without ``sending`` (cost) those that set a sender are left out."""
    group = parser.add_argument_group("channels", "each option selects its channel (smsc_soap.spec.CHANNELS)")
    for item in CHANNEL_OPTIONS:
        if item.param is None and not sending:
            continue
        what = f"{item.param}= of" if item.param else "the sender's address for"
        group.add_argument(f"--{item.option}", dest=item.dest, type=xml_text, metavar="TEXT",
                           help=f"{what} {item.channel.title.lower()} (selects {item.channel.flag}=1)")


def channel_values(args: argparse.Namespace, extended: Dict[str, Any],
                   sender: Optional[str]) -> Tuple[Dict[str, Any], Optional[str]]:
    """``(extended, sender)`` with the channel options given folded in (the library checks them)."""

    extended = dict(extended)
    for item in CHANNEL_OPTIONS:
        value = getattr(args, item.dest, None)
        if value is None:
            continue
        flag = item.channel.flag
        assert flag is not None
        extended.setdefault(flag, 1)
        if item.param is None:
            if sender is not None:
                raise ValidationError(f"--{item.option} and --sender both give the sender", field="sender")
            sender = value
        elif extended.get(item.param) not in (None, value):
            raise ValidationError(f"--{item.option} and --{item.param} both give {item.param}", field=item.param)
        else:
            extended[item.param] = value
    return extended, sender


# --- smsc-soap parts TEXT ---------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class PartsResult:
    """What ``parts`` prints: the alphabet, the billed parts, and the room left in the last."""

    encoding: str
    parts: int
    characters: int
    left: int


def _run_parts(args: argparse.Namespace, ctx: Any) -> int:
    info = message.describe(args.text, translit=args.translit)
    ctx.out.result("parts", PartsResult(info.encoding, info.parts, info.units, info.left))
    return 0


def add_parts_command(commands: Any, make: Callable[..., argparse.ArgumentParser]) -> None:
    """``smsc-soap parts TEXT``: nothing is sent, no account needed."""
    text = "how a text is sent: its alphabet, billed parts and characters left in the last part (offline)"
    parts = make("parts", help=text, description=text)
    parts.add_argument("text", type=xml_text, help="the text (a '\\n~~~\\n' comment is not billed)")
    parts.add_argument("--translit", type=whole, default=0, choices=spec.EXTENDED_CHOICES["translit"],
                       help="translit=1 or 2 (the HTTP page): bill the transliterated text")
    parts.add_argument("--json", action="store_true", help="print one JSON object")
    parts.set_defaults(run=_run_parts)
