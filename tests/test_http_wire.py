"""The HTTP pages' shell on the wire (a scripted loopback server): the endpoint per host, the
retry policy, the deadline, redirects refused, pages that are not answers, redacted logs."""
from __future__ import annotations

import logging
import time

import pytest
from support.servers import Responder

import smsc_soap
from smsc_soap import RetryPolicy
from smsc_soap.http_api.calls import page_url

JSON = "application/json"
ENTRY = b'{"country": "Russia", "operator": "MTS", "region": "Moscow", "mcc": "250", "mnc": "01", "tz": "0"}'


def quick(**options: object) -> RetryPolicy:
    return RetryPolicy(sleep=lambda s: None, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize("endpoint, url", [
    ("https://smsc.ru/sys/soap.php", "https://smsc.ru/sys/jobs.php"),
    ("http://127.0.0.1:8080/sys/soap.php", "http://127.0.0.1:8080/sys/jobs.php"),
    ("https://proxy.example/smsc/soap.php", "https://proxy.example/smsc/jobs.php"),
])
def test_a_page_lives_beside_the_soap_endpoint(endpoint: str, url: str) -> None:
    assert page_url(endpoint, "jobs.php") == url


def test_the_host_gives_the_pages_address() -> None:
    client = smsc_soap.Client("alex", "123", host="smsc.kz")
    assert client._http.url(client._http.prepare("get_operator", {})) == "https://smsc.kz/sys/info.php"


def test_a_lookup_is_repeated_after_a_502_within_the_policy(responder: Responder) -> None:
    responder.answer(b"<html>bad gateway</html>", status=502, content_type="text/html")
    responder.answer(ENTRY, content_type=JSON)
    with smsc_soap.Client("alex", "123", url=responder.url, retry=quick()) as client:
        assert client.operator("79161234567")[0].operator == "MTS"
    assert [r.path for r in responder.requests] == ["/sys/info.php", "/sys/info.php"]


def test_a_page_that_is_no_answer_is_a_protocol_error_with_its_first_bytes(responder: Responder) -> None:
    responder.default = None
    responder.answer(b"<html><body>Technical maintenance</body></html>", content_type="text/html")
    with smsc_soap.Client("alex", "123", url=responder.url, retry=quick(attempts=1)) as client, \
            pytest.raises(smsc_soap.ProtocolError) as caught:
        client.operator("79161234567")
    assert "lacks" in str(caught.value) or "maintenance" in str(caught.value)


def test_a_redirect_is_not_followed(responder: Responder) -> None:
    responder.answer(b"", status=302, content_type="text/html", headers=(("Location", "http://evil.example/"),))
    with smsc_soap.Client("alex", "123", url=responder.url, retry=quick(attempts=1)) as client, \
            pytest.raises(smsc_soap.ProtocolError) as caught:
        client.operator("79161234567")
    assert caught.value.status_code == 302 and len(responder.requests) == 1


def test_the_call_ends_within_its_timeout_whatever_the_server_does() -> None:
    with Responder(keep_alive=True) as responder:  # as tests/test_reliability.py's Trickler
        responder.answer(ENTRY, content_type=JSON, trickle="body", trickle_interval=0.2)
        with smsc_soap.Client("alex", "123", url=responder.url, timeout=1.0, retry=quick(attempts=1)) as client:
            started = time.monotonic()
            with pytest.raises(smsc_soap.TimeoutError):
                client.operator("79161234567")
        assert time.monotonic() - started < 3


def test_the_password_is_in_no_url_and_no_log_line(responder: Responder, caplog: pytest.LogCaptureFixture) -> None:
    responder.answer(b'{"error": "psw s3cr3t-pass wrong", "error_code": 2}', content_type=JSON)
    caplog.set_level(logging.DEBUG, logger="smsc_soap")
    with smsc_soap.Client("alex", "s3cr3t-pass", url=responder.url) as client, \
            pytest.raises(smsc_soap.AuthenticationError):
        client.operator("79161234567")
    request = responder.requests[0]
    assert request.method == "POST" and "s3cr3t" not in request.path and b"psw=s3cr3t-pass" in request.body
    assert "s3cr3t" not in caplog.text and "POST" in caplog.text


def test_the_kits_body_matcher_reads_the_pages_forms_without_secrets() -> None:
    from smsc_soap import testing as kit

    mine = kit.normalise_body(b"get_operator=1&login=alex&psw=one&fmt=3&phone=79161234567%2C79031234567")
    recorded = kit.normalise_body(b"phone=79161234567%2C79031234567&fmt=3&psw=REDACTED&login=alex&get_operator=1")
    assert mine == recorded and ("psw", ("REDACTED",)) in mine[1]
    assert kit.normalise_body(b"get_operator=1&apikey=k&fmt=3&phone=7916") != kit.normalise_body(
        b"get_operator=1&apikey=k&fmt=3&phone=7903")


def test_every_request_of_the_package_says_it_is_smsc_soap(responder: Responder) -> None:
    """Not zeep's User-Agent (zeep writes it on the session it is given): the package's, with the
    Python version, for SOAP and the pages alike."""
    import platform

    from support.servers import soap_answer
    responder.answer(soap_answer("http://smsc.ru/", "get_balance", "<balance>1.00</balance>"))
    responder.answer(ENTRY, content_type=JSON)
    with smsc_soap.Client("alex", "123", url=responder.url, retry=quick(attempts=1)) as client:
        client.get_balance()
        client.operator("79161234567")
    expected = f"smsc-soap/{smsc_soap.__version__} Python/{platform.python_version()}"
    assert [r.headers.get("User-Agent") for r in responder.requests] == [expected, expected]


def test_the_pages_shell_uses_no_private_name_of_the_soap_shell() -> None:
    """Both shells call the same named seams of smsc_soap.transport (HTTP_EXCEPTIONS, read_raw, ...)."""
    import ast
    import inspect

    from smsc_soap._sync import pages as shell
    tree = ast.parse(inspect.getsource(shell))
    imported = [alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                and node.module == "transport" for alias in node.names]
    assert imported and not [name for name in imported if name.startswith("_")]
    private_uses = [node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)
                    and isinstance(node.value, ast.Attribute) and node.value.attr in ("_transport", "_client")
                    and node.attr.startswith("_")]
    assert private_uses == []


def test_the_async_client_says_it_is_smsc_soap_too(responder: Responder) -> None:
    """AsyncClient's requests carry the same User-Agent as Client's (httpx would write its own)."""
    import asyncio
    import platform

    from support.servers import soap_answer
    responder.answer(soap_answer("http://smsc.ru/", "get_balance", "<balance>1.00</balance>"))

    async def main() -> None:
        async with smsc_soap.AsyncClient("alex", "123", url=responder.url, retry=quick(attempts=1)) as client:
            await client.get_balance()

    asyncio.run(main())
    expected = f"smsc-soap/{smsc_soap.__version__} Python/{platform.python_version()}"
    assert [r.headers.get("User-Agent") for r in responder.requests] == [expected]
