"""The options every command that calls the service shares, and the help's epilog (the
environment and the exit codes)."""
from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any, Callable, Mapping

from .argtypes import OneLineParser, positive_seconds, service_host, service_url, xml_text
from .context import ENV_APIKEY, ENV_HOST, ENV_LOGIN, ENV_PASSWORD, ENV_URL
from .exits import EXIT_CODES

if TYPE_CHECKING:  # pragma: no cover
    from typing_extensions import TypeAlias

__all__ = ["ENVIRONMENT", "EPILOG", "common_options", "Commands", "endpoint_options", "leaf"]

#: The subcommands of a parser (what ``add_subparsers`` returns), where each module adds its own.
Commands: "TypeAlias" = "argparse._SubParsersAction[Any]"

#: The environment, for every command's help (and the README).
ENVIRONMENT: Mapping[str, str] = {
    ENV_LOGIN: "account login (or --login)",
    ENV_PASSWORD: "its password; unset: asked for when run in a terminal (never an option)",
    ENV_APIKEY: "an API key, used instead of login and password unless --login is given",
    ENV_HOST: "service host such as smsc.kz (or --host; default smsc.ru)",
    ENV_URL: "full SOAP endpoint URL, e.g. a sandbox's (or --url)",
}
EPILOG = ("environment:\n" + "\n".join(f"  {name:<14} {text}" for name, text in ENVIRONMENT.items())
          + "\n\nexit codes:\n" + "\n".join(f"  {code:<4} {text}" for code, text in EXIT_CODES.items()))


def endpoint_options(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--host", type=service_host,
                       help=f"service host such as smsc.kz (default: ${ENV_HOST} or smsc.ru)")
    where.add_argument("--url", type=service_url, help=f"full SOAP endpoint URL (default: ${ENV_URL})")


def common_options() -> OneLineParser:
    """Options of every command that calls the service (a parent parser)."""
    common = OneLineParser(add_help=False)
    common.add_argument("--sandbox", action="store_true",
                        help="run against a sandbox inside this command: no server, no account")
    common.add_argument("--login", type=xml_text, help=f"account login (default: ${ENV_LOGIN}); the password is "
                                        f"${ENV_PASSWORD} or asked for, never an option")
    endpoint_options(common)
    common.add_argument("--json", action="store_true", help="print one JSON object per result")
    common.add_argument("--request-timeout", type=positive_seconds, metavar="SECONDS",
                        help="the longest one request to the service may take, retries included "
                             "(default: the library's, 30 s; not --timeout, which bounds --wait)")
    return common


def leaf(group: Commands, name: str, run: Callable[..., int],
         help: str) -> argparse.ArgumentParser:
    """A subcommand that calls the service: the common options, the epilog, and what it runs."""
    sub: argparse.ArgumentParser = group.add_parser(name, parents=[common_options()], help=help, description=help, epilog=EPILOG,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    sub.set_defaults(run=run)
    return sub
