"""Replay the recorded cassettes (cassettes/, made by scripts/record_cassettes.py) with the network
blocked, and check the typed results.

Each test runs twice: on the cassettes in the repository, and on cassettes the script records
afresh from the sandbox in this run, so the script, the files and these tests cannot drift apart.
The endpoint and login are read from each cassette, so cassettes re-recorded from the real
service replay here too; exact values are checked only for sandbox recordings.
"""
from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
import types
from typing import Any, Callable, ContextManager, Iterator, Tuple, cast
from urllib.parse import urlsplit

import pytest
import yaml  # type: ignore[import-untyped]

import smsc_soap
from smsc_soap import BalanceResult, Client, CostResult, DeliveryStatus, SendResult, StatusResult
from smsc_soap import testing as kit

ROOT = Path(__file__).resolve().parent.parent
CASSETTES = ROOT / "cassettes"
SCRIPT = ROOT / "scripts" / "record_cassettes.py"
PHONE = "79999999999"


def load_script() -> types.ModuleType:
    spec = importlib.util.spec_from_file_location("record_cassettes", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def fresh_cassettes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The cassettes as the one documented command records them now, from a sandbox."""
    out = tmp_path_factory.mktemp("fresh") / "cassettes"
    done = subprocess.run([sys.executable, str(SCRIPT), "--out", str(out), "--port", "0", "--sandbox"],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    return out


@pytest.fixture(params=["repository", "fresh"])
def cassette_dir(request: pytest.FixtureRequest) -> Path:
    return CASSETTES if request.param == "repository" else request.getfixturevalue("fresh_cassettes")


def _fields(body: object) -> dict[str, Any]:
    """A recorded request's fields: a SOAP body's, or those of a form (the HTTP pages, 000-002)."""
    if isinstance(body, kit.SoapBody):
        return dict(body.fields)
    kind, fields = cast(Tuple[str, Tuple[Tuple[str, Tuple[str, ...]], ...]], body)
    assert kind == "form", body
    return {name: values[0] for name, values in fields}


@dataclass
class Replay:
    """Clients pointed at what a cassette recorded, with secrets that are not the recorded ones."""

    endpoint: str
    client: Client      # login + psw (the recorded login, any password)
    client2: Client     # what the *2 calls were recorded with: an apikey client, or the same
    phone: str          # the number the recording used (the sandbox's, or SMSC_PHONE)
    sandbox: bool


Play = Callable[[str], ContextManager[Replay]]


@pytest.fixture
def replay(cassette_dir: Path) -> Play:
    @contextlib.contextmanager
    def play(name: str) -> Iterator[Replay]:
        path = cassette_dir / f"{name}.yaml"
        if not path.is_file():
            pytest.skip(f"{path} was not recorded")
        interactions = yaml.safe_load(path.read_text(encoding="utf-8"))["interactions"]
        endpoint = interactions[0]["request"]["uri"]
        bodies = [_fields(kit.normalise_body(i["request"]["body"].encode())) for i in interactions]
        login = next((b.get("login") for b in bodies if b.get("login")), "nobody")
        by_key = any(dict(b.get("query") or ()).get("apikey") or b.get("apikey") for b in bodies)
        phone = next((str(b.get(f)).split(",")[0] for b in bodies for f in ("phones", "phone") if b.get(f)), PHONE)
        client = Client(login, "not-the-recorded-password", url=endpoint)
        client2 = Client(apikey="not-the-recorded-key", url=endpoint) if by_key else client
        with kit.block_network(), kit.make_vcr(cassette_dir).use_cassette(path.name) as cassette:
            yield Replay(endpoint, client, client2, phone, urlsplit(endpoint).hostname == "127.0.0.1")
            assert cassette.all_played, f"{name}: {len(cassette) - cassette.play_count} interaction(s) not replayed"

    return play


# --- the seven operations ----------------------------------------------------------------------------


def test_get_balance(replay: Play) -> None:
    with replay("get_balance") as r:
        result = r.client.get_balance()
    assert isinstance(result, BalanceResult) and isinstance(result.balance, Decimal)
    if r.sandbox:
        assert result.balance == Decimal("100.00")


def test_send_sms(replay: Play) -> None:
    with replay("send_sms") as r:
        result = r.client.send_sms(r.phone, "Hello from smsc-soap")
    assert isinstance(result, SendResult) and result.id and result.cnt == 1
    if r.sandbox:
        assert (result.cost, result.balance, result.errors) == (None, None, ())


def test_send_sms2(replay: Play) -> None:
    with replay("send_sms2") as r:
        result = r.client2.send_sms2(r.phone, "Hello again", cost=3, err=1)
    assert isinstance(result, SendResult) and result.id and result.cnt == 1
    assert isinstance(result.cost, Decimal) and isinstance(result.balance, Decimal)
    if r.sandbox:
        assert (result.cost, result.balance, result.errors) == (Decimal("2.00"), Decimal("98.00"), ())


def test_get_sms_cost(replay: Play) -> None:
    with replay("get_sms_cost") as r:
        result = r.client.get_sms_cost(r.phone, "How much is this?")
    assert isinstance(result, CostResult) and isinstance(result.cost, Decimal) and result.cnt == 1
    if r.sandbox:
        assert result.cost == Decimal("2.00")


def test_get_sms_cost2(replay: Play) -> None:
    with replay("get_sms_cost2") as r:
        result = r.client2.get_sms_cost2(r.phone, "Привет", translit=1)
    assert isinstance(result, CostResult) and isinstance(result.cost, Decimal) and result.cnt == 1
    if r.sandbox:
        assert result.cost == Decimal("2.00")


def test_get_status(replay: Play) -> None:
    with replay("get_status") as r:
        sent = r.client.send_sms(r.phone, "Status check from smsc-soap")
        result = r.client.get_status(r.phone, sent.id, all=1)
    assert isinstance(result, StatusResult) and isinstance(result.status, DeliveryStatus)
    assert result.phone and result.message == "Status check from smsc-soap"
    if r.sandbox:
        assert result.status is DeliveryStatus.DELIVERED and result.final
        assert (result.cost, result.sender_id, result.operator) == (Decimal("2.00"), "SMSC.RU", None)


def test_get_status2(replay: Play) -> None:
    with replay("get_status2") as r:
        sent = r.client2.send_sms(r.phone, "Status check from smsc-soap")
        result = r.client2.get_status2(r.phone, sent.id, all=2)
    assert isinstance(result, StatusResult) and isinstance(result.status, DeliveryStatus)
    assert result.operator is not None and result.region is not None
    if r.sandbox:
        assert result.status is DeliveryStatus.DELIVERED
        assert (result.operator, result.region) == ("Sandbox Mobile", "Sandbox test range")
        assert result.send_date is not None and result.last_date is not None


# --- typical errors ----------------------------------------------------------------------------------


def test_error_2_wrong_password(replay: Play) -> None:
    with replay("error_2_auth") as r:
        with pytest.raises(smsc_soap.AuthenticationError) as error:
            r.client.get_balance()
    assert (error.value.code, error.value.operation) == (2, "get_balance")


def test_error_3_insufficient_funds(replay: Play) -> None:
    with replay("error_3_funds") as r:
        with pytest.raises(smsc_soap.InsufficientFunds) as error:
            r.client.send_sms(PHONE, "Hi")
    assert error.value.code == 3 and isinstance(error.value, smsc_soap.ApiError)


def test_error_3_message_not_found(replay: Play) -> None:
    with replay("error_3_status") as r:
        with pytest.raises(smsc_soap.MessageNotFound) as error:
            r.client2.get_status2(r.phone, "no-such-message-42")
    assert error.value.code == 3


def test_error_7_invalid_phone(replay: Play) -> None:
    with replay("error_7_phone") as r:
        with pytest.raises(smsc_soap.InvalidPhone) as error:
            r.client2.get_sms_cost2("12345678", "Hi")
    assert error.value.code == 7


def test_error_9_duplicate_send(replay: Play) -> None:
    with replay("error_9_duplicate") as r:
        first = r.client2.send_sms2(r.phone, "Only once", id="dup-1")
        with pytest.raises(smsc_soap.DuplicateRequest) as error:
            r.client2.send_sms2(r.phone, "Only once", id="dup-1")
    assert first.id == "dup-1" and error.value.code == 9 and isinstance(error.value, smsc_soap.RateLimited)


def test_soap_fault(replay: Play) -> None:
    with replay("soap_fault") as r:
        with pytest.raises(smsc_soap.SoapFault) as fault:
            r.client.get_balance()
    assert fault.value.faultstring == "Internal Server Error" and fault.value.status_code == 500
    assert fault.value.faultcode.endswith("Server")


# --- the HTTP pages beside SOAP ------------------------------------------------------------------------


def test_operator(replay: Play) -> None:
    with replay("operator") as r:
        found = r.client2.operator([r.phone, "79031234567"])
    assert [info.phone for info in found] == [r.phone, "79031234567"] and all(info.mcc for info in found)
    if r.sandbox:
        assert [info.operator for info in found] == ["Sandbox Mobile", "Beeline"]


def test_operator_error_3(replay: Play) -> None:
    with replay("operator_error_3") as r:
        with pytest.raises(smsc_soap.errors.OperatorNotFound) as error:
            r.client2.operator("12025550123")
    assert (error.value.code, error.value.operation) == (3, "get_operator")


def test_exports_list(replay: Play) -> None:
    with replay("exports_list") as r:
        tasks = r.client2.exports.get_list(cnt=10)
    assert isinstance(tasks, tuple)


def test_exports_file(replay: Play) -> None:
    with replay("exports_file") as r:
        r.client.send_sms(PHONE, "Exported")
        (task,) = r.client2.exports.get_list()
        with r.client2.exports.rows(task) as rows:
            header, row = list(rows)
    assert task.done and header[:2] == ["id", "phone"] and row[1] == PHONE and row[-1] == "Exported"


def test_exports_error_5(replay: Play) -> None:
    import io

    with replay("exports_error_5") as r:
        with pytest.raises(smsc_soap.errors.TaskNotFound) as error:
            r.client2.exports.get_file(2147483647, to=io.BytesIO())
    assert error.value.code == 5


def test_mailing(replay: Play) -> None:
    with replay("mailing") as r:
        created = r.client.mailings.add("smsc-soap demo", r.phone, "Hello from a mailing", rpt="daily", rptn=2,
                                        time="+60", cost=2)
        mailing = r.client.mailings.get(cast(int, created.id))
        listed = r.client.mailings.get_all()
        r.client.mailings.cancel(cast(int, created.id))
        r.client.mailings.delete(cast(int, created.id))
    assert created.id == mailing.id and mailing.name == "smsc-soap demo" and mailing in listed
    if r.sandbox:
        assert (created.cnt, created.cost, mailing.rptn) == (1, Decimal("2.00"), 2)


def test_mailing_error_3(replay: Play) -> None:
    with replay("mailing_error_3") as r:
        with pytest.raises(smsc_soap.errors.MailingNotFound):
            r.client.mailings.get(2147483647)


# --- the files themselves ------------------------------------------------------------------------------


def test_every_scenario_has_a_cassette_and_a_test() -> None:
    names = {s.name for s in load_script().SCENARIOS}
    assert {p.stem for p in CASSETTES.glob("*.yaml")} == names
    tested = set(re.findall(r'replay\("(\w+)"\)', Path(__file__).read_text(encoding="utf-8")))
    assert tested == names


@pytest.mark.parametrize("path", sorted(CASSETTES.glob("*.yaml")), ids=lambda p: p.stem)
def test_the_cassettes_carry_no_secret(path: Path) -> None:
    for interaction in yaml.safe_load(path.read_text(encoding="utf-8"))["interactions"]:
        request = interaction["request"]
        assert not re.search(r"(?:psw|apikey)=(?!REDACTED)", request["uri"])
        body = kit.normalise_body(request["body"].encode())
        raw = request["body"]
        if not isinstance(body, kit.SoapBody):  # a form of the HTTP pages: psw or apikey, REDACTED
            assert [v for k, v in _fields(body).items() if k in ("psw", "apikey")] == ["REDACTED"]
            assert re.findall(r"(?:psw|apikey)=([^&]*)", raw) == ["REDACTED"]
            continue
        fields = dict(body.fields)
        assert re.findall(r"<psw>([^<]*)</psw>", raw) == ["REDACTED"]
        assert re.findall(r"apikey=([^&<]*)", raw) in ([], ["REDACTED"])
        assert "query" not in fields or dict(fields["query"]).get("apikey", ("REDACTED",)) == ("REDACTED",)



def test_with_credentials_in_the_environment_the_script_records_from_that_service(tmp_path: Path) -> None:
    """The real-service path, pointed at a sandbox by SMSC_URL (the tests never go online)."""
    from smsc_soap.sandbox import Account, Sandbox

    out = tmp_path / "cassettes"
    out.mkdir()
    (out / "soap_fault.yaml").write_text("kept: the real service cannot play this one\n")
    psw, apikey = "Real-Looking&Password<42>", "a" * 8 + "f00dfeedbeef" * 3
    with Sandbox([Account("acme", psw, apikeys=(apikey,))]) as sb:
        env = {"PATH": os.environ.get("PATH", ""), "SMSC_LOGIN": "acme", "SMSC_PASSWORD": psw,
               "SMSC_APIKEY": apikey, "SMSC_URL": sb.url, "SMSC_PHONE": PHONE}
        done = subprocess.run([sys.executable, str(SCRIPT), "--out", str(out), "--wait", "0"], env=env,
                              capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"the real service at {sb.url}" in done.stdout
    assert "skip   error_3_funds" in done.stdout and "skip   soap_fault" in done.stdout
    names = {s.name for s in load_script().SCENARIOS if not s.sandbox_only}
    assert {"error_3_funds", "soap_fault"} <= {s.name for s in load_script().SCENARIOS if s.sandbox_only}
    assert {p.stem for p in out.glob("*.yaml")} == names | {"soap_fault"}
    assert (out / "soap_fault.yaml").read_text().startswith("kept")
    for path in out.glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        for secret in (psw, apikey):
            assert not any(form in text for form in kit.secret_forms(secret)), path.name
