"""Operator lookup (page 001) against the sandbox, in every fmt: typed entries, typed errors,
the page's limits, and the same rules as SOAP (POST, no password in the URL, back-off)."""
from __future__ import annotations

from typing import Any, Dict, Iterator, List, Tuple, Union, cast
from urllib.parse import parse_qs

import pytest
from support.clients import run

import smsc_soap
from smsc_soap import spec
from smsc_soap.errors import ConcurrencyLimited, OperatorNotFound, RateLimited
from smsc_soap.http_api.operator import OperatorInfo, lookup
from smsc_soap._async.pages import lookup as async_lookup
from smsc_soap.sandbox import Sandbox

MTS = OperatorInfo("79161234567", "Russia", "MTS", "Moscow", "250", "01", "0")


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(apikeys=None) as sb:
        yield sb


@pytest.fixture
def client(sandbox: Sandbox, any_client: Any) -> Iterator[smsc_soap.Client]:
    """Client, then AsyncClient behind the sync facade (tests/support/clients.py)."""
    with any_client("alex", "123", url=sandbox.url) as client:
        yield client


def lookup_in(client: Any, phones: Any, fmt: int) -> Tuple[OperatorInfo, ...]:
    """``lookup`` with an fmt, through the client's own shell (the async one awaited on the facade's loop)."""
    if isinstance(client, smsc_soap.Client):
        return lookup(client._http, phones, fmt=fmt)
    return run(async_lookup(client._pages, phones, fmt=fmt))


@pytest.mark.parametrize("fmt", [0, 1, 2, 3])
def test_one_number_in_every_fmt(client: smsc_soap.Client, sandbox: Sandbox, fmt: int) -> None:
    assert lookup_in(client, "79161234567", fmt=fmt) == (MTS,)
    assert sandbox.requests[-1].params is not None and sandbox.requests[-1].params["fmt"] == str(fmt)


@pytest.mark.parametrize("fmt", [0, 1, 2, 3])
def test_a_list_names_the_phone_of_each_entry(client: smsc_soap.Client, fmt: int) -> None:
    found = lookup_in(client, ["79161234567", "380671234567"], fmt=fmt)
    assert [(info.phone, info.operator, info.mcc, info.mnc) for info in found] == [
        ("79161234567", "MTS", "250", "01"), ("380671234567", "Kyivstar", "255", "03")]


@pytest.mark.parametrize("fmt", [0, 1, 2, 3])
def test_error_3_is_operator_not_found_in_every_fmt(client: smsc_soap.Client, fmt: int) -> None:
    with pytest.raises(OperatorNotFound) as caught:
        lookup_in(client, "12025550123", fmt=fmt)
    assert (caught.value.code, caught.value.operation) == (3, "get_operator")


def test_the_client_asks_for_json_by_post_without_a_password_in_the_url(client: smsc_soap.Client,
                                                                        sandbox: Sandbox) -> None:
    assert client.operator("79161234567") == (MTS,)
    request = sandbox.requests[-1]
    assert request.method == "POST" and request.path == "/sys/info.php"
    assert parse_qs(request.body.decode()) == {"get_operator": ["1"], "login": ["alex"], "psw": ["123"],
                                               "fmt": [str(spec.WIRE_FMT)], "phone": ["79161234567"]}


def test_an_api_key_is_allowed_by_the_page() -> None:
    with Sandbox(apikeys={"k" * 20: "alex"}) as sandbox, smsc_soap.Client(apikey="k" * 20, url=sandbox.url) as client:
        assert client.operator("79161234567") == (MTS,)
        assert parse_qs(sandbox.requests[-1].body.decode())["apikey"] == ["k" * 20]


def test_wrong_password_is_an_authentication_error(sandbox: Sandbox) -> None:
    with smsc_soap.Client("alex", "wrong", url=sandbox.url) as client, \
            pytest.raises(smsc_soap.AuthenticationError):
        client.operator("79161234567")


def test_more_than_three_identical_lookups_a_minute_is_9_then_the_client_backs_off(
        client: smsc_soap.Client, sandbox: Sandbox) -> None:
    for _ in range(spec.LOOKUP_IDENTICAL_PER_MINUTE):
        client.operator("79161234567")
    with pytest.raises(RateLimited) as caught:
        client.operator("79161234567")
    assert caught.value.retry_after == client.retry.rate_limited_backoff
    sent = len(sandbox.requests)
    with pytest.raises(RateLimited) as again:
        client.operator("79161234567")
    assert again.value.refused_locally and len(sandbox.requests) == sent
    assert client.operator("79031234567")[0].operator == "Beeline"  # another request still goes


def test_more_than_100_lookups_a_minute_is_9(sandbox: Sandbox) -> None:
    with smsc_soap.Client("alex", "123", url=sandbox.url) as client:
        for n in range(spec.LOOKUP_ANY_PER_MINUTE):
            client.operator(f"7916{n:07d}")
        with pytest.raises(RateLimited):
            client.operator("79031234567")
        sandbox.advance(spec.RATE_LIMIT_WINDOW_SECONDS)


def test_fifteen_concurrent_requests_under_one_login_is_the_named_9(client: smsc_soap.Client,
                                                                   sandbox: Sandbox) -> None:
    with sandbox.pages.hold("alex", spec.CONCURRENT_REQUESTS - 1):
        with pytest.raises(ConcurrencyLimited) as caught:
            client.operator("79161234567")
    assert isinstance(caught.value, RateLimited) and caught.value.code == 9
    assert spec.CONCURRENT_PHRASE in str(caught.value)


def test_after_error_4_every_call_of_the_client_backs_off_soap_included(client: smsc_soap.Client,
                                                                        sandbox: Sandbox) -> None:
    with smsc_soap.Client("alex", "wrong", url=sandbox.url) as wrong:
        for _ in range(10):  # the sandbox blocks an IP after ten bad requests a minute
            with pytest.raises(smsc_soap.AuthenticationError):
                wrong.operator("79161234567")
    with pytest.raises(smsc_soap.IpBlocked) as caught:
        client.operator("79161234567")
    assert caught.value.retry_after == client.retry.ip_blocked_backoff
    sent = len(sandbox.requests)
    with pytest.raises(smsc_soap.IpBlocked) as soap:
        client.get_balance()
    assert soap.value.refused_locally and len(sandbox.requests) == sent


def test_the_sandbox_takes_the_pages_get_form_too(sandbox: Sandbox) -> None:
    """001:56 "методом GET или POST": PHP reads $_REQUEST (the client itself always POSTs)."""
    import requests

    answer = requests.get(sandbox.url.replace("soap.php", "info.php"),
                          params=cast(Dict[str, Union[int, str]],
                                      {"get_operator": 1, "login": "alex", "psw": "123", "phone": "79161234567"}),
                          timeout=10)
    assert answer.status_code == 200
    assert answer.text == "country = Russia, operator = MTS, region = Moscow, mcc = 250, mnc = 01, tz = 0"


@pytest.mark.parametrize("mix", ["pages", "soap and pages"])
def test_fifteen_real_concurrent_requests_get_9_for_the_excess_soap_and_pages_sharing_the_limit(mix: str) -> None:
    """Real connections at once (not sandbox.pages.hold): each request is held in flight by the
    sandbox's latency; the login's limit counts page and SOAP requests together."""
    import threading

    total = spec.CONCURRENT_REQUESTS + 3
    outcomes: List[Any] = [None] * total
    barrier = threading.Barrier(total)

    def one(n: int, url: str) -> None:
        with smsc_soap.Client("alex", "123", url=url, timeout=15,
                              retry=smsc_soap.RetryPolicy(attempts=1)) as client:
            soap = mix != "pages" and n % 2 == 0
            barrier.wait()
            try:
                if soap:
                    client.get_sms_cost(f"7916{n:07d}", "Hi")
                else:
                    client.operator(f"7916{n:07d}")
                outcomes[n] = ("soap" if soap else "page", "ok")
            except smsc_soap.ApiError as error:
                outcomes[n] = ("soap" if soap else "page", error)

    with Sandbox(apikeys=None, latency=2.0) as sb:
        threads = [threading.Thread(target=one, args=(n, sb.url)) for n in range(total)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        refused = [(kind, error) for kind, error in outcomes if error != "ok"]
        assert len(refused) == total - spec.CONCURRENT_REQUESTS_ALLOWED == sb.concurrency.refused
        assert sb.concurrency.peak == spec.CONCURRENT_REQUESTS_ALLOWED
    assert all(isinstance(error, RateLimited) and error.code == 9 for _, error in refused)
    assert all(isinstance(error, ConcurrencyLimited) for kind, error in refused if kind == "page")
    if mix != "pages":  # both kinds were admitted under the one limit
        admitted = {kind for kind, error in outcomes if error == "ok"}
        assert admitted == {"soap", "page"}
