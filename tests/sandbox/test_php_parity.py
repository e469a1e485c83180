"""The sandbox answers bad requests, and writes answers, byte for byte as PHP's SoapServer does.

Each request below goes to PHP 8's own SoapServer (serving the vendored WSDL with a stub service,
tests/sandbox/php/stub_server.php) and to the sandbox. A Fault must be the same bytes; a request
PHP accepts must reach the sandbox's service with the same parameters PHP's service code gets.
Skipped only where php with the soap extension cannot be installed.
"""
from __future__ import annotations

import gzip
import json
from typing import Any, Callable, Dict

import pytest

from smsc_soap.sandbox import Sandbox
from smsc_soap.sandbox.soapxml import SOAP11, SOAP12, response_envelope
from smsc_soap.sandbox.wsdlmodel import by_name

from sandbox_helpers import ENV11, ENV12, PhpStub, envelope, post

BAL = "<n:balance><login>a</login><psw>b</psw></n:balance>"
HDR_MU = '<S:Header><h:x xmlns:h="urn:h" S:mustUnderstand="{}"/></S:Header>'


def send(inner: str, attrs: str = "") -> str:
    return f"<n:send{attrs}>{inner}</n:send>"


# name -> function(namespace) -> request body
CASES: Dict[str, Callable[[str], bytes]] = {
    # malformed or empty
    "empty body": lambda ns: b"",
    "not xml": lambda ns: b"<x",
    "trailing junk": lambda ns: envelope(BAL, ns) + b"<junk/>",
    "bad utf-8": lambda ns: envelope("<n:balance><login>\xff</login></n:balance>", ns).replace("ÿ".encode(), b"\xff"),
    "too deep": lambda ns: envelope("<n:balance>" + "<x>" * 3000 + "</x>" * 3000 + "</n:balance>", ns),
    # DTDs
    "internal dtd": lambda ns: b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]>' + envelope(BAL, ns)[38:],
    "external dtd": lambda ns: b'<?xml version="1.0"?><!DOCTYPE x SYSTEM "file:///etc/passwd"><x/>',
    "billion laughs": lambda ns: (
        b'<?xml version="1.0"?><!DOCTYPE S:Envelope [<!ENTITY a "aaaaaaaaaa">'
        + b"".join(b'<!ENTITY a%d "%s">' % (i, (b"&a%d;" % (i - 1) if i > 1 else b"&a;") * 10) for i in range(1, 9))
        + b"]>" + envelope("<n:balance><login>&a8;</login><psw>b</psw></n:balance>", ns)[38:]
    ),
    "dtd in soap 1.2": lambda ns: b"<!DOCTYPE x>" + envelope(BAL, ns, env=ENV12)[38:],
    # envelope
    "not an envelope": lambda ns: b'<?xml version="1.0"?><foo/>',
    "envelope in another namespace": lambda ns: envelope(BAL, ns, env="urn:x"),
    "no body": lambda ns: f'<S:Envelope xmlns:S="{ENV11}"></S:Envelope>'.encode(),
    "empty body element": lambda ns: f'<S:Envelope xmlns:S="{ENV11}"><S:Body/></S:Envelope>'.encode(),
    "text in body": lambda ns: envelope("text", ns),
    "body in soap 1.2 namespace": lambda ns: (
        f'<S:Envelope xmlns:S="{ENV11}" xmlns:T="{ENV12}" xmlns:n="{ns}"><T:Body>{BAL}</T:Body></S:Envelope>'.encode()
    ),
    "two headers": lambda ns: f'<S:Envelope xmlns:S="{ENV11}" xmlns:n="{ns}"><S:Header/><S:Header/><S:Body>{BAL}</S:Body></S:Envelope>'.encode(),
    "header after body": lambda ns: envelope(BAL, ns, tail="<S:Header/>"),
    "element after body, 1.2": lambda ns: envelope(BAL, ns, env=ENV12, tail="<S:Header/>"),
    "unqualified attribute on envelope": lambda ns: envelope(BAL, ns, attrs=' foo="bar"'),
    "encodingStyle on 1.2 envelope": lambda ns: envelope(BAL, ns, env=ENV12, attrs=f' S:encodingStyle="{ENV12}"'),
    "unknown encodingStyle on operation": lambda ns: envelope(
        '<n:balance S:encodingStyle="urn:bad"><login>a</login><psw>b</psw></n:balance>', ns),
    # operation lookup
    "unknown operation": lambda ns: envelope("<n:nosuch><login>a</login></n:nosuch>", ns),
    "operation name instead of element": lambda ns: envelope("<n:get_balance><login>a</login><psw>b</psw></n:get_balance>", ns),
    "wrong namespace": lambda ns: envelope(BAL, "http://smsc.ru/other"),
    "no namespace": lambda ns: envelope("<balance><login>a</login><psw>b</psw></balance>", ns),
    "unknown operation, 1.2": lambda ns: envelope("<n:nosuch/>", ns, env=ENV12),
    "two operations": lambda ns: envelope(BAL + BAL, ns),
    "two operations, 1.2": lambda ns: envelope(BAL + BAL, ns, env=ENV12),
    # headers
    "mustUnderstand header": lambda ns: envelope(BAL, ns, head=HDR_MU.format("1")),
    "mustUnderstand header, 1.2": lambda ns: envelope(BAL, ns, env=ENV12, head=HDR_MU.format("true")),
    "mustUnderstand not boolean": lambda ns: envelope(BAL, ns, head=HDR_MU.format("yes")),
    "mustUnderstand for another actor": lambda ns: envelope(
        BAL, ns, head='<S:Header><h:x xmlns:h="urn:h" S:mustUnderstand="1" S:actor="urn:other"/></S:Header>'),
    # parameter values
    "child element in a value": lambda ns: envelope(send("<login>a<b>c</b>d</login><psw/><phones>1</phones><mes>m</mes>"), ns),
    "child element, 1.2": lambda ns: envelope(send("<login><b>c</b></login><psw/><phones>1</phones><mes>m</mes>"), ns, env=ENV12),
    "text and cdata": lambda ns: envelope(send("<login>a</login><psw/><phones>1</phones><mes>m <![CDATA[x&y]]></mes>"), ns),
    # accepted: what reaches the service code
    "plain balance": lambda ns: envelope(BAL, ns),
    "soap 1.2 balance": lambda ns: envelope(BAL, ns, env=ENV12),
    "missing required elements": lambda ns: envelope(send("<login>a</login><phones>1</phones><mes>m</mes>"), ns),
    "nil": lambda ns: envelope(send(
        '<login>a</login><psw i:nil="true"/><phones>1</phones><mes>m</mes><id>x</id>',
        ' xmlns:i="http://www.w3.org/2001/XMLSchema-instance"'), ns),
    "repeated elements": lambda ns: envelope(send("<login>a</login><login>b</login><psw/><phones>1</phones><mes>m</mes>"), ns),
    "any order, any namespace": lambda ns: envelope(send(
        '<id>z</id><mes>m</mes><o:phones xmlns:o="urn:o">1</o:phones><psw/><n:login>a</n:login><extra><x/></extra>'), ns),
    "whitespace, comments, cdata": lambda ns: envelope(send(
        "\n <login>a<!--c-->b</login>\n <psw>  \n\t </psw>\n <phones> <![CDATA[1&2]]> </phones>\n <mes>\n m\n </mes>\n"), ns),
    "entities and non-ascii": lambda ns: envelope(send("<login>&#65;&amp;&lt;</login><psw>ü€😀</psw><phones>1</phones><mes>a&#13;b</mes>"), ns),
    "latin-1 request": lambda ns: envelope(send("<login>é</login><psw/><phones>1</phones><mes>m</mes>"), ns)
    .replace(b"UTF-8", b"ISO-8859-1").replace("é".encode(), b"\xe9"),
    "utf-16 request": lambda ns: envelope(BAL, ns).decode().replace("UTF-8", "UTF-16").encode("utf-16"),
    "byte order mark": lambda ns: b"\xef\xbb\xbf" + envelope(BAL, ns),
    "processing instruction": lambda ns: envelope("<?foo bar?>" + BAL, ns),
    "plain header": lambda ns: envelope(BAL, ns, head='<S:Header><h:x xmlns:h="urn:h"/></S:Header>'),
    "trailing NUL": lambda ns: envelope(BAL, ns) + b"\x00",
    "status in any order": lambda ns: envelope("<n:status><all>2</all><id>1</id><phone>p</phone><psw/><login>a</login></n:status>", ns),
}

STUB_RESULT: Dict[str, Dict[str, Any]] = {w: {} for w in ("balanceresult", "sendresult", "costresult", "statusresult")}


@pytest.mark.parametrize("case", list(CASES))
def test_request_handling_matches_php(case: str, php_stub: PhpStub, sb: Sandbox) -> None:
    php_stub.returns(STUB_RESULT)
    php_stub.forget()
    theirs = post(php_stub.url, CASES[case](php_stub.url))
    ours = post(sb.url, CASES[case](sb.url))

    assert ours.status_code == theirs.status_code
    assert ours.headers["Content-Type"] == theirs.headers["Content-Type"]
    if theirs.status_code == 500:
        assert ours.content == theirs.content
    else:
        assert ours.status_code == 200
        assert sb.requests[-1].params == php_stub.seen()


def test_gzip_request_is_accepted_like_php(php_stub: PhpStub, sb: Sandbox) -> None:
    php_stub.returns(STUB_RESULT)
    for target in (php_stub.url, sb.url):
        response = post(target, gzip.compress(envelope(BAL, target)), **{"Content-Encoding": "gzip"})
        assert response.status_code == 200
    assert sb.requests[-1].params == {"login": "a", "psw": "b"}
    bad_php = post(php_stub.url, envelope(BAL, php_stub.url), **{"Content-Encoding": "gzip"})
    bad_ours = post(sb.url, envelope(BAL, sb.url), **{"Content-Encoding": "gzip"})
    assert (bad_ours.status_code, bad_ours.content) == (bad_php.status_code, bad_php.content)


# --- answers ---------------------------------------------------------------------------------

TRICKY = 'a&b <c> "d" \'e\' ]]> \r\n\t ü€😀'
RESULTS: Dict[str, Dict[str, Any]] = {
    "get_balance": {"balance": "100.00"},
    "send_sms": {"id": TRICKY, "cnt": "1"},
    "send_sms2": {"id": "7", "balance": "", "cost": "4.00", "cnt": "2",
                  "errors": [{"phone": TRICKY, "status": "22"}, {"phone": "79990000008", "status": "25"}]},
    "get_sms_cost": {"error": "2"},
    "get_sms_cost2": {"cost": "0.00", "cnt": "0"},
    "get_status": {"region": "R", "status": "1", "err": "0", "message": TRICKY, "operator": ""},
    "get_status2": {"status": "-1", "last_date": "01.01.2026 00:00:00", "err": "0", "error": None},
}
REQUEST = {
    "get_balance": "balance", "send_sms": "send", "send_sms2": "send2", "get_sms_cost": "cost",
    "get_sms_cost2": "cost2", "get_status": "status", "get_status2": "status2",
}


@pytest.mark.parametrize("version", [SOAP11, SOAP12])
@pytest.mark.parametrize("operation", list(RESULTS))
def test_answers_are_written_like_php(operation: str, version: str, php_stub: PhpStub) -> None:
    op = by_name()[operation]
    php_stub.returns({op.wrapper: {k: v for k, v in RESULTS[operation].items() if v is not None}})
    env = ENV11 if version == SOAP11 else ENV12
    theirs = post(php_stub.url, envelope(f"<n:{REQUEST[operation]}/>", php_stub.url, env=env))
    assert theirs.status_code == 200, theirs.content
    assert response_envelope(version, php_stub.url, op, RESULTS[operation]) == theirs.content


def test_stub_result_is_json(php_stub: PhpStub) -> None:
    # guards the harness itself: a result file that is not JSON would make PHP answer null
    php_stub.returns(STUB_RESULT)
    assert json.loads(php_stub.result_file.read_text()) == STUB_RESULT
