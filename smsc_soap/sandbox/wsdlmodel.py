"""The operations of the vendored WSDL, read from the WSDL itself (one source of truth).

For each operation: the request element and its children, the response element, its result
wrapper and the wrapper's fields in schema order (the order a SoapServer writes them in), and
which fields repeat (``errors`` of send_sms2) with their own fields.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Dict, List, Mapping, Tuple

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


def _attr(node: etree._Element, name: str) -> str:
    """An attribute the vendored WSDL always has (a missing one is a broken WSDL: fail loudly)."""
    value = node.get(name)
    if value is None:
        raise ValueError(f"vendored WSDL: <{node.tag}> has no {name!r}")
    return str(value)


def _child(node: etree._Element, path: str, ns: Dict[str, str]) -> etree._Element:
    """A child the vendored WSDL always has."""
    found = node.find(path, ns)
    if found is None:
        raise ValueError(f"vendored WSDL: <{node.tag}> has no {path!r}")
    return found


@functools.lru_cache(maxsize=1)
def operations() -> Dict[str, Operation]:
    """Operations of the WSDL by request element name (how a document/literal call is found)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.fromstring(vendored_wsdl(), parser)
    ns = {"w": WSDL_NS, "x": XSD_NS}
    schema = _child(root, "w:types/x:schema", ns)
    elements = {_attr(e, "name"): e for e in schema.findall("x:element", ns)}
    types = {_attr(t, "name"): t for t in schema.findall("x:complexType", ns)}

    def sequence(node: etree._Element) -> List[etree._Element]:
        return node.findall(".//x:sequence/x:element", ns)

    def type_fields(type_name: str) -> Tuple[Tuple[str, ...], Dict[str, Tuple[str, ...]]]:
        fields: List[str] = []
        repeated: Dict[str, Tuple[str, ...]] = {}
        for child in sequence(types[_local(type_name)]):
            fields.append(_attr(child, "name"))
            if child.get("maxOccurs") == "unbounded":
                inner = sequence(types[_local(_attr(child, "type"))])
                repeated[_attr(child, "name")] = tuple(_attr(c, "name") for c in inner)
        return tuple(fields), repeated

    messages = {_attr(m, "name"): _local(_attr(_child(m, "w:part", ns), "element"))
                for m in root.findall("w:message", ns)}
    result: Dict[str, Operation] = {}
    for op in root.findall("w:portType/w:operation", ns):
        request = messages[_local(_attr(_child(op, "w:input", ns), "message"))]
        response = messages[_local(_attr(_child(op, "w:output", ns), "message"))]
        (wrapper,) = sequence(elements[response])
        fields, repeated = type_fields(_attr(wrapper, "type"))
        result[request] = Operation(
            name=_attr(op, "name"),
            request=request,
            params=tuple(_attr(e, "name") for e in sequence(elements[request])),
            response=response,
            wrapper=_attr(wrapper, "name"),
            fields=fields,
            repeated=repeated,
        )
    return result


def by_name() -> Dict[str, Operation]:
    """The same operations by operation name (``send_sms`` ...)."""
    return {op.name: op for op in operations().values()}
