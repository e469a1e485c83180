"""The endpoint rule and the vendored WSDL (zeep's parse of it: :func:`smsc_soap._zeep.wsdl_document`).

The live service writes its own URL (scheme, host, path) into the WSDL's targetNamespace, every
soapAction and the port address (../shared/spec/wsdl-evidence.md), and a request built with one
host's namespace fails on another. So we keep one vendored copy and put the endpoint in its
place before parsing: nothing is ever fetched.
"""
from __future__ import annotations

import functools
import re
from importlib import resources
from typing import Optional
from urllib.parse import urlsplit

#: The URL the vendored WSDL carries; replaced by the endpoint in use.
VENDORED_NAMESPACE = "https://smsc.ru/sys/soap.php"
#: Hosts the service's pages show (seeds 001, 003: smsc.ru; 000: smsc.kz; 002, 004: smsc.ua).
KNOWN_HOSTS = ("smsc.ru", "smsc.kz", "smsc.ua")
DEFAULT_HOST = "smsc.ru"
SOAP_PATH = "/sys/soap.php"

_HOSTNAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")


def endpoint_url(host: Optional[str] = None, url: Optional[str] = None) -> str:
    """The SOAP endpoint for ``host`` (https) or an explicit ``url`` (http only when written; the
    WSDL's address, ``...?wsdl``, names its endpoint)."""
    from .errors import ValidationError
    from .redact import redact_url

    if url is not None:
        if host is not None:
            raise ValidationError("give host= or url=, not both", field="url")
        if not isinstance(url, str) or not url.isascii():
            raise ValidationError(
                "url must be an ASCII http(s) URL (write an international host name in its xn-- form "
                "and percent-encode the path)", field="url")
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises ValueError for a port outside 0..65535 or not a number
        except ValueError as exc:
            raise ValidationError(f"url is not a valid URL: {exc}", field="url") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValidationError(f"url must be an http(s) URL with a host, got {redact_url(url)!r}", field="url")
        # "...soap.php?wsdl", the WSDL's address (what SOAP tools and the sandbox print), names the
        # same endpoint unambiguously: the query dropped. Any other query is refused.
        query = "" if parts.query.lower() == "wsdl" else parts.query
        if parts.username or parts.password or query or parts.fragment:
            raise ValidationError("url must not carry credentials, a query (other than ?wsdl) or a fragment",
                                  field="url")
        # A trailing "/" names the same endpoint as the path without it ("http://h/" is "http://h").
        return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/') or SOAP_PATH}"
    host = DEFAULT_HOST if host is None else host
    if not _HOSTNAME.match(host):
        raise ValidationError(f"host must be a bare host name such as 'smsc.kz', got {host!r}", field="host")
    return f"https://{host.lower()}{SOAP_PATH}"


@functools.lru_cache(maxsize=1)
def vendored_wsdl() -> bytes:
    """The WSDL file shipped inside the package, as bytes."""
    return resources.files("smsc_soap.wsdl").joinpath("soap.wsdl").read_bytes()


@functools.lru_cache(maxsize=64)
def wsdl_for(endpoint: str) -> bytes:
    """The WSDL as the live service would serve it at ``endpoint``."""
    return vendored_wsdl().replace(VENDORED_NAMESPACE.encode(), endpoint.encode("ascii"))
