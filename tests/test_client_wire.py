"""What the client puts on the wire: endpoint, SOAPAction, namespace, unqualified children."""
from __future__ import annotations

import re
from typing import Any, Callable, Dict, cast

import pytest
from lxml import etree

from smsc_soap import Client, ValidationError
from support.servers import Responder, soap_answer

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"

CALLS: Dict[str, Callable[[Client], object]] = {
    "get_balance": lambda c: c.get_balance(),
    "send_sms": lambda c: c.send_sms("79999999999", "Hello world!", sender="ivan", time=0),
    "send_sms2": lambda c: c.send_sms2("79999999999", "Hello", cost=3),
    "get_sms_cost": lambda c: c.get_sms_cost("79999999999", "Hello"),
    "get_sms_cost2": lambda c: c.get_sms_cost2("79999999999", "Hello", translit=1),
    "get_status": lambda c: c.get_status("79999999999", 12, all=1),
    "get_status2": lambda c: c.get_status2("79999999999", 12, all=2),
}
REQUEST_ELEMENTS = {"get_balance": "balance", "send_sms": "send", "send_sms2": "send2", "get_sms_cost": "cost",
                    "get_sms_cost2": "cost2", "get_status": "status", "get_status2": "status2"}
ANSWERS = {"get_balance": "<balance>10.50</balance>", "send_sms": "<id>1</id><cnt>1</cnt>",
           "send_sms2": "<id>1</id><cnt>1</cnt>", "get_sms_cost": "<cost>1.5</cost><cnt>1</cnt>",
           "get_sms_cost2": "<cost>1.5</cost><cnt>1</cnt>", "get_status": "<status>1</status><err>0</err>",
           "get_status2": "<status>1</status><err>0</err>"}


@pytest.mark.parametrize("operation", list(CALLS))
def test_every_request_carries_the_endpoint_as_namespace_and_soapaction(responder: Responder, operation: str, any_client: Any) -> None:
    responder.answer(soap_answer(responder.url, operation, ANSWERS[operation]))
    CALLS[operation](any_client(login="alex", psw="123", url=responder.url))

    [request] = responder.requests  # one POST, and no GET: the WSDL is never fetched
    assert (request.method, request.path) == ("POST", "/sys/soap.php")
    assert request.headers["SOAPAction"] == f'"{responder.url}"'
    assert request.headers["Content-Type"].startswith("text/xml")
    envelope = etree.fromstring(request.body)
    assert envelope.tag == f"{{{SOAP_ENV}}}Envelope"
    [element] = cast(etree._Element, envelope.find(f"{{{SOAP_ENV}}}Body"))
    assert element.tag == f"{{{responder.url}}}{REQUEST_ELEMENTS[operation]}"
    assert element[0].tag == "login" and element[1].tag == "psw"
    assert all(etree.QName(child).namespace is None for child in element), "children must be unqualified"


def test_send_sms_sends_the_fields_of_the_pages_example(responder: Responder, any_client: Any) -> None:
    responder.answer(soap_answer(responder.url, "send_sms", "<id>7</id><cnt>1</cnt>"))
    any_client(login="alex", psw="123", url=responder.url).send_sms("79999999999", "Hello world!", sender="ivan", time=0)
    element = cast(etree._Element, etree.fromstring(responder.requests[0].body).find(f"{{{SOAP_ENV}}}Body"))[0]
    # The page's example sends an empty id; the client gives each send an id of its own instead,
    # so that a send whose answer is lost can be looked up (see test_reliability.py).
    assigned = cast(str, element.findtext("id"))
    assert re.fullmatch(r"[A-Za-z0-9._-]{1,40}", assigned) and not assigned.isdigit()
    assert [(child.tag, child.text) for child in element] == [
        ("login", "alex"), ("psw", "123"), ("phones", "79999999999"), ("mes", "Hello world!"),
        ("id", assigned), ("sender", "ivan"), ("time", "0")]


@pytest.mark.parametrize(("kwargs", "endpoint"), [
    ({}, "https://smsc.ru/sys/soap.php"),
    ({"host": "smsc.kz"}, "https://smsc.kz/sys/soap.php"),
    ({"host": "smsc.ua"}, "https://smsc.ua/sys/soap.php"),
    ({"url": "http://127.0.0.1:8000/sys/soap.php"}, "http://127.0.0.1:8000/sys/soap.php"),
    ({"url": "https://gw.example.com:8443/sys/soap.php"}, "https://gw.example.com:8443/sys/soap.php"),
])
def test_host_and_url_choose_the_endpoint_https_by_default(kwargs: Dict[str, Any], endpoint: str, any_client: Any) -> None:
    assert any_client(login="alex", psw="123", **kwargs).endpoint == endpoint


@pytest.mark.parametrize("kwargs", [
    {"host": "http://smsc.ru"}, {"host": "smsc.ru/sys"}, {"url": "ftp://smsc.ru/sys/soap.php"},
    {"url": "smsc.ru/sys/soap.php"}, {"host": "smsc.ru", "url": "https://smsc.ru/sys/soap.php"},
    {"url": "https://alex:123@smsc.ru/sys/soap.php"},
])
def test_bad_endpoints_are_refused_before_anything_is_sent(kwargs: Dict[str, Any], any_client: Any) -> None:
    with pytest.raises(ValidationError):
        any_client(login="alex", psw="123", **kwargs)


@pytest.mark.parametrize("call", [
    lambda c: c.send_sms("7999abc", "Hi"),
    lambda c: c.send_sms("79999999999", "x" * 1001),
    lambda c: c.send_sms("79999999999", "bell \x07"),
    lambda c: c.send_sms("79999999999", "Hi", id="not allowed!"),
    lambda c: c.send_sms("79999999999", "Hi", id=2147483648),
    lambda c: c.send_sms("79999999999", "Hi", sender="a sender too long"),
    lambda c: c.send_sms("79999999999", "Hi", time="31.02.25 10:00"),
    lambda c: c.send_sms("user@example.com", "Hi"),
    lambda c: c.send_sms2("79999999999", "Hi", valid=25),
    lambda c: c.send_sms2("79999999999", "Hi", period=721, freq=10),
    lambda c: c.send_sms2("79999999999", "Hi", voice="x9", call=1),
    lambda c: c.send_sms2("79999999999", "Hi", cost=4),
    lambda c: c.send_sms2("79999999999", "Hi", no_such_option=1),
    lambda c: c.get_sms_cost2("79999999999", "Hi", smsreq=9),
    lambda c: c.get_status("79999999999", 1, all=3),
    lambda c: c.get_status("79999999999", None),
])
def test_bad_input_is_refused_before_anything_is_sent(responder: Responder, call: Callable[[Client], object],
                                                      any_client: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        call(any_client(login="alex", psw="123", url=responder.url))
    assert str(caught.value)
    assert responder.requests == []


def test_phones_may_be_any_iterable_and_channel_options_allow_other_recipients(responder: Responder) -> None:
    for _ in range(3):
        responder.answer(soap_answer(responder.url, "send_sms2", "<id>1</id><cnt>2</cnt>"))
    client = Client(login="alex", psw="123", url=responder.url)
    client.send_sms2(iter(["+79999999999", "79998887766"]), "Hi")
    client.send_sms2("user@example.com", "Hi", mail=1, subj="Subject",
                     sender="shop@example.com")  # 004 subj: an e-mail needs a sender address
    client.send_sms2("@some_nick", "1234", tg=1)
    phones = [cast(etree._Element, etree.fromstring(r.body).find(f"{{{SOAP_ENV}}}Body"))[0].findtext("phones")
              for r in responder.requests]
    assert phones == ["+79999999999,79998887766", "user@example.com", "@some_nick"]


def test_the_proxy_environment_variables_are_followed_on_every_call(responder: Responder,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """HTTP_PROXY is read once per address, not per request (issue 25): still followed, every call."""
    for name in ("NO_PROXY", "no_proxy", "http_proxy", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{responder.port}")
    service = "http://smsc.invalid/sys/soap.php"  # never resolved: the proxy answers for it
    responder.default = None
    for _ in range(2):
        responder.answer(soap_answer(service, "get_balance", ANSWERS["get_balance"]))
    with Client(login="alex", psw="123", url=service) as client:
        assert [str(client.get_balance().balance) for _ in range(2)] == ["10.50", "10.50"]
    assert [(r.method, r.path) for r in responder.requests] == [("POST", service)] * 2
