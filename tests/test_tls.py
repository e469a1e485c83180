"""TLS: verified by default, off only when asked (with a warning), plain http only when written.

The server is a loopback HTTPS responder with a self-signed certificate made for the test by the
``openssl`` command; without it the tests that need the server are skipped, saying why.
"""
from __future__ import annotations

import contextlib
import logging
import shutil
import socket
import ssl
import subprocess
import threading
import time
import warnings
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict, Iterator, List, NamedTuple, Tuple

import pytest
import requests
import requests.certs

import smsc_soap
from smsc_soap import Client
from support.servers import Answer, Captured, LoopbackServer, soap_answer


class TlsServer(NamedTuple):
    url: str
    cert: Path
    requests: List[bytes]


def make_certificate(directory: Path) -> Path:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is not installed, so no test certificate can be made")
    key, cert = directory / "key.pem", directory / "cert.pem"
    result = subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        capture_output=True, timeout=60)
    if result.returncode != 0:
        pytest.skip(f"openssl could not make a test certificate: {result.stderr.decode(errors='replace')[:200]}")
    return directory


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsServer]:
    directory = make_certificate(tmp_path_factory.mktemp("tls"))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(directory / "cert.pem", directory / "key.pem")
    seen: List[bytes] = []

    def answer(request: Captured) -> Answer:
        seen.append(request.body)
        operation = "send_sms" if b"send>" in request.body else "get_balance"
        fields = "<id>1</id><cnt>1</cnt>" if operation == "send_sms" else "<balance>7.00</balance>"
        return Answer(soap_answer(server.url, operation, fields))

    with LoopbackServer(answer, tls=context, keep_alive=True) as server:
        yield TlsServer(server.url, directory / "cert.pem", seen)


def test_certificates_are_verified_by_default(tls_server: TlsServer, any_client: Any) -> None:
    client = any_client("alex", "123", url=tls_server.url, timeout=5.0)
    before = len(tls_server.requests)
    with pytest.raises(smsc_soap.TLSError) as caught:
        client.get_balance()
    assert isinstance(caught.value, smsc_soap.ConnectionError)
    assert "certificate" in str(caught.value).lower()
    # A send that fails verification never left: a plain TLSError, no unknown outcome.
    with pytest.raises(smsc_soap.TLSError) as caught:
        client.send_sms("79999999999", "Hello")
    assert not isinstance(caught.value, smsc_soap.SendOutcomeUnknown)
    assert len(tls_server.requests) == before


@pytest.fixture(autouse=True)
def ca_bundle_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """requests lets this variable override a session's verify; the client must not."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", requests.certs.where())  # type: ignore[attr-defined]  # not in requests' stubs


def test_a_ca_bundle_given_as_verify_is_trusted(tls_server: TlsServer, any_client: Any) -> None:
    client = any_client("alex", "123", url=tls_server.url, timeout=5.0, verify=str(tls_server.cert))
    assert client.get_balance().balance == Decimal("7.00")
    assert client.send_sms("79999999999", "Hello").id == "1"


def test_turning_verification_off_needs_verify_false_and_logs_a_warning(
        tls_server: TlsServer, caplog: pytest.LogCaptureFixture, any_client: Any) -> None:
    caplog.set_level(logging.WARNING, logger="smsc_soap")
    verified = any_client("alex", "123", url=tls_server.url)
    assert not [r for r in caplog.records if r.name == "smsc_soap"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # urllib3's own InsecureRequestWarning, once per request
        client = any_client("alex", "123", url=tls_server.url, timeout=5.0, verify=False)
        assert client.get_balance().balance == Decimal("7.00")
    [record] = [r for r in caplog.records if r.name == "smsc_soap"]
    assert record.levelno == logging.WARNING and "verification is OFF" in record.getMessage()
    del verified


def test_verify_false_warns_also_with_a_session_of_ones_own(caplog: pytest.LogCaptureFixture, any_client: Any) -> None:
    caplog.set_level(logging.WARNING, logger="smsc_soap")
    any_client("alex", "123", url="https://127.0.0.1:1/sys/soap.php", verify=False, session=requests.Session())
    assert [r.levelno for r in caplog.records if r.name == "smsc_soap"] == [logging.WARNING]


@pytest.mark.parametrize(("kwargs", "scheme"), [
    ({}, "https"), ({"host": "smsc.kz"}, "https"), ({"url": "https://127.0.0.1:1/sys/soap.php"}, "https"),
    ({"url": "http://127.0.0.1:1/sys/soap.php"}, "http"),
])
def test_plain_http_only_when_an_http_url_is_written_out(kwargs: Dict[str, Any], scheme: str) -> None:
    assert Client("alex", "123", **kwargs).endpoint.split("://")[0] == scheme


def test_async_clients_share_one_default_context_that_follows_the_tls_environment(
        tls_server: TlsServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """httpx's default context (the CA bundle read, ~27 ms) is made once per process, not per
    AsyncClient or per pool; SSL_CERT_FILE, which httpx reads for it, still decides what is trusted."""
    import asyncio

    import httpx

    from smsc_soap._async import transport

    made: List[Dict[str, Any]] = []
    real = httpx.create_ssl_context

    def counted(**options: Any) -> ssl.SSLContext:
        made.append(options)
        return real(**options)

    monkeypatch.setattr(httpx, "create_ssl_context", counted)
    monkeypatch.setattr(transport, "_default_context", None)
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR", "SSLKEYLOGFILE"):
        monkeypatch.delenv(name, raising=False)
    clients = [smsc_soap.AsyncClient("alex", "123", url=tls_server.url, timeout=5.0) for _ in range(3)]
    assert len(made) == 1
    with pytest.raises(smsc_soap.TLSError):
        asyncio.run(clients[0].get_balance())  # the test's certificate is trusted by no CA bundle

    monkeypatch.setenv("SSL_CERT_FILE", str(tls_server.cert))
    trusting = smsc_soap.AsyncClient("alex", "123", url=tls_server.url, timeout=5.0)
    assert len(made) == 2
    assert asyncio.run(trusting.get_balance()).balance == Decimal("7.00")


class TricklingRelay:
    """A loopback relay in front of ``upstream``: what the client sends goes on at once, what the
    server sends comes back a byte every 0.05 s, so the TLS handshake alone (a certificate of
    ~1 KB) would last about a minute."""

    def __init__(self, upstream: Tuple[str, int]) -> None:
        self.upstream = upstream
        self.stopping = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.threads = [threading.Thread(target=self._accept, daemon=True)]
        self.threads[0].start()

    def _accept(self) -> None:
        self.listener.settimeout(0.1)
        while not self.stopping.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                continue
            server = socket.create_connection(self.upstream, timeout=5)
            for pump in (self._forward, self._trickle):
                thread = threading.Thread(target=pump, args=(client, server), daemon=True)
                thread.start()
                self.threads.append(thread)

    def _forward(self, client: socket.socket, server: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while not self.stopping.is_set():
                data = client.recv(65536)
                if not data:
                    break
                server.sendall(data)

    def _trickle(self, client: socket.socket, server: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while not self.stopping.is_set():
                byte = server.recv(1)
                if not byte or self.stopping.wait(0.05):
                    break
                client.sendall(byte)
        for sock in (client, server):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def close(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(5)
        self.listener.close()


@pytest.mark.parametrize("operation", ["get_balance", "send_sms"])
def test_a_tls_handshake_that_trickles_cannot_hold_a_call_past_its_timeout(
        tls_server: TlsServer, operation: str, any_client: Any) -> None:
    """The watchdog cuts the connection's socket during the handshake too (requests' timeout is
    per read, and each read gets a byte)."""
    host, port = tls_server.url.split("//", 1)[1].split("/", 1)[0].split(":")
    relay = TricklingRelay((host, int(port)))
    try:
        client = any_client("alex", "123", url=tls_server.url.replace(f":{port}/", f":{relay.port}/"), timeout=1.0,
                            verify=str(tls_server.cert))
        started = time.monotonic()
        with pytest.raises(smsc_soap.TimeoutError) as caught:
            client.send_sms("79991234567", "Hi") if operation == "send_sms" else client.get_balance()
        elapsed = time.monotonic() - started
    finally:
        relay.close()
    assert elapsed < 1.0 + 1, f"{operation} took {elapsed:.2f} s"
    assert not isinstance(caught.value, smsc_soap.SendOutcomeUnknown)  # no byte of the request left
