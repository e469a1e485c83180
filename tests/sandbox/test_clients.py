"""SOAP clients that no one here wrote work against the sandbox unchanged: zeep, suds, PHP."""
from __future__ import annotations

import json
import subprocess
from decimal import Decimal

import zeep
from sandbox_helpers import HERE

from smsc_soap.sandbox import Sandbox


def test_zeep_from_the_wsdl_url(sb: Sandbox) -> None:
    client = zeep.Client(sb.wsdl_url)  # type: ignore[no-untyped-call]
    sent = client.service.send_sms(login="alex", psw="123", phones="79999999999", mes="Hello world!",
                                   id="", sender="ivan", time="0")
    assert (sent.id, sent.cnt, sent.error) == ("1", "1", None)
    cost = client.service.get_sms_cost2(login="alex", psw="123", phones="79999999999,380501234567",
                                        mes="x" * 200, query="")
    assert (cost.cost, cost.cnt) == ("7.00", "4")
    two = client.service.send_sms2(login="alex", psw="123", phones="79999999999,bad", mes="Again",
                                   query="err=1&cost=3")
    assert (two.balance, two.cost) == ("96.00", "2.00")
    assert [(e.phone, e.status) for e in two.errors] == [("bad", "22")]
    sb.advance(10)
    status = client.service.get_status(login="alex", psw="123", phone="79999999999", id="1", all="2")
    assert (status.status, status.status_name, status.operator) == ("1", "Delivered", "Sandbox Mobile")
    assert client.service.get_balance(login="alex", psw="123").balance == "96.00"
    assert client.service.get_balance(login="alex", psw="nope").error == "2"


def test_suds_from_the_wsdl_url(sb: Sandbox) -> None:
    from suds.client import Client

    client = Client(sb.wsdl_url, cache=None)
    sent = client.service.send_sms(login="alex", psw="123", phones="79999999999", mes="Hello world!",
                                   id="", sender="ivan", time="0")
    assert (sent.id, sent.cnt) == ("1", "1")
    balance = client.service.get_balance(login="alex", psw="123")
    assert balance.balance == "98.00"
    status = client.service.get_status2(login="alex", psw="", phone="79999999999", id="1", all="1",
                                        query="apikey=none")
    assert status.error == "2"
    assert sb.balance("alex") == Decimal("98.00")


def test_php_soapclient_runs_the_pages_own_examples(sb: Sandbox, php: str) -> None:
    # seed 004's examples, verbatim but for the WSDL URL (tests/sandbox/php/seed_examples.php)
    done = subprocess.run(
        [php, "-d", "soap.wsdl_cache_enabled=0", str(HERE / "php" / "seed_examples.php"), sb.wsdl_url],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    out = {}
    for line in done.stdout.splitlines():
        out.update(json.loads(line))
    assert out["send_sms"] == {"sendresult": {"id": "1", "cnt": "1"}}
    assert out["get_sms_cost"] == {"costresult": {"cost": "2.00", "cnt": "1"}}
    assert out["get_status"] == {"statusresult": {"error": "3"}}  # id 999 was never sent
    assert out["get_balance"] == {"balanceresult": {"balance": "98.00"}}
    status = out["get_status_sent"]["statusresult"]
    assert (status["status"], status["sender_id"], status["message"]) == ("-1", "ivan", "Second")
    sent = [m for m in sb.messages if m.mes == "Hello world!"]
    assert [(m.phone, m.sender, m.id) for m in sent] == [("79999999999", "ivan", "1")]
