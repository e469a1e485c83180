"""zeep's generic work done once: per operation, the envelope writer and the answer reader that
zeep's own reading of the WSDL implies, so that a call writes and reads with lxml directly.

zeep stays the source of truth: what each operation needs (element names, their order, which are
required, the SOAPAction) is zeep's reading of the vendored WSDL (:func:`describe`), kept as plain
data in :mod:`smsc_soap._codec_table` (``python scripts/codec_table.py`` writes it again), so
that a client is made and calls without loading zeep at all. Whatever does not fit the plain shape
these readers know (a missing required field, a value that is not text, an answer with
attributes, out of order, a Fault, ...) is left to zeep (``None``: "ask zeep"), loaded then
(:mod:`smsc_soap._zeep`). tests/test_codec.py holds the table to zeep's reading now, and the
codec to zeep's own serialisation and parsing, hypothesis-generated arguments and answers included.
"""
from __future__ import annotations

import functools
import hashlib
from typing import Any, Dict, List, Mapping, NamedTuple, Optional, Tuple

import lxml.etree

from . import _wsdl
from ._core.answers import PhoneErrors, Raw

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
_ENVELOPE = f"{{{SOAP_ENV}}}Envelope"
_BODY = f"{{{SOAP_ENV}}}Body"
#: send_sms2's repeated element of per-number errors and its fields (what ``answers.flatten`` reads).
_ERRORS = "errors"
#: Where the endpoint goes in the table's strings: the service writes its own URL into the
#: WSDL's targetNamespace and soapAction (:data:`smsc_soap._wsdl.VENDORED_NAMESPACE`).
ENDPOINT = "{endpoint}"


class Shape(NamedTuple):
    """What one operation's writer and reader need, as zeep reads the WSDL: plain data."""

    request_tag: str  #: the request element, ``{namespace}name``
    request_namespace: str
    #: (field, required) in the schema's order: the order zeep writes them in.
    fields: Tuple[Tuple[str, bool], ...]
    simple: bool  #: every field a plain string: the codec's to write
    soapaction: str
    answer_tag: str  #: the answer element, ``{namespace}name``
    result_tag: str  #: the one element inside it
    order: Tuple[str, ...]  #: the result's elements in the schema's order
    error_fields: Tuple[str, ...]  #: the fields of send_sms2's ``errors`` items
    readable: bool  #: the result's every element plain (or send_sms2's errors): the codec's to read


def describe(binding: Any) -> Dict[str, Shape]:
    """Every operation of zeep's ``binding`` whose shape the codec knows (the rest: zeep's)."""
    shapes: Dict[str, Shape] = {}
    for name in binding._operations:
        try:
            shapes[name] = _shape(binding.get(name))
        except (AttributeError, TypeError, ValueError):  # a shape this codec does not know: zeep's
            continue
    return shapes


def _shape(operation: Any) -> Shape:
    body = operation.input.body
    output = operation.output.body
    (_, result), = output.type.elements
    return Shape(
        request_tag=body.qname.text, request_namespace=body.qname.namespace,
        fields=tuple((field, element.min_occurs > 0) for field, element in body.type.elements),
        simple=all(_is_simple(element) for _, element in body.type.elements),
        soapaction=operation.soapaction, answer_tag=output.qname.text, result_tag=_local(result),
        order=tuple(_local(element) for _, element in result.type.elements),
        error_fields=next((tuple(_local(item) for _, item in element.type.elements)
                           for field, element in result.type.elements if field == _ERRORS), ()),
        readable=bool(output.type.elements) and all(
            _is_simple(element) or (field == _ERRORS and element.max_occurs == "unbounded")
            for field, element in result.type.elements))


def _put(shape: Shape, old: str, new: str) -> Shape:
    """``shape`` with ``old`` replaced by ``new`` in each of its strings."""
    return Shape(*(_replace(value, old, new) for value in shape))


def _replace(value: Any, old: str, new: str) -> Any:
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, tuple):
        return tuple(_replace(item, old, new) for item in value)
    return value


def as_table(shapes: Mapping[str, Shape], endpoint: str) -> Dict[str, Shape]:
    """``shapes`` read at ``endpoint`` with the endpoint made the placeholder (:data:`ENDPOINT`)."""
    return {name: _put(shape, endpoint, ENDPOINT) for name, shape in shapes.items()}


def at_endpoint(table: Mapping[str, Mapping[str, Any]], endpoint: str) -> Dict[str, Shape]:
    """The table's shapes (:mod:`smsc_soap._codec_table`) with ``endpoint`` in place of the placeholder."""
    return {name: _put(Shape(**fields), ENDPOINT, endpoint) for name, fields in table.items()}


class Operation:
    """One operation's writer and reader, from its :class:`Shape`."""

    def __init__(self, shape: Shape) -> None:
        self.request_tag = shape.request_tag
        self._request_nsmap = {"ns0": shape.request_namespace}
        self.fields = shape.fields
        self._known = frozenset(field for field, _ in self.fields)
        self._simple = shape.simple
        self.headers = {"SOAPAction": f'"{shape.soapaction}"', "Content-Type": "text/xml; charset=utf-8"}
        self.answer_tag = shape.answer_tag
        self.result_tag = shape.result_tag
        self._order: Dict[str, int] = {tag: index for index, tag in enumerate(shape.order)}
        self._error_fields = shape.error_fields
        self._nsmap = {"soap-env": SOAP_ENV}
        self._readable = shape.readable

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
    """Every operation of one endpoint: built when the client is made, shared by its calls."""

    def __init__(self, shapes: Mapping[str, Shape]) -> None:
        self.operations: Dict[str, Operation] = {name: Operation(shape) for name, shape in shapes.items()}

    def get(self, operation: str) -> Optional[Operation]:
        return self.operations.get(operation)


def wsdl_digest() -> str:
    """The SHA-256 of the vendored WSDL: the table holds the one it was made from."""
    return hashlib.sha256(_wsdl.vendored_wsdl()).hexdigest()


@functools.lru_cache(maxsize=64)
def codec_at(endpoint: str) -> Codec:
    """The codec of ``endpoint``, shared by every client of it: from the table, without zeep; from
    zeep's reading (:func:`codec_from_zeep`) if the vendored WSDL is not the one the table was made
    from (the table is stale: ``python scripts/codec_table.py`` writes it again)."""
    from . import _codec_table as table

    if wsdl_digest() != table.WSDL_SHA256:
        return codec_from_zeep(endpoint)
    return Codec(at_endpoint(table.OPERATIONS, endpoint))


def codec_from_zeep(endpoint: str) -> Codec:
    """The codec of ``endpoint`` as zeep reads the WSDL now (loads zeep; parses the WSDL)."""
    from ._zeep import binding_at

    return Codec(describe(binding_at(endpoint)))


# --- the table: smsc_soap/_codec_table.py, written by scripts/codec_table.py --------------------


def table_source() -> str:
    """The text of :mod:`smsc_soap._codec_table` from zeep's reading of the vendored WSDL now."""
    from ._zeep import binding_at

    shapes = as_table(describe(binding_at(_wsdl.VENDORED_NAMESPACE)), _wsdl.VENDORED_NAMESPACE)
    lines = [_TABLE_HEAD, f"WSDL_SHA256 = {wsdl_digest()!r}", "", "OPERATIONS: Dict[str, Dict[str, Any]] = {"]
    for name in sorted(shapes):
        lines.append(f"    {name!r}: {{")
        lines.extend(f"        {field!r}: {value!r}," for field, value in shapes[name]._asdict().items())
        lines.append("    },")
    return "\n".join(lines + ["}", ""])


_TABLE_HEAD = '''"""Every SOAP operation as zeep reads the vendored WSDL (smsc_soap/wsdl/soap.wsdl): what the
codec (:mod:`smsc_soap._codec`, one :class:`~smsc_soap._codec.Shape` each) needs to write and
read each one without loading zeep. ``{endpoint}`` stands for the endpoint in use.

Generated from zeep's reading, do not edit: ``python scripts/codec_table.py`` writes it again.
Clients use it while WSDL_SHA256 is the vendored WSDL's; once that changed, they read the WSDL
with zeep until the table is written again. tests/test_codec.py checks it against zeep's reading.
"""
from __future__ import annotations

from typing import Any, Dict
'''
