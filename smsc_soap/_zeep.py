"""zeep, for what the codec (:mod:`smsc_soap._codec`) leaves to it: loaded only then.

A client writes and reads its calls with the codec, from a table of zeep's reading of the WSDL
(:mod:`smsc_soap._codec_table`); zeep (its import, the WSDL's parse, a ``zeep.Client``) is needed
only for what the codec does not know: a Fault, an answer of another shape, a field zeep would
refuse in its own words. This module is that side: the first call that needs it imports it and
makes one ``zeep.Client`` per endpoint, for every client of the process (only its binding, its
settings and its serialisation are used: it never sends, so one client serves sync and async
shells alike), under a lock. zeep's and lxml's exceptions become ours by :data:`SOAP_EXCEPTIONS`,
which joins the exception table once this module is loaded (:func:`smsc_soap._soap.soap_exceptions`):
no zeep exception can exist before.
"""
from __future__ import annotations

import functools
import io
import threading
from typing import Any, Dict, Mapping, Optional, Tuple

import lxml.etree
import zeep
import zeep.exceptions
from zeep.wsdl import Document
from zeep.wsdl.utils import etree_to_string

from . import _core, errors
from ._core.exceptions import ExceptionRule, soap_fault
from ._fork import renew_module_lock
from ._wsdl import wsdl_for

#: zeep reads leniently (``strict=False``) because the service's answers stray from its WSDL;
#: the strict well-formedness check is the core's (``checks.check_xml``). Nothing is fetched,
#: no DTD or entity is accepted, no huge tree is built.
ZEEP_SETTINGS = zeep.Settings(strict=False, forbid_dtd=True, forbid_entities=True,
                              forbid_external=True, xml_huge_tree=False)

#: The SOAP layer's rows of the exception table once zeep is in use, most specific first; after
#: the HTTP rows.
SOAP_EXCEPTIONS: Tuple[ExceptionRule, ...] = (
    (zeep.exceptions.DTDForbidden, errors.ProtocolError, "answer with a DTD refused"),
    (zeep.exceptions.EntitiesForbidden, errors.ProtocolError, "answer with entity declarations refused"),
    (zeep.exceptions.XMLSyntaxError, errors.ProtocolError, "answer is not a SOAP envelope"),
    (lxml.etree.XMLSyntaxError, errors.ProtocolError, "answer is not well-formed XML"),
    (zeep.exceptions.TransportError, errors.ProtocolError, "answer is not SOAP"),
    (zeep.exceptions.XMLParseError, errors.ProtocolError, "answer does not follow the WSDL"),
    (zeep.exceptions.Error, errors.ProtocolError, "SOAP processing failed"),
)


class NoFetchTransport(zeep.Transport):
    """zeep's transport for parsing only: it refuses to load anything from anywhere (and zeep
    never posts through it: the clients' transports post)."""

    def load(self, url: str) -> bytes:  # pragma: no cover - the WSDL imports nothing
        raise RuntimeError(f"smsc_soap never fetches WSDL parts, refused {url!r}")


@functools.lru_cache(maxsize=64)
def wsdl_document(endpoint: str) -> Document:
    """The parsed WSDL for ``endpoint``; cached, so each endpoint is parsed once per process."""
    settings = zeep.Settings(forbid_dtd=True, forbid_entities=True, forbid_external=True)
    transport = NoFetchTransport()  # type: ignore[no-untyped-call]  # zeep is not typed
    # zeep annotates ``transport`` as a class, but it takes (and its own callers pass) an instance.
    return Document(io.BytesIO(wsdl_for(endpoint)), transport, base=endpoint,  # type: ignore[arg-type]
                    settings=settings)


_LOCK = threading.Lock()
renew_module_lock(globals(), "_LOCK")
_CLIENTS: Dict[str, Any] = {}


def client_for(endpoint: str) -> Any:
    """The process's ``zeep.Client`` for ``endpoint``: made once (the WSDL parsed, about 0.1 s),
    under a lock, as a sync client's threads may all fall back at once."""
    client = _CLIENTS.get(endpoint)
    if client is None:
        with _LOCK:
            client = _CLIENTS.get(endpoint)
            if client is None:
                client = _CLIENTS[endpoint] = zeep.Client(  # type: ignore[no-untyped-call]  # zeep is not typed
                    wsdl_document(endpoint), transport=NoFetchTransport(),  # type: ignore[no-untyped-call]
                    settings=ZEEP_SETTINGS)
    return client


def binding_at(endpoint: str) -> Any:
    """zeep's binding of the WSDL at ``endpoint``: the one a ``zeep.Client`` of it binds to (the
    first port of the first service)."""
    return client_for(endpoint).service._binding


def address_at(endpoint: str) -> str:
    """The address zeep reads from the WSDL at ``endpoint`` (the clients post to ``endpoint``:
    tests hold the two equal)."""
    return str(client_for(endpoint).service._binding_options["address"])


def request_of(endpoint: str, call: Any) -> Tuple[bytes, Mapping[str, str]]:
    """zeep's own request for what the codec leaves to it (zeep's error, in zeep's words, for a
    field it refuses)."""
    client = client_for(endpoint)
    service = client.service
    envelope, headers = service._binding._create(call.operation, (), call.masked, client=client,
                                                 options=service._binding_options)
    return etree_to_string(envelope), headers  # type: ignore[no-untyped-call]  # zeep is not typed


def read_reply(binding: Any, operation: str, status: int, root: "lxml.etree._Element") -> Any:
    """zeep's reading of an answer the shell already checked and parsed once (``checks.check_xml``):
    a Fault raises zeep's Fault, anything else becomes the operation's result object. Skips zeep's
    second parse of the bytes (``SoapBinding.process_reply``), as zeep's own parser would have made
    the same tree."""
    if status != 200 or root.find("soap-env:Body/soap-env:Fault", namespaces=binding.nsmap) is not None:
        return binding.process_error(root, binding.get(operation))
    return binding.get(operation).process_reply(root)


def read_answer(endpoint: str, call: Any, answer: Tuple[int, Any], secrets: Any) -> Any:
    """The result of an answer the codec left to zeep: zeep's reading (a Fault becomes
    :class:`~smsc_soap.SoapFault`, raised outside the ``except`` so no zeep frame stays on it),
    then the core's."""
    status, root = answer
    fault: Optional[errors.SmscError] = None
    try:
        element = read_reply(binding_at(endpoint), call.operation, status, root)
    except zeep.exceptions.Fault as exc:
        fault = soap_fault(exc.code, exc.message, secrets)
    if fault is not None:
        raise fault
    return _core.read_answer(call, element, None)
