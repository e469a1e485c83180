"""What both shells share of SOAP: writing a call's request and reading its answer with the codec
(:mod:`smsc_soap._codec`), zeep only for what the codec leaves to it (:mod:`smsc_soap._zeep`,
imported then), and the SOAP layer's rows of the exception table.

The logic of translating is the core's (:func:`smsc_soap._core.translate`); this module holds
the SOAP layer's rows of the table, and a shell passes the rows of its HTTP library.
"""
from __future__ import annotations

import sys
from typing import Any, Mapping, Optional, Tuple

import lxml.etree

from . import _core, errors
from ._codec import Codec
from ._core.exceptions import ExceptionRule

#: The SOAP layer's rows while zeep is not loaded: lxml's alone (zeep's join with it, see
#: :func:`soap_exceptions`).
_LXML_EXCEPTIONS: Tuple[ExceptionRule, ...] = (
    (lxml.etree.XMLSyntaxError, errors.ProtocolError, "answer is not well-formed XML"),
)


def soap_exceptions() -> Tuple[ExceptionRule, ...]:
    """The SOAP layer's rows of the exception table, after the HTTP rows: lxml's, and zeep's once
    a call made zeep's side load (:data:`smsc_soap._zeep.SOAP_EXCEPTIONS`; no zeep exception can
    exist before)."""
    zeep_side = sys.modules.get(f"{__package__}._zeep")
    return _LXML_EXCEPTIONS if zeep_side is None else zeep_side.SOAP_EXCEPTIONS


def xml_text(value: str) -> bytes:
    """``value`` as zeep writes an element's text (lxml's escaping, UTF-8): how a secret is put
    back in place of its placeholder (:meth:`smsc_soap._core.Call.reveal`)."""
    element = lxml.etree.Element("x")
    try:
        element.text = value
    except ValueError:  # a control character XML cannot carry
        raise errors.ValidationError("a credential holds characters XML cannot carry", field="psw") from None
    return lxml.etree.tostring(element, encoding="utf-8")[len(b"<x>"):-len(b"</x>")]


def request_of(codec: Codec, endpoint: str, call: Any) -> Tuple[bytes, Mapping[str, str]]:
    """The request's bytes (placeholders in place of secrets) and headers: the codec's, or zeep's
    own for what the codec leaves to it."""
    written = codec_request(codec, call)
    if written is not None:
        return written
    from ._zeep import request_of as zeeps
    return zeeps(endpoint, call)


def codec_request(codec: Codec, call: Any) -> Optional[Tuple[bytes, Mapping[str, str]]]:
    """:func:`request_of`'s when the codec writes it, else None (zeep's part, left to the caller)."""
    operation = codec.get(call.operation)
    message = None if operation is None else operation.envelope(call.masked)
    return None if message is None else (message, operation.headers)  # type: ignore[union-attr]


def read_soap_answer(codec: Codec, endpoint: str, call: Any, answer: Tuple[int, Any], secrets: Any) -> Any:
    """The result of a SOAP answer the shell checked and parsed, for both clients: the codec's
    reading when the answer has the plain shape, else zeep's (a Fault becomes
    :class:`~smsc_soap.SoapFault`), then the core's. In an AsyncClient, the first answer of an
    endpoint left to zeep blocks the event loop once while zeep is imported and parses the WSDL
    (about 0.1 s): a Fault or an answer of an unusual shape, rare; every later one is quick."""
    status, root = answer
    operation = codec.get(call.operation)
    flat = None if operation is None else operation.fields_of(status, root)
    if flat is not None:
        return _core.read_answer(call, None, flat)
    from ._zeep import read_answer
    return read_answer(endpoint, call, answer, secrets)
