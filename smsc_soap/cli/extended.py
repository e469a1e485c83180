"""The extended parameters' options (``--tinyurl``, ``--fmt`` ...), generated from
:data:`smsc_soap.query.EXTENDED_PARAMS`, and their values checked before anything is asked for."""
from __future__ import annotations

import argparse
import re
import typing
from typing import Any, Callable, Dict, Set

from ..query import EXTENDED_PARAMS, HTTP_PAGE, SOAP_PAGE, ExtendedParams, build_query
from .argtypes import xml_text

__all__ = ["HINTS", "SECRET_PARAMS", "add_extended_options", "converter", "extended_values", "kinds"]

#: Extended parameters that get no option: the API key is a secret (SMSC_APIKEY only).
SECRET_PARAMS = frozenset({"apikey"})

#: Each extended parameter's type hint.
HINTS = typing.get_type_hints(ExtendedParams)
_PAGES = {SOAP_PAGE: "the SOAP page", HTTP_PAGE: "the HTTP mailing page"}


def kinds(hint: Any) -> Set[type]:
    """The command-line kinds (bool, int, float, str) a type hint of ExtendedParams admits."""
    origin = typing.get_origin(hint)
    if origin is typing.Union:
        return set().union(*map(kinds, typing.get_args(hint)))
    if origin is typing.Literal:
        return {type(value) for value in typing.get_args(hint)}
    return {hint} & {bool, int, float, str}


def converter(accepted: Set[type]) -> Callable[[str], Any]:
    """Text -> the Python value the library expects; anything else is left for it to refuse."""

    def convert(text: str) -> Any:
        if int in accepted and re.fullmatch(r"-?[0-9]+", text):
            return int(text)
        if float in accepted and re.fullmatch(r"-?[0-9]*\.[0-9]+", text):
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
        hint = HINTS[name]
        accepted = kinds(hint)
        source = _PAGES.get(param.source, param.source)
        if bool in accepted:  # a 0/1 flag: present means 1
            group.add_argument(f"--{name}", dest=f"x_{name}", action="store_const", const=1,
                               help=f"{name}=1, see {source}")
            continue
        if typing.get_origin(hint) is typing.Literal:
            metavar = "{" + ",".join(map(str, typing.get_args(hint))) + "}"
        else:
            metavar = name.upper()
        group.add_argument(f"--{name}", dest=f"x_{name}", metavar=metavar, type=converter(accepted),
                           help=f"{name}={metavar}, see {source}")


def extended_values(args: argparse.Namespace) -> Dict[str, Any]:
    """The extended parameters given, checked now so that no password is asked for in vain."""
    given = {name: value for name in EXTENDED_PARAMS if (value := getattr(args, f"x_{name}", None)) is not None}
    build_query(**given)
    return given
