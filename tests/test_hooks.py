"""Hooks (smsc_soap.hooks) against the sandbox, for Client and AsyncClient: an event per attempt
and per call for SOAP, pages and files; retries and refusals seen; no number or text unless the
hook asks for them; a hook that fails changes nothing."""
from __future__ import annotations

import dataclasses
import logging
import io
from typing import Any, Iterator, List, Tuple

import pytest

import smsc_soap
from smsc_soap import RetryPolicy
from smsc_soap.hooks import Error, Hooks, Request, Response, Retry
from smsc_soap.sandbox import Sandbox
from smsc_soap.sandbox.exports import EXPORT_RUN_SECONDS, EXPORT_WAIT_SECONDS


class Recorder(Hooks):
    def __init__(self, pii: bool = False) -> None:
        self.pii = pii
        self.events: List[Any] = []

    def request(self, event: Request) -> None:
        self.events.append(event)

    def retry(self, event: Retry) -> None:
        self.events.append(event)

    def response(self, event: Response) -> None:
        self.events.append(event)

    def error(self, event: Error) -> None:
        self.events.append(event)

    def kinds(self) -> List[Tuple[str, int]]:
        return [(type(e).__name__, e.attempt) for e in self.events]


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(start_time=1_700_000_000) as sb:
        yield sb


def no_sleep(seconds: float) -> None:
    """A retry's back-off, not waited in a test."""


def test_a_send_is_a_request_then_a_response_with_its_parts(any_client: Any, sandbox: Sandbox) -> None:
    seen = Recorder()
    with any_client("alex", "123", url=sandbox.url, hooks=[seen]) as client:
        result = client.send_sms("79991234567", "hello")
    assert seen.kinds() == [("Request", 1), ("Response", 1)]
    request, response = seen.events
    assert (request.operation, request.host, request.kind) == ("send_sms", "127.0.0.1", "soap")
    assert request.phones is None and request.text is None  # not asked for
    assert response.call_id == request.call_id and response.outcome == "ok" and response.send
    assert response.parts == result.cnt and response.duration >= 0


def test_the_numbers_and_the_text_only_for_a_hook_that_asks(any_client: Any, sandbox: Sandbox) -> None:
    plain, private = Recorder(), Recorder(pii=True)
    with any_client("alex", "123", url=sandbox.url, hooks=[plain, private]) as client:
        client.send_sms("79991234567", "secret code 1234")
    assert (private.events[0].phones, private.events[0].text) == ("79991234567", "secret code 1234")
    # Text fields only: a duration or a call id may hold any digits by chance.
    plain_text = [v for e in plain.events for v in dataclasses.astuple(e) if isinstance(v, str)]
    assert not any("79991234567" in v or "1234" in v for v in plain_text), plain_text
    private_text = [v for e in private.events for v in dataclasses.astuple(e) if isinstance(v, str)]
    assert not any("123" in v and v not in ("79991234567", "secret code 1234") for v in private_text), private_text


def test_a_retry_is_seen_between_the_attempts(any_client: Any, sandbox: Sandbox) -> None:
    seen = Recorder()
    sandbox.inject("http_status", times=2, operation="get_balance", status=503)
    with any_client("alex", "123", url=sandbox.url, hooks=[seen], retry=RetryPolicy(sleep=no_sleep)) as client:
        client.get_balance()
    assert seen.kinds() == [("Request", 1), ("Retry", 1), ("Request", 2), ("Retry", 2), ("Request", 3),
                            ("Response", 3)]
    retry = seen.events[1]
    assert retry.outcome == "protocol" and retry.error_type.endswith("Error") and retry.delay >= 0


def test_the_services_error_ends_the_call_with_its_code(any_client: Any, sandbox: Sandbox) -> None:
    seen = Recorder()
    with any_client("alex", "wrong", url=sandbox.url, hooks=[seen]) as client:
        with pytest.raises(smsc_soap.ApiError) as caught:
            client.get_balance()
    assert seen.kinds() == [("Request", 1), ("Error", 1)]
    error = seen.events[1]
    assert (error.outcome, error.error_code, error.error_type) == ("error", caught.value.code,
                                                                    type(caught.value).__name__)
    assert "wrong" not in repr(seen.events)


def test_a_call_the_limits_refuse_is_an_error_with_no_attempt(any_client: Any, sandbox: Sandbox) -> None:
    seen = Recorder()
    with any_client("alex", "123", url=sandbox.url, hooks=[seen]) as client:
        client.send_sms("79991234567", "Hello", id="order-1")
        for _ in range(2):  # the service's 9, then the window it opened
            with pytest.raises(smsc_soap.DuplicateRequest):
                client.send_sms("79991234567", "Hello", id="order-1")
    errors = [e for e in seen.events if isinstance(e, Error)]
    assert [(e.attempt, e.outcome, e.error_code) for e in errors] == [(1, "error", 9), (0, "refused", 9)]
    assert seen.kinds()[-1] == ("Error", 0) and len(sandbox.messages) == 1


def test_a_page_and_a_file_are_calls_too(any_client: Any, sandbox: Sandbox) -> None:
    seen = Recorder()
    with any_client("alex", "123", url=sandbox.url, hooks=[seen]) as client:
        client.send_sms("79161234567", "Hello")
        sandbox.add_export("all")
        sandbox.advance(EXPORT_WAIT_SECONDS + EXPORT_RUN_SECONDS)
        (task,) = client.exports.get_list()
        seen.events.clear()
        client.exports.get_file(task, to=io.BytesIO())
        client.operator("79161234567")
    assert [(type(e).__name__, e.kind) for e in seen.events] == [
        ("Request", "file"), ("Response", "file"), ("Request", "page"), ("Response", "page")]
    assert seen.events[0].operation == "exports.get_file"


def test_a_failing_hook_changes_nothing(any_client: Any, sandbox: Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    class Broken(Hooks):
        def request(self, event: Request) -> None:
            raise RuntimeError("a bug in the hook")

    seen = Recorder()
    caplog.set_level(logging.WARNING, logger="smsc_soap")  # whatever an earlier test left on the root logger
    with any_client("alex", "123", url=sandbox.url, hooks=[Broken(), seen]) as client:
        assert client.get_balance().balance >= 0
    assert seen.kinds() == [("Request", 1), ("Response", 1)]
    assert "Broken.request failed: RuntimeError" in caplog.text


def test_events_are_frozen() -> None:
    event = Request(1, "send_sms", "smsc.ru", "soap", 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.attempt = 2  # type: ignore[misc]
