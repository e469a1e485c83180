"""From a request's query string, body and content type to flat text fields (pure, no I/O).

Three formats (form fields, ``fmt=2`` XML, ``fmt=3`` JSON) in three charsets, as the handler URL
asks (:mod:`smsc_soap.spec`, section "callbacks"). Anything we would not read exactly (too big,
nested, a field twice, a value that is not text or a number, a DTD) is a
:class:`~smsc_soap.errors.CallbackFormatError`, never a traceback from a parser.
"""
from __future__ import annotations

import json
import re
from typing import Any, Dict, List, NamedTuple, Optional, Tuple, Union
from urllib.parse import unquote_to_bytes

import lxml.etree

from .. import spec
from ..errors import CallbackFormatError

#: The request's own settings in the handler URL's query: read, never an event's field.
SETTINGS = (spec.CALLBACK_FMT_PARAM, spec.CALLBACK_CHARSET_PARAM)

_MEDIA_FMT = {"application/json": spec.FMT_JSON, "text/json": spec.FMT_JSON,
              "application/xml": spec.FMT_XML, "text/xml": spec.FMT_XML,
              "application/x-www-form-urlencoded": spec.CALLBACK_FMT_FORM}
_DECLARATIONS = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)


class Fields(NamedTuple):
    """What a callback request carries: its fields, and the charset and format it came in."""

    values: Dict[str, str]
    charset: str
    fmt: int


def _pairs(raw: bytes, where: str) -> List[Tuple[bytes, bytes]]:
    """``name=value&...`` as undecoded bytes (the charset decodes them later). Our own split:
    Python 3.9's parse_qsl cannot return bytes that are not UTF-8."""
    parts = [part for part in raw.split(b"&") if part]
    if len(parts) > spec.CALLBACK_MAX_FIELDS:
        raise CallbackFormatError(f"more than {spec.CALLBACK_MAX_FIELDS} fields in the {where}")
    pairs = []
    for part in parts:
        name, _, value = part.partition(b"=")
        pairs.append((unquote_to_bytes(name.replace(b"+", b" ")), unquote_to_bytes(value.replace(b"+", b" "))))
    return pairs


def _text(raw: bytes, charset: str, name: str) -> str:
    try:
        return raw.decode(charset)
    except UnicodeDecodeError:
        raise CallbackFormatError(f"{name} is not {charset} text", field=name) from None


def _put(values: Dict[str, str], name: str, value: str) -> None:
    if name in values:
        raise CallbackFormatError(f"field {name[:40]!r} given twice", field=name[:40])
    values[name] = value


def _media(content_type: str) -> Tuple[str, Optional[str]]:
    """``(media type, charset parameter or None)`` of a Content-Type header."""
    media, *params = content_type.split(";")
    charset = None
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return media.strip().lower(), charset


def _choice(value: Optional[str], allowed: Tuple[Any, ...], name: str) -> Optional[str]:
    if value is not None and value not in {str(a) for a in allowed}:
        raise CallbackFormatError(f"{name}={value[:40]!r} is not one of {', '.join(map(str, allowed))}", field=name)
    return value


def read(query: Union[str, bytes], body: bytes, content_type: str = "") -> Fields:
    """The fields of one callback: the query's and the body's together (a name in both is a
    duplicate), decoded in the charset the query (or the Content-Type) names."""
    if len(body) > spec.CALLBACK_MAX_BODY_BYTES:
        raise CallbackFormatError(f"body larger than {spec.CALLBACK_MAX_BODY_BYTES} bytes refused")
    raw_query = query.encode("utf-8") if isinstance(query, str) else query
    if len(raw_query) > spec.CALLBACK_MAX_BODY_BYTES:
        raise CallbackFormatError(f"query larger than {spec.CALLBACK_MAX_BODY_BYTES} bytes refused")
    pairs = _pairs(raw_query, "query")
    settings: Dict[str, str] = {}
    for name, value in pairs:
        key = name.decode("ascii", "replace")
        if key in SETTINGS:
            _put(settings, key, value.decode("ascii", "replace").strip().lower())
    media, header_charset = _media(content_type)
    charset = _choice(settings.get(spec.CALLBACK_CHARSET_PARAM) or header_charset,
                      spec.CALLBACK_CHARSETS, "charset") or spec.CALLBACK_DEFAULT_CHARSET
    fmt_text = _choice(settings.get(spec.CALLBACK_FMT_PARAM), spec.CALLBACK_FMTS, "fmt")
    fmt = int(fmt_text) if fmt_text is not None else _MEDIA_FMT.get(media, spec.CALLBACK_FMT_FORM)

    values: Dict[str, str] = {}
    for name, value in pairs:
        key = _text(name, charset, "a field name")
        if key not in SETTINGS:
            _put(values, key, _text(value, charset, key[:40]))
    if body.strip():
        if fmt == spec.FMT_JSON:
            body_fields = _json(body, charset)
        elif fmt == spec.FMT_XML:
            body_fields = _xml(body, charset)
        else:
            if media and media != "application/x-www-form-urlencoded":
                raise CallbackFormatError(f"a form body comes as application/x-www-form-urlencoded, not {media[:60]}")
            body_fields = [(_text(n, charset, "a field name"), _text(v, charset, n.decode("ascii", "replace")[:40]))
                           for n, v in _pairs(body, "body")]
        if len(body_fields) + len(values) > spec.CALLBACK_MAX_FIELDS:
            raise CallbackFormatError(f"more than {spec.CALLBACK_MAX_FIELDS} fields")
        for key, text in body_fields:
            _put(values, key, text)
    return Fields(values, charset, fmt)


# --- JSON: one flat object, bounded depth, no key twice ---------------------------------------


def _depth(text: str) -> int:
    """How deep ``[``/``{`` nest in ``text`` (outside strings), before any parser recurses."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def _no_twice(pairs: List[Tuple[str, Any]]) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for key, value in pairs:
        _put(out, key, value)
    return out


def _constant(name: str) -> Any:
    raise CallbackFormatError(f"JSON {name} is not a value a callback carries")


def _json(body: bytes, charset: str) -> List[Tuple[str, str]]:
    text = _text(body, charset, "the JSON body")
    if _depth(text) > spec.CALLBACK_JSON_MAX_DEPTH:
        raise CallbackFormatError("JSON nested deeper than one flat object")
    try:  # numbers kept as written: str, not float
        data = json.loads(text, object_pairs_hook=_no_twice, parse_float=str, parse_int=str,
                          parse_constant=_constant)
    except ValueError as exc:
        if isinstance(exc, CallbackFormatError):
            raise
        raise CallbackFormatError(f"the body is not JSON: {exc.args[0][:80] if exc.args else ''}") from None
    if not isinstance(data, dict):
        raise CallbackFormatError("the JSON body is not an object")
    fields = []
    for key, value in data.items():
        if not isinstance(value, str):  # numbers arrive as str (parse_int/parse_float)
            raise CallbackFormatError(f"{key[:40]} is {type(value).__name__}, not text or a number", field=key[:40])
        fields.append((key, value))
    return fields


# --- XML: one root, its children the fields; no DTD, no entities, no network ------------------


def _xml(body: bytes, charset: str) -> List[Tuple[str, str]]:
    if _DECLARATIONS.search(body):
        raise CallbackFormatError("XML with a DTD or entity declarations refused (never parsed)")
    parser = lxml.etree.XMLParser(encoding=charset, resolve_entities=False, no_network=True, load_dtd=False,
                                  huge_tree=False, recover=False, remove_comments=True, remove_pis=True)
    try:
        root = lxml.etree.fromstring(body, parser)
    except (lxml.etree.XMLSyntaxError, ValueError) as exc:
        raise CallbackFormatError(f"the body is not XML: {str(exc)[:80]}") from None
    fields = []
    for child in root:
        if not isinstance(child.tag, str) or len(child):
            raise CallbackFormatError("XML nested deeper than a root and its fields")
        fields.append((lxml.etree.QName(child).localname, child.text or ""))
    return fields
