"""Helpers for the sandbox's own tests (imported by name: tests/ is not a package)."""
from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Optional, Union

import requests
from lxml import etree

from smsc_soap.sandbox import Sandbox

HERE = Path(__file__).parent
ENV11 = "http://schemas.xmlsoap.org/soap/envelope/"
ENV12 = "http://www.w3.org/2003/05/soap-envelope"


def envelope(body: str, ns: str, env: str = ENV11, head: str = "", tail: str = "", attrs: str = "") -> bytes:
    """A request envelope; ``n:`` is bound to ``ns`` (the service namespace), ``S:`` to ``env``."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><S:Envelope xmlns:S="{env}" xmlns:n="{ns}"{attrs}>'
        f"{head}<S:Body>{body}</S:Body>{tail}</S:Envelope>"
    ).encode("utf-8")


def post(url: str, data: Union[bytes, str], **headers: str) -> requests.Response:
    headers = {"Content-Type": "text/xml; charset=utf-8", **headers}
    return requests.post(url, data=data.encode() if isinstance(data, str) else data, headers=headers, timeout=10)


def soap(sb: Sandbox, element: str, **params: Optional[str]) -> Dict[str, Any]:
    """Call the sandbox over HTTP with a hand-built envelope; the result fields as a dict."""
    fields = "".join(f"<{k}>{_escape(v)}</{k}>" for k, v in params.items() if v is not None)
    response = post(sb.url, envelope(f"<n:{element}>{fields}</n:{element}>", sb.url))
    assert response.status_code == 200, response.content
    return result_fields(response.content)


def result_fields(body: bytes) -> Dict[str, Any]:
    root = etree.fromstring(body)
    wrapper = root[0][0][0]
    out: Dict[str, Any] = {}
    for child in wrapper:
        if len(child):
            out.setdefault(child.tag, []).append({c.tag: c.text or "" for c in child})
        else:
            out[child.tag] = child.text or ""
    return out


def _escape(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _php_problem() -> Optional[str]:
    php = shutil.which("php")
    if php is None:
        return "the php binary is not installed (Debian: apt-get install php-cli php-soap)"
    modules = subprocess.run([php, "-m"], capture_output=True, text=True, timeout=30).stdout.split()
    if "soap" not in modules:
        return "php has no soap extension (Debian: apt-get install php-soap)"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


@dataclass
class PhpStub:
    """PHP's own SoapServer serving the vendored WSDL with a stub service (tests/sandbox/php)."""

    url: str
    result_file: Path
    seen_file: Path

    def returns(self, result: Dict[str, Any]) -> None:
        self.result_file.write_text(json.dumps(result))

    def seen(self) -> Any:
        text = self.seen_file.read_text()
        return json.loads(text) if text else None

    def forget(self) -> None:
        self.seen_file.write_text("")
