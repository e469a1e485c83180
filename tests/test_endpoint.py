"""The endpoint rule: what ``Client(host=..., url=...)`` and the command accept, refused as a
ValidationError (never a UnicodeError or a ValueError from deeper down) before anything is sent."""
from __future__ import annotations

import pytest

from smsc_soap import ValidationError
from smsc_soap._wsdl import endpoint_url


@pytest.mark.parametrize("url", [
    "http://пример.рф/sys/soap.php",           # a non-ASCII host
    "http://127.0.0.1/sys/сооп.php",           # a non-ASCII path
    "http://127.0.0.1:70000/sys/soap.php",     # a port out of range
    "http://127.0.0.1:-1/sys/soap.php",
    "http://127.0.0.1:port/sys/soap.php",
    "http://[::1/sys/soap.php",                # a broken IPv6 literal
    "ftp://127.0.0.1/sys/soap.php",
    "http://user:pw@127.0.0.1/sys/soap.php",
    "htps://user:pw@127.0.0.1/sys/soap.php",    # a mistyped scheme, credentials and all
])
def test_bad_urls_are_validation_errors(url: str) -> None:
    with pytest.raises(ValidationError) as info:
        endpoint_url(url=url)
    assert info.value.field == "url"
    assert "pw@" not in str(info.value)  # a URL with credentials is never echoed


@pytest.mark.parametrize("url, endpoint", [
    ("http://127.0.0.1:8000", "http://127.0.0.1:8000/sys/soap.php"),
    ("http://127.0.0.1:8000/", "http://127.0.0.1:8000/sys/soap.php"),
    ("http://127.0.0.1:8000/sys/soap.php", "http://127.0.0.1:8000/sys/soap.php"),
    ("http://127.0.0.1:8000/sys/soap.php/", "http://127.0.0.1:8000/sys/soap.php"),
    ("https://[::1]:8443/sys/soap.php", "https://[::1]:8443/sys/soap.php"),
])
def test_a_trailing_slash_names_the_same_endpoint(url: str, endpoint: str) -> None:
    assert endpoint_url(url=url) == endpoint


def test_hosts_make_https_endpoints() -> None:
    assert endpoint_url(host="SMSC.KZ") == "https://smsc.kz/sys/soap.php"
    with pytest.raises(ValidationError):
        endpoint_url(host="smsc.kz/evil")


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/sys/soap.php?wsdl", "http://127.0.0.1:8000/sys/soap.php?WSDL",
                                 "http://127.0.0.1:8000/sys/soap.php/?wsdl"])
def test_the_wsdl_address_names_its_endpoint(url: str) -> None:
    """What SOAP tools and the sandbox print (``...?wsdl``) is accepted as the endpoint it names."""
    assert endpoint_url(url=url) == "http://127.0.0.1:8000/sys/soap.php"


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/sys/soap.php?wsdl&x=1", "http://127.0.0.1:8000/sys/soap.php?x=1",
                                 "http://127.0.0.1:8000/sys/soap.php?wsdl#top", "http://127.0.0.1:8000/sys/soap.php?wsdl=1"])
def test_any_other_query_or_fragment_is_refused(url: str) -> None:
    with pytest.raises(ValidationError, match="query|fragment"):
        endpoint_url(url=url)


def test_smsc_url_may_be_a_sandbox_s_wsdl_address(monkeypatch: pytest.MonkeyPatch) -> None:
    import smsc_soap
    from smsc_soap.sandbox import Sandbox

    with Sandbox() as sandbox:
        monkeypatch.setenv("SMSC_URL", sandbox.wsdl_url)
        monkeypatch.setenv("SMSC_LOGIN", "alex")
        monkeypatch.setenv("SMSC_PASSWORD", "123")
        monkeypatch.delenv("SMSC_APIKEY", raising=False)
        monkeypatch.delenv("SMSC_HOST", raising=False)
        client = smsc_soap.Client.from_env()
        assert client.endpoint == sandbox.url
        assert str(client.get_balance().balance) == "100.00"
