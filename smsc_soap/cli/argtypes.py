"""Typed command-line values, shared by ``smsc-soap`` and the sandbox's own command.

Each kind of value is checked where argparse reads it, so a bad one is a usage error (exit 2,
one line on stderr) and never a traceback from deeper down: a float that is not a finite
positive number, a port outside 0..65535, a URL the client could not use, text XML cannot carry.
"""
from __future__ import annotations

import argparse
import math
import re
from typing import Callable, NoReturn, TypeVar, Union
from urllib.parse import urlsplit

from .._wsdl import endpoint_url
from ..errors import ValidationError
from ..params import id_field
from .exits import EXIT_USAGE

T = TypeVar("T")

_ASCII_INT = re.compile(r"[0-9]{1,18}")
#: Characters XML 1.0 cannot carry (C0 controls but tab, newline and CR; surrogates; U+FFFE/F).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line, ``smsc-soap: send: <what>``, and exit 2."""

    def error(self, message: str) -> NoReturn:
        prefix = self.prog if self.prog.startswith("python ") else self.prog.replace(" ", ": ", 1)
        self.exit(EXIT_USAGE, f"{prefix}: {message}\n")


def _refuse(what: str, text: str) -> NoReturn:
    raise argparse.ArgumentTypeError(f"{what}, got {text[:60]!r}" + ("..." if len(text) > 60 else ""))


def positive_seconds(text: str) -> float:
    """A number of seconds: finite and greater than 0 (``nan``, ``inf``, ``-1``, ``0`` refused)."""
    try:
        value = float(text)
    except ValueError:
        _refuse("expected a number of seconds", text)
    if not math.isfinite(value) or value <= 0:
        _refuse("expected a finite number of seconds greater than 0", text)
    return value


def bounded_int(low: int, high: int) -> Callable[[str], int]:
    """An int of ASCII digits in ``low..high`` (no sign, no ``_``, no other script's digits)."""

    def convert(text: str) -> int:
        if not _ASCII_INT.fullmatch(text.strip()) or not low <= int(text) <= high:
            _refuse(f"expected a whole number from {low} to {high}", text)
        return int(text)

    return convert


port = bounded_int(0, 65535)
#: A whole number of a command (a count, a choice): ASCII digits, never "²" or "٣".
whole = bounded_int(0, 10**18 - 1)


def id_or_name(text: str) -> Union[int, str]:
    """A task or mailing given by its id (ASCII digits) or, when it is no number at all, by its
    name: a number in another script's digits ("²", "٣") is refused, not read as a name."""
    if _ASCII_INT.fullmatch(text.strip()):
        return int(text)
    if any(ch.isdigit() or ch.isnumeric() for ch in text) and all(ch.isnumeric() or ch.isspace() for ch in text):
        _refuse("an id is written in ASCII digits 0-9", text)
    return text


def xml_text(text: str) -> str:
    """Text XML can carry (no NUL or other control character): else a usage error here, not a
    ValueError from the XML layer after the password was asked for."""
    bad = _NOT_XML.search(text)
    if bad:
        _refuse(f"contains the character U+{ord(bad.group()):04X}, which a SOAP request cannot carry", text)
    return text


def service_url(text: str) -> str:
    """An endpoint URL the client can use: what :func:`smsc_soap._wsdl.endpoint_url` accepts, in
    ASCII (a host in its punycode form), with a port in 0..65535."""
    try:
        url = endpoint_url(url=text)
        if not url.isascii():
            _refuse("the URL must be ASCII (write an international host name in its xn-- form, "
                    "and %-encode the path)", text)
        urlsplit(url).port  # raises ValueError for a port that is not 0..65535
    except ValidationError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    except ValueError as exc:  # urlsplit: a bad port or IPv6 literal
        _refuse(f"not a usable URL ({exc})", text)
    return text


def service_host(text: str) -> str:
    """A bare host name, as :func:`smsc_soap._wsdl.endpoint_url` accepts it."""
    try:
        endpoint_url(host=text)
    except (ValidationError, ValueError) as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def checked(convert: Callable[[str], T], text: str, name: str) -> T:
    """``convert(text)`` for a value from elsewhere (the environment): ValueError naming ``name``."""
    try:
        return convert(text)
    except argparse.ArgumentTypeError as exc:
        raise ValueError(f"{name}: {exc}") from None


def message_id(text: str) -> str:
    """A message id as :func:`smsc_soap.params.id_field` accepts it."""
    try:
        id_field(xml_text(text))
    except ValidationError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    except ValueError:  # int() of thousands of digits
        _refuse("not a message id", text)
    return text
