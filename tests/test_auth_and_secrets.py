"""Both kinds of credentials work, and neither ever shows in reprs, errors or DEBUG logs."""
from __future__ import annotations

import logging
import socket
from typing import Any, Callable, Dict, List, cast
from urllib.parse import parse_qs

import pytest
from lxml import etree

import smsc_soap
from smsc_soap import Client
from support.servers import Responder, soap_answer

PSW = "s3cr3t&<pass>+word"
APIKEY = "K3Y-7f1d9c0a2b+/="
BODY = "{http://schemas.xmlsoap.org/soap/envelope/}Body"


def sent_fields(responder: Responder, index: int = 0) -> Dict[str, Any]:
    element = cast(etree._Element, etree.fromstring(responder.requests[index].body).find(BODY))[0]
    return {etree.QName(element).localname: {child.tag: child.text for child in element}}


def test_login_and_psw_travel_in_their_elements(responder: Responder, any_client: Any) -> None:
    responder.answer(soap_answer(responder.url, "get_balance", "<balance>1.00</balance>"))
    any_client(login="alex", psw=PSW, url=responder.url).get_balance()
    assert sent_fields(responder) == {"balance": {"login": "alex", "psw": PSW}}


@pytest.mark.parametrize(("call", "twin"), [
    (lambda c: c.send_sms("79999999999", "Hi"), "send2"),
    (lambda c: c.send_sms2("79999999999", "Hi", cost=2), "send2"),
    (lambda c: c.get_sms_cost("79999999999", "Hi"), "cost2"),
    (lambda c: c.get_status("79999999999", 5), "status2"),
])
def test_apikey_travels_in_the_query_of_the_twin_method(responder: Responder, call: Callable[[Client], object],
                                                        twin: str, any_client: Any) -> None:
    operation = {"send2": "send_sms2", "cost2": "get_sms_cost2", "status2": "get_status2"}[twin]
    responder.answer(soap_answer(responder.url, operation, "<id>1</id><cnt>1</cnt>" if twin == "send2"
                                 else "<cost>1</cost><cnt>1</cnt>" if twin == "cost2" else "<status>1</status><err>0</err>"))
    call(any_client(apikey=APIKEY, url=responder.url))
    [(element, fields)] = sent_fields(responder).items()
    assert element == twin
    assert fields["login"] is None and fields["psw"] is None  # present, empty
    assert parse_qs(fields["query"])["apikey"] == [APIKEY]


def test_get_balance_with_an_apikey_says_what_to_do_and_sends_nothing(responder: Responder, any_client: Any) -> None:
    with pytest.raises(smsc_soap.UnsupportedOperation, match="login.*psw"):
        any_client(apikey=APIKEY, url=responder.url).get_balance()
    assert responder.requests == []


@pytest.mark.parametrize("kwargs", [{}, {"login": "alex"}, {"psw": "x"}, {"apikey": ""},
                                    {"login": "alex", "psw": "x", "apikey": "k"}])
def test_credentials_must_be_one_complete_kind(kwargs: Dict[str, Any], any_client: Any) -> None:
    with pytest.raises(smsc_soap.ValidationError):
        any_client(**kwargs)


def test_a_call_may_not_smuggle_its_own_apikey(responder: Responder, any_client: Any) -> None:
    with pytest.raises(smsc_soap.ValidationError, match="Client\\(apikey"):
        any_client(login="alex", psw=PSW, url=responder.url).send_sms2("79999999999", "Hi", apikey="other")
    assert responder.requests == []


# --- secrets never leak ---------------------------------------------------------------------


def leaks(text: str) -> List[str]:
    forms = {PSW, APIKEY, "s3cr3t", "K3Y-7f1d9c0a2b", "s3cr3t&amp;", "s3cr3t%26"}
    return [form for form in forms if form in text]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return cast(int, sock.getsockname()[1])


@pytest.mark.parametrize("kind", ["password", "apikey"])
def test_no_secret_in_repr_errors_or_debug_logs(responder: Responder, kind: str, caplog: pytest.LogCaptureFixture,
                                                any_client: Any) -> None:
    for name in ("smsc_soap", "zeep", "urllib3", "httpx", "httpcore"):
        caplog.set_level(logging.DEBUG, logger=name)
    credentials = {"login": "alex", "psw": PSW} if kind == "password" else {"apikey": APIKEY}
    secret = PSW if kind == "password" else APIKEY  # what a hostile server could echo back
    client = any_client(url=responder.url, **credentials)
    texts = [repr(client), str(vars(client))]

    responder.answer(soap_answer(responder.url, "send_sms2", "<id>1</id><cnt>1</cnt>"))
    client.send_sms2("79999999999", "Hi", cost=2)
    # An API error, a SOAP fault, an HTML page echoing the request, a connection refused.
    responder.answer(soap_answer(responder.url, "send_sms2", "<error>2</error>"))
    responder.answer(b'<?xml version="1.0"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/'
                     b'envelope/"><SOAP-ENV:Body><SOAP-ENV:Fault><faultcode>SOAP-ENV:Server</faultcode>'
                     b'<faultstring>you sent ' + secret.replace("&", "&amp;").replace("<", "&lt;").encode()
                     + b'</faultstring></SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>', status=500)
    responder.answer(b"<html>you sent " + secret.encode() + b", psw=" + PSW.encode() + b"&apikey=" + APIKEY.encode()
                     + b"</html>",
                     status=502, content_type="text/html")
    for expected in (smsc_soap.AuthenticationError, smsc_soap.SoapFault, smsc_soap.ProtocolError):
        with pytest.raises(expected) as caught:
            client.send_sms2("79999999999", "Hi", cost=2)
        texts += [str(caught.value), repr(caught.value)]
    offline = any_client(url=f"http://127.0.0.1:{closed_port()}/sys/soap.php", **credentials)
    with pytest.raises(smsc_soap.ConnectionError) as caught:
        offline.send_sms2("79999999999", "Hi")
    texts += [str(caught.value), repr(offline)]

    texts += [record.getMessage() for record in caplog.records]
    assert any("REDACTED" in line for line in texts), "the DEBUG log shows the (redacted) envelope"
    leaking = [text for text in texts if leaks(text)]
    assert not leaking, "\n\n".join(leaking)


def test_no_secret_in_the_debug_log_of_a_page_answer_php_wrote(responder: Responder, caplog: pytest.LogCaptureFixture,
                                                                any_client: Any) -> None:
    """The pages are PHP, whose json_encode writes "/" as "\\/": an answer echoing the API key
    (it holds a "/") carries it in that form, which the DEBUG log of the answer showed whole."""
    caplog.set_level(logging.DEBUG, logger="smsc_soap")
    echoed = APIKEY.replace("/", "\\/")
    responder.answer(b'{"error": "you sent ' + echoed.encode() + b'", "error_code": 2}', content_type="application/json")
    with pytest.raises(smsc_soap.AuthenticationError):
        any_client(apikey=APIKEY, url=responder.url).operator("79991234567")
    logged = [record.getMessage() for record in caplog.records]
    assert any("you sent REDACTED" in line for line in logged)
    assert [line for line in logged if echoed in line or leaks(line)] == []


def test_a_malformed_apikey_is_refused_without_repeating_it() -> None:
    with pytest.raises(smsc_soap.ValidationError) as caught:
        Client(apikey="bad key with spaces", url="http://127.0.0.1:9/sys/soap.php")
    assert "bad key" not in str(caught.value) and "apikey" in str(caught.value)


@pytest.mark.parametrize("make", [smsc_soap.Client, smsc_soap.AsyncClient], ids=["Client", "AsyncClient"])
def test_a_client_is_never_pickled_or_copied_with_its_password(make: Callable[..., Any]) -> None:
    """Not to a pool's worker or a task queue, where the password would be written in the clear:
    a TypeError that says what to do instead, and names no secret."""
    import copy
    import pickle

    client = make("alex", PSW, url="http://127.0.0.1:9/sys/soap.php")
    for attempt in (pickle.dumps, copy.copy, copy.deepcopy):
        with pytest.raises(TypeError, match="make one in each process") as refused:
            attempt(client)
        assert PSW not in str(refused.value)
