"""Redirects are never followed: any 3xx is a RedirectRefused naming where it pointed (secrets
redacted), after exactly one request, for every operation; for a send, an unknown outcome."""
from __future__ import annotations

import io
from typing import Any, Callable, Dict, Iterator, Tuple, cast

import pytest
import requests

import smsc_soap
from smsc_soap import Client
from smsc_soap.redact import secret_forms
from support.servers import Answer, Captured, LoopbackServer, soap_answer

PSW = "pw-Zx81!secret"
STATUSES = (301, 302, 303, 307, 308)


class Redirector(LoopbackServer):
    """Answers every request with ``status`` and a Location set after it started."""

    def __init__(self, status: int) -> None:
        self.status = status
        self.location = ""
        super().__init__(self._redirect)

    def _redirect(self, request: Captured) -> Answer:
        return Answer(b"", self.status, "text/html", headers=(("Location", self.location),))


@pytest.fixture
def elsewhere() -> Iterator[LoopbackServer]:
    """Another host: would answer as the service does, if a redirect were followed."""
    def answer(request: Captured) -> Answer:
        operation = "send_sms" if b"send_sms" in request.body else "get_balance"
        fields = "<id>1</id><cnt>1</cnt>" if operation == "send_sms" else "<balance>10.00</balance>"
        return Answer(soap_answer("http://smsc.ru/", operation, fields))
    with LoopbackServer(answer) as server:
        yield server


def _calls(client: Client) -> Tuple[Tuple[str, Callable[[], object]], ...]:
    return (("send", lambda: client.send_sms("79991234567", "Hi")), ("balance", client.get_balance))


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("target", ["elsewhere", "itself"])
@pytest.mark.parametrize("own_session", [True, False], ids=["own-session", "users-session"])
def test_a_redirect_is_refused_after_one_request(status: int, target: str, own_session: bool,
                                                 elsewhere: LoopbackServer, any_client: Any) -> None:
    with Redirector(status) as server:
        base = elsewhere.url if target == "elsewhere" else server.url
        scheme, rest = base.split("://", 1)
        server.location = f"{scheme}://alex:{PSW}@{rest}?login=alex&psw={PSW}&note={PSW}"
        session = None if own_session else requests.Session()
        client = any_client(login="alex", psw=PSW, url=server.url, session=session)
        for kind, call in _calls(client):
            before = len(server.requests)
            with pytest.raises(smsc_soap.RedirectRefused) as caught:
                call()
            error = caught.value
            assert len(server.requests) == before + 1, f"{kind}: exactly one request, no retry of a 3xx"
            assert elsewhere.requests == [], "nothing reaches where it pointed"
            assert error.status_code == status and "127.0.0.1" in error.location
            assert "127.0.0.1" in str(error) and str(status) in str(error)
            assert isinstance(error, smsc_soap.SendOutcomeUnknown) is (kind == "send")
            if kind == "send":
                unknown = cast(smsc_soap.SendOutcomeUnknown, error)
                assert unknown.id and unknown.phones == ("79991234567",)
            texts = [str(error), repr(error), error.location, repr(error.args)]
            assert not [form for form in secret_forms(PSW) for text in texts if form in text]
        client.close()


def test_a_redirect_without_location_still_names_it(elsewhere: LoopbackServer, any_client: Any) -> None:
    with LoopbackServer(lambda request: Answer(b"", 302, "text/html")) as server:
        with pytest.raises(smsc_soap.RedirectRefused, match="302") as caught:
            any_client(login="alex", psw=PSW, url=server.url).get_balance()
    assert caught.value.location == "" and len(server.requests) == 1


def test_the_error_survives_pickling_with_where_it_pointed() -> None:
    import pickle

    from smsc_soap._core.checks import check_redirect

    with pytest.raises(smsc_soap.RedirectRefused) as caught:
        check_redirect(308, f"https://evil.example/x?psw={PSW}", ())
    copy = pickle.loads(pickle.dumps(caught.value))
    assert (copy.location, copy.status_code) == ("https://evil.example/x?psw=REDACTED", 308)
    lost = pickle.loads(pickle.dumps(smsc_soap.SendOutcomeUnknown.for_cause("send_sms", "m1", ("7",), caught.value)))
    assert isinstance(lost, smsc_soap.RedirectRefused) and lost.location == copy.location


#: Every kind of page call (000-002), by name; "mailings.add" is a send.
PAGE_CALLS: Dict[str, Callable[[Client], object]] = {
    "mailings.add": lambda client: client.mailings.add("spring", "79991234567", "Hi"),
    "operator": lambda client: client.operator("79991234567"),
    "exports.get_list": lambda client: client.exports.get_list(),
    "exports.get_file": lambda client: client.exports.get_file(7, to=io.BytesIO()),
}


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("target", ["elsewhere", "itself"])
@pytest.mark.parametrize("own_session", [True, False], ids=["own-session", "users-session"])
def test_a_page_call_refuses_a_redirect_after_one_request(status: int, target: str, own_session: bool,
                                                          elsewhere: LoopbackServer, any_client: Any) -> None:
    with Redirector(status) as server:
        base = elsewhere.url if target == "elsewhere" else server.url
        scheme, rest = base.split("://", 1)
        server.location = f"{scheme}://alex:{PSW}@{rest}?login=alex&psw={PSW}&note={PSW}"
        session = None if own_session else requests.Session()
        client = any_client(login="alex", psw=PSW, url=server.url, session=session)
        for kind, call in PAGE_CALLS.items():
            before = len(server.requests)
            with pytest.raises(smsc_soap.RedirectRefused) as caught:
                call(client)
            error = caught.value
            assert len(server.requests) == before + 1, f"{kind}: exactly one request, no retry of a 3xx"
            assert elsewhere.requests == [], "nothing reaches where it pointed"
            assert error.status_code == status and "127.0.0.1" in error.location
            assert isinstance(error, smsc_soap.SendOutcomeUnknown) is (kind == "mailings.add")
            if kind == "mailings.add":  # a mailing has no id before it exists: where to look instead
                assert cast(smsc_soap.SendOutcomeUnknown, error).phones == ("79991234567",) and "get_all" in str(error)
            texts = [str(error), repr(error), error.location, repr(error.args)]
            assert not [form for form in secret_forms(PSW) for text in texts if form in text]
        client.close()
