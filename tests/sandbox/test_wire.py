"""The HTTP and SOAP wire of the sandbox: WSDL, faults, limits (without needing PHP).

The exact fault strings are the ones measured from PHP's SoapServer in wsdl-evidence.md;
test_php_parity.py compares against a live SoapServer where PHP is installed.
"""
from __future__ import annotations

import gc
import socket
import time
import tracemalloc
from typing import Any, List, Tuple

import pytest
import requests
from lxml import etree
from sandbox_helpers import envelope, post, result_fields

from smsc_soap.sandbox import Sandbox
from smsc_soap.sandbox import assumptions as A
from smsc_soap.sandbox.soapxml import has_doctype, parse_request, SoapFault

FAULT = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/">'
    "<SOAP-ENV:Body><SOAP-ENV:Fault><faultcode>{}</faultcode><faultstring>{}</faultstring></SOAP-ENV:Fault>"
    "</SOAP-ENV:Body></SOAP-ENV:Envelope>\n"
)
BAL = "<n:balance><login>alex</login><psw>123</psw></n:balance>"


def test_wsdl_carries_the_sandbox_url_as_namespace_soapaction_and_address(sb: Sandbox) -> None:
    response = requests.get(sb.wsdl_url, timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    root = etree.fromstring(response.content)
    ns = {"w": "http://schemas.xmlsoap.org/wsdl/", "s": "http://schemas.xmlsoap.org/wsdl/soap/",
          "x": "http://www.w3.org/2001/XMLSchema"}
    assert root.get("targetNamespace") == sb.url
    schema = root.find("w:types/x:schema", ns)
    assert schema is not None
    assert schema.get("targetNamespace") == sb.url
    assert {op.get("soapAction") for op in root.iterfind(".//s:operation", ns)} == {sb.url}
    address = root.find(".//s:address", ns)
    assert address is not None
    assert address.get("location") == sb.url
    assert b"smsc.ru" not in response.content.split(b"-->", 1)[1]
    # PHP compares the query string case-insensitively
    assert requests.get(sb.url + "?WSDL", timeout=10).content == response.content


def test_wsdl_follows_the_host_the_client_used(sb: Sandbox) -> None:
    other = f"http://localhost:{sb.port}/sys/soap.php"
    wsdl = requests.get(other + "?wsdl", timeout=10).content
    assert etree.fromstring(wsdl).get("targetNamespace") == other
    # ... and so does the namespace a request must carry (the live service's rule)
    assert post(other, envelope(BAL, other)).status_code == 200
    assert post(other, envelope(BAL, sb.url)).status_code == 500


def test_a_call_is_answered_as_php_writes_it(sb: Sandbox) -> None:
    response = post(sb.url, envelope(BAL, sb.url))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content == (
        '<?xml version="1.0" encoding="UTF-8"?>\n<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" '
        f'xmlns:ns1="{sb.url}"><SOAP-ENV:Body><ns1:BalanceResponse><balanceresult><balance>100.00</balance>'
        "</balanceresult></ns1:BalanceResponse></SOAP-ENV:Body></SOAP-ENV:Envelope>\n"
    ).encode()


def test_errors_repeat_and_unset_fields_are_omitted(sb: Sandbox) -> None:
    body = ("<n:send2><login>alex</login><psw>123</psw><phones>79999999999,1x,2y</phones>"
            "<mes>Hi</mes><query>err=1</query></n:send2>")
    response = post(sb.url, envelope(body, sb.url))
    assert b"<sendresult><id>1</id><cnt>1</cnt><errors><phone>1x</phone><status>22</status></errors>" \
           b"<errors><phone>2y</phone><status>22</status></errors></sendresult>" in response.content
    assert result_fields(response.content)["errors"] == [{"phone": "1x", "status": "22"}, {"phone": "2y", "status": "22"}]


@pytest.mark.parametrize(
    "body, code, string",
    [
        (b"", "SOAP-ENV:Client", "Bad Request"),
        (b"<not xml", "SOAP-ENV:Client", "Bad Request"),
        (envelope("<n:nosuch/>", "{ns}"), "SOAP-ENV:Server", "Procedure 'nosuch' not present"),
        (envelope(BAL, "https://smsc.ru/sys/soap.php"), "SOAP-ENV:Server", "Procedure 'balance' not present"),
        (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', "SOAP-ENV:Server", "DTD are not supported by SOAP"),
    ],
    ids=["empty", "malformed", "unknown operation", "wrong namespace", "dtd"],
)
def test_bad_requests_get_phps_faults(sb: Sandbox, body: bytes, code: str, string: str) -> None:
    response = post(sb.url, body.replace(b"{ns}", sb.url.encode()))
    assert response.status_code == 500
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content == FAULT.format(code, string).encode()


def test_billion_laughs_is_refused_before_parsing(sb: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    laughs = b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">' + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10)
    ) + b"]>" + envelope("<n:balance><login>&lol9;</login><psw>x</psw></n:balance>", sb.url)[38:]
    assert has_doctype(laughs)
    # the parser is never reached
    from lxml import etree as lxml_etree
    calls: List[Tuple[Any, ...]] = []
    monkeypatch.setattr(lxml_etree, "fromstring", lambda *a, **k: calls.append(a) or pytest.fail("parsed"))  # type: ignore[func-returns-value]
    response = post(sb.url, laughs)
    assert response.status_code == 500 and b"DTD are not supported by SOAP" in response.content
    assert calls == []
    with pytest.raises(SoapFault):
        parse_request(laughs.decode().encode("utf-16"), sb.url)


def test_missing_required_element_reaches_the_service(sb: Sandbox) -> None:
    response = post(sb.url, envelope("<n:balance><login>alex</login></n:balance>", sb.url))
    assert response.status_code == 200
    assert result_fields(response.content) == {"error": "2"}
    response = post(sb.url, envelope("<n:send><login>alex</login><psw>123</psw><mes>x</mes></n:send>", sb.url))
    assert result_fields(response.content) == {"error": "1"}


def test_soap_12_is_answered_in_soap_12(sb: Sandbox) -> None:
    response = post(sb.url, envelope(BAL, sb.url, env="http://www.w3.org/2003/05/soap-envelope"))
    assert response.headers["Content-Type"] == "application/soap+xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<env:Envelope xmlns:env=')


def test_bodies_over_the_limit_are_refused_with_413_unread(sb: Sandbox) -> None:
    big = envelope(f"<n:balance><login>{'a' * A.MAX_BODY_BYTES}</login><psw>1</psw></n:balance>", sb.url)
    response = post(sb.url, big)
    assert response.status_code == 413
    assert sb.requests == []
    just_fits = envelope("<n:balance><login>alex</login><psw>123</psw></n:balance>" + " " * (A.MAX_BODY_BYTES - 400), sb.url)
    assert len(just_fits) <= A.MAX_BODY_BYTES
    assert post(sb.url, just_fits).status_code == 200


def test_expect_100_continue_with_a_too_large_body_is_refused_at_once(sb: Sandbox) -> None:
    with socket.create_connection(("127.0.0.1", sb.port), timeout=5) as conn:
        conn.sendall(
            b"POST /sys/soap.php HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\n"
            b"Content-Length: %d\r\nExpect: 100-continue\r\n\r\n" % (A.MAX_BODY_BYTES + 1)
        )
        assert conn.recv(1024).startswith(b"HTTP/1.1 413 ")


def raw(sb: Sandbox, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", sb.port), timeout=5) as conn:
        conn.sendall(request)
        chunks: List[bytes] = []
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


def test_a_post_needs_a_content_length(sb: Sandbox) -> None:
    answer = raw(sb, b"POST /sys/soap.php HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 411 ")
    answer = raw(sb, b"POST /sys/soap.php HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400 ")


def test_a_body_cut_short_is_not_waited_for_forever(sb: Sandbox) -> None:
    with socket.create_connection(("127.0.0.1", sb.port), timeout=5) as conn:
        conn.sendall(b"POST /sys/soap.php HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n<x")
        conn.shutdown(socket.SHUT_WR)
        assert conn.recv(1024) == b""  # closed, no answer, no thread left waiting
    assert sb.requests == []


def test_a_request_head_is_bounded_in_all_not_only_per_line(sb: Sandbox) -> None:
    start = b"GET /sys/soap.php HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"

    def head(size: int) -> bytes:
        return start + b"X-Pad: " + b"a" * (size - len(start) - 11) + b"\r\n\r\n"

    assert len(head(A.MAX_HEAD_BYTES)) == A.MAX_HEAD_BYTES
    assert raw(sb, head(A.MAX_HEAD_BYTES)).startswith(b"HTTP/1.1 200 ")  # at the bound: served
    assert len(sb.requests) == 1
    over = [head(A.MAX_HEAD_BYTES + 1),
            start + b"".join(b"X-Pad-%d: %s\r\n" % (i, b"a" * 64000) for i in range(90)) + b"\r\n"]  # 5.8 MB
    for refused in over:  # each line and the number of lines within the stdlib's own bounds
        assert raw(sb, refused).startswith(b"HTTP/1.1 431 ")
    assert raw(sb, b"GET /?" + b"a" * A.MAX_HEAD_BYTES + b" HTTP/1.1\r\n\r\n").startswith(b"HTTP/1.1 414 ")
    assert len(sb.requests) == 1  # nothing of a refused head is kept


def test_other_paths_and_methods(sb: Sandbox) -> None:
    base = f"http://127.0.0.1:{sb.port}"
    assert requests.get(base + "/", timeout=5).status_code == 404
    assert requests.post(base + "/sys/send.php", data=b"x", timeout=5).status_code == 404
    # SoapServer writes nothing for a GET without ?wsdl, or for other methods
    plain = requests.get(sb.url, timeout=5)
    assert (plain.status_code, plain.content) == (200, b"")
    assert requests.put(sb.url, data=b"x", timeout=5).content == b""
    head = requests.head(sb.wsdl_url, timeout=5)
    assert head.status_code == 200 and head.content == b"" and int(head.headers["Content-Length"]) > 10000


def test_keep_alive_serves_many_calls_on_one_connection(sb: Sandbox) -> None:
    with requests.Session() as session:
        for _ in range(5):
            response = session.post(sb.url, data=envelope(BAL, sb.url), timeout=5)
            assert response.status_code == 200
        assert len({r.client for r in sb.requests}) == 1
    assert len(sb.requests) == 5


def test_requests_are_recorded_with_what_was_answered(sb: Sandbox) -> None:
    post(sb.url, envelope(BAL, sb.url), SOAPAction='"x"')
    record = sb.requests[-1]
    assert (record.method, record.path, record.operation, record.status) == ("POST", "/sys/soap.php", "get_balance", 200)
    assert record.params == {"login": "alex", "psw": "123"}
    assert record.headers["SOAPAction"] == '"x"'
    assert b"<balance>100.00</balance>" in record.response
    assert record.at == pytest.approx(sb.now())


def test_the_request_log_is_bounded_in_bytes_too(sb: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(A, "REQUEST_LOG_BYTES", 1024 * 1024)
    bodies = [envelope(BAL + " " * (200 * 1024 + i), sb.url) for i in range(10)]  # ~200 KiB each
    for body in bodies:
        assert post(sb.url, body).status_code == 200
    kept = [r.body for r in sb.requests]
    assert 3 <= len(kept) < 10 and kept == bodies[-len(kept):]  # the newest, as many as fit
    assert sum(map(len, kept)) <= A.REQUEST_LOG_BYTES
    monkeypatch.setattr(A, "REQUEST_LOG_BYTES", 1024)
    assert post(sb.url, bodies[0]).status_code == 200
    assert [r.body for r in sb.requests] == [bodies[0]]  # the newest is kept, whatever its size


def test_a_refused_request_is_freed_at_once_not_left_to_the_garbage_collector(
        sb: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    """Reference counting alone frees what a request held: a body in a reference cycle lives on
    until the cyclic collector runs, and between two runs megabytes of them add up."""
    monkeypatch.setattr(A, "REQUEST_LOG_BYTES", 1)  # the log keeps the newest alone
    body = b"<x>" + b" " * 500_000 + b"</x>"  # not SOAP: a fault
    gc.collect()
    gc.disable()
    tracemalloc.start()
    try:
        for _ in range(10):
            assert post(sb.url, body).status_code == 500
        alive, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        gc.enable()
    assert alive < 3 * len(body)  # the newest, in the log (and its handler's, ending); not ten


def test_a_slow_client_does_not_hold_up_others(sb: Sandbox) -> None:
    with socket.create_connection(("127.0.0.1", sb.port), timeout=5) as idle:
        idle.sendall(b"POST /sys/soap.php HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n<x")
        assert post(sb.url, envelope(BAL, sb.url)).status_code == 200


# --- multipart/form-data (a mailing's files): read in one pass, within named bounds ----------------

MULTIPART = "multipart/form-data; boundary=b"


def parts(*heads: bytes) -> bytes:
    """A multipart body with boundary ``b``: one part per ``heads`` entry (its headers), each holding "x"."""
    return b"".join(b"--b\r\n" + head + b"\r\n\r\nx\r\n" for head in heads) + b"--b--\r\n"


def fill(head: bytes, piece: bytes) -> bytes:
    """``head`` followed by as many ``piece`` as make the body nearly the largest one accepted."""
    return head + piece * ((A.MAX_BODY_BYTES - 200) // len(piece))


HOSTILE = {  # what made the e-mail parser spin for seconds to a minute of CPU, before any login
    "one header of many parameters": parts(fill(b"Content-Disposition: form-data; name=a", b"; p=v")),
    "RFC 2231 continuations": parts(fill(b"Content-Disposition: form-data; name=a",
                                         b"; filename*0*=utf-8''%41%42")),
    "many tiny parts": parts(*[b"Content-Disposition: form-data; name=a"] * ((A.MAX_BODY_BYTES - 200) // 53)),
    "a few parameters too many": parts(b"Content-Disposition: form-data; name=a" + b"; p=v" * A.MULTIPART_MAX_PARAMS),
    "a part whose headers never end": b"--b\r\nContent-Disposition: form-data; name=a\r\n" + b"x" * 20_000,
}


def jobs(sb: Sandbox, body: bytes) -> requests.Response:
    return requests.post(sb.url.replace("soap.php", "jobs.php"), data=body, headers={"Content-Type": MULTIPART},
                         timeout=30)


@pytest.mark.parametrize("body", HOSTILE.values(), ids=list(HOSTILE))
def test_a_multipart_body_beyond_the_readers_bounds_is_a_bad_request_read_in_one_pass(sb: Sandbox, body: bytes) -> None:
    assert len(body) <= A.MAX_BODY_BYTES
    cpu = time.process_time()  # this process's, the sandbox's threads included
    answer = jobs(sb, body)
    assert time.process_time() - cpu < 2.0  # a pass over a megabyte; the e-mail parser took 6 to 60 s
    assert answer.status_code == 400 and b"400 Bad Request" in answer.content
    assert [r.status for r in sb.requests] == [400]


def test_a_multipart_body_at_the_readers_bounds_is_read(sb: Sandbox) -> None:
    heads = [b'Content-Disposition: form-data; name="f%d"' % i for i in range(A.MULTIPART_MAX_PARTS - 2)]
    heads.append(b"Content-Disposition: form-data; name=login" + b"; p=v" * (A.MULTIPART_MAX_PARAMS - 1))
    body = parts(*heads).replace(b"x\r\n--b--", b"alex\r\n--b--")  # the last part says login=alex
    body = body.replace(b"--b--", b'--b\r\nContent-Disposition: form-data; name="get_all"\r\n\r\n1\r\n--b--')
    answer = jobs(sb, body)
    assert answer.status_code == 200 and sb.requests[-1].status == 200
    params = sb.requests[-1].params
    assert params is not None and (params["f0"], params["login"], params["get_all"]) == ("x", "alex", "1")
    assert len(params) == A.MULTIPART_MAX_PARTS


def test_a_multipart_body_with_lf_line_ends_and_a_quoted_boundary_is_read(sb: Sandbox) -> None:
    body = b'--a b\nContent-Disposition: form-data; name="login"\n\nalex\n--a b--\n'
    answer = requests.post(sb.url.replace("soap.php", "jobs.php"), data=body, timeout=10,
                           headers={"Content-Type": 'multipart/form-data; boundary="a b"'})
    assert answer.status_code == 200 and sb.requests[-1].params == {"login": "alex"}
