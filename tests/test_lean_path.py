"""The per-call path: one parse of each answer, no thread per call, no logging work when off."""
from __future__ import annotations

import logging
import threading
from typing import Any, Iterator, List

import pytest
import zeep.wsdl.bindings.soap

from smsc_soap import Client
from smsc_soap._sync import transport as transport_module
from smsc_soap._core import checks
from smsc_soap.sandbox import Sandbox
from support.servers import Responder, soap_answer


@pytest.fixture
def client() -> Iterator[Client]:
    with Sandbox() as sandbox, Client("alex", "123", url=sandbox.url) as c:
        c.get_sms_cost("79161234567", "warm up")  # the one watchdog thread, pooled connection
        yield c


def test_each_answer_is_parsed_once(monkeypatch: pytest.MonkeyPatch, client: Client) -> None:
    parses: List[str] = []
    strict = checks.check_xml

    def counted_check(status: int, body: bytes) -> Any:
        parses.append("check_xml")
        return strict(status, body)

    def zeep_parse(*args: Any, **kwargs: Any) -> Any:
        parses.append("zeep")
        raise AssertionError("zeep parsed the answer a second time")

    monkeypatch.setattr(checks, "check_xml", counted_check)
    monkeypatch.setattr(zeep.wsdl.bindings.soap, "parse_xml", zeep_parse)
    assert client.get_sms_cost("79161234567", "hi").cost is not None
    assert client.get_balance().balance is not None
    assert parses == ["check_xml", "check_xml"]


def test_no_thread_is_started_per_call(monkeypatch: pytest.MonkeyPatch, client: Client) -> None:
    started: List[threading.Thread] = []
    start = threading.Thread.start

    def counted(self: threading.Thread) -> None:
        started.append(self)
        start(self)

    monkeypatch.setattr(threading.Thread, "start", counted)
    for i in range(20):
        client.get_sms_cost("79161234567", f"hi {i}")
    assert started == []


def test_no_logging_work_unless_a_handler_wants_it(monkeypatch: pytest.MonkeyPatch, client: Client) -> None:
    redacted: List[str] = []
    monkeypatch.setattr(transport_module, "redact", lambda text, secrets: redacted.append(text) or text)
    logging.getLogger("smsc_soap").setLevel(logging.WARNING)
    try:
        client.get_sms_cost("79161234567", "quiet")
        assert redacted == []
        logging.getLogger("smsc_soap").setLevel(logging.DEBUG)
        client.get_sms_cost("79161234567", "loud")
        assert len(redacted) == 2  # the request and the answer, only now
    finally:
        logging.getLogger("smsc_soap").setLevel(logging.NOTSET)


def test_comments_in_an_answer_are_dropped_as_zeep_would(responder: Responder) -> None:
    responder.answer(soap_answer(responder.url, "get_balance", "<!-- a note --><balance>12.50</balance>"
                                                                "<!-- another -->"))
    assert str(Client("alex", "123", url=responder.url).get_balance().balance) == "12.50"
