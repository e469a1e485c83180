"""The cassette kit (smsc_soap.testing): matchers, scrubbing, configuration, thread guard, plugin."""
from __future__ import annotations

import base64
import functools
import re
import secrets as random_secrets
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Tuple, cast
from urllib.parse import quote, quote_plus
from xml.sax.saxutils import escape

import pytest
import requests
import vcr
import yaml  # type: ignore[import-untyped]
from requests.adapters import HTTPAdapter
from vcr.errors import CannotOverwriteExistingCassetteException
from vcr.request import Request

import smsc_soap
from smsc_soap import Client, CostResult, spec
from smsc_soap import testing as kit
from smsc_soap.testing import plugin
from smsc_soap.channels import Mms
from smsc_soap.http_api import multipart
from smsc_soap.sandbox import Account, Sandbox
from support.servers import Answer, LoopbackServer, Responder, echo, soap_answer
from test_secrets_in_tracebacks import NS, _client, assert_no_secret

pytest_plugins = ["pytester"]

ENV = "http://schemas.xmlsoap.org/soap/envelope/"
NS = "http://127.0.0.1:1/sys/soap.php"


def envelope(operation: str, fields: str, *, env_prefix: str = "soap-env", ns_prefix: str = "ns0") -> str:
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<{env_prefix}:Envelope xmlns:{env_prefix}="{ENV}">'
            f'<{env_prefix}:Body><{ns_prefix}:{operation} xmlns:{ns_prefix}="{NS}">{fields}'
            f'</{ns_prefix}:{operation}></{env_prefix}:Body></{env_prefix}:Envelope>')


def post(body: str, url: str = NS) -> Request:
    return Request("POST", url, body.encode(), {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{url}"'})


# --- normalisation ------------------------------------------------------------------------------


@pytest.mark.parametrize("operation", ["balance", "send", "send2", "cost", "cost2", "status", "status2"])
def test_the_operation_is_the_bodys_first_element(operation: str) -> None:
    assert kit.soap_operation(post(envelope(operation, "<login>a</login><psw>b</psw>"))) == operation


def test_not_a_soap_envelope_has_no_operation() -> None:
    assert kit.soap_operation(b"login=a&psw=b") is None
    assert kit.soap_operation(b"<html><body>hi</body></html>") is None
    assert kit.soap_operation(b"<not xml") is None
    assert kit.soap_operation(None) is None


def test_normalising_ignores_prefixes_whitespace_secrets_and_query_order() -> None:
    first = envelope("send2", "<login>alex</login><psw>123</psw><phones>79999999999</phones><mes>Hi</mes>"
                              "<query>apikey=K1&amp;cost=3&amp;err=1</query>")
    second = envelope("send2", "\n  <login>alex</login>\n  <psw>other</psw>\n  <phones> 79999999999 </phones>"
                               "<mes>Hi</mes>\n  <query>err=1&amp;cost=3&amp;apikey=K2</query>\n",
                      env_prefix="SOAP-ENV", ns_prefix="tns")
    assert kit.normalise_body(post(first)) == kit.normalise_body(post(second))
    normal = kit.normalise_body(post(first))
    assert normal == kit.SoapBody("send2", (
        ("login", "alex"), ("mes", "Hi"), ("phones", "79999999999"), ("psw", "REDACTED"),
        ("query", (("apikey", ("REDACTED",)), ("cost", ("3",)), ("err", ("1",)))),
    ))


@pytest.mark.parametrize("change", [
    ("<mes>Hi</mes>", "<mes>Hello</mes>"),
    ("<phones>79999999999</phones>", "<phones>79999999998</phones>"),
    ("cost=3", "cost=2"),
    ("<login>alex</login>", "<login>bob</login>"),
])
def test_normalising_keeps_every_other_difference(change: Tuple[str, str]) -> None:
    body = envelope("send2", "<login>alex</login><psw>1</psw><phones>79999999999</phones><mes>Hi</mes>"
                             "<query>cost=3</query>")
    assert kit.normalise_body(post(body)) != kit.normalise_body(post(body.replace(*change)))


def test_normalising_refuses_entities_and_dtds() -> None:
    evil = ('<?xml version="1.0"?><!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            f'<e:Envelope xmlns:e="{ENV}"><e:Body><balance><login>&x;</login></balance></e:Body></e:Envelope>')
    assert kit.soap_operation(evil.encode()) is None  # not parsed as SOAP at all: compared as bytes


# --- matchers, against recordings of the sandbox ----------------------------------------------


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as sb:  # demo account alex / 123
        yield sb


def test_entries_differing_only_in_operation_replay_to_the_right_request(sandbox: Sandbox, tmp_path: Path) -> None:
    # send and cost with exactly the same children: only the operation tells them apart.
    fields = "<login>alex</login><psw>123</psw><phones>79999999999</phones><mes>Hello</mes>"
    bodies = {op: envelope(op, fields).replace(NS, sandbox.url).encode() for op in ("send", "cost")}
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{sandbox.url}"'}
    with kit.make_vcr(tmp_path, record_mode="once").use_cassette("ops.yaml"):
        live = {op: requests.post(sandbox.url, data=body, headers=headers).text for op, body in bodies.items()}
    sandbox.stop()
    assert "SendResponse" in live["send"] and "CostResponse" in live["cost"]
    recorded = [kit.normalise_body(i["request"]["body"].encode())
                for i in yaml.safe_load((tmp_path / "ops.yaml").read_text())["interactions"]]
    assert [b.operation for b in recorded] == ["send", "cost"] and recorded[0].fields == recorded[1].fields

    with kit.block_network(), kit.make_vcr(tmp_path).use_cassette("ops.yaml"):
        for op in ("cost", "send"):  # the other order
            assert requests.post(sandbox.url, data=bodies[op], headers=headers).text == live[op]


def test_vcrpy_default_matchers_would_replay_the_wrong_answer(sandbox: Sandbox, tmp_path: Path) -> None:
    """The trap the kit exists for: same URL, same SOAPAction, body ignored."""
    client = Client("alex", "123", url=sandbox.url)
    with kit.make_vcr(tmp_path, record_mode="once").use_cassette("ops.yaml"):
        client.send_sms("79999999999", "Hello")
        client.get_sms_cost("79999999999", "Hello")
    sandbox.stop()
    plain = vcr.VCR(cassette_library_dir=str(tmp_path), record_mode="none", custom_patches=kit.custom_patches())
    with kit.block_network(), plain.use_cassette("ops.yaml"):
        with pytest.raises(smsc_soap.SmscError):  # gets send's answer, which is no cost answer
            client.get_sms_cost("79999999999", "Hello")


def test_entries_differing_only_in_body_replay_to_the_right_request(sandbox: Sandbox, tmp_path: Path) -> None:
    client = Client("alex", "123", url=sandbox.url)
    with kit.make_vcr(tmp_path, record_mode="once").use_cassette("bodies.yaml"):
        short = client.get_sms_cost("79999999999", "Hi")
        long = client.get_sms_cost("79999999999", "x" * 200)  # several parts
    sandbox.stop()
    assert short.cnt == 1 and long.cnt is not None and long.cnt > 1

    with kit.block_network(), kit.make_vcr(tmp_path).use_cassette("bodies.yaml") as cassette:
        client = Client("alex", "another password", url=sandbox.url)  # secrets are not matched on
        assert client.get_sms_cost("79999999999", "x" * 200) == long
        assert client.get_sms_cost("79999999999", "Hi") == short
        assert cassette.all_played


def test_a_send_without_id_replays_although_the_client_draws_a_new_id(sandbox: Sandbox, tmp_path: Path) -> None:
    assert kit.CLIENT_ID_PATTERN.match(smsc_soap.client.new_message_id())
    client = Client("alex", "123", url=sandbox.url)
    with kit.make_vcr(tmp_path, record_mode="once").use_cassette("send.yaml"):
        sent = client.send_sms("79999999999", "Hello")
        status = client.get_status("79999999999", sent.id)
    sandbox.stop()
    with kit.block_network(), kit.make_vcr(tmp_path).use_cassette("send.yaml"):
        again = client.send_sms("79999999999", "Hello")  # with another random id
        assert again == sent  # the recorded answer, and so the recorded id
        assert client.get_status("79999999999", again.id) == status
    # an id the caller chose is matched as any other field
    body = envelope("send", "<login>a</login><psw>b</psw><phones>7</phones><mes>m</mes><id>{}</id>")
    assert kit.normalise_body(body.format("c" + "0" * 20)) == kit.normalise_body(body.format("c" + "1" * 20))
    assert kit.normalise_body(body.format("42")) != kit.normalise_body(body.format("43"))


def test_a_request_not_in_the_cassette_fails(sandbox: Sandbox, tmp_path: Path) -> None:
    client = Client("alex", "123", url=sandbox.url)
    with kit.make_vcr(tmp_path, record_mode="once").use_cassette("one.yaml"):
        client.get_sms_cost("79999999999", "Hi")
    seen = len(sandbox.requests)

    with kit.make_vcr(tmp_path).use_cassette("one.yaml"):
        with pytest.raises(CannotOverwriteExistingCassetteException) as failed:
            client.get_sms_cost("79999999999", "Hi there")
        assert "mes" in str(failed.value)  # the matcher says what differs
        with pytest.raises(CannotOverwriteExistingCassetteException):
            client.send_sms("79999999999", "Hi")
    assert len(sandbox.requests) == seen, "record mode none must not let a request through"


def test_an_interaction_replays_once(sandbox: Sandbox, tmp_path: Path) -> None:
    client = Client("alex", "123", url=sandbox.url)
    with kit.make_vcr(tmp_path, record_mode="once").use_cassette("once.yaml"):
        client.get_balance()
    with kit.make_vcr(tmp_path).use_cassette("once.yaml"):
        client.get_balance()
        with pytest.raises(CannotOverwriteExistingCassetteException):
            client.get_balance()


def test_a_client_shared_across_cassettes_and_outside_them(sandbox: Sandbox, tmp_path: Path) -> None:
    """The client's own pools are put under the cassette, with its own connection class inside
    vcrpy's stub, and nothing of a cassette stays in them once it ends."""
    client = Client("alex", "123", url=sandbox.url)
    client.get_balance()  # a pooled connection made before any cassette
    [pool] = cast(HTTPAdapter, client._session.get_adapter(sandbox.url)).poolmanager.pools._container.values()
    connection_class = type(pool).ConnectionCls
    with kit.make_vcr(tmp_path, record_mode="once").use_cassette("shared.yaml") as cassette:
        client.get_sms_cost("79999999999", "x")
        [stub] = [c for c in list(pool.pool.queue) if c is not None]
        assert isinstance(stub.real_connection, connection_class)  # deadlines still watched
    assert len(cassette.data) == 1 and len(sandbox.requests) == 2
    client.get_balance()  # outside: the server again
    assert len(sandbox.requests) == 3
    with kit.block_network(), kit.make_vcr(tmp_path).use_cassette("shared.yaml"):
        client.get_sms_cost("79999999999", "x")
    client.get_balance()
    assert len(sandbox.requests) == 4


def test_a_missing_cassette_fails_in_the_default_record_mode(sandbox: Sandbox, tmp_path: Path) -> None:
    with kit.make_vcr(tmp_path).use_cassette("absent.yaml"):
        with pytest.raises(CannotOverwriteExistingCassetteException):
            Client("alex", "123", url=sandbox.url).get_balance()
    assert sandbox.requests == [] and not (tmp_path / "absent.yaml").exists()


# --- configuration -------------------------------------------------------------------------------


def test_the_configuration() -> None:
    config = kit.vcr_config()
    assert config["record_mode"] == "none"
    assert config["decode_compressed_response"] is True
    assert config["match_on"] == ("method", "scheme", "host", "smsc_port", "path", "query", "smsc_operation", "smsc_body")
    recorder = kit.make_vcr()
    assert recorder.record_mode == "none"
    assert recorder.matchers["smsc_operation"] is kit.match_operation
    assert recorder.matchers["smsc_body"] is kit.match_body
    assert recorder.matchers["smsc_port"] is kit.match_port
    assert kit.make_vcr(record_mode="once").record_mode == "once"


def test_user_hooks_run_after_the_scrubbers() -> None:
    seen: List[bytes] = []

    def spy(request: Request) -> Request:
        seen.append(request.body)
        return request

    recorder = kit.make_vcr(before_record_request=spy)
    config = recorder.get_merged_config(path="x.yaml")
    config["before_record_request"](post(envelope("balance", "<login>a</login><psw>hunter2</psw>")))
    assert seen and b"hunter2" not in seen[0] and b"<psw>REDACTED</psw>" in seen[0]


def test_the_config_dict_works_with_a_plain_vcr(sandbox: Sandbox, tmp_path: Path) -> None:
    """What pytest-recording users do: vcr_config() as options, matchers registered by name."""
    recorder = kit.register_matchers(vcr.VCR(cassette_library_dir=str(tmp_path)))
    client = Client("alex", "123", url=sandbox.url)
    with recorder.use_cassette("plain.yaml", **kit.vcr_config(record_mode="once")):
        answer = client.get_sms_cost("79999999999", "Hi")
    sandbox.stop()
    with kit.block_network(), recorder.use_cassette("plain.yaml", **kit.vcr_config()):
        assert client.get_sms_cost("79999999999", "Hi") == answer


# --- scrubbing -------------------------------------------------------------------------------------


def real_looking_secrets() -> Tuple[str, str]:
    # Long and random, with the characters that change form on the wire: XML (& < > " '),
    # URL (% + space & =), and non-ASCII.
    psw = random_secrets.token_urlsafe(18) + "&<>\"' %+=Пароль" + random_secrets.token_hex(6)
    apikey = random_secrets.token_hex(20)
    return psw, apikey


def forms(secret: str) -> Dict[str, str]:
    """The ways a secret can show in a YAML cassette."""
    xml = escape(secret, {'"': "&quot;", "'": "&apos;"})
    out = {
        "plain": secret, "xml": xml, "xml-minimal": secret.replace("&", "&amp;").replace("<", "&lt;"),
        "url": quote(secret, safe=""), "url-plus": quote_plus(secret), "url-of-xml": quote(xml, safe=""),
        "base64": base64.b64encode(secret.encode()).decode(),
        "yaml-escaped": yaml.safe_dump(secret).strip().strip("'\""),
    }
    # a part of the secret is a leak too (a value cut at a separator): every 10-character window
    out.update({f"part{i}": secret[i:i + 10] for i in range(0, len(secret) - 10, 5)
                if re.fullmatch(r"[\w-]{10}", secret[i:i + 10])})
    return out


def decoded_binaries(text: str) -> List[str]:
    """Bodies vcrpy wrote as base64 (``!!binary``), decoded."""
    blobs = re.findall(r"!!binary \|\s*\n((?:[ \t]+[A-Za-z0-9+/=]+\n)+)", text)
    return [base64.b64decode("".join(blob.split())).decode("utf-8", "replace") for blob in blobs]


def assert_no_trace(cassette: Path, *secrets: str) -> None:
    text = cassette.read_text(encoding="utf-8")
    haystacks = [text] + decoded_binaries(text)

    def strings(node: object) -> Iterator[str]:  # every value as vcrpy will read it back
        if isinstance(node, dict):
            for key, value in node.items():
                yield from strings(key)
                yield from strings(value)
        elif isinstance(node, list):
            for item in node:
                yield from strings(item)
        elif isinstance(node, bytes):
            yield node.decode("utf-8", "replace")
        elif isinstance(node, str):
            yield node

    haystacks.extend(strings(yaml.safe_load(text)))
    for secret in secrets:
        for name, form in forms(secret).items():
            for haystack in haystacks:
                assert form not in haystack, f"the secret leaks in {name} form into {cassette.name}"


def test_recording_leaves_no_trace_of_the_secrets(tmp_path: Path) -> None:
    psw, apikey = real_looking_secrets()
    account = Account("acme-prod", psw, Decimal("50.00"), apikeys=(apikey,))
    # secrets=(): no help from scrubbing by value; the shapes alone must catch everything
    recorder = kit.make_vcr(tmp_path, record_mode="once", secrets=())
    with Sandbox([account]) as sb:
        by_psw = Client("acme-prod", psw, url=sb.url)
        by_key = Client(apikey=apikey, url=sb.url)
        with recorder.use_cassette("all.yaml"):
            balance = by_psw.get_balance()
            sent = by_psw.send_sms("79999999999", "Hello")
            by_psw.send_sms2("79999999999", "Hello 2", cost=3)
            by_key.send_sms2("79999999999", "Hello 3", err=1)
            by_psw.get_sms_cost("79999999999", "Hi")
            by_key.get_sms_cost2("79999999999", "Hi", translit=1)
            by_psw.get_status("79999999999", sent.id)
            by_key.get_status2("79999999999", sent.id, all=2)
            with pytest.raises(smsc_soap.AuthenticationError):
                Client("acme-prod", psw + "x", url=sb.url).get_balance()
            with pytest.raises(smsc_soap.AuthenticationError):
                Client(apikey=apikey[::-1], url=sb.url).get_sms_cost2("79999999999", "Hi")
            sb.inject("soap_fault")
            with pytest.raises(smsc_soap.SoapFault):
                by_psw.get_balance()
            # the companion HTTP APIs: secrets in the URL, in a form body, in Basic auth
            requests.get(f"{sb.url}?login=acme-prod&psw={quote(psw, safe='')}&apikey={apikey}&fmt=3")
            requests.post(sb.url.replace("soap.php", "send.php"), data={"login": "acme-prod", "psw": psw, "mes": "x"})
            requests.get(sb.url, auth=(b"acme-prod", psw.encode()))  # type: ignore[arg-type]
    cassette = tmp_path / "all.yaml"
    assert cassette.read_text().count("REDACTED") >= 14
    assert_no_trace(cassette, psw, apikey)

    with kit.block_network(), kit.make_vcr(tmp_path).use_cassette("all.yaml"):
        assert Client("acme-prod", "whatever", url=sb.url).get_balance() == balance  # still replays


def test_a_mailing_with_files_leaves_no_trace_of_the_password(tmp_path: Path) -> None:
    """mailings.add with files posts multipart/form-data: its psw part is scrubbed by shape (no
    help by value here), the file's bytes are kept, and the cassette still replays."""
    psw, _ = real_looking_secrets()
    jpeg = b"\xff\xd8\xff\xe0" + bytes(range(256)) + b"\r\n--\r\n\xff\xd9"
    with Sandbox([Account("acme-prod", psw)]) as sb:
        with kit.make_vcr(tmp_path, record_mode="once", secrets=()).use_cassette("files.yaml"):
            created = Client("acme-prod", psw, url=sb.url).mailings.add(
                "logo", "79999999999", Mms(subject="logo"), files=[("logo.jpg", jpeg)])
    cassette = tmp_path / "files.yaml"
    assert_no_trace(cassette, psw)
    [interaction] = yaml.load(cassette.read_text(), Loader=yaml.Loader)["interactions"]
    body = interaction["request"]["body"]
    assert jpeg in body and b'name="psw"\r\n\r\nREDACTED\r\n' in body  # the file as sent, byte for byte
    assert interaction["request"]["headers"]["Content-Length"] == [str(len(body))]
    with kit.block_network(), kit.make_vcr(tmp_path).use_cassette("files.yaml"):
        # (another process and another password: test_a_mailing_with_files_recorded_in_another_process_replays)
        assert Client("acme-prod", psw, url=sb.url).mailings.add(
            "logo", "79999999999", Mms(subject="logo"), files=[("logo.jpg", jpeg)]) == created


def test_scrubbing_a_multipart_body_by_shape_keeps_its_other_bytes() -> None:
    def part(name: str, value: bytes) -> bytes:
        return b'--b0\r\nContent-Disposition: form-data; name="' + name.encode() + b'"\r\n\r\n' + value + b"\r\n"

    body = part("login", b"alex") + part("psw", "пароль\r\n-\xff".encode()) + part("mes", b"psw is a word") + \
        b'--b0\r\nContent-Disposition: form-data; name="file0"; filename="psw"\r\n\r\n\xff\x00psw\r\n--b0--\r\n'
    assert kit.scrub_text(body) == body.replace("пароль\r\n-\xff".encode(), b"REDACTED")
    assert kit.scrub_text(part("APIKEY", b"k1") + b"--b0--") == part("APIKEY", b"REDACTED") + b"--b0--"


JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) + b"\r\n--\r\n\xff\xd9"

RECORD_A_MAILING_WITH_FILES = f"""
import sys
from smsc_soap import Client
from smsc_soap import testing as kit
from smsc_soap.channels import Mms
from smsc_soap.http_api import multipart

url, psw, directory = sys.argv[1:]
with kit.make_vcr(directory, record_mode="once", secrets=()).use_cassette("files.yaml"):
    created = Client("acme-prod", psw, url=url).mailings.add(
        "logo", "79999999999", Mms(subject="logo"), files=[("logo.jpg", {JPEG!r})])
print(created.id)
"""


@pytest.mark.parametrize("replay_psw", ["the same password", "a fake one"])
def test_a_mailing_with_files_recorded_in_another_process_replays(tmp_path: Path, replay_psw: str) -> None:
    """The multipart boundary derives from the fields with the password's placeholder in, keyed per
    process: a cassette recorded in one process (with the real password) replays in another (CI,
    with a fake one), as SOAP calls and forms do."""
    psw, _ = real_looking_secrets()
    with Sandbox([Account("acme-prod", psw)]) as sb:
        done = subprocess.run([sys.executable, "-c", RECORD_A_MAILING_WITH_FILES, sb.url, psw, str(tmp_path)],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert len(sb.requests) == 1
        with kit.block_network(), kit.make_vcr(tmp_path).use_cassette("files.yaml") as cassette:
            created = Client("acme-prod", psw if replay_psw == "the same password" else "ci-fake", url=sb.url) \
                .mailings.add("logo", "79999999999", Mms(subject="logo"), files=[("logo.jpg", JPEG)])
        assert created.id == int(done.stdout) and cassette.play_count == 1 and len(sb.requests) == 1


def multipart_request(fields: Dict[str, str], boundary: str, jpeg: bytes = JPEG) -> Request:
    body = multipart.body(fields, [multipart.Attachment("logo.jpg", jpeg)], boundary)
    return Request("POST", "http://127.0.0.1:1/sys/jobs.php", body,
                   {"Content-Type": multipart.content_type(boundary)})


def test_multipart_bodies_are_compared_by_their_parts_not_their_boundary() -> None:
    fields = {"add": "1", "login": "alex", "psw": "secret-1", "name": "logo", "mes": "Hello"}
    first = multipart_request(fields, "smsc-soap-" + "1" * 40)
    again = multipart_request({**fields, "psw": "secret-2"}, "smsc-soap-" + "2" * 40)
    assert kit.normalise_body(first) == kit.normalise_body(again)
    kit.match_body(first, again)
    normal = kit.normalise_body(first)
    assert isinstance(normal, kit.MultipartBody)
    assert kit.MultipartPart("psw", None, None, b"REDACTED") in normal.parts
    assert kit.MultipartPart("file0", "logo.jpg", "image/jpeg", JPEG) in normal.parts

    changed = multipart_request({**fields, "mes": "Bye"}, "smsc-soap-" + "1" * 40)
    assert kit.normalise_body(changed) != kit.normalise_body(first)
    with pytest.raises(AssertionError, match=r"^multipart bodies differ: part 'mes': .*value=b'Bye' .*"
                                             r"!= recorded .*value=b'Hello' [^;]*$"):
        kit.match_body(changed, first)
    with pytest.raises(AssertionError, match=r"^multipart bodies differ: part 'file0': filename='logo.jpg'"):
        kit.match_body(multipart_request(fields, "b", JPEG[:-1] + b"\x00"), first)


def test_an_answer_that_echoes_a_secret_is_scrubbed_by_value(tmp_path: Path) -> None:
    """A free-text echo has no shape to catch: the secrets given to the kit (or found in
    SMSC_PASSWORD / SMSC_APIKEY) are scrubbed by value, in every form."""
    psw, apikey = real_looking_secrets()
    with Sandbox([Account("acme-prod", psw)]) as sb:
        sb.inject("soap_fault", string=f"bad request from acme-prod/{psw} key {apikey}")
        with kit.make_vcr(tmp_path, record_mode="once", secrets=[psw, apikey]).use_cassette("echo.yaml"):
            with pytest.raises(smsc_soap.SoapFault) as fault:
                Client("acme-prod", psw, url=sb.url).get_balance()
    assert "REDACTED" in fault.value.faultstring  # the client scrubs its own secrets too
    assert_no_trace(tmp_path / "echo.yaml", psw, apikey)
    with kit.block_network(), kit.make_vcr(tmp_path).use_cassette("echo.yaml"):
        with pytest.raises(smsc_soap.SoapFault) as replayed:
            Client("acme-prod", "x", url=sb.url).get_balance()
    assert replayed.value.faultstring == "bad request from acme-prod/REDACTED key REDACTED"


def test_compressed_answers_are_decoded_then_scrubbed(tmp_path: Path) -> None:
    psw, apikey = real_looking_secrets()
    with LoopbackServer(functools.partial(echo, compress=True), path="/") as server, kit.make_vcr(tmp_path, record_mode="once", secrets=()).use_cassette("gz.yaml"):
        url = f"{server.url}?psw={quote(psw, safe='')}&apikey={apikey}"
        live = requests.post(url, data=f"<psw>{escape(psw)}</psw>".encode()).text
        assert psw in live or escape(psw) in live  # the live answer does echo the secret
    text = (tmp_path / "gz.yaml").read_text()
    assert "Content-Encoding" not in text and "!!binary" not in text
    assert_no_trace(tmp_path / "gz.yaml", psw, apikey)
    with kit.block_network(), kit.make_vcr(tmp_path).use_cassette("gz.yaml"):
        replayed = requests.post(url, data=f"<psw>{escape(psw)}</psw>".encode())
    assert replayed.text.count("REDACTED") == 3  # right length, decoded, scrubbed


def test_secrets_given_by_value_are_scrubbed_wherever_they_are(tmp_path: Path) -> None:
    psw, _ = real_looking_secrets()
    request = Request("POST", "http://h/x", f"<note>{escape(psw)}</note>", {"X-Note": quote(psw)})
    scrubbed = kit.scrub_request(request, secrets=[psw])
    assert scrubbed.body == b"<note>REDACTED</note>" and scrubbed.headers["X-Note"] == "REDACTED"


def test_scrubbing_by_shape() -> None:
    assert kit.scrub_url("https://u:pw@h/sys/send.php?login=a&psw=p%26q&apikey=k&mes=x") == \
        "https://u:REDACTED@h/sys/send.php?login=a&psw=REDACTED&apikey=REDACTED&mes=x"
    assert kit.scrub_text("login=a&psw=p%26q%3D&mes=hi") == "login=a&psw=REDACTED&mes=hi"
    assert kit.scrub_text(b"<q:query>apikey=k%26k&amp;cost=3</q:query>") == b"<q:query>apikey=REDACTED&amp;cost=3</q:query>"
    assert kit.scrub_text(b"<psw>a&amp;b&lt;c</psw>") == b"<psw>REDACTED</psw>"
    # a body in another encoding stays in it
    assert kit.scrub_text("<mes>Привет</mes><psw>x</psw>".encode("cp1251")) == "<mes>Привет</mes><psw>REDACTED</psw>".encode("cp1251")


@pytest.mark.parametrize("charset", spec.MAILING_CHARSETS)
def test_a_non_ascii_secret_is_scrubbed_in_each_charset_of_the_pages(charset: str) -> None:
    """A body that is not UTF-8 text (binary parts, an answer in windows-1251) still loses the
    secret's bytes in the pages' charsets, plain and percent-encoded."""
    psw = "пароль Zx81-secret"
    echo = "echo {}, {}, {}; ok"
    body = b"\xff\xd8\x00 " + echo.format(psw, quote(psw, safe="", encoding=charset),
                                          quote_plus(psw, encoding=charset)).encode(charset)
    assert kit.scrub_text(body, secrets=[psw]) == b"\xff\xd8\x00 " + echo.format(*["REDACTED"] * 3).encode(charset)


def test_a_short_non_ascii_secret_is_scrubbed_only_as_a_whole_token() -> None:
    body = "кодекс: код, %EA%EE%E4.".encode("cp1251")
    assert kit.scrub_text(body, secrets=["код"]) == "кодекс: REDACTED, REDACTED.".encode("cp1251")


def test_an_answer_in_windows_1251_echoing_the_password_is_recorded_without_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    psw = "пароль-Zx81secret"
    monkeypatch.setenv("SMSC_PASSWORD", psw)  # the documented way to record
    monkeypatch.delenv("SMSC_APIKEY", raising=False)
    with Responder() as server, kit.make_vcr(tmp_path, record_mode="once").use_cassette("cp1251.yaml"):
        server.default = Answer(f"ERROR = 2 (неверный пароль {psw})".encode("cp1251"),
                                content_type="text/plain; charset=windows-1251")
        with pytest.raises(smsc_soap.SmscError):
            Client("alex", psw, url=server.url, retry=smsc_soap.RetryPolicy(attempts=1)).operator("79999999999")
    [interaction] = yaml.load((tmp_path / "cp1251.yaml").read_text(), Loader=yaml.Loader)["interactions"]
    assert interaction["response"]["body"]["string"] == "ERROR = 2 (неверный пароль REDACTED)".encode("cp1251")


def test_secrets_from_the_environment_are_scrubbed_by_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMSC_PASSWORD", "correct horse battery staple")
    config = kit.vcr_config()
    [scrub] = config["before_record_request"]
    request = scrub(Request("POST", "http://h/", b"<x>correct horse battery staple</x>", {}))
    assert request.body == b"<x>REDACTED</x>"


def test_a_short_secret_from_the_environment_does_not_garble_other_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    """SMSC_PASSWORD=123 once turned the phone 79991234567 into 7999REDACTED4567 in cassettes."""
    monkeypatch.setenv("SMSC_PASSWORD", "123")
    answer = {"headers": {}, "body": {"string": b"<phones>79991234567</phones><note>you sent 123</note>"
                                                b"<psw>123</psw><q>psw=123&amp;x=1</q>"}}
    scrubbed = kit.vcr_config()["before_record_response"][0](answer)
    assert scrubbed["body"]["string"] == (b"<phones>79991234567</phones><note>you sent REDACTED</note>"
                                          b"<psw>REDACTED</psw><q>psw=REDACTED&amp;x=1</q>")


def test_a_secret_escaped_twice_by_an_echoing_server_is_scrubbed() -> None:
    psw = "a&b<c"
    echoed = "<faultstring>you sent a&amp;amp;b&amp;lt;c</faultstring>"
    assert kit.scrub_text(echoed, secrets=[psw]) == "<faultstring>you sent REDACTED</faultstring>"
    assert "a&amp;amp;b&amp;lt;c" in kit.secret_forms(psw)


# --- the thread guard -------------------------------------------------------------------------------

CALLS = 40


def record_from_threads(recorder: vcr.VCR, url: str) -> Tuple[int, List[CostResult]]:
    client = Client("alex", "123", url=url)
    with recorder.use_cassette("threads.yaml") as cassette:
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda i: client.get_sms_cost("79999999999", "x" * i), range(1, CALLS + 1)))
    return len(cassette.data), answers


def test_recording_from_threads_loses_nothing(sandbox: Sandbox, tmp_path: Path) -> None:
    recorded, answers = record_from_threads(kit.make_vcr(tmp_path, record_mode="once"), sandbox.url)
    assert recorded == CALLS
    sandbox.stop()

    client = Client("alex", "123", url=sandbox.url)
    with kit.block_network(), kit.make_vcr(tmp_path).use_cassette("threads.yaml") as cassette:
        with ThreadPoolExecutor(8) as pool:
            replayed = list(pool.map(lambda i: client.get_sms_cost("79999999999", "x" * i), range(1, CALLS + 1)))
        assert cassette.all_played
    assert replayed == answers


def test_without_the_guard_vcrpy_loses_threaded_recordings(sandbox: Sandbox, tmp_path: Path) -> None:
    """The trap the guard is for. If this fails, vcrpy got fixed and the guard may go."""
    config = kit.vcr_config(record_mode="once")
    config["custom_patches"] = ()
    unguarded = kit.register_matchers(vcr.VCR(cassette_library_dir=str(tmp_path), **config))
    try:
        recorded, _ = record_from_threads(unguarded, sandbox.url)
    except TypeError as exc:  # urllib3 1.26 (vcrpy's pin on Python 3.9): worse, it breaks the client
        assert "super(type, obj)" in str(exc)  # vcrpy's stub class replaced the one ours derive from
        return
    assert len([r for r in sandbox.requests if r.operation]) == CALLS
    assert recorded < CALLS


# --- no network -------------------------------------------------------------------------------------


def test_block_network_refuses_every_connection_and_restores(sandbox: Sandbox) -> None:
    with kit.block_network():
        with pytest.raises(kit.NetworkBlockedError):
            socket.create_connection(("127.0.0.1", sandbox.port))
        with pytest.raises(kit.NetworkBlockedError):
            socket.socket().connect(("127.0.0.1", sandbox.port))
        with pytest.raises(kit.NetworkBlockedError):
            Client("alex", "123", url=sandbox.url).get_balance()
    assert sandbox.requests == []
    assert Client("alex", "123", url=sandbox.url).get_balance().balance == Decimal("100.00")


# --- the module as a pytest plugin ------------------------------------------------------------------


def test_importing_the_plugin_imports_nothing_heavy() -> None:
    """Every pytest run of every user loads the plugin: no vcrpy, zeep, requests, lxml or sandbox."""
    code = ("import sys, smsc_soap.testing.plugin, smsc_soap.testing, smsc_soap.pytest_plugin; "
            "print(sorted(m for m in ('vcr', 'zeep', 'requests', 'lxml', 'smsc_soap.sandbox') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_pytest_runs_without_vcrpy_and_the_fixture_says_what_is_missing(tmp_path: Path) -> None:
    (tmp_path / "test_x.py").write_text("def test_plain():\n    pass\n\n"
                                        "def test_cassette(smsc_cassette):\n    pass\n")
    code = ("import sys; sys.modules['vcr'] = None\n"  # as if vcrpy were not installed
            "import pytest; sys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', sys.argv[1]]))")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert "1 passed, 1 error" in done.stdout, done.stdout + done.stderr
    assert "need vcrpy" in done.stdout


def test_fixture_names_leave_pytest_recordings_alone() -> None:
    fixtures = {name for name in dir(plugin) if hasattr(getattr(plugin, name), "_fixture_function_marker")
                or type(getattr(plugin, name)).__name__ == "FixtureFunctionDefinition"}
    assert fixtures == {"smsc_vcr_config", "smsc_cassette_dir", "smsc_record_mode", "smsc_vcr", "smsc_cassette",
                        "smsc_no_network", "smsc_sandbox"}
    assert not fixtures & {"vcr", "vcr_config", "vcr_cassette_dir", "default_cassette_name", "record_mode",
                           "disable_recording", "block_network"}


USER_TEST = '''
from decimal import Decimal
import pytest
from smsc_soap import Client, AuthenticationError

URL = "{url}"

def test_balance(smsc_cassette, smsc_no_network):
    client = Client(login="alex", psw="123", url=URL)
    assert client.get_balance().balance == Decimal("100.00")

@pytest.mark.smsc_cassette("shared/wrong_password.yaml")
def test_wrong_password(smsc_cassette, smsc_no_network):
    with pytest.raises(AuthenticationError):
        Client(login="alex", psw="nope", url=URL).get_balance()
'''


def test_plugin_records_then_replays_a_users_test(pytester: pytest.Pytester) -> None:
    with Sandbox() as sb:
        pytester.makepyfile(test_user=USER_TEST.format(url=sb.url))
        recorded = pytester.runpytest("--smsc-record-mode=once", "-p", "no:cacheprovider")  # network allowed
        recorded.assert_outcomes(passed=2)
        served = len(sb.requests)
    assert served == 2
    cassettes = pytester.path / "cassettes"
    assert (cassettes / "test_user" / "test_balance.yaml").is_file()
    assert (cassettes / "shared" / "wrong_password.yaml").is_file()
    assert "<psw>REDACTED</psw>" in (cassettes / "test_user" / "test_balance.yaml").read_text()

    # the sandbox is gone and sockets are blocked: the same tests pass from the cassettes
    replayed = pytester.runpytest("-p", "no:cacheprovider")
    replayed.assert_outcomes(passed=2)

    # re-recording rewrites the file with this run's conversation only
    balance = cassettes / "test_user" / "test_balance.yaml"
    balance.write_text(balance.read_text().replace("interactions:\n", "interactions:\n" + OLD_INTERACTION, 1))
    assert balance.read_text().count("uri:") == 2
    with Sandbox(port=sb.port) as again:
        pytester.runpytest("--smsc-record-mode=all", "-k", "balance", "-p", "no:cacheprovider").assert_outcomes(passed=1)
        assert len(again.requests) == 1
    assert balance.read_text().count("uri:") == 1


OLD_INTERACTION = ("- request:\n    body: null\n    headers: {}\n    method: GET\n    uri: http://127.0.0.1:9/old\n"
                   "  response:\n    body:\n      string: ''\n    headers: {}\n    status:\n      code: 200\n"
                   "      message: OK\n")

NET_TEST = """
import socket, pytest
from smsc_soap.testing import NetworkBlockedError

def test_blocked(smsc_no_network):
    with pytest.raises(NetworkBlockedError):
        socket.create_connection(("127.0.0.1", 9))
"""


def test_plugin_blocks_the_network_in_replay_only(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_net=NET_TEST)
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
    pytester.runpytest("-p", "no:cacheprovider", "--smsc-record-mode=once").assert_outcomes(failed=1)


def test_plugin_fails_a_test_whose_cassette_is_missing(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=USER_TEST.format(url="http://127.0.0.1:9/sys/soap.php"))
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(["*cassette*test_balance.yaml does not exist*--smsc-record-mode=once*"])


def test_plugin_fails_a_request_not_in_the_cassette(pytester: pytest.Pytester) -> None:
    with Sandbox() as sb:
        pytester.makepyfile(test_user=USER_TEST.format(url=sb.url))
        pytester.runpytest("--smsc-record-mode=once", "-k", "balance", "-p", "no:cacheprovider").assert_outcomes(passed=1)
        pytester.makepyfile(test_user=USER_TEST.format(url=sb.url)
                            .replace("get_balance().balance", "get_sms_cost('79999999999', 'x').cost"))
        result = pytester.runpytest("-k", "balance", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*CannotOverwriteExistingCassetteException*"])


# --- one package, one plugin, the old names ----------------------------------------------------------

#: Every public name smsc_soap.testing had when it was one module (its __all__, then the rest of its
#: dir() that was not an import of a standard or third-party name).
OLD_ALL = [
    "BODY_MATCHER", "CLIENT_ID", "CLIENT_ID_PATTERN", "DEFAULT_RECORD_MODE", "HTTP_LOCK", "MATCH_ON",
    "OPERATION_MATCHER", "REDACTED", "SECRET_ENV_VARS", "SECRET_FIELDS", "NetworkBlockedError", "SoapBody",
    "block_network", "client_connection_patches", "custom_patches", "make_vcr", "match_body", "match_operation",
    "normalise_body", "register_matchers", "scrub_query", "scrub_request", "scrub_response", "scrub_text",
    "scrub_url", "secret_forms", "serialised_http_patches", "soap_operation", "vcr_config",
]
OLD_OTHER_PUBLIC = [
    "Body", "RECORD_MODES", "SECRET_HEADERS", "Secret", "SecretsArg", "cassette_name", "redact",
    "pytest_addoption", "pytest_configure", "smsc_cassette", "smsc_cassette_dir", "smsc_no_network",
    "smsc_record_mode", "smsc_vcr", "smsc_vcr_config",
]


@pytest.mark.parametrize("name", OLD_ALL + OLD_OTHER_PUBLIC)
def test_every_old_public_name_is_still_importable_from_the_package(name: str) -> None:
    code = f"from smsc_soap.testing import {name}"
    exec(compile(code, "<user code>", "exec"), {})
    assert getattr(kit, name) is not None


def test_the_package_exports_what_the_module_did() -> None:
    assert sorted(kit.__all__) == sorted(OLD_ALL)
    namespace: Dict[str, object] = {}
    exec("from smsc_soap.testing import *", namespace)
    assert set(OLD_ALL) <= set(namespace)


def test_the_old_sandbox_plugin_module_is_a_deprecated_alias() -> None:
    import smsc_soap.pytest_plugin as old

    with pytest.warns(DeprecationWarning, match="smsc_soap.testing.plugin"):
        fixture = old.smsc_sandbox
    assert fixture is plugin.smsc_sandbox
    with pytest.raises(AttributeError):
        old.no_such_name  # noqa: B018


ONE_PLUGIN_TEST = """
import pytest

def test_everything_registered_once(request, smsc_sandbox, smsc_record_mode):
    assert smsc_record_mode == "once"
    assert str(smsc_sandbox.balance("alex")) == "100.00"
    manager = request.config.pluginmanager
    kit_plugins = [p for p in manager.get_plugins() if getattr(p, "__name__", "") == "smsc_soap.testing.plugin"]
    assert kit_plugins == [manager.get_plugin("smsc_soap")]
"""


NAMINGS = [("smsc_soap",), ("smsc_soap.testing",), ("smsc_soap.pytest_plugin",),
           ("smsc_soap.pytest_plugin", "smsc_soap.testing")]


@pytest.mark.parametrize(("autoload", "named"), [(True, ())] + [(autoload, named) for named in NAMINGS
                                                                for autoload in (True, False)])
def test_one_plugin_registers_each_fixture_once_whatever_names_it(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, autoload: bool, named: Tuple[str, ...]) -> None:
    """The pytest11 entry point ``smsc_soap``, ``-p smsc_soap``, and the two old plugin modules
    (``-p smsc_soap.testing``, ``-p smsc_soap.pytest_plugin``) all give the one plugin, once."""
    if not autoload:
        monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makepyfile(test_one=ONE_PLUGIN_TEST)
    args = [arg for name in named for arg in ("-p", name)]
    result = pytester.runpytest(*args, "-p", "no:cacheprovider", "--smsc-record-mode=once", "--strict-markers")
    result.assert_outcomes(passed=1)
    listed = pytester.runpytest(*args, "-p", "no:cacheprovider", "--fixtures")
    assert sum(line.startswith("smsc_sandbox") for line in listed.outlines) == 1
    assert sum(line.startswith("smsc_cassette ") for line in listed.outlines) == 1


# --- a sandbox's port, and the hint when a request is not in the cassette (issue 24) --------


def test_a_cassette_recorded_against_a_sandbox_replays_against_another_port(tmp_path: Path) -> None:
    with Sandbox() as first:
        with kit.make_vcr(tmp_path, record_mode="once").use_cassette("balance.yaml"):
            assert Client(login="alex", psw="123", url=first.url).get_balance().balance == Decimal("100.00")
        recorded_port = first.port
    with Sandbox() as second, kit.block_network():
        assert second.port != recorded_port
        with kit.make_vcr(tmp_path).use_cassette("balance.yaml") as cassette:
            assert Client(login="alex", psw="123", url=second.url).get_balance().balance == Decimal("100.00")
        assert cassette.play_count == 1 and second.requests == []


def test_only_a_loopback_host_s_port_is_free() -> None:
    def request(uri: str) -> Request:
        return Request("POST", uri, b"", {})

    kit.match_port(request("http://127.0.0.1:41000/sys/soap.php"), request("http://127.0.0.1:8000/sys/soap.php"))
    kit.match_port(request("http://localhost:41000/"), request("http://localhost:8000/"))
    kit.match_port(request("https://smsc.ru/sys/soap.php"), request("https://smsc.ru:443/sys/soap.php"))
    with pytest.raises(AssertionError, match="port 8443 != recorded 443"):
        kit.match_port(request("https://smsc.ru:8443/sys/soap.php"), request("https://smsc.ru/sys/soap.php"))


def test_a_request_not_in_the_cassette_names_the_record_mode_option(pytester: pytest.Pytester) -> None:
    with Sandbox() as sb:
        pytester.makepyfile(test_user=USER_TEST.format(url=sb.url))
        pytester.runpytest("--smsc-record-mode=once", "-k", "balance", "-p", "no:cacheprovider").assert_outcomes(passed=1)
    pytester.makepyfile(test_user=USER_TEST.format(url=sb.url).replace("get_balance()", "get_balance() and None or "
                                                                         "client.get_sms_cost('79999999999', 'x')"))
    replayed = pytester.runpytest("-k", "balance", "-p", "no:cacheprovider")
    replayed.assert_outcomes(failed=1)
    replayed.stdout.fnmatch_lines(["*pytest --smsc-record-mode=new_episodes test_user.py::test_balance*"])


# --- a replay's refusal carries no secret ----------------------------------------------------------

REPLAYED_CALLS: Dict[str, Callable[[Client], object]] = {
    "SOAP": lambda c: c.get_sms_cost2("79991234567", "not what was recorded"),
    "page": lambda c: c.operator("79991234567"),
}


@pytest.mark.parametrize("kind", ["password", "apikey"])
@pytest.mark.parametrize("call", sorted(REPLAYED_CALLS))
def test_no_secret_when_a_replay_refuses_a_request_not_in_the_cassette(
        responder: Responder, kind: str, call: str, any_client: Any, tmp_path: Path) -> None:
    """vcrpy refuses a request its cassette lacks with an exception that the client raises as it
    is: the request it carries, and describes, is the scrubbed one the cassette would record.
    (Here, not in test_secrets_in_tracebacks.py: that one runs at the dependency floors too,
    where vcrpy, a test kit's dependency, is not installed.)"""
    responder.answer(soap_answer(NS, "get_sms_cost2", "<cost>1</cost><cnt>1</cnt>"))
    client = _client(kind, responder.url, any_client)
    with kit.make_vcr(tmp_path, record_mode="once", secrets=()).use_cassette("cost.yaml"):
        client.get_sms_cost2("79991234567", "Hi")
    with kit.make_vcr(tmp_path, secrets=()).use_cassette("cost.yaml"):
        with pytest.raises(CannotOverwriteExistingCassetteException) as caught:
            REPLAYED_CALLS[call](client)
    assert b"REDACTED" in caught.value.failed_request.body
    assert f"127.0.0.1:{responder.port}" in str(caught.value)  # vcrpy's account of the request
    assert_no_secret(caught.value)
