"""What a call gives back crosses a process boundary whole: a multiprocessing pool's worker or a
task queue's result pickles it, and the other side reads the same class, values and attributes.
Before, an ApiError could be pickled but not read back (``Pool.map`` waited for ever for a
worker that had raised InsufficientFunds), and no result could be pickled at all (their ``raw``
was a ``types.MappingProxyType``)."""
from __future__ import annotations

import multiprocessing
import os
import pickle
import sys
from typing import Dict, Iterator, List, Set

import pytest

import smsc_soap
from smsc_soap import errors
from smsc_soap._core.bulk import BadInput
from smsc_soap._core.journal import JournalCorrupt, JournalError, JournalLocked, JournalMismatch
from smsc_soap.errors import SmscError
from smsc_soap.limits import LimitsUnavailable
from smsc_soap.callbacks.events import event
from smsc_soap.sandbox import Sandbox

PASSWORD = "pw-never-pickled-7731"


def samples() -> List[SmscError]:
    """One error of each kind, made as the package makes them."""
    made: List[SmscError] = []
    for tables in (errors.ERRORS_BY_OPERATION, errors.HTTP_ERRORS_BY_OPERATION):
        for operation, table in tables.items():
            made += [errors.api_error(operation, code) for code in table]
            made.append(errors.api_error(operation, 999))  # UnknownApiError
    made.append(errors.http_api_error("get_operator", 9, "too many concurrent requests"))
    made.append(errors.ApiError(1, "a meaning", "send_sms"))
    refused = errors.api_error("send_sms", 9)
    assert isinstance(refused, errors.RateLimited)
    refused.retry_after, refused.refused_locally = 12.5, True
    made.append(refused)
    transport = [
        errors.TransportError("broken"), errors.TimeoutError("late"), errors.ConnectionError("reset"),
        errors.TLSError("bad certificate"), errors.ProtocolError("HTML", status_code=502),
        errors.RedirectRefused("3xx", location="https://elsewhere/", status_code=307),
        errors.SoapFault("SOAP-ENV:Server", "oops", status_code=500),
    ]
    made += transport
    made += [errors.SendOutcomeUnknown.for_cause("send_sms", "m1", ("79161234567",), cause) for cause in transport]
    made += [
        errors.ValidationError("phones: not a number", field="phones"),
        errors.UnsupportedOperation("needs a login"),
        errors.TaskNotReady("not done", status="in progress"),
        errors.ReportFormatError("bad line", field="status"),
        errors.CallbackError("refused"), errors.CallbackFormatError("not JSON", field="body"),
        errors.CallbackSignatureError("wrong signature"),
        BadInput("row 3: no phone"), LimitsUnavailable("Redis is down"),
        JournalError("cannot"), JournalLocked("held"), JournalMismatch("other input"), JournalCorrupt("line 2"),
    ]
    for error in made:
        error.order = "1042"  # type: ignore[attr-defined]  # what a caller may add on its way up
        if sys.version_info >= (3, 11):
            error.add_note("while sending order 1042")
    return made


def state(error: SmscError) -> Dict[str, object]:
    """The attributes, an exception among them (a cause) by its class and message."""
    return {name: (type(value), str(value)) if isinstance(value, BaseException) else value
            for name, value in vars(error).items()}


def classes_of_the_package() -> Set[type]:
    def below(cls: type) -> Iterator[type]:
        sub: type
        for sub in cls.__subclasses__():
            yield sub
            yield from below(sub)

    return {cls for cls in below(SmscError) if cls.__module__.startswith("smsc_soap")}


def test_the_samples_cover_every_error_class_of_the_package() -> None:
    """A new error class must come with a sample here (and so be shown to cross processes)."""
    sampled = {type(error) for error in samples()}
    missing = {cls.__qualname__ for cls in classes_of_the_package() - sampled
               if not (issubclass(cls, errors.SendOutcomeUnknown) and cls is not errors.SendOutcomeUnknown)}
    assert not missing


@pytest.mark.parametrize("error", samples(), ids=lambda e: f"{type(e).__mro__[1].__name__}-{type(e).__name__}")
def test_each_error_is_read_back_whole(error: SmscError) -> None:
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is type(error)
    assert str(back) == str(error) and back.args == error.args
    assert state(back) == state(error)  # code, meaning, operation, field, retry_after, id, phones, notes...
    if isinstance(error, errors.SendOutcomeUnknown):  # still an instance of its cause's class
        assert isinstance(back, errors.SendOutcomeUnknown) and isinstance(back, type(error.cause))
        assert str(back.cause) == str(error.cause)


def balance_with_a_wrong_password(url: str) -> str:
    return str(smsc_soap.Client("alex", PASSWORD, url=url, timeout=5).get_balance())


def send_beyond_the_balance(url: str) -> str:
    return str(smsc_soap.Client("alex", "123", url=url, timeout=5).send_sms("79161234567", "x" * 900))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the pool forks its workers")
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_process_pool_hands_back_the_service_error_its_worker_raised() -> None:
    with Sandbox(["alex:123:0.01"]) as sandbox:
        with multiprocessing.get_context("fork").Pool(2) as pool:
            insufficient = pool.apply_async(send_beyond_the_balance, (sandbox.url,))
            refused = pool.apply_async(balance_with_a_wrong_password, (sandbox.url,))
            with pytest.raises(smsc_soap.InsufficientFunds) as funds:
                insufficient.get(timeout=30)
            with pytest.raises(smsc_soap.AuthenticationError) as auth:
                refused.get(timeout=30)
    assert (funds.value.code, funds.value.operation) == (3, "send_sms")
    assert auth.value.code == 2 and PASSWORD not in repr(vars(auth.value)) + str(auth.value)
    assert PASSWORD.encode() not in pickle.dumps(auth.value)


def results_of_every_kind() -> List[object]:
    """One result of each kind a call returns, from the sandbox (or, for callbacks, the parser)."""
    with Sandbox(start_time=1_700_000_000) as sandbox:
        client = smsc_soap.Client("alex", "123", url=sandbox.url)
        sent = client.send_sms("79161234567", "Your code is 1234")
        made: List[object] = [
            sent, client.send_sms2("79161234567", "Hello", cost=3, err=1), client.get_balance(),
            client.get_sms_cost("79161234567", "Hi"), client.get_sms_cost2("79161234567", "Hi"),
            client.get_status("79161234567", sent.id, all=1), client.get_status2("79161234567", sent.id, all=2),
            *client.send_bulk([("79161234567", "Hi"), ("not a number", "Hi")]),
            *client.operator("79161234567"),
            client.mailings.add("promo", "79161234567", "Hello", cost=1),
        ]
        sandbox.add_export("march")
        made += client.exports.get_list()
    made += [event({"id": "1", "phone": "79161234567", "status": "1", "err": "0"}),
             event({"phone": "79161234567", "mes": "Hi", "to": "79990000000"}),
             event({"phone": "79161234567", "waitcall": "1", "ts": "1796540400"}), event({"what": "else"})]
    return made


@pytest.mark.parametrize("result", results_of_every_kind(), ids=lambda r: type(r).__name__)
def test_each_result_is_read_back_whole(result: object) -> None:
    back = pickle.loads(pickle.dumps(result))
    assert type(back) is type(result)
    if type(result).__name__ == "Failed":  # its error is another object, equal in what it says
        assert repr(vars(back)["error"]) == repr(vars(result)["error"])
    else:
        assert back == result
    raw, raw_back = getattr(result, "raw", None), getattr(back, "raw", None)
    if raw is not None:  # the answer's fields as sent, still read-only
        assert raw_back is not None and dict(raw_back) == dict(raw) and len(raw) > 0
        with pytest.raises(TypeError):
            raw_back["id"] = "changed"
