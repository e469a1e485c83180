"""zeep's generic work done once: per operation, the envelope writer and the answer reader that
zeep's own reading of the WSDL implies, so that a call writes and reads with lxml directly.

zeep stays the source of truth: everything here is taken from zeep's binding when the WSDL is
loaded (element names, their order, which are required, the SOAPAction), and whatever does not
fit the plain shape these readers know (a missing required field, a value that is not text, an
answer with attributes, out of order, a Fault, ...) is left to zeep (``None``: "ask zeep").
tests/test_codec.py holds both to zeep's own serialisation and parsing, hypothesis-generated
arguments and answers included.
"""
from __future__ import annotations

import functools
from typing import Any, Dict, List, Mapping, Optional, Tuple

import lxml.etree

from ._core.answers import PhoneErrors, Raw

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
_ENVELOPE = f"{{{SOAP_ENV}}}Envelope"
_BODY = f"{{{SOAP_ENV}}}Body"
#: send_sms2's repeated element of per-number errors and its fields (what ``answers.flatten`` reads).
_ERRORS = "errors"


class Operation:
    """One operation's writer and reader, from zeep's binding of it."""

    def __init__(self, binding: Any, name: str) -> None:
        operation = binding.get(name)
        body = operation.input.body
        self.request_tag = body.qname.text
        self._request_nsmap = {"ns0": body.qname.namespace}
        #: (field, required) in the schema's order: the order zeep writes them in.
        self.fields: Tuple[Tuple[str, bool], ...] = tuple(
            (field, element.min_occurs > 0) for field, element in body.type.elements)
        self._known = frozenset(field for field, _ in self.fields)
        self._simple = all(_is_simple(element) for _, element in body.type.elements)
        self.headers = {"SOAPAction": f'"{operation.soapaction}"', "Content-Type": "text/xml; charset=utf-8"}
        output = operation.output.body
        self.answer_tag = output.qname.text
        (result_name, result), = output.type.elements
        self.result_tag = _local(result)
        self.result_name = result_name
        self._order: Dict[str, int] = {}
        self._error_fields: Tuple[str, ...] = ()
        for index, (field, element) in enumerate(result.type.elements):
            self._order[_local(element)] = index
            if field == _ERRORS:
                self._error_fields = tuple(_local(item) for _, item in element.type.elements)
        self._nsmap = {"soap-env": SOAP_ENV}
        self._readable = output.type.elements and all(
            _is_simple(element) or (field == _ERRORS and element.max_occurs == "unbounded")
            for field, element in result.type.elements)

    # --- writing -----------------------------------------------------------------------------------

    def envelope(self, masked: Mapping[str, Optional[str]]) -> Optional[bytes]:
        """The request's bytes as zeep's ``post_xml`` would send them, or None to ask zeep."""
        if not self._simple or not self._known.issuperset(masked):
            return None
        root = lxml.etree.Element(_ENVELOPE, nsmap=self._nsmap)
        body = lxml.etree.SubElement(lxml.etree.SubElement(root, _BODY), self.request_tag, nsmap=self._request_nsmap)
        for field, required in self.fields:
            value = masked.get(field)
            if value is None:
                if required:
                    return None  # zeep's error, zeep's words
                continue
            if type(value) is not str:
                return None
            lxml.etree.SubElement(body, field).text = value
        return lxml.etree.tostring(root, xml_declaration=True, encoding="utf-8")

    # --- reading -----------------------------------------------------------------------------------

    def fields_of(self, status: int, root: Any) -> Optional[Tuple[Raw, PhoneErrors]]:
        """The answer's result fields as ``answers.flatten`` reads zeep's object, or None to ask
        zeep (a Fault, a status other than 200, or any shape but the plain one)."""
        if status != 200 or not self._readable or root.tag != _ENVELOPE or len(root) != 1 or root.attrib:
            return None
        body = root[0]
        if body.tag != _BODY or len(body) != 1 or body.attrib:
            return None
        answer = body[0]
        if answer.tag != self.answer_tag or len(answer) != 1 or answer.attrib:
            return None
        result = answer[0]
        if result.tag != self.result_tag or result.attrib:
            return None
        raw: Raw = {}
        errors: List[Tuple[str, str]] = []
        last = -1
        for child in result:
            index = self._order.get(child.tag)  # a comment's tag is not a str: not in the table
            if index is None or index < last or child.attrib or (index == last and child.tag != _ERRORS):
                return None
            last = index
            if child.tag == _ERRORS:
                item = self._error_item(child)
                if item is None:
                    return None
                errors.append(item)
                continue
            if len(child):
                return None
            if child.text is not None:
                raw[child.tag] = child.text
        if not raw and not errors:
            return None  # nothing read: zeep says whether that is an empty result or none at all
        return raw, tuple(errors)

    def _error_item(self, element: Any) -> Optional[Tuple[str, str]]:
        """(phone, status) of one of send_sms2's errors, when it holds both as plain text (in
        the schema's order); else None, for zeep."""
        if len(element) != len(self._error_fields):
            return None
        values = []
        for child, tag in zip(element, self._error_fields):
            if child.tag != tag or child.attrib or len(child) or child.text is None:
                return None
            values.append(child.text)
        phone, status = values
        return phone, status


def _local(element: Any) -> str:
    """The tag an element of the answer carries: unqualified unless the schema says otherwise."""
    qname = element.qname
    return str(qname.text if qname is not None else element.name)


def _is_simple(element: Any) -> bool:
    """A plain xsd:string that occurs at most once (all the SMSC schema uses, but send_sms2's errors)."""
    type_name = getattr(getattr(element.type, "qname", None), "text", None)
    return bool(type_name == "{http://www.w3.org/2001/XMLSchema}string" and element.max_occurs == 1
                and not getattr(element, "nillable", False))


class Codec:
    """Every operation of one binding: built when the client is made, shared by its calls."""

    def __init__(self, binding: Any) -> None:
        self.operations: Dict[str, Operation] = {}
        for name in binding._operations:
            try:
                self.operations[name] = Operation(binding, name)
            except (AttributeError, TypeError, ValueError):  # a shape this codec does not know: zeep's
                continue

    def get(self, operation: str) -> Optional[Operation]:
        return self.operations.get(operation)


@functools.lru_cache(maxsize=64)
def codec_for(binding: Any) -> Codec:
    """The codec of ``binding`` (zeep's, shared by every client of one endpoint: built once)."""
    return Codec(binding)
