"""What every zeep-based shell shares (sync today, zeep's async client tomorrow): zeep's settings
and the boundary where zeep's and lxml's exceptions, and the shell's HTTP library's, become ours.

The logic of translating is the core's (:func:`smsc_soap._core.translate`); this module holds
the SOAP layer's rows of the table, and a shell passes the rows of its HTTP library.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional, Tuple

import lxml.etree
import zeep
import zeep.exceptions
from zeep.wsdl.utils import etree_to_string

from . import _core, errors
from ._codec import codec_for
from ._core.exceptions import ExceptionRule, soap_fault

#: zeep reads leniently (``strict=False``) because the service's answers stray from its WSDL;
#: the strict well-formedness check is the core's (``checks.check_xml``). Nothing is fetched,
#: no DTD or entity is accepted, no huge tree is built.
ZEEP_SETTINGS = zeep.Settings(strict=False, forbid_dtd=True, forbid_entities=True,
                              forbid_external=True, xml_huge_tree=False)

#: The SOAP layer's rows of the exception table, most specific first; after the HTTP rows.
SOAP_EXCEPTIONS: Tuple[ExceptionRule, ...] = (
    (zeep.exceptions.DTDForbidden, errors.ProtocolError, "answer with a DTD refused"),
    (zeep.exceptions.EntitiesForbidden, errors.ProtocolError, "answer with entity declarations refused"),
    (zeep.exceptions.XMLSyntaxError, errors.ProtocolError, "answer is not a SOAP envelope"),
    (lxml.etree.XMLSyntaxError, errors.ProtocolError, "answer is not well-formed XML"),
    (zeep.exceptions.TransportError, errors.ProtocolError, "answer is not SOAP"),
    (zeep.exceptions.XMLParseError, errors.ProtocolError, "answer does not follow the WSDL"),
    (zeep.exceptions.Error, errors.ProtocolError, "SOAP processing failed"),
)


def xml_text(value: str) -> bytes:
    """``value`` as zeep writes an element's text (lxml's escaping, UTF-8): how a secret is put
    back in place of its placeholder (:meth:`smsc_soap._core.Call.reveal`)."""
    element = lxml.etree.Element("x")
    try:
        element.text = value
    except ValueError:  # a control character XML cannot carry
        raise errors.ValidationError("a credential holds characters XML cannot carry", field="psw") from None
    return lxml.etree.tostring(element, encoding="utf-8")[len(b"<x>"):-len(b"</x>")]


def read_reply(binding: Any, operation: str, status: int, root: "lxml.etree._Element") -> Any:
    """zeep's reading of an answer the shell already checked and parsed once (``checks.check_xml``):
    a Fault raises zeep's Fault, anything else becomes the operation's result object. Skips zeep's
    second parse of the bytes (``SoapBinding.process_reply``), as zeep's own parser would have made
    the same tree."""
    if status != 200 or root.find("soap-env:Body/soap-env:Fault", namespaces=binding.nsmap) is not None:
        return binding.process_error(root, binding.get(operation))
    return binding.get(operation).process_reply(root)


def request_of(service: Any, zeep_client: Any, call: Any) -> Tuple[bytes, Mapping[str, str]]:
    """The request's bytes (placeholders in place of secrets) and headers: the codec's, built
    once from zeep's binding (:mod:`smsc_soap._codec`), or zeep's own for what it leaves to zeep."""
    binding = service._binding
    operation = codec_for(binding).get(call.operation)
    message = None if operation is None else operation.envelope(call.masked)
    if message is not None:
        return message, operation.headers  # type: ignore[union-attr]  # not None when message is
    envelope, headers = binding._create(call.operation, (), call.masked, client=zeep_client,
                                        options=service._binding_options)
    return etree_to_string(envelope), headers  # type: ignore[no-untyped-call]  # zeep is not typed


def fields_of(binding: Any, call: Any, status: int, root: "lxml.etree._Element") -> Tuple[Any, Any]:
    """(zeep's result element, None) or (None, its fields as the core reads them): the codec's
    reading when the answer has the plain shape, zeep's (:func:`read_reply`) otherwise; a Fault
    raises zeep's Fault."""
    operation = codec_for(binding).get(call.operation)
    flat = None if operation is None else operation.fields_of(status, root)
    if flat is not None:
        return None, flat
    return read_reply(binding, call.operation, status, root), None


def read_soap_answer(binding: Any, call: Any, answer: Tuple[int, Any], secrets: Any) -> Any:
    """The result of a SOAP answer the shell checked and parsed, for both clients: the codec's or
    zeep's reading (a Fault becomes :class:`~smsc_soap.SoapFault`, raised outside the ``except``
    so no zeep frame stays on it), then the core's."""
    status, root = answer
    fault: Optional[errors.SmscError] = None
    try:
        element, flat = fields_of(binding, call, status, root)
    except zeep.exceptions.Fault as exc:
        fault = soap_fault(exc.code, exc.message, secrets)
    if fault is not None:
        raise fault
    return _core.read_answer(call, element, flat)
