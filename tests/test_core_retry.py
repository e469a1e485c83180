"""The core's retry decisions and back-off windows alone: no sockets, no sleeping, a fake clock."""
from __future__ import annotations

from typing import Optional

import pytest

import smsc_soap
from smsc_soap._core import BackOffWindows, Raise, RaiseOutcomeUnknown, RetryAfter, RetryPolicy, calls, decide
from smsc_soap.errors import ConnectionError, ProtocolError, SoapFault, TimeoutError, TLSError, api_error

POLICY = RetryPolicy(random=lambda: 0.0)  # no jitter: delays 0.25, 0.5, 1, ...


def test_a_send_is_never_repeated_once_a_byte_may_have_left() -> None:
    for error in (TimeoutError("t"), ConnectionError("c"), ProtocolError("p", status_code=503)):
        assert decide(POLICY, 1, error, is_send=True, sent=True, time_left=30) == RaiseOutcomeUnknown()


def test_a_send_that_never_left_is_raised_as_it_is() -> None:
    """Connection failures before sending were already retried by urllib3; nothing more here."""
    assert decide(POLICY, 1, ConnectionError("refused"), is_send=True, sent=False, time_left=30) == Raise()


@pytest.mark.parametrize("error", [TimeoutError("t"), ConnectionError("reset"), ProtocolError("busy", status_code=503)])
def test_idempotent_calls_are_retried_with_growing_delays(error: smsc_soap.TransportError) -> None:
    assert decide(POLICY, 1, error, is_send=False, sent=True, time_left=30) == RetryAfter(0.25)
    assert decide(POLICY, 2, error, is_send=False, sent=False, time_left=30) == RetryAfter(0.5)


def test_the_number_of_attempts_is_the_policys() -> None:
    error = TimeoutError("t")
    steps = [decide(POLICY, attempt, error, is_send=False, sent=True, time_left=30) for attempt in (1, 2, 3)]
    assert steps == [RetryAfter(0.25), RetryAfter(0.5), Raise()]


def test_no_retry_past_the_deadline() -> None:
    assert decide(POLICY, 1, TimeoutError("t"), is_send=False, sent=True, time_left=0.25) == Raise()
    assert decide(POLICY, 1, TimeoutError("t"), is_send=False, sent=True, time_left=0.26) == RetryAfter(0.25)


@pytest.mark.parametrize("error", [TLSError("cert"), SoapFault("Server", "boom", status_code=500),
                                   ProtocolError("html", status_code=200), ProtocolError("404", status_code=404)])
def test_what_a_second_try_would_not_change_is_raised(error: smsc_soap.TransportError) -> None:
    assert decide(POLICY, 1, error, is_send=False, sent=True, time_left=30) == Raise()


def test_jitter_cuts_the_delay_and_max_backoff_caps_it() -> None:
    policy = RetryPolicy(attempts=10, backoff=1, max_backoff=3, jitter=0.5, random=lambda: 1.0)
    assert [policy.delay(n) for n in (1, 2, 3, 4)] == [0.5, 1.0, 1.5, 1.5]


# --- back-off windows, a fake clock -----------------------------------------------------------


def status_call(phone: str = "79999999999", id: str = "5") -> calls.Call:
    return calls.prepare("get_status", calls.status_fields(phone, id, 0), login="alex", psw="123")


def refusal(windows: BackOffWindows, call: calls.Call, now: float) -> Optional[smsc_soap.ApiError]:
    return windows.refusal(call.operation, call.backoff_scopes, now)


def test_error_9_refuses_the_same_message_for_the_window_then_lets_it_through() -> None:
    windows, call = BackOffWindows(RetryPolicy(rate_limited_backoff=60)), status_call()
    error = api_error("get_status", 9)
    note = windows.open(error, call.backoff_scopes, now=1000.0)
    assert note is not None and "60 s" in note and error.retry_after == 60  # type: ignore[attr-defined]
    refused = refusal(windows, call, 1030.0)
    assert isinstance(refused, smsc_soap.RateLimited) and refused.refused_locally
    assert refused.retry_after == pytest.approx(30) and "not sent" in str(refused)
    assert refusal(windows, status_call(id="6"), 1030.0) is None  # another message: its own limit
    assert refusal(windows, call, 1060.0) is None  # the window closed


def test_error_4_refuses_every_call() -> None:
    windows = BackOffWindows(RetryPolicy(ip_blocked_backoff=60))
    windows.open(api_error("get_balance", 4), status_call().backoff_scopes, now=0.0)
    send = calls.prepare("send_sms", calls.send_fields("79999999999", "Hi", "m1", None, None, {}),
                         login="alex", psw="123")
    refused = refusal(windows, send, 59.0)
    assert isinstance(refused, smsc_soap.IpBlocked) and refused.operation == "send_sms"
    assert refusal(windows, send, 60.0) is None


def test_other_errors_and_a_zero_window_open_nothing() -> None:
    call = status_call()
    assert BackOffWindows(RetryPolicy()).open(api_error("get_status", 3), call.backoff_scopes, 0.0) is None
    off = BackOffWindows(RetryPolicy(rate_limited_backoff=0))
    error = api_error("get_status", 9)
    assert off.open(error, call.backoff_scopes, 0.0) is None and error.retry_after is None  # type: ignore[attr-defined]
    assert refusal(off, call, 0.0) is None


def test_a_later_window_is_not_shortened_by_an_earlier_one() -> None:
    windows, call = BackOffWindows(RetryPolicy(rate_limited_backoff=60)), status_call()
    windows.open(api_error("get_status", 9), call.backoff_scopes, now=100.0)
    windows.open(api_error("get_status", 9), call.backoff_scopes, now=50.0)
    assert refusal(windows, call, 159.0) is not None
