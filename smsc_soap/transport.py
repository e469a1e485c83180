"""The HTTP side of every call: session, timeouts, size limit, logging, and error translation.

zeep builds and parses envelopes; everything that touches the wire passes through
:class:`SoapTransport`, and every lower-layer exception is translated to ours at one boundary,
:func:`map_exceptions`, so each concern lives in one place.
"""
from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from typing import Iterable, Iterator, Optional, Tuple, Type, Union

import lxml.etree
import requests
import urllib3
import zeep
import zeep.exceptions
from requests.adapters import HTTPAdapter

from . import errors
from .redact import Secret, redact

log = logging.getLogger("smsc_soap")

#: (connect, read) seconds. Our choice: the pages state no answer time.
DEFAULT_TIMEOUT: Tuple[float, float] = (10.0, 30.0)
#: Largest answer we read. Answers are a few hundred bytes; an ``errors`` list for a huge
#: mailing stays far below this. Anything larger is refused, not buffered.
MAX_RESPONSE_BYTES = 8 * 1024 * 1024
#: Connections kept per host, enough for a client shared by many threads.
POOL_SIZE = 32
#: Content types a SOAP 1.1 answer may carry.
XML_CONTENT_TYPES = ("text/xml", "application/xml", "application/soap+xml")

Timeout = Union[float, Tuple[float, float]]


@dataclass(frozen=True)
class TransportSettings:
    """How the client talks HTTP; one object instead of flags threaded through calls."""

    timeout: Timeout = DEFAULT_TIMEOUT
    verify: Union[bool, str] = True
    max_response_bytes: int = MAX_RESPONSE_BYTES
    connect_retries: int = 2  # safe for every operation: a refused connection never reached the server

    def requests_timeout(self) -> Tuple[float, float]:
        if isinstance(self.timeout, tuple):
            return self.timeout
        return (float(self.timeout), float(self.timeout))


def build_session(settings: TransportSettings) -> requests.Session:
    """A pooled session that retries only connection attempts (the request never left)."""
    session = requests.Session()
    retry = urllib3.Retry(total=None, connect=settings.connect_retries, read=0, status=0, other=0,
                          redirect=0, backoff_factor=0.2, raise_on_status=False)
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=POOL_SIZE, max_retries=retry)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.verify = settings.verify
    if settings.verify is False:
        log.warning("TLS certificate verification is OFF: anyone on the path can read and change "
                    "requests, passwords included")
    return session


class SoapTransport(zeep.Transport):
    """zeep's transport with our timeouts, size limit, content checks and redacted logging."""

    def __init__(self, session: requests.Session, settings: TransportSettings,
                 secrets: Iterable[Secret] = ()) -> None:
        super().__init__(session=session)
        self._settings = settings
        self._secrets = tuple(secrets)

    def load(self, url: str) -> bytes:  # pragma: no cover - the WSDL is vendored
        raise RuntimeError(f"smsc_soap never fetches documents, refused {url!r}")

    def post(self, address: str, message: Union[str, bytes], headers: dict) -> requests.Response:
        if log.isEnabledFor(logging.DEBUG):
            log.debug("POST %s SOAPAction=%s\n%s", address, headers.get("SOAPAction"),
                      redact(message if isinstance(message, str) else message.decode("utf-8", "replace"),
                             self._secrets))
        response = self.session.post(address, data=message, headers=headers,
                                     timeout=self._settings.requests_timeout(), stream=True)
        try:
            body = response.raw.read(self._settings.max_response_bytes + 1, decode_content=True)
        finally:
            response.close()
        if len(body) > self._settings.max_response_bytes:
            raise errors.ProtocolError(
                f"answer larger than {self._settings.max_response_bytes} bytes refused",
                status_code=response.status_code)
        response._content = body
        if log.isEnabledFor(logging.DEBUG):
            log.debug("HTTP %s from %s\n%s", response.status_code, address,
                      redact(body.decode("utf-8", "replace"), self._secrets))
        _check_http(response, self._secrets)
        return response


def _check_http(response: requests.Response, secrets: Iterable[Secret]) -> None:
    """Refuse answers that cannot be SOAP before zeep tries to parse them."""
    status = response.status_code
    media_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    is_xml = media_type in XML_CONTENT_TYPES or (not media_type and response.content.lstrip().startswith(b"<"))
    # A SOAP Fault comes with HTTP 500 (SOAP 1.1); any other status is not an answer.
    if status not in (200, 500) or not is_xml:
        raise errors.ProtocolError(
            f"HTTP {status} with {media_type or 'no content type'} ({len(response.content)} bytes) "
            f"is not a SOAP answer: {_snippet(response.content, secrets)}", status_code=status)
    if not response.content.strip():
        raise errors.ProtocolError(f"HTTP {status} with an empty body", status_code=status)


def _snippet(content: bytes, secrets: Iterable[Secret], limit: int = 120) -> str:
    """The start of a body, for people reading the error; a server may echo the request."""
    text = " ".join(redact(content[:4096].decode("utf-8", "replace"), secrets).split())
    return repr(text[:limit] + ("…" if len(text) > limit else ""))


# The one place where lower-layer exceptions become ours. Most specific first.
_EXCEPTION_MAP: Tuple[Tuple[Type[BaseException], Type[errors.TransportError], str], ...] = (
    (requests.exceptions.ConnectTimeout, errors.TimeoutError, "timed out connecting"),
    (requests.exceptions.ReadTimeout, errors.TimeoutError, "timed out waiting for the answer"),
    (requests.exceptions.SSLError, errors.TLSError, "TLS failed"),
    (requests.exceptions.ConnectionError, errors.ConnectionError, "connection failed"),
    (requests.exceptions.ChunkedEncodingError, errors.ConnectionError, "connection broke mid-answer"),
    (urllib3.exceptions.ProtocolError, errors.ConnectionError, "connection broke mid-answer"),
    (urllib3.exceptions.ReadTimeoutError, errors.TimeoutError, "timed out reading the answer"),
    (requests.exceptions.ContentDecodingError, errors.ProtocolError, "undecodable answer"),
    (requests.exceptions.RequestException, errors.TransportError, "HTTP request failed"),
    (zeep.exceptions.DTDForbidden, errors.ProtocolError, "answer with a DTD refused"),
    (zeep.exceptions.EntitiesForbidden, errors.ProtocolError, "answer with entity declarations refused"),
    (zeep.exceptions.XMLSyntaxError, errors.ProtocolError, "answer is not a SOAP envelope"),
    (lxml.etree.XMLSyntaxError, errors.ProtocolError, "answer is not well-formed XML"),
    (zeep.exceptions.TransportError, errors.ProtocolError, "answer is not SOAP"),
    (zeep.exceptions.XMLParseError, errors.ProtocolError, "answer does not follow the WSDL"),
    (zeep.exceptions.Error, errors.ProtocolError, "SOAP processing failed"),
)


@contextlib.contextmanager
def map_exceptions(operation: str, address: str, secrets: Iterable[Secret] = ()) -> Iterator[None]:
    """Re-raise lower-layer errors as smsc_soap errors, with secrets scrubbed from the text."""
    try:
        yield
    except errors.SmscError:
        raise
    except zeep.exceptions.Fault as fault:
        raise errors.SoapFault(str(fault.code or ""), redact(str(fault.message or ""), secrets),
                               status_code=500) from None
    except Exception as exc:  # noqa: BLE001 - translated below, or re-raised untouched
        for source, target, what in _EXCEPTION_MAP:
            if isinstance(exc, source):
                detail = redact(str(exc), secrets)
                raise target(f"{operation} at {address}: {what}: {detail}") from None
        raise
