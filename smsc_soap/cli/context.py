"""What a command needs besides its arguments, and where its credentials and endpoint come
from: the environment, options, or a prompt; never a password argument."""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import getpass
import os
import sys
from typing import Any, Callable, List, Mapping, NoReturn, Optional, Tuple, TypedDict

from .. import env as env_names
from .._core.settings import DEFAULT_TIMEOUT, Timeout
from .argtypes import checked, service_host, service_url, xml_text
from .exits import UsageError
from .output import Output

__all__ = ["Context", "ENV_APIKEY", "ENV_HOST", "ENV_LOGIN", "ENV_PASSWORD", "ENV_URL", "Sleep",
           "credentials", "endpoint", "request_timeout"]

# The names live in smsc_soap.env, shared with Client.from_env; kept importable from smsc_soap.cli.
ENV_LOGIN, ENV_PASSWORD, ENV_APIKEY = env_names.ENV_LOGIN, env_names.ENV_PASSWORD, env_names.ENV_APIKEY
ENV_HOST, ENV_URL = env_names.ENV_HOST, env_names.ENV_URL

Sleep = Callable[[float], Any]


@dataclasses.dataclass
class Context:
    """What a command needs besides its arguments; tests inject ``sleep`` and ``env``."""

    env: Mapping[str, str]
    sleep: Sleep
    out: Output
    secrets: List[str] = dataclasses.field(default_factory=list)
    #: (phone, id) of a send under way, or done: what Ctrl+C tells the user to check.
    sending: Optional[Tuple[str, str]] = None
    sent: bool = False
    #: The command is the process (``smsc-soap``, ``python -m smsc_soap.cli``), not a call of
    #: ``main(argv)`` inside another program: it may end the process itself (:func:`leave_now`).
    whole_process: bool = False


def leave_now(code: int) -> NoReturn:
    """End the process at once with ``code``, output flushed. For a Ctrl+C during a bulk run:
    its requests in flight are recorded as pending, and a resume looks them up, so waiting for
    their answers (up to the request timeout; a second Ctrl+C did not help) gains nothing. The
    journal is left as a ``kill -9`` leaves it, which is what it is made for."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


class Endpoint(TypedDict):
    host: Optional[str]
    url: Optional[str]


class Credentials(TypedDict, total=False):
    login: str
    psw: str
    apikey: str


def endpoint(args: argparse.Namespace, env: Mapping[str, str]) -> Endpoint:
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


def credentials(args: argparse.Namespace, ctx: Context) -> Credentials:
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


def request_timeout(args: argparse.Namespace) -> Timeout:
    """``--request-timeout``: the client's limit on each call (else the library's default)."""
    seconds: Optional[float] = getattr(args, "request_timeout", None)
    return DEFAULT_TIMEOUT if seconds is None else seconds
