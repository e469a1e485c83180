"""Reading SOAP requests and writing answers exactly as PHP's SoapServer does.

The live soap.php is very probably PHP's ``SoapServer`` (wsdl-evidence.md), so this module copies
its observable behaviour, measured against PHP 8.2 with the vendored WSDL (the differential test in
``tests/sandbox/test_php_parity.py`` keeps it honest):

* a request that is not well-formed XML: Fault ``Client`` / ``Bad Request``;
* a DTD: Fault ``Server`` / ``DTD are not supported by SOAP``. Unlike PHP, we refuse it by a scan of
  the raw bytes *before* parsing, so no entity is ever declared, let alone expanded;
* the envelope, header and body rules of ``deserialize_function_call`` (php-src ext/soap/soap.c)
  with their fault strings, in the same order;
* the operation is found by the name AND namespace of the body's first element; its children are
  matched by local name in any namespace and any order, extra ones are ignored, a missing one is
  simply absent (SoapServer does not enforce ``minOccurs``), one given twice becomes a list;
* a value is the element's single text (or CDATA) node; whitespace-only text is dropped, comments
  vanish, ``xsi:nil`` is ``None``, a child element or mixed text and CDATA is Fault ``Server`` /
  ``SOAP-ERROR: Encoding: Violation of encoding rules`` (one known difference: PHP's parser joins
  two adjacent CDATA sections into one, lxml keeps them apart, so the sandbox refuses those);
* answers: ``<?xml version="1.0" encoding="UTF-8"?>`` and a newline, the envelope with prefixes
  ``SOAP-ENV`` (``env`` for SOAP 1.2) and ``ns1``, no whitespace, fields in schema order, unset ones
  omitted, a newline at the end; text escapes ``& < >`` and carriage return (``&#13;``) only.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional

from lxml import etree

from .wsdlmodel import Operation, operations

SOAP11 = "1.1"
SOAP12 = "1.2"
ENV11 = "http://schemas.xmlsoap.org/soap/envelope/"
ENV12 = "http://www.w3.org/2003/05/soap-envelope"
ENC11 = "http://schemas.xmlsoap.org/soap/encoding/"
ENC12 = "http://www.w3.org/2003/05/soap-encoding"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
ACTOR_NEXT11 = "http://schemas.xmlsoap.org/soap/actor/next"
ROLE_NEXT12 = "http://www.w3.org/2003/05/soap-envelope/role/next"
ROLE_ULTIMATE12 = "http://www.w3.org/2003/05/soap-envelope/role/ultimateReceiver"

CONTENT_TYPES = {SOAP11: "text/xml; charset=utf-8", SOAP12: "application/soap+xml; charset=utf-8"}
_ENV = {SOAP11: ("SOAP-ENV", ENV11), SOAP12: ("env", ENV12)}

# PHP's fault strings, verbatim.
BAD_REQUEST = "Bad Request"
DTD_REFUSED = "DTD are not supported by SOAP"
VIOLATION = "SOAP-ERROR: Encoding: Violation of encoding rules"


class SoapFault(Exception):
    """A request SoapServer would answer with a Fault (HTTP 500).

    ``code`` is PHP's internal code (``Client``, ``Server``, ``VersionMismatch``, ``MustUnderstand``,
    ``DataEncodingUnknown`` or ``rpc:ProcedureNotPresent``); :func:`fault_envelope` writes it the way
    the request's SOAP version wants.
    """

    def __init__(self, code: str, string: str, version: str = SOAP11) -> None:
        super().__init__(f"{code}: {string}")
        self.code, self.string, self.version = code, string, version

    @property
    def body(self) -> bytes:
        return fault_envelope(self.version, self.code, self.string)

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.version]


@dataclass
class SoapCall:
    """A request that names an operation: its SOAP version, the operation, and its parameters."""

    version: str
    operation: Operation
    params: Dict[str, Any]


# --- writing ---------------------------------------------------------------------------------

# Characters XML 1.0 cannot carry; never produced from a parsed request, dropped if ever present.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_TEXT_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"}
_ATTR_ESCAPES = dict(_TEXT_ESCAPES, **{'"': "&quot;", "\n": "&#10;", "\t": "&#9;"})
_TEXT_SPECIAL = re.compile("[&<>\r]")
_ATTR_SPECIAL = re.compile('[&<>\r\n\t"]')


def _text(value: Any) -> str:
    text = _NOT_XML.sub("", str(value))
    return _TEXT_SPECIAL.sub(lambda m: _TEXT_ESCAPES[m.group()], text)


def _attr(value: str) -> str:
    return _ATTR_SPECIAL.sub(lambda m: _ATTR_ESCAPES[m.group()], _NOT_XML.sub("", value))


def response_envelope(version: str, namespace: str, operation: Operation, result: Mapping[str, Any]) -> bytes:
    """The answer to ``operation`` carrying ``result`` (``None`` or absent fields are omitted)."""
    prefix, env_ns = _ENV[version]
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        f'<{prefix}:Envelope xmlns:{prefix}="{env_ns}" xmlns:ns1="{_attr(namespace)}">',
        f"<{prefix}:Body><ns1:{operation.response}><{operation.wrapper}>",
    ]
    for name in operation.fields:
        value = result.get(name)
        if value is None:
            continue
        if name in operation.repeated:
            for item in value:
                out.append(f"<{name}>")
                for sub in operation.repeated[name]:
                    if item.get(sub) is not None:
                        out.append(f"<{sub}>{_text(item[sub])}</{sub}>")
                out.append(f"</{name}>")
        else:
            out.append(f"<{name}>{_text(value)}</{name}>")
    out.append(f"</{operation.wrapper}></ns1:{operation.response}></{prefix}:Body></{prefix}:Envelope>\n")
    return "".join(out).encode("utf-8")


def fault_envelope(version: str, code: str, string: str) -> bytes:
    """A SOAP Fault as SoapServer writes it (faultcode/faultstring, or SOAP 1.2 Code/Reason)."""
    prefix, env_ns = _ENV[version]
    if version == SOAP11:
        if code in ("Client", "Server", "VersionMismatch", "MustUnderstand"):
            code = f"{prefix}:{code}"
        inner = f"<faultcode>{_text(code)}</faultcode><faultstring>{_text(string)}</faultstring>"
    else:
        code = {"Client": "Sender", "Server": "Receiver"}.get(code, code)
        if code in ("Sender", "Receiver", "VersionMismatch", "MustUnderstand", "DataEncodingUnknown"):
            code = f"{prefix}:{code}"
        inner = (
            f"<{prefix}:Code><{prefix}:Value>{_text(code)}</{prefix}:Value></{prefix}:Code>"
            f"<{prefix}:Reason><{prefix}:Text>{_text(string)}</{prefix}:Text></{prefix}:Reason>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<{prefix}:Envelope xmlns:{prefix}="{env_ns}"><{prefix}:Body><{prefix}:Fault>{inner}'
        f"</{prefix}:Fault></{prefix}:Body></{prefix}:Envelope>\n"
    ).encode("utf-8")


# --- reading ---------------------------------------------------------------------------------

_local = threading.local()


def _parser() -> etree.XMLParser:
    # One parser per thread (lxml parsers must not be shared between threads). No entity is
    # resolved, no DTD or network resource loaded, depth and sizes stay within libxml2's defaults.
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
            attribute_defaults=False, huge_tree=False, remove_comments=True, strip_cdata=False,
        )
    return parser


def _is_utf16(body: bytes) -> bool:
    return body[:2] in (b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<")


def _as_text(body: bytes) -> str:
    """The body as text, well enough to look for markup (UTF-16 by BOM or by its first bytes)."""
    head = body[:4]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return body.decode("utf-16", "ignore")
    if head.startswith(b"<\x00"):
        return body.decode("utf-16-le", "ignore")
    if head.startswith(b"\x00<"):
        return body.decode("utf-16-be", "ignore")
    return body.decode("latin-1")


_ENVELOPE_TAG = re.compile(r"<(?:([A-Za-z_][\w.\-]*):)?Envelope[\s/>]([^>]*)")


def _doctype_version(text: str) -> str:
    """Which SOAP version to answer a DTD in: the root Envelope's namespace, as PHP does."""
    m = _ENVELOPE_TAG.search(text)
    if m:
        decl = "xmlns" + (":" + m.group(1) if m.group(1) else "")
        ns = re.search(re.escape(decl) + r"\s*=\s*([\"'])(.*?)\1", m.group(2))
        if ns and ns.group(2) == ENV12:
            return SOAP12
    return SOAP11


def has_doctype(body: bytes) -> bool:
    """True when ``body`` carries a document type declaration (looked for before any parsing)."""
    return "<!DOCTYPE" in _as_text(body)


def _elements(node: etree._Element) -> List[etree._Element]:
    return [child for child in node if isinstance(child.tag, str)]


def _qname(node: etree._Element) -> etree.QName:
    return etree.QName(node)


def _is_blank(text: str) -> bool:
    return text.strip(" \t\n\r") == ""


def _value(node: etree._Element, version: str) -> Optional[str]:
    """The string a SoapServer decodes from ``node`` (an ``xsd:string`` element)."""
    if node.get(f"{{{XSI}}}nil") in ("true", "1"):
        return None
    pieces = []
    children = node.xpath("node()")  # text nodes (str) and elements, comments, PIs (_Element)
    for item in children if isinstance(children, list) else ():
        if isinstance(item, str):
            if not _is_blank(item):
                pieces.append(str(item))
        elif isinstance(item, etree._Element) and isinstance(item.tag, str):  # an element, not a comment
            raise SoapFault("Server", VIOLATION, version)
    if len(pieces) > 1:
        raise SoapFault("Server", VIOLATION, version)
    return pieces[0] if pieces else ""


def _check_encoding_style(node: etree._Element, version: str, where: str) -> None:
    """PHP's checks of attributes on Envelope, Body and Header (in that function's order)."""
    for key, value in node.attrib.items():
        if not str(key).startswith("{"):
            if where != "Body" or version == SOAP12:
                raise SoapFault("Client", f"A SOAP {where} element cannot have non Namespace qualified attributes", version)
        elif key == f"{{{ENV12}}}encodingStyle":
            if version == SOAP12:
                raise SoapFault("Client", f"encodingStyle cannot be specified on the {where}", version)
            if value != ENC11:
                raise SoapFault("Client", "Unknown data encoding style", version)


def parse_request(body: bytes, namespace: str) -> SoapCall:
    """The call in ``body`` for a service whose namespace is ``namespace``, or :class:`SoapFault`."""
    if has_doctype(body):
        raise SoapFault("Server", DTD_REFUSED, _doctype_version(_as_text(body)))
    try:
        root = etree.fromstring(body if _is_utf16(body) else body.rstrip(b"\x00"), _parser())
    except (etree.XMLSyntaxError, ValueError):
        raise SoapFault("Client", BAD_REQUEST) from None
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.doctype:  # defence in depth; scanned above
        raise SoapFault("Server", DTD_REFUSED)

    name = _qname(root)
    if name.localname == "Envelope" and name.namespace == ENV11:
        version, env_ns = SOAP11, ENV11
    elif name.localname == "Envelope" and name.namespace == ENV12:
        version, env_ns = SOAP12, ENV12
    else:
        raise SoapFault("VersionMismatch", "Wrong Version")
    _check_encoding_style(root, version, "Envelope")

    children = _elements(root)
    position = 0
    head = body_el = None
    if position < len(children) and children[position].tag == f"{{{env_ns}}}Header":
        head = children[position]
        position += 1
    if position < len(children) and children[position].tag == f"{{{env_ns}}}Body":
        body_el = children[position]
        position += 1
    if body_el is None:
        raise SoapFault("Client", "Body must be present in a SOAP envelope", version)
    _check_encoding_style(body_el, version, "Body")
    if position < len(children) and version == SOAP12:
        raise SoapFault("Client", "A SOAP 1.2 envelope can contain only Header and Body", version)

    calls = _elements(body_el)
    if not calls:
        raise SoapFault("Client", 'looks like we got "Body" without function call', version)
    func = calls[0]
    style_attr = f"{{{env_ns}}}encodingStyle"
    if func.get(style_attr) is not None and func.get(style_attr) != (ENC11 if version == SOAP11 else ENC12):
        raise SoapFault("Client" if version == SOAP11 else "DataEncodingUnknown", "Unknown Data Encoding Style", version)
    func_name = _qname(func)
    operation = operations().get(func_name.localname) if func_name.namespace == namespace else None
    if operation is None:
        if version == SOAP12:
            raise SoapFault("rpc:ProcedureNotPresent", "Procedure not present", version)
        raise SoapFault("Server", f"Procedure '{func_name.localname}' not present", version)

    must_understand = False
    if head is not None:
        _check_encoding_style(head, version, "Header")
        for header in _elements(head):
            if version == SOAP11:
                style = header.get(f"{{{ENV11}}}encodingStyle")
                if style is not None and style != ENC11:
                    raise SoapFault("Client", "Unknown Data Encoding Style", version)
                actor = header.get(f"{{{ENV11}}}actor")
                if actor is not None and actor != ACTOR_NEXT11:
                    continue
            else:
                style = header.get(f"{{{ENV12}}}encodingStyle")
                if style is not None and style != ENC12:
                    raise SoapFault("DataEncodingUnknown", "Unknown Data Encoding Style", version)
                role = header.get(f"{{{ENV12}}}role")
                if role is not None and role not in (ROLE_ULTIMATE12, ROLE_NEXT12):
                    continue
            flag = header.get(f"{{{env_ns}}}mustUnderstand")
            if flag in ("1", "true"):
                must_understand = True
            elif flag is not None and flag not in ("0", "false"):
                raise SoapFault("Client", "mustUnderstand value is not boolean", version)

    params: Dict[str, Any] = {}
    args = _elements(func)
    for param in operation.params:
        nodes = [arg for arg in args if _qname(arg).localname == param]
        if nodes:
            values = [_value(node, version) for node in nodes]
            params[param] = values[0] if len(values) == 1 else values
    if len(calls) > 1:
        raise SoapFault("Client", "Error cannot find parameter", version)
    if must_understand:  # no header is understood: the WSDL declares none
        raise SoapFault("MustUnderstand", "Header not understood", version)
    return SoapCall(version, operation, params)
