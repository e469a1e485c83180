"""Shared fixtures: a scripted SOAP responder on loopback, for tests that need exact wire control.

Tests of the service's behaviour use the sandbox (smsc_soap.sandbox); this responder is for
what the sandbox would never do on purpose (an exact answer body, an undocumented code) and for
capturing the bytes a client sends.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, Iterator, List, Optional, Tuple

import pytest

ENVELOPE = ('<?xml version="1.0" encoding="UTF-8"?>'
            '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns:ns1="{ns}"><SOAP-ENV:Body>{body}</SOAP-ENV:Body></SOAP-ENV:Envelope>')

# operation -> (response element, result wrapper), as the WSDL names them
RESPONSE_ELEMENTS = {
    "get_balance": ("BalanceResponse", "balanceresult"),
    "send_sms": ("SendResponse", "sendresult"),
    "send_sms2": ("Send2Response", "sendresult"),
    "get_sms_cost": ("CostResponse", "costresult"),
    "get_sms_cost2": ("Cost2Response", "costresult"),
    "get_status": ("StatusResponse", "statusresult"),
    "get_status2": ("Status2Response", "statusresult"),
}


def soap_answer(namespace: str, operation: str, fields: str) -> bytes:
    """A success envelope the way PHP's SoapServer writes one; ``fields`` is the inner XML."""
    element, wrapper = RESPONSE_ELEMENTS[operation]
    body = f"<ns1:{element}><{wrapper}>{fields}</{wrapper}></ns1:{element}>"
    return ENVELOPE.format(ns=namespace, body=body).encode()


@dataclass
class Captured:
    method: str
    path: str
    headers: Dict[str, str]
    body: bytes


@dataclass
class Responder:
    """Answers each request with the next scripted (status, content type, body)."""

    url: str = ""
    requests: List[Captured] = field(default_factory=list)
    script: List[Tuple[int, str, bytes]] = field(default_factory=list)
    default: Optional[Tuple[int, str, bytes]] = None

    def answer(self, body: bytes, status: int = 200, content_type: str = "text/xml; charset=utf-8") -> None:
        self.script.append((status, content_type, body))

    def next_answer(self) -> Tuple[int, str, bytes]:
        if self.script:
            return self.script.pop(0)
        assert self.default is not None, "the responder got a request it had no answer for"
        return self.default


@pytest.fixture
def responder() -> Iterator[Responder]:
    state = Responder()

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            state.requests.append(Captured(self.command, self.path, dict(self.headers), body))
            status, content_type, payload = state.next_answer()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_POST = do_GET = _serve

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/sys/soap.php"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
