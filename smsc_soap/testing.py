"""vcrpy cassettes for SMSC SOAP conversations: configuration, matchers, scrubbers and pytest fixtures.

Recorded conversations let a test suite that uses :class:`smsc_soap.Client` run offline and
repeatably. vcrpy's defaults get three things wrong for this service, and this module fixes them:

* every SOAP operation is a POST to the same URL with the same ``SOAPAction``, and vcrpy's
  default matchers ignore the body, so a cassette could answer ``send`` with a recorded
  ``balance``. :data:`MATCH_ON` adds two matchers: the operation (:func:`match_operation`) and
  the normalised body (:func:`match_body`, parsed XML, secrets and parameter order ignored);
* ``filter_post_data_parameters`` does not look inside XML: :func:`scrub_request` and
  :func:`scrub_response` replace ``psw`` and ``apikey`` by ``REDACTED`` in XML bodies, in the
  ``query`` string inside the XML, in URLs and in headers, before anything is written;
* vcrpy loses interactions recorded from several threads (it swaps the connection classes back
  to the real ones while a request is sent, for every thread at once). The kit's cassettes
  serialise HTTP requests made through urllib3 (and so requests, and so this client) under one
  lock, so threads cannot slip past the recorder; see :func:`serialised_http_patches`.

Two more things specific to this client: its transport uses urllib3 pool subclasses of its own,
which plain vcrpy does not patch (:func:`client_connection_patches` does; pass
:func:`custom_patches` to any vcrpy you configure yourself), and it gives every send without an
``id`` a fresh random one, which the body matcher ignores (:data:`CLIENT_ID_PATTERN`).

Use :func:`make_vcr` (a configured ``vcr.VCR``) or :func:`vcr_config` (the same as a dict of
``VCR``/``use_cassette`` keyword arguments), or the pytest fixtures ``smsc_cassette``,
``smsc_vcr``, ``smsc_vcr_config``, ``smsc_cassette_dir`` and ``smsc_no_network`` that this
module provides as a pytest plugin. Record mode is ``none`` by default: a request that is not in
the cassette fails loudly instead of reaching the network.

This module is loaded by every pytest run of every project that installs smsc-soap, and vcrpy
is only a test extra: it imports nothing heavy at import time, and vcrpy only when used.
"""
from __future__ import annotations

import contextlib
import functools
import os
import re
import socket
import threading
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, Iterator, List, NamedTuple, Optional, Tuple, Union
from urllib.parse import parse_qs, quote, quote_plus, unquote_plus, urlsplit, urlunsplit
from xml.sax.saxutils import escape as xml_escape, unescape as xml_unescape

from .redact import REDACTED, Secret, redact, secret_forms

if TYPE_CHECKING:  # pragma: no cover
    import vcr
    import vcr.cassette
    import vcr.request

try:  # the plugin half needs pytest; the rest of the module does not
    import pytest
except ImportError:  # pragma: no cover - only outside test environments
    pytest = None  # type: ignore[assignment]

__all__ = [
    "BODY_MATCHER", "CLIENT_ID", "CLIENT_ID_PATTERN", "DEFAULT_RECORD_MODE", "HTTP_LOCK", "MATCH_ON",
    "OPERATION_MATCHER", "REDACTED", "SECRET_ENV_VARS", "SECRET_FIELDS", "NetworkBlockedError", "SoapBody",
    "block_network", "client_connection_patches", "custom_patches", "make_vcr", "match_body", "match_operation",
    "normalise_body", "register_matchers", "scrub_query", "scrub_request", "scrub_response", "scrub_text",
    "scrub_url", "secret_forms", "serialised_http_patches", "soap_operation", "vcr_config",
]

#: Names of the secret fields: the ``<psw>`` element, and ``psw=``/``apikey=`` in query strings.
SECRET_FIELDS = ("psw", "apikey")
#: Environment variables whose values are scrubbed wherever they appear, in any wire form,
#: on top of the scrubbing by shape (the names the recording script reads credentials from).
SECRET_ENV_VARS = ("SMSC_PASSWORD", "SMSC_APIKEY")
#: Request headers whose whole value is a credential.
SECRET_HEADERS = ("authorization", "proxy-authorization", "cookie")

OPERATION_MATCHER = "smsc_operation"
BODY_MATCHER = "smsc_body"
#: vcrpy's default matchers plus the SOAP operation and the normalised body.
MATCH_ON = ("method", "scheme", "host", "port", "path", "query", OPERATION_MATCHER, BODY_MATCHER)
#: A request that is not in the cassette raises instead of being recorded.
DEFAULT_RECORD_MODE = "none"

#: The id :class:`smsc_soap.Client` gives a send whose caller gave none ("c" and 20 random hex
#: digits, :func:`smsc_soap.client.new_message_id`): new on every run, so the body matcher takes
#: any two such ids of a send as equal, and the replayed answer brings back the recorded one.
CLIENT_ID_PATTERN = re.compile(r"^c[0-9a-f]{20}$")
CLIENT_ID = "<client-generated id>"

Body = Union[bytes, str, None]


# --- normalisation and matchers --------------------------------------------------------------


class SoapBody(NamedTuple):
    """A SOAP request reduced to what it asks: the operation and its fields.

    ``fields`` is a sorted tuple of ``(name, value)``; a value is the element's text with
    surrounding whitespace dropped, or a tuple of the same shape for an element with children.
    ``psw`` is ``REDACTED``; ``query`` is parsed (``parse_qs``) into sorted
    ``(name, (values...))`` pairs with ``psw``/``apikey`` ``REDACTED``; the ``id`` the client
    generates for a send is :data:`CLIENT_ID`. Namespaces and prefixes are ignored (the
    endpoint, which is the namespace, is matched by the URL).
    """

    operation: str
    fields: Tuple[Tuple[str, Any], ...]


def _bytes(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, (bytes, bytearray, memoryview)):
        return bytes(body)
    if hasattr(body, "read"):
        return _bytes(body.read())
    return b"".join(_bytes(chunk) for chunk in body)  # an iterator of chunks


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _normal_query(query: str) -> Tuple[Tuple[str, Tuple[str, ...]], ...]:
    parsed = parse_qs(query.strip(), keep_blank_values=True)
    return tuple(sorted((name, (REDACTED,) if name.lower() in SECRET_FIELDS else tuple(values))
                        for name, values in parsed.items()))


def _normal_element(element: Any) -> Any:
    children = [child for child in element if isinstance(child.tag, str)]
    if not children:
        return (element.text or "").strip()
    return tuple(sorted(((_local(child.tag), _normal_field(child)) for child in children), key=lambda kv: kv[0]))


def _normal_field(element: Any) -> Any:
    name = _local(element.tag)
    if name == "psw":
        return REDACTED
    value = _normal_element(element)
    if name == "query" and isinstance(value, str):
        return _normal_query(value)
    return value


@functools.lru_cache(maxsize=512)
def _soap_body(data: bytes) -> Optional[SoapBody]:
    from lxml import etree

    if b"<" not in data:
        return None
    # Safe parsing: no DTD loaded, no entity expanded, nothing fetched.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                             huge_tree=False, remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        return None
    if root.getroottree().docinfo.internalDTD is not None or _local(root.tag) != "Envelope":
        return None
    body = next((child for child in root if _local(child.tag) == "Body"), None)
    request = None if body is None else next((child for child in body if isinstance(child.tag, str)), None)
    if request is None:
        return None
    operation = _local(request.tag)
    fields = [(_local(child.tag), _normal_field(child)) for child in request if isinstance(child.tag, str)]
    if operation in ("send", "send2"):
        fields = [(name, CLIENT_ID if name == "id" and isinstance(value, str) and CLIENT_ID_PATTERN.match(value)
                   else value) for name, value in fields]
    return SoapBody(operation, tuple(sorted(fields, key=lambda kv: kv[0])))


def _request_body(request_or_body: Any) -> bytes:
    if hasattr(request_or_body, "uri") and hasattr(request_or_body, "body"):
        from vcr.util import read_body

        return _bytes(read_body(request_or_body))
    return _bytes(request_or_body)


def soap_operation(request_or_body: Any) -> Optional[str]:
    """The SOAP operation of a request (a vcrpy ``Request`` or a body): the local name of the
    Body's first element (``balance``, ``send``, ``send2``, ``cost``, ``cost2``, ``status``,
    ``status2``), or None when the body is not a SOAP envelope."""
    parsed = _soap_body(_request_body(request_or_body))
    return parsed.operation if parsed else None


def normalise_body(request_or_body: Any) -> Any:
    """What :func:`match_body` compares: a :class:`SoapBody` for a SOAP envelope; for anything
    else the form fields (``parse_qs``, secrets REDACTED) when the body parses as a form, else the
    bytes with secrets scrubbed."""
    data = _request_body(request_or_body)
    parsed = _soap_body(data)
    if parsed is not None:
        return parsed
    text = _decode(data)[0]
    if text and "=" in text and not re.search(r"[\s<>{}\[\]\"]", text):
        return ("form", _normal_query(text))
    return ("raw", scrub_text(data))


def _describe_difference(new: Any, recorded: Any) -> str:
    if isinstance(new, SoapBody) and isinstance(recorded, SoapBody):
        if new.operation != recorded.operation:
            return f"SOAP operation {new.operation!r} != recorded {recorded.operation!r}"
        mine, theirs = dict(new.fields), dict(recorded.fields)
        lines = [f"{name}: {mine.get(name, '<absent>')!r} != recorded {theirs.get(name, '<absent>')!r}"
                 for name in sorted(set(mine) | set(theirs)) if mine.get(name) != theirs.get(name)]
        return f"SOAP {new.operation} bodies differ: " + "; ".join(lines or ["in repeated fields"])
    return f"bodies differ: {new!r:.200} != recorded {recorded!r:.200}"


def match_operation(r1: "vcr.request.Request", r2: "vcr.request.Request") -> None:
    """vcrpy matcher: both requests ask for the same SOAP operation (or neither is SOAP)."""
    first, second = soap_operation(r1), soap_operation(r2)
    if first != second:
        raise AssertionError(f"SOAP operation {first!r} != recorded {second!r}")


def match_body(r1: "vcr.request.Request", r2: "vcr.request.Request") -> None:
    """vcrpy matcher: the normalised bodies are equal (see :class:`SoapBody`)."""
    first, second = normalise_body(r1), normalise_body(r2)
    if first != second:
        raise AssertionError(_describe_difference(first, second))


def register_matchers(recorder: "vcr.VCR") -> "vcr.VCR":
    """Register ``smsc_operation`` and ``smsc_body`` on a ``vcr.VCR`` (e.g. pytest-recording's,
    from its ``pytest_recording_configure(config, vcr)`` hook) and return it."""
    recorder.register_matcher(OPERATION_MATCHER, match_operation)
    recorder.register_matcher(BODY_MATCHER, match_body)
    return recorder


# --- scrubbing ---------------------------------------------------------------------------------

SecretsArg = Optional[Iterable[Union[str, Secret]]]


def _secrets(secrets: SecretsArg) -> Tuple[Secret, ...]:
    """Secrets to scrub by value: those given, or (None) those in :data:`SECRET_ENV_VARS`."""
    if secrets is None:
        secrets = [os.environ.get(name, "") for name in SECRET_ENV_VARS]
    return tuple(s if isinstance(s, Secret) else Secret(str(s)) for s in secrets if s)


def _decode(data: bytes) -> Tuple[str, str]:
    """``data`` as text and the codec that gives the same bytes back (UTF-8, else Latin-1: the
    service's HTTP APIs may answer in windows-1251, and the patterns we scrub are ASCII)."""
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


_QUERY_ELEMENT = re.compile(r"(<(?:[\w.-]+:)?query(?:\s[^>]*)?>)([^<]*)(</(?:[\w.-]+:)?query\s*>)")
_FORM = re.compile(r"^[^=&\s<>]+=[^\s<>]*$")


def scrub_query(query: str) -> str:
    """A query string with the whole value of every ``psw``/``apikey`` parameter REDACTED.

    It splits on ``&`` as ``parse_qs`` does, so a secret holding an encoded ``&`` (``%26``) is
    removed whole, not cut at the first ``%26``.
    """
    out = []
    for part in query.split("&"):
        name, sep, _ = part.partition("=")
        if sep and unquote_plus(name).strip().lower() in SECRET_FIELDS:
            part = f"{name}={REDACTED}"
        out.append(part)
    return "&".join(out)


def _scrub_query_element(match: "re.Match[str]") -> str:
    return match.group(1) + xml_escape(scrub_query(xml_unescape(match.group(2)))) + match.group(3)


# psw=/apikey= and the whole value after it, encoded "&" (%26) included: a URL-encoded value
# ends at a raw "&", quote, "<" or space. (redact() stops at %26, taking it for the separator of a
# query nested in a URL parameter; here scrubbing too much only costs matching precision.)
_GREEDY_PARAM = re.compile(r"((?<![A-Za-z_])(?:apikey|psw)(?:=|%3D))[^&<>\"'\s]*", re.IGNORECASE)


def scrub_text(text: Union[str, bytes], secrets: SecretsArg = ()) -> Union[str, bytes]:
    """``text`` with every psw/apikey value REDACTED: the ``<psw>`` element, the secret parameters
    of a ``<query>`` element or of a form-encoded body, ``psw=``/``apikey=`` anywhere else (also
    XML-escaped or URL-encoded), and each of ``secrets`` in its plain, XML-escaped and
    URL-encoded forms. Bytes stay bytes, in their own encoding."""
    if isinstance(text, (bytes, bytearray)):
        decoded, codec = _decode(bytes(text))
        return str(scrub_text(decoded, secrets)).encode(codec)
    found = _secrets(secrets)
    text = _QUERY_ELEMENT.sub(_scrub_query_element, text)
    if _FORM.match(text):
        text = scrub_query(text)
    return _GREEDY_PARAM.sub(rf"\g<1>{REDACTED}", redact(text, found))


def scrub_url(url: str, secrets: SecretsArg = ()) -> str:
    """``url`` with its ``psw``/``apikey`` query parameters, a password in the authority, and the
    given secrets REDACTED."""
    parts = urlsplit(url)
    if parts.password is not None:
        host = parts.netloc.rsplit("@", 1)[1]
        parts = parts._replace(netloc=f"{quote(parts.username or '', safe='')}:{REDACTED}@{host}")
    parts = parts._replace(query=scrub_query(parts.query))
    return redact(urlunsplit(parts), _secrets(secrets))


def scrub_request(request: "vcr.request.Request", secrets: SecretsArg = ()) -> "vcr.request.Request":
    """vcrpy ``before_record_request``: scrub the URL, the body and the headers in place.

    vcrpy runs it on a copy before a request is written, and on each request before it is
    matched, so recorded and live requests are compared with their secrets REDACTED alike.
    """
    found = _secrets(secrets)
    request.uri = scrub_url(request.uri, found)
    body = request.body
    if body is not None:
        request.body = scrubbed = scrub_text(_bytes(body), found)
    for name in list(request.headers):
        value = request.headers[name]
        if name.lower() in SECRET_HEADERS:
            request.headers[name] = REDACTED
        elif name.lower() == "content-length" and body is not None:
            request.headers[name] = str(len(scrubbed))  # the old length would tell the secret's
        elif isinstance(value, (str, bytes)):
            request.headers[name] = scrub_text(value, found)
    return request


def scrub_response(response: Dict[str, Any], secrets: SecretsArg = ()) -> Dict[str, Any]:
    """vcrpy ``before_record_response``: scrub the body and the headers of a recorded answer.

    A compressed body is decompressed first (scrubbing cannot see into gzip), as
    ``decode_compressed_response`` would.
    """
    found = _secrets(secrets)
    headers = response.get("headers") or {}
    if any(name.lower() == "content-encoding" for name in headers):
        from vcr.filters import decode_response

        response = decode_response(response)
        headers = response.get("headers") or {}
    body = response.get("body") or {}
    if body.get("string") is not None:
        body["string"] = scrub_text(_bytes(body["string"]), found)
    for name, values in list(headers.items()):
        if name.lower() == "set-cookie":
            headers[name] = [REDACTED for _ in values]
        elif name.lower() == "content-length" and body.get("string") is not None:
            headers[name] = [str(len(body["string"]))]  # replay reads exactly this many bytes
        else:
            headers[name] = [scrub_text(v, found) if isinstance(v, (str, bytes)) else v for v in values]
    return response


# --- patches: the thread guard, and the client's own connection classes ---------------------------

#: Held around every urllib3 request while a kit cassette is in use (see below).
HTTP_LOCK = threading.RLock()


def serialised_http_patches() -> Tuple[Tuple[Any, str, Any], ...]:
    """vcrpy ``custom_patches`` that serialise urllib3 requests under :data:`HTTP_LOCK`.

    The trap: to send a request it is recording, vcrpy puts the real connection classes back,
    process-wide, for the time of the send. A second thread that opens a connection in that
    window gets a real one: its request goes to the network and never reaches the cassette (and
    in replay it would not be refused). With this patch, ``HTTPConnectionPool.urlopen`` (the
    entry of every requests/urllib3 request, pooled and retried) runs under one lock while the
    cassette is in use, so no thread can open a connection while another one is recording, and
    recorded/played counters are never updated by two threads at once. The price is that
    requests under a kit cassette run one at a time. Threads must start and finish inside the
    cassette's ``with`` block. Other HTTP libraries (httpx, aiohttp, raw http.client) are not
    covered: make their requests from one thread.
    """
    from urllib3.connectionpool import HTTPConnectionPool

    original = HTTPConnectionPool.urlopen
    original = getattr(original, "__smsc_original__", original)

    @functools.wraps(original)
    def urlopen(self: Any, *args: Any, **kwargs: Any) -> Any:
        with HTTP_LOCK:
            return original(self, *args, **kwargs)

    urlopen.__smsc_original__ = original  # type: ignore[attr-defined]
    return ((HTTPConnectionPool, "urlopen", urlopen),)


def client_connection_patches() -> Tuple[Tuple[Any, str, Any], ...]:
    """vcrpy ``custom_patches`` that put the client's own connection pools under the cassette.

    vcrpy swaps the ``ConnectionCls`` of urllib3's two pool classes; a pool subclass that names
    its own ``ConnectionCls`` (smsc_soap's transport does, to watch deadlines) is not swapped, so
    without these patches its requests would bypass the cassette and reach the network. The
    subclasses get vcrpy's own stub classes (so vcrpy also cleans their connections up when the
    cassette ends), and the stubs' real connections, when recording, are the client's classes
    (so deadlines and "was the request sent" keep working).
    """
    try:
        from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
        from vcr.stubs import urllib3_stubs

        from . import transport
    except ImportError:  # pragma: no cover
        return ()
    patches: List[Tuple[Any, str, Any]] = []
    for pool in vars(transport).values():
        if not (isinstance(pool, type) and issubclass(pool, HTTPConnectionPool) and "ConnectionCls" in vars(pool)):
            continue
        # The stub classes vcrpy's "urllib3" patcher gives urllib3's own pools (applied after its
        # "requests" one, so the one whose connections vcrpy closes when the cassette ends).
        secure = issubclass(pool, HTTPSConnectionPool)
        stub = urllib3_stubs.VCRRequestsHTTPSConnection if secure else urllib3_stubs.VCRRequestsHTTPConnection
        patches.append((pool, "ConnectionCls", stub))
        if issubclass(vars(pool)["ConnectionCls"], stub._baseclass):
            patches.append((stub, "_baseclass", vars(pool)["ConnectionCls"]))
    return tuple(patches)


def custom_patches() -> Tuple[Tuple[Any, str, Any], ...]:
    """Every ``custom_patches`` entry the kit needs: give them to a vcrpy you configure yourself
    (pytest-recording's ``vcr_config``), or smsc_soap's requests may bypass the cassette."""
    return serialised_http_patches() + client_connection_patches()


# --- configuration -----------------------------------------------------------------------------


def vcr_config(*, secrets: SecretsArg = None, record_mode: Optional[str] = None, **overrides: Any) -> Dict[str, Any]:
    """Keyword arguments for ``vcr.VCR(...)`` or ``use_cassette(...)``: the kit's configuration.

    ``match_on`` names two matchers that must be registered (:func:`register_matchers`;
    :func:`make_vcr` does it). ``secrets`` are scrubbed by value on top of the scrubbing by shape
    (None: the values of :data:`SECRET_ENV_VARS`). ``record_mode`` defaults to ``"none"``.
    ``overrides`` replace or add any other vcrpy option; a ``before_record_request`` or
    ``before_record_response`` given here runs AFTER the kit's scrubbers, and
    ``custom_patches`` are added to the thread guard.
    """
    found = _secrets(secrets)
    before_request: List[Callable[..., Any]] = [functools.partial(scrub_request, secrets=found)]
    before_response: List[Callable[..., Any]] = [functools.partial(scrub_response, secrets=found)]
    for key, hooks in (("before_record_request", before_request), ("before_record_response", before_response)):
        extra = overrides.pop(key, None)
        if extra is not None:
            hooks.extend(extra if isinstance(extra, (list, tuple)) else [extra])
    config: Dict[str, Any] = {
        "match_on": MATCH_ON,
        "record_mode": record_mode or DEFAULT_RECORD_MODE,
        "decode_compressed_response": True,
        "before_record_request": tuple(before_request),
        "before_record_response": tuple(before_response),
        "custom_patches": custom_patches() + tuple(overrides.pop("custom_patches", ())),
        "serializer": "yaml",
    }
    config.update(overrides)
    return config


def make_vcr(cassette_library_dir: Union[str, "os.PathLike[str]", None] = None, *, secrets: SecretsArg = None,
             record_mode: Optional[str] = None, **overrides: Any) -> "vcr.VCR":
    """A ``vcr.VCR`` with the kit's configuration (see :func:`vcr_config`) and matchers.

    >>> recorder = make_vcr("tests/cassettes")                     # doctest: +SKIP
    >>> with recorder.use_cassette("balance.yaml"):                # doctest: +SKIP
    ...     Client(login="alex", psw="...").get_balance()
    """
    import vcr

    config = vcr_config(secrets=secrets, record_mode=record_mode, **overrides)
    if cassette_library_dir is not None:
        config["cassette_library_dir"] = os.fspath(cassette_library_dir)
    return register_matchers(vcr.VCR(**config))


# --- no network --------------------------------------------------------------------------------


class NetworkBlockedError(RuntimeError):
    """A socket tried to connect while the network was blocked (a replay must not need one)."""


@contextlib.contextmanager
def block_network() -> Iterator[None]:
    """Make every socket connection attempt raise :class:`NetworkBlockedError`, in every thread.

    ``socket.socket.connect``/``connect_ex`` and ``socket.create_connection`` are replaced for
    the duration. It is not an ``OSError``, so no HTTP library mistakes it for a network error
    worth retrying: it reaches the test as it is.
    """
    def refuse(*args: Any, **kwargs: Any) -> Any:
        address = next((a for a in args if not isinstance(a, socket.socket)), kwargs.get("address"))
        raise NetworkBlockedError(f"network blocked: a connection to {address!r} was attempted "
                                  "(replays must be served from the cassette)")

    saved = (socket.socket.connect, socket.socket.connect_ex, socket.create_connection)
    socket.socket.connect = refuse  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = refuse  # type: ignore[method-assign,assignment]
    socket.create_connection = refuse  # type: ignore[assignment]
    try:
        yield
    finally:
        socket.socket.connect, socket.socket.connect_ex, socket.create_connection = saved  # type: ignore[method-assign]


# --- pytest plugin -----------------------------------------------------------------------------

RECORD_MODES = ("none", "once", "new_episodes", "all")


def cassette_name(nodeid_module: str, test_name: str) -> str:
    """The default cassette of a test: ``<module>/<test name>.yaml``, unsafe characters as ``_``."""
    return os.path.join(nodeid_module, re.sub(r"[^\w.-]+", "_", test_name).strip("_") + ".yaml")


if pytest is not None:

    def pytest_addoption(parser: Any) -> None:
        group = parser.getgroup("smsc-soap cassettes")
        group.addoption("--smsc-record-mode", action="store", default=None, choices=RECORD_MODES,
                        help="record mode of smsc_cassette (default: none, replay only). "
                             "'once' records missing cassettes, 'all' re-records every one.")

    def pytest_configure(config: Any) -> None:
        config.addinivalue_line(
            "markers", "smsc_cassette(name=None, **options): the cassette file of the smsc_cassette "
                       "fixture (relative to smsc_cassette_dir) and use_cassette options for it")

    @pytest.fixture
    def smsc_vcr_config() -> Dict[str, Any]:
        """Keyword arguments for :func:`smsc_soap.testing.vcr_config`; override it in a
        conftest.py to pass ``secrets=[...]``, ``record_mode=...`` or any vcrpy option."""
        return {}

    @pytest.fixture
    def smsc_cassette_dir(request: Any) -> str:
        """Where cassettes live: ``cassettes/`` beside the test module. Override to move them."""
        return os.path.join(os.path.dirname(str(request.node.path)), "cassettes")

    @pytest.fixture
    def smsc_record_mode(request: Any, smsc_vcr_config: Dict[str, Any]) -> str:
        """The record mode in force: ``--smsc-record-mode``, else the config's, else ``none``."""
        return str(request.config.getoption("smsc_record_mode") or smsc_vcr_config.get("record_mode")
                   or DEFAULT_RECORD_MODE)

    @pytest.fixture
    def smsc_vcr(smsc_vcr_config: Dict[str, Any], smsc_cassette_dir: str, smsc_record_mode: str) -> "vcr.VCR":
        """A ``vcr.VCR`` with the kit's matchers, scrubbers, thread guard and record mode."""
        try:
            import vcr  # noqa: F401
        except ImportError:
            vcr = None
        if vcr is None:
            pytest.fail("smsc_vcr and smsc_cassette need vcrpy: pip install 'smsc-soap[test]' (or vcrpy)",
                        pytrace=False)
        options = dict(smsc_vcr_config)
        options["record_mode"] = smsc_record_mode
        return make_vcr(smsc_cassette_dir, **options)

    @pytest.fixture
    def smsc_cassette(request: Any, smsc_vcr: "vcr.VCR", smsc_cassette_dir: str,
                      smsc_record_mode: str) -> Iterator["vcr.cassette.Cassette"]:
        """The test's cassette, in use for the whole test; yields the ``vcr`` Cassette.

        The file is ``<smsc_cassette_dir>/<module>/<test name>.yaml``, or the name given by
        ``@pytest.mark.smsc_cassette("name.yaml", **use_cassette_options)``. In record mode
        ``none`` a missing file fails the test at once, and a request not in the file raises
        vcrpy's ``CannotOverwriteExistingCassetteException``.
        """
        marker = request.node.get_closest_marker("smsc_cassette")
        name = marker.args[0] if marker is not None and marker.args else None
        if name is None:
            module = os.path.splitext(os.path.basename(str(request.node.path)))[0]
            name = cassette_name(module, request.node.name)
        options = dict(marker.kwargs) if marker is not None else {}
        path = os.path.join(smsc_cassette_dir, name)
        mode = str(options.get("record_mode", smsc_record_mode))
        if mode == "all" and os.path.isfile(path):  # re-recording: this run's conversation, nothing older
            os.remove(path)  # vcrpy 7.0 (the newest for Python 3.9) would keep the old interactions
        if mode == "none" and not os.path.isfile(path):
            pytest.fail(f"cassette {path} does not exist and the record mode is 'none'; record it with "
                        f"pytest --smsc-record-mode=once {request.node.nodeid}", pytrace=False)
        with smsc_vcr.use_cassette(path, **options) as cassette:
            yield cassette

    @pytest.fixture
    def smsc_no_network(smsc_record_mode: str) -> Iterator[None]:
        """Every socket connection attempt during the test raises NetworkBlockedError, unless
        the test is recording (``--smsc-record-mode`` other than ``none``)."""
        if smsc_record_mode != "none":
            yield
            return
        with block_network():
            yield
