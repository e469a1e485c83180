"""zeep loads only when a call needs it (issue 21 point 2, issue 25 point 2): importing the package,
making a client of either flavour and its ordinary calls load neither zeep nor requests (for
AsyncClient) nor zeep (for Client); a Fault or an answer of another shape then loads zeep and is
read as before. Each check runs in a fresh process: in this one, other tests loaded zeep already."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Any, Callable, Dict, List, cast

import pytest

HEAVY = ("zeep", "requests", "urllib3")

#: The canned answers both scripts give (a plain answer, a Fault, one with an attribute the codec
#: leaves to zeep), and the checks made at each stage.
COMMON = '''
import json, sys, traceback
import smsc_soap
URL = "http://127.0.0.1:9/sys/soap.php"
HEAD = ('<?xml version="1.0" encoding="UTF-8"?><SOAP-ENV:Envelope xmlns:SOAP-ENV='
        '"http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns1="' + URL + '"><SOAP-ENV:Body>')
TAIL = '</SOAP-ENV:Body></SOAP-ENV:Envelope>'
PLAIN = HEAD + '<ns1:CostResponse><costresult><cost>2.50</cost><cnt>1</cnt></costresult></ns1:CostResponse>' + TAIL
FAULT = HEAD + ('<SOAP-ENV:Fault><faultcode>SOAP-ENV:Server</faultcode><faultstring>no such method</faultstring>'
                '</SOAP-ENV:Fault>') + TAIL
ODD = HEAD + ('<ns1:CostResponse><costresult a="1"><cost>3.75</cost><cnt>2</cnt></costresult>'
              '</ns1:CostResponse>') + TAIL
ANSWERS = [(200, PLAIN), (200, PLAIN), (500, FAULT), (200, ODD)]
stages = {}

def loaded(stage):
    stages[stage] = sorted({m.split(".")[0] for m in sys.modules} & {"zeep", "requests", "urllib3"})

def fault_seen(error):
    frames = [frame.filename for frame in traceback.extract_tb(error.__traceback__)]
    return {"type": type(error).__name__, "faultstring": getattr(error, "faultstring", None),
            "zeep_frames": [f for f in frames if "/zeep/" in f.replace("\\\\", "/")],
            "chained": error.__cause__ is not None or error.__context__ is not None}
'''

ASYNC = COMMON + '''
smsc_soap.AsyncClient
loaded("import")
import asyncio, httpx
async def main():
    smsc_soap.AsyncClient("alex", "x")  # its own pool, made but unused
    loaded("construct")
    def answer(request):
        status, body = ANSWERS.pop(0)
        return httpx.Response(status, headers={"Content-Type": "text/xml; charset=utf-8"}, content=body.encode())
    async with smsc_soap.AsyncClient("alex", "x", url=URL, session=httpx.AsyncClient(
            transport=httpx.MockTransport(answer))) as client:
        stages["first"] = str((await client.get_sms_cost("79161234567", "hi")).cost)
        stages["second"] = str((await client.get_sms_cost("79161234567", "hi")).cost)
        loaded("calls")
        try:
            await client.get_balance()
        except smsc_soap.SmscError as error:
            stages["fault"] = fault_seen(error)
        loaded("after_fault")
        stages["odd"] = str((await client.get_sms_cost("79161234567", "hi")).cost)
asyncio.run(main())
print(json.dumps(stages))
'''

SYNC = COMMON + '''
import io, requests, urllib3
from requests.adapters import BaseAdapter
smsc_soap.Client("alex", "x")
loaded("construct")
class Canned(BaseAdapter):
    def send(self, request, **kwargs):
        status, body = ANSWERS.pop(0)
        response = requests.Response()
        response.status_code = status
        response.headers["Content-Type"] = "text/xml; charset=utf-8"
        response.raw = urllib3.HTTPResponse(body=io.BytesIO(body.encode()), status=status, preload_content=False)
        response.url, response.request = request.url, request
        return response
    def close(self):
        pass
session = requests.Session()
session.mount("http://", Canned())
client = smsc_soap.Client("alex", "x", url=URL, session=session)
stages["first"] = str(client.get_sms_cost("79161234567", "hi").cost)
stages["second"] = str(client.get_sms_cost("79161234567", "hi").cost)
loaded("calls")
try:
    client.get_balance()
except smsc_soap.SmscError as error:
    stages["fault"] = fault_seen(error)
loaded("after_fault")
stages["odd"] = str(client.get_sms_cost("79161234567", "hi").cost)
print(json.dumps(stages))
'''


def _run(script: str) -> Dict[str, Any]:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def _fault_read_as_before(stages: Dict[str, Any]) -> None:
    assert stages["fault"] == {"type": "SoapFault", "faultstring": "no such method", "zeep_frames": [],
                               "chained": False}
    assert "zeep" in stages["after_fault"]  # loaded then, to read the Fault
    assert stages["odd"] == "3.75"  # an attribute the codec leaves to zeep: zeep's reading


def test_the_async_client_loads_neither_zeep_nor_requests_until_a_call_needs_zeep() -> None:
    stages = _run(ASYNC)
    assert stages["import"] == []  # import smsc_soap; smsc_soap.AsyncClient: the words
    assert stages["construct"] == []
    assert (stages["first"], stages["second"]) == ("2.50", "2.50")
    assert stages["calls"] == []
    _fault_read_as_before(stages)


def test_the_sync_client_loads_no_zeep_until_a_call_needs_it() -> None:
    stages = _run(SYNC)
    assert "zeep" not in stages["construct"]
    assert (stages["first"], stages["second"]) == ("2.50", "2.50")
    assert stages["calls"] == ["requests", "urllib3"]
    _fault_read_as_before(stages)


def test_zeeps_exceptions_join_the_table_once_zeep_is_in_use() -> None:
    """Before, the SOAP layer's rows are lxml's alone (no zeep exception can exist); once a call
    loaded zeep's side, each client's attempts translate zeep's exceptions as they always did."""
    script = ("import json, sys, smsc_soap._soap as soap; modules = lambda: sorted({r[0].__module__ for r in "
              "soap.soap_exceptions()}); before = modules(); zeep_before = 'zeep' in sys.modules; "
              "import smsc_soap._zeep; print(json.dumps([before, zeep_before, modules()]))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(done.stdout) == [["lxml.etree"], False, ["lxml.etree", "zeep.exceptions"]]

    import zeep.exceptions

    import smsc_soap._zeep  # noqa: F401 - what a call the codec leaves to zeep loads
    from smsc_soap import AsyncClient, Client, ProtocolError
    from smsc_soap._async.client import AsyncSoapAttempt
    from smsc_soap._core.exceptions import translate
    from smsc_soap._sync.client import SoapAttempt

    # zeep ships no annotations: its exception classes, typed here as what they are
    xml_parse_error = cast(Callable[[str], Exception], zeep.exceptions.XMLParseError)
    validation_error = cast(Callable[[str], Exception], zeep.exceptions.ValidationError)
    for flavour, attempt_class in ((Client, SoapAttempt), (AsyncClient, AsyncSoapAttempt)):
        client = flavour("alex", "s3cret", url="http://127.0.0.1:9/sys/soap.php")
        attempt = attempt_class(client, client._prepare("get_balance", {}))  # type: ignore[arg-type]
        for exc, what in ((xml_parse_error("bad"), "answer does not follow the WSDL"),
                          (validation_error("Missing element login"), "SOAP processing failed")):
            error = translate(exc, attempt.rules, "get_balance", client.endpoint)
            assert isinstance(error, ProtocolError) and what in str(error)


def test_threads_falling_back_at_once_make_one_zeep_client(monkeypatch: pytest.MonkeyPatch) -> None:
    """A sync client is shared by many threads: the first Faults of several at once parse the WSDL
    and make zeep's client once, for all of them."""
    import threading

    import zeep

    from smsc_soap import _zeep

    made = []
    real = cast(Callable[..., Any], zeep.Client)  # zeep ships no annotations

    def counting(*args: Any, **kwargs: Any) -> Any:
        made.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(zeep, "Client", counting)
    endpoint = "http://127.0.0.1:9/threads/soap.php"  # an endpoint of its own: nothing made yet
    barrier = threading.Barrier(8)
    got: List[Any] = []

    def fall_back() -> None:
        barrier.wait()
        got.append(_zeep.client_for(endpoint))

    threads = [threading.Thread(target=fall_back) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(got) == 8 and all(client is got[0] for client in got)
    assert len(made) == 1
