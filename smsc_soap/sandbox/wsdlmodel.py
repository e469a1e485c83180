"""The operations of the vendored WSDL, read from the WSDL itself (one source of truth).

For each operation: the request element and its children, the response element, its result
wrapper and the wrapper's fields in schema order (the order a SoapServer writes them in), and
which fields repeat (``errors`` of send_sms2) with their own fields.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Dict, Mapping, Tuple

from lxml import etree

from .._wsdl import vendored_wsdl

WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
XSD_NS = "http://www.w3.org/2001/XMLSchema"


@dataclass(frozen=True)
class Operation:
    name: str                       #: operation, e.g. ``send_sms``
    request: str                    #: request element, e.g. ``send``
    params: Tuple[str, ...]         #: request children in schema order
    response: str                   #: response element, e.g. ``SendResponse``
    wrapper: str                    #: its single child, e.g. ``sendresult``
    fields: Tuple[str, ...]         #: the wrapper's children in schema order
    repeated: Mapping[str, Tuple[str, ...]]  #: field -> its children, for maxOccurs="unbounded"


def _local(qname: str) -> str:
    return qname.rpartition(":")[2]


@functools.lru_cache(maxsize=1)
def operations() -> Dict[str, Operation]:
    """Operations of the WSDL by request element name (how a document/literal call is found)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.fromstring(vendored_wsdl(), parser)
    ns = {"w": WSDL_NS, "x": XSD_NS}
    schema = root.find("w:types/x:schema", ns)
    elements = {e.get("name"): e for e in schema.findall("x:element", ns)}
    types = {t.get("name"): t for t in schema.findall("x:complexType", ns)}

    def sequence(node: etree._Element) -> list:
        return node.findall(".//x:sequence/x:element", ns)

    def type_fields(type_name: str) -> Tuple[Tuple[str, ...], Dict[str, Tuple[str, ...]]]:
        fields, repeated = [], {}
        for child in sequence(types[_local(type_name)]):
            fields.append(child.get("name"))
            if child.get("maxOccurs") == "unbounded":
                repeated[child.get("name")] = tuple(c.get("name") for c in sequence(types[_local(child.get("type"))]))
        return tuple(fields), repeated

    messages = {m.get("name"): _local(m.find("w:part", ns).get("element")) for m in root.findall("w:message", ns)}
    result: Dict[str, Operation] = {}
    for op in root.findall("w:portType/w:operation", ns):
        request = messages[_local(op.find("w:input", ns).get("message"))]
        response = messages[_local(op.find("w:output", ns).get("message"))]
        (wrapper,) = sequence(elements[response])
        fields, repeated = type_fields(wrapper.get("type"))
        result[request] = Operation(
            name=op.get("name"),
            request=request,
            params=tuple(e.get("name") for e in sequence(elements[request])),
            response=response,
            wrapper=wrapper.get("name"),
            fields=fields,
            repeated=repeated,
        )
    return result


def by_name() -> Dict[str, Operation]:
    """The same operations by operation name (``send_sms`` ...)."""
    return {op.name: op for op in operations().values()}
