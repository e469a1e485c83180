"""Issue 22: the HTTP pages (000-003) to the letter, for Client and AsyncClient against the
sandbox, and the raw forms where the wire matters."""
from __future__ import annotations

import json
import pathlib
import warnings
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Tuple, cast
from urllib.parse import parse_qs

import pytest
from hypothesis import given, strategies as st
import requests
from support.servers import Responder

import smsc_soap
from smsc_soap import spec
from smsc_soap.errors import SendOutcomeUnknown, ValidationError
from smsc_soap.sandbox import Sandbox

if TYPE_CHECKING:
    from smsc_soap.http_api.mailings import MailingStatus

START = 1_700_000_000
MSK = timezone(timedelta(hours=3))


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(start_time=START) as sb:
        yield sb


@pytest.fixture
def client(sandbox: Sandbox, any_client: Any) -> Iterator[smsc_soap.Client]:
    """Client, then AsyncClient behind the sync facade (tests/support/clients.py)."""
    with any_client("alex", "123", url=sandbox.url) as client:
        yield client


def post(sandbox: Sandbox, page: str, **fields: str) -> str:
    """A raw form post to ``page``, as a caller without the client would send it."""
    return requests.post(sandbox.url.replace("soap.php", page), data=fields, timeout=10).text


def sent(sandbox: Sandbox) -> Dict[str, str]:
    return {k: v[0] for k, v in parse_qs(sandbox.requests[-1].body.decode(), keep_blank_values=True).items()}


# --- point 6: what the page ignores or replaces, named ------------------------------------------


def test_refusals_of_what_the_page_would_drop_are_named_assumptions(client: smsc_soap.Client) -> None:
    with pytest.raises(ValidationError, match="REFUSE_IGNORED_FREQ"):
        client.mailings.add("a", "79161234567", "Hi", freq=5)
    with pytest.raises(ValidationError, match="REFUSE_PARAM_FALLBACK"):
        client.mailings.add("a", "79161234567", "Hi", call=1, param="10,10,10")
    with pytest.raises(ValidationError, match="RPTN_NEEDS_RPT"):
        client.mailings.add("a", "79161234567", "Hi", rptn=2, rpt=0)


def test_the_sandbox_answers_rptn_without_rpt_with_error_1(sandbox: Sandbox) -> None:
    answer = post(sandbox, "jobs.php", add="1", login="alex", psw="123", name="a", phones="79161234567",
                  mes="Hi", rptn="2", fmt="3")
    assert '"error_code": 1' in answer


def test_an_apikey_on_jobs_php_is_an_unknown_field_there() -> None:
    """spec.JOBS_ACCEPTS_APIKEY: the page lists none; the sandbox ignores it, so the request has
    no login and is answered error 2 (while info.php takes the same key)."""
    assert spec.JOBS_ACCEPTS_APIKEY is False
    key = "k" * 20
    with Sandbox(start_time=START, apikeys={key: "alex"}) as sandbox:
        fields = dict(add="1", name="a", phones="79161234567", mes="Hi", fmt="3", apikey=key)
        assert '"error_code": 2' in post(sandbox, "jobs.php", **fields)
        assert '"error_code": 2' in post(sandbox, "jobs.php", get_all="1", fmt="3", apikey=key)
        assert "error" not in post(sandbox, "info.php", get_operator="1", phone="79161234567", fmt="3", apikey=key)


def test_get_all_caps_at_ten_only_without_both_dates(client: smsc_soap.Client, sandbox: Sandbox) -> None:
    for n in range(12):
        client.mailings.add(f"m{n}", "79161234567", f"text {n}")
    today = datetime.fromtimestamp(START, MSK).date()
    assert len(client.mailings.get_all()) == spec.MAILING_LIST_DEFAULT_MAX
    assert len(client.mailings.get_all(today)) == spec.MAILING_LIST_DEFAULT_MAX
    assert len(client.mailings.get_all(today, today)) == 12  # spec.MAILING_LIST_CAP_WITH_BOTH_DATES


def test_get_all_without_start_reaches_two_calendar_months_back(client: smsc_soap.Client,
                                                                sandbox: Sandbox) -> None:
    """July 15 to September 15 is 62 days: two calendar months, not 61 days."""
    now = datetime.fromtimestamp(START, MSK)
    sandbox.advance((now.replace(year=2024, month=7) - now).total_seconds())
    client.mailings.add("july", "79161234567", "Hi")
    sandbox.advance((now.replace(year=2024, month=9) - now.replace(year=2024, month=7)).total_seconds())
    assert [m.name for m in client.mailings.get_all()] == ["july"]
    sandbox.advance(86400)
    assert client.mailings.get_all() == ()


# --- point 4: fmt checked; an empty list in fmt 0 and 1 --------------------------------------------


@pytest.mark.parametrize("fmt", [0, 1, 2, 3])
def test_empty_lists_in_every_fmt_are_empty_tuples(client: smsc_soap.Client, sandbox: Sandbox, fmt: int) -> None:
    assert client.mailings.get_all(fmt=fmt) == ()
    assert client.exports.get_list(fmt=fmt) == ()
    if fmt in spec.EMPTY_LIST_ANSWER_FMTS:
        assert sandbox.requests[-1].response == b""  # the wire: an empty body


@pytest.mark.parametrize("fmt", [4, -1, "3", True, 3.0])
def test_fmt_is_refused_before_anything_is_sent(client: smsc_soap.Client, sandbox: Sandbox, fmt: Any) -> None:
    with pytest.raises(ValidationError, match="fmt"):
        client.mailings.get_all(fmt=fmt)
    with pytest.raises(ValidationError, match="fmt"):
        client.exports.get_list(fmt=fmt)
    assert sandbox.requests == []


def test_an_empty_body_where_one_entry_is_due_is_refused(responder: Responder, any_client: Any) -> None:
    for _ in range(3):
        responder.answer(b"", content_type="text/plain")
    with any_client("alex", "123", url=responder.url) as client:
        with pytest.raises(smsc_soap.ProtocolError, match="empty body"):
            client.mailings.get(1, fmt=0)
        with pytest.raises(smsc_soap.ProtocolError, match="empty body"):
            client.mailings.delete(1, fmt=1)
        with pytest.raises(SendOutcomeUnknown):
            client.mailings.add("x", "79161234567", "Hi", fmt=1)


# --- point 5: page answers read with SOAP's answer ranges ------------------------------------------

_MAILING = {"id": "1", "name": "a", "status": "0", "created": "", "time": "", "rpt": "0", "rptn": "", "sent": "0",
            "cnt": "1", "cost": "2.00"}


def _json(**fields: Any) -> bytes:
    return json.dumps(fields).encode()


@pytest.mark.parametrize("body", [
    b'{"id": 5, "id": 6, "cnt": 1}',                     # a key twice
    b'{"id": -5, "cnt": 1}', b'{"id": 1000000000000000000000000000000, "cnt": 1}',
    b'{"id": 1, "cnt": -1}', b'{"id": 1, "cnt": 1, "cost": NaN}', b'{"id": 1, "cnt": 1, "cost": Infinity}',
    b'{"id": 1, "cnt": 1, "cost": -5}', b'{"id": 1, "cnt": 1, "cost": "1e3"}',
])
def test_an_absurd_add_answer_is_an_unknown_outcome(responder: Responder, any_client: Any, body: bytes) -> None:
    responder.answer(body, content_type="application/json")
    with any_client("alex", "123", url=responder.url) as client, pytest.raises(SendOutcomeUnknown):
        client.mailings.add("x", "79161234567", "Hi", cost=2)
    assert len(responder.requests) == 1


@pytest.mark.parametrize("bad", [
    {"status": "99999999999"}, {"sent": "-1"}, {"cnt": "-3"}, {"cost": "NaN"}, {"cost": "-5"},
    {"id": "1" + "0" * 30}, {"id": "-2"}, {"rpt": "1e3"}, {"rptn": "-1"},
])
def test_an_absurd_mailing_is_a_protocol_error(responder: Responder, any_client: Any, bad: Dict[str, str]) -> None:
    responder.answer(_json(**dict(_MAILING, **bad)), content_type="application/json")
    with any_client("alex", "123", url=responder.url) as client, \
            pytest.raises(smsc_soap.ProtocolError, match=next(iter(bad))):
        client.mailings.get(1)


def test_a_mailing_with_a_key_twice_is_a_protocol_error(responder: Responder, any_client: Any) -> None:
    responder.answer(b'{"id": 5, "name": "a", "status": 0, "id": 6}', content_type="application/json")
    with any_client("alex", "123", url=responder.url) as client, \
            pytest.raises(smsc_soap.ProtocolError, match="twice"):
        client.mailings.get(5)


@pytest.mark.parametrize("bad", [{"status": "99999999999"}, {"id": "1" + "0" * 30}, {"id": "0"}])
def test_an_absurd_task_is_a_protocol_error(responder: Responder, any_client: Any, bad: Dict[str, str]) -> None:
    task = dict({"id": "1", "name": "t", "status": "2", "created": "", "time": "", "file": "f.csv"}, **bad)
    responder.answer(json.dumps([task]).encode(), content_type="application/json")
    with any_client("alex", "123", url=responder.url) as client, pytest.raises(smsc_soap.ProtocolError):
        client.exports.get_list()


# --- points 1 and 2: the page's binary, and send_sms2's channel rules ------------------------------


@pytest.mark.parametrize("mes", ["\x00hello", "\x05\x00\x03\x01\x02\x01\xffpart one"])
def test_bin_1_octets_go_in_the_form_post(client: smsc_soap.Client, sandbox: Sandbox, mes: str) -> None:
    """000:113-118: the page is a form post, so bin=1's octets (a NUL, a UDH length byte) go as
    they are, urlencoded; SOAP's XML 1.0 limit stays on SOAP."""
    created = client.mailings.add("bin", "79161234567", mes, bin=1)
    assert created.id == 1
    assert sent(sandbox)["mes"] == mes and sent(sandbox)["bin"] == "1"
    assert [m.mes for m in sandbox.messages] == [mes]
    with pytest.raises(ValidationError, match="XML 1.0"):
        client.send_sms2("79161234567", mes, bin=1)


#: Forms that send_sms2 refuses, and so mailings.add: (mes, extended, what the message says).
REFUSED = [
    ("Hi", {"viber": 1, "soc": 1}, "one channel per request"),
    ("Hi", {"voice": "m"}, "voice= is only for"),
    ("Hi", {"mail": 1}, "subj= is required"),
    ("Hi", {"mail": 1, "subj": "News"}, "sender must be"),
    ("http://example.com", {"push": 1}, "newline"),
    ("ABC", {"bin": 2}, "even-length hex"),
    ("Hi", {"hlr": 1}, "mes is not used"),
    ("", {}, "a text is required"),
]


@pytest.mark.parametrize("mes, extended, says", REFUSED)
def test_mailings_refuse_what_send_sms2_refuses(client: smsc_soap.Client, sandbox: Sandbox, mes: str,
                                                extended: Dict[str, Any], says: str) -> None:
    with pytest.raises(ValidationError, match=says):
        client.send_sms2("79161234567", mes, **extended)
    with pytest.raises(ValidationError, match=says):
        client.mailings.add("x", "79161234567", mes, **extended)
    assert sandbox.requests == []


@pytest.mark.parametrize("mes, extended, says", REFUSED)
def test_the_sandbox_answers_those_forms_with_error_1(sandbox: Sandbox, mes: str, extended: Dict[str, Any],
                                                      says: str) -> None:
    answer = post(sandbox, "jobs.php", add="1", login="alex", psw="123", name="x", phones="79161234567",
                  mes=mes, fmt="3", **{k: str(v) for k, v in extended.items()})
    if says == "mes is not used":  # spec.REFUSE_UNUSED_TEXT: the client's choice; the page drops the text
        assert '"id"' in answer
    else:
        assert json.loads(answer)["error_code"] == 1


def test_the_channel_helpers_work_with_mailings(client: smsc_soap.Client, sandbox: Sandbox) -> None:
    from smsc_soap.channels import Email, Hlr, VoiceCall

    client.mailings.add("hlr", "79161234567", Hlr())
    assert (sent(sandbox)["hlr"], sent(sandbox)["mes"]) == ("1", "")
    client.mailings.add("mail", "ivan@example.com", Email("Hello", subject="News", sender="shop@example.com"))
    assert (sent(sandbox)["mail"], sent(sandbox)["subj"], sent(sandbox)["sender"]) == ("1", "News",
                                                                                      "shop@example.com")
    client.mailings.add("call", "79161234567", VoiceCall("Hello", voice="w", param=(20, 60, 3)))
    assert (sent(sandbox)["call"], sent(sandbox)["voice"], sent(sandbox)["param"]) == ("1", "w", "20,60,3")
    with pytest.raises(ValidationError, match="given by the Hlr and as a keyword"):
        client.mailings.add("hlr", "79161234567", Hlr(), hlr=1)


# --- point 9: the sandbox's last gaps ------------------------------------------------------------


def test_a_mailing_cancelled_before_its_first_send_has_sent_none(client: smsc_soap.Client) -> None:
    created = client.mailings.add("later", "79161234567", "Hi", time="+60", rpt="daily", rptn=2)
    client.mailings.cancel(created.id or 0)
    mailing = client.mailings.get(created.id or 0)
    assert (mailing.sent, mailing.time, cast("MailingStatus", mailing.status).name) == (0, None, "CANCELLED")


def test_a_task_id_is_a_json_number(sandbox: Sandbox) -> None:
    """002:124: ``"id": id`` (a number), ``"status": "status"`` (a string)."""
    sandbox.add_export("march")
    tasks = json.loads(post(sandbox, "downloads.php", get_list="1", login="alex", psw="123", fmt="3"))
    assert isinstance(tasks[0]["id"], int) and isinstance(tasks[0]["status"], str)


def test_sender2_follows_the_senders_rules(sandbox: Sandbox) -> None:
    """000:82: sender2 is the fallback's sender name: 27 characters are refused (the sender's code 6)."""
    answer = post(sandbox, "jobs.php", add="1", login="alex", psw="123", name="x", phones="79161234567",
                  mes="Hi", fmt="3", sender2="S" * 27)
    assert json.loads(answer)["error_code"] == 6


@pytest.mark.parametrize("page, fields", [
    ("jobs.php", {"get": "1", "id": "²"}), ("jobs.php", {"get": "1", "id": "--5"}),
    ("jobs.php", {"cancel": "1", "id": "٣"}),
    ("downloads.php", {"get_list": "1", "cnt": "9" * 5000}), ("downloads.php", {"get_list": "1", "cnt": "-5"}),
    ("downloads.php", {"get_file": "1", "id": "²"}), ("downloads.php", {"get_list": "1", "after_id": "1_0"}),
    ("jobs.php", {"add": "1", "name": "x", "phones": "79161234567", "mes": "Hi", "rpt": "²"}),
    ("jobs.php", {"add": "1", "name": "x", "phones": "79161234567", "mes": "Hi", "rpt": "2", "rptn": "9" * 5000}),
    ("jobs.php", {"add": "1", "name": "x", "phones": "79161234567", "mes": "", "tpl": "²"}),
    ("jobs.php", {"add": "1", "name": "x", "phones": "79161234567", "mes": "Hi", "valid": "²"}),
    ("jobs.php", {"add": "1", "name": "x", "phones": "79161234567", "mes": "Hi", "valid": "²:30"}),
    ("jobs.php", {"add": "1", "name": "x", "phones": "79161234567", "mes": "Hi", "tz": "9" * 5000}),
])
@pytest.mark.parametrize("fmt", ["1", "3"])
def test_a_number_that_is_not_ascii_digits_is_error_1(sandbox: Sandbox, page: str, fields: Dict[str, str],
                                                       fmt: str) -> None:
    answer = post(sandbox, page, login="alex", psw="123", fmt=fmt, **fields)
    assert answer == ("0,-1" if fmt == "1" else json.dumps({"error": "error in parameters", "error_code": 1}))


# --- point 8: the library's whole-or-nothing writer ------------------------------------------------


def test_whole_or_nothing_leaves_nothing_when_the_block_fails(tmp_path: Any) -> None:
    from smsc_soap.http_api.exports import whole_or_nothing

    with pytest.raises(RuntimeError), whole_or_nothing(tmp_path / "out.csv") as out:
        out.write(b"half")
        raise RuntimeError("cut")
    assert list(tmp_path.iterdir()) == []


def test_whole_or_nothing_never_opens_a_name_it_did_not_create(tmp_path: Any, monkeypatch: Any) -> None:
    from smsc_soap import _files
    from smsc_soap.http_api import exports

    victim = tmp_path / "victim"
    victim.write_bytes(b"keep me")
    monkeypatch.setattr(cast(Any, _files).secrets, "token_hex", lambda n: "planted")  # the module _files draws from
    (tmp_path / ".out.csv.planted.part").symlink_to(victim)
    with pytest.raises(FileExistsError), exports.whole_or_nothing(tmp_path / "out.csv") as out:
        out.write(b"evil")
    assert victim.read_bytes() == b"keep me" and not (tmp_path / "out.csv").exists()


def test_whole_or_nothing_with_two_writers_at_once_leaves_one_whole_file(tmp_path: Any) -> None:
    """Two copies of a command writing the same export: the file is one of them whole, never a
    mix, and neither leaves a temporary file behind."""
    import threading

    from smsc_soap.http_api.exports import whole_or_nothing

    both_open = threading.Barrier(2)
    contents = {name: name.encode() * 50_000 for name in ("a", "b")}

    def write(name: str) -> None:
        with whole_or_nothing(tmp_path / "out.csv") as out:
            out.write(contents[name][:1000])
            both_open.wait(timeout=10)  # both temporary files exist at once
            out.write(contents[name][1000:])

    writers = [threading.Thread(target=write, args=(name,)) for name in contents]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=10)
    assert (tmp_path / "out.csv").read_bytes() in contents.values()
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def _writer_mid_write(path: Any) -> Any:
    """Another process in the middle of whole_or_nothing(path), its temporary file written to."""
    import subprocess
    import sys

    code = ("import sys, time\n"
            "from smsc_soap.http_api.exports import whole_or_nothing\n"
            "with whole_or_nothing(sys.argv[1]) as out:\n"
            "    out.write(b'half of it'); out.flush(); print('writing', flush=True); time.sleep(60)\n")
    writer = subprocess.Popen([sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE)
    assert writer.stdout is not None and writer.stdout.readline() == b"writing\n"
    return writer


def test_whole_or_nothing_killed_halfway_leaves_no_file_at_the_path(tmp_path: Any) -> None:
    """kill -9 in the middle of a write: nothing appears at the path (only the writer's own
    temporary file stays, under a name no reader takes for the export)."""
    import signal

    writer = _writer_mid_write(tmp_path / "out.csv")
    writer.send_signal(signal.SIGKILL)
    writer.wait(timeout=10)
    assert not (tmp_path / "out.csv").exists()
    assert all(p.name.startswith(".out.csv.") and p.name.endswith(".part") for p in tmp_path.iterdir())


def test_the_next_write_removes_a_killed_writers_temporary_but_never_a_live_ones(tmp_path: Any) -> None:
    """What a kill -9 left is cleared by the next write to the same path; the temporary of a
    writer still at work (it holds its lock) stays, however old, and so do other files' ones."""
    import os
    import signal

    from smsc_soap import _files
    from smsc_soap.http_api.exports import whole_or_nothing

    killed = _writer_mid_write(tmp_path / "out.csv")
    killed.send_signal(signal.SIGKILL)
    killed.wait(timeout=10)
    left = {p.name for p in tmp_path.iterdir()}
    live = _writer_mid_write(tmp_path / "out.csv")
    try:
        live_part = {p.name for p in tmp_path.iterdir()} - left
        other = tmp_path / ".other.csv.0123456789ab.part"
        other.write_bytes(b"not ours to judge")
        old = os.stat(tmp_path).st_mtime - _files.STALE_TEMPORARY_SECONDS - 60
        for path in tmp_path.iterdir():
            os.utime(path, (old, old))
        with whole_or_nothing(tmp_path / "out.csv") as out:
            out.write(b"whole")
        assert (tmp_path / "out.csv").read_bytes() == b"whole"
        assert {p.name for p in tmp_path.iterdir()} == {"out.csv", other.name} | live_part
        assert len(left) == 1 and len(live_part) == 1
    finally:
        live.kill()
        live.wait(timeout=10)


def test_a_fresh_temporary_is_left_alone_even_unlocked(tmp_path: Any) -> None:
    """The instant between creating a temporary and locking it: a young one is never removed."""
    from smsc_soap.http_api.exports import whole_or_nothing

    young = tmp_path / ".out.csv.0123456789ab.part"
    young.write_bytes(b"just created")
    with whole_or_nothing(tmp_path / "out.csv") as out:
        out.write(b"whole")
    assert young.exists()


def test_get_file_to_a_path_has_the_umasks_mode(client: smsc_soap.Client, sandbox: Sandbox, tmp_path: Any) -> None:
    import os

    sandbox.add_export("march", "alex", synthetic_rows=1)
    sandbox.advance(3600)
    old = os.umask(0o027)
    try:
        assert client.exports.get_file(1, to=tmp_path / "out.csv") > 0
    finally:
        os.umask(old)
    assert (tmp_path / "out.csv").stat().st_mode & 0o777 == 0o640 and len(list(tmp_path.iterdir())) == 1


# --- point 10: the flood rule (004:284-286) -------------------------------------------------------


def test_the_sandbox_blocks_a_run_past_fifty_messages_to_one_number(client: smsc_soap.Client,
                                                                     sandbox: Sandbox) -> None:
    """spec.FLOOD_*: the 51st message less than two minutes after the one before is accepted,
    ends with status 23, err 247, and costs nothing; a gap of two minutes starts a new run."""
    sandbox.set_balance("alex", 1000)
    balance = sandbox.balance()
    ids = []
    for n in range(spec.FLOOD_MAX_MESSAGES + 1):
        ids.append(client.send_sms2("79161234567", f"message {n}", cost=2))
        sandbox.advance(spec.FLOOD_GAP_SECONDS - 1)
    assert [r.cost for r in ids[-2:]] == [Decimal("2.00"), Decimal("0.00")]
    assert sandbox.balance() == balance - spec.FLOOD_MAX_MESSAGES * Decimal("2.00")
    sandbox.advance(spec.FLOOD_GAP_SECONDS)  # a gap: a new run
    after = client.send_sms2("79161234567", "after the pause", cost=2)
    sandbox.advance(600)
    last = client.get_status("79161234567", ids[-1].id or "")
    assert (int(last.status), int(last.err or 0)) == (spec.FLOOD_STATUS, spec.FLOOD_ERR)
    assert client.get_status("79161234567", ids[-2].id or "").status == smsc_soap.DeliveryStatus.DELIVERED
    assert client.get_status("79161234567", after.id or "").status == smsc_soap.DeliveryStatus.DELIVERED


def test_one_mailing_to_a_number_more_than_fifty_times_in_a_row_is_blocked_past_fifty(sandbox: Sandbox) -> None:
    """The raw form: a jobs.add whose list holds the number 51 times (000:177-187) is accepted."""
    sandbox.set_balance("alex", 1000)
    lines = "\n".join(f"79161234567:text {n}" for n in range(spec.FLOOD_MAX_MESSAGES + 1))
    answer = json.loads(post(sandbox, "jobs.php", add="1", login="alex", psw="123", name="many", list=lines,
                             fmt="3", cost="2"))
    assert answer["cnt"] == spec.FLOOD_MAX_MESSAGES + 1
    assert Decimal(answer["cost"]) == spec.FLOOD_MAX_MESSAGES * Decimal("2.00")
    assert [m.cost for m in sandbox.messages].count(Decimal("0")) == 1


def test_send_bulk_warns_before_it_queues_the_51st_message_to_a_number(client: smsc_soap.Client,
                                                                        sandbox: Sandbox) -> None:
    from smsc_soap.bulk import FloodWarning, Message

    sandbox.set_balance("alex", 1000)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FloodWarning)
        assert len(list(client.send_bulk([Message("79161234567", f"m{n}") for n in range(50)]))) == 50
    with pytest.warns(FloodWarning, match="more than 50 messages to 79031234567") as caught:
        outcomes = list(client.send_bulk([Message("79031234567", f"m{n}") for n in range(60)]
                                         + [Message("79161234567", "other")]))
    assert len(outcomes) == 61 and len([w for w in caught if w.category is FloodWarning]) == 1


def test_the_flood_count_is_pure() -> None:
    from smsc_soap._core.flood import FloodCount

    count = FloodCount(limit=2)
    assert [count.add(["a", "b"]), count.add(["a"]), count.add(["a", "b"]), count.add(["a"])] == [(), (), ("a",), ()]


def test_the_flood_count_forgets_a_run_after_a_gap_of_messages() -> None:
    from smsc_soap._core.flood import FloodCount

    count = FloodCount(limit=2, gap=3)
    assert [count.add(["a"]), count.add(["a"])] == [(), ()]
    for other in "bcd":
        count.add([other])
    assert count.add(["a"]) == ()  # three others came between: a new run
    assert len(count._runs) <= 4


def test_a_bulk_run_to_fresh_numbers_leaves_the_garbage_collector_nothing_new_to_track() -> None:
    """What the count keeps for the gap's length (10,000 messages) are strs and ints, which the
    collector does not track: a tuple kept per message made it stop every thread of a bulk send
    about five times as often (bench/run.py's bulk row: 10 collections per 10,000 messages, now 2)."""
    import gc

    from smsc_soap._core.flood import FloodCount

    count = FloodCount()
    messages = [(f"7916{i:07d}",) for i in range(5000)] + [(f"7903{i:07d}", f"7905{i:07d}") for i in range(50)]
    gc.collect()
    gc.disable()
    try:
        before = len(gc.get_objects())
        crossed = [count.add(phones) for phones in messages]
        kept = len(gc.get_objects()) - before
    finally:
        gc.enable()
    assert kept < 50  # the list of answers; not one object per message (5,102 with a tuple kept per message)
    assert crossed == [()] * len(messages) and len(count._runs) == 5100


@given(st.lists(st.lists(st.sampled_from("abc"), max_size=3), max_size=40), st.integers(0, 3), st.integers(0, 5))
def test_the_flood_count_is_each_numbers_run_of_messages_within_the_gap(messages: List[List[str]], limit: int,
                                                                        gap: int) -> None:
    from smsc_soap._core.flood import FloodCount

    last: Dict[str, int] = {}
    run: Dict[str, int] = {}
    expected = []
    for seen, phones in enumerate(messages, 1):  # the rule read plainly: a run goes on within the gap
        crossed: Tuple[str, ...] = ()
        for phone in phones:
            run[phone] = run[phone] + 1 if phone in last and seen - last[phone] <= gap else 1
            last[phone] = seen
            crossed += (phone,) if run[phone] == limit + 1 else ()
        expected.append(crossed)
    count = FloodCount(limit=limit, gap=gap)
    assert [count.add(phones) for phones in messages] == expected
    assert len(count._runs) <= len(set(p for phones in messages[-gap - 1:] for p in phones))


# --- point 3: files of an MMS, an e-mail, a call (multipart POST) -----------------------------------

PSW = "s3cr3t&<pass>+word \u00e4"
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4 + b"\r\n--not-a-boundary\r\n"


@pytest.fixture
def file_client(any_client: Any) -> Iterator[Any]:
    with Sandbox([f"bob:{PSW}:1000"], start_time=START) as sandbox, \
            any_client("bob", PSW, url=sandbox.url) as client:
        yield client, sandbox


def test_an_mms_carries_its_files_in_a_multipart_post(file_client: Any, caplog: Any) -> None:
    import logging

    from smsc_soap.channels import Mms
    from smsc_soap.http_api.multipart import Attachment

    client, sandbox = file_client
    with caplog.at_level(logging.DEBUG, logger="smsc_soap"):
        created = client.mailings.add("pic", "79161234567", Mms(subject="Hi"),
                                      files=[("photo.JPG", JPEG), Attachment("note.txt", b"hello", "text/plain")])
    assert created.id == 1
    request = sandbox.requests[-1]
    assert request.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    assert request.params is not None and (request.params["mms"], request.params["subj"]) == ("1", "Hi")
    stored = sandbox.pages.mailings._mailings[0].files
    assert [(f.part, f.name, f.content_type, f.data) for f in stored] == [
        ("file0", "photo.JPG", "image/jpeg", JPEG), ("file1", "note.txt", "text/plain", b"hello")]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "photo.JPG (1048 bytes)" in logged and PSW not in logged and "s3cr3t" not in logged
    assert "\\xff\\xd8" not in logged and "hello" not in logged


@pytest.mark.parametrize("mes, extended", [
    ("Hello", {"mail": 1, "subj": "News", "sender": "shop@example.com"}),
    ("Hello", {"call": 1, "voice": "w"}),
])
def test_an_email_and_a_call_carry_files_of_any_type(file_client: Any, mes: str, extended: Dict[str, Any]) -> None:
    client, sandbox = file_client
    phone = "ivan@example.com" if "mail" in extended else "79161234567"
    assert client.mailings.add("f", phone, mes, files=[("greeting.wav", b"RIFF" + b"\0" * 200),
                                                       ("report.pdf", b"%PDF-1.4" + b"x" * 200)], **extended).id == 1
    assert [f.name for f in sandbox.pages.mailings._mailings[0].files] == ["greeting.wav", "report.pdf"]


@pytest.mark.parametrize("extended, files, says", [
    ({"mms": 1, "subj": "Hi"}, [("run.exe", b"MZ")], "an MMS carries"),
    ({}, [("a.jpg", JPEG)], "only MMS"),
    ({"viber": 1}, [("a.jpg", JPEG)], "only MMS"),
    ({"mms": 1, "subj": "Hi"}, [("a.jpg", b"")], "empty"),
    ({"mms": 1, "subj": "Hi"}, [('a".jpg', JPEG)], "no file name"),
    ({"mms": 1, "subj": "Hi"}, [("../a.jpg", JPEG)], "no file name"),
    ({"mms": 1, "subj": "Hi"}, [("a.jpg", b"x" * (spec.MAILING_FILES_MAX_BYTES + 1))], "MAILING_FILES_MAX_BYTES"),
    ({"mms": 1, "subj": "Hi"}, "a.jpg", "a list"),
])
def test_files_are_checked_before_anything_is_sent(file_client: Any, extended: Dict[str, Any], files: Any,
                                                   says: str) -> None:
    client, sandbox = file_client
    with pytest.raises(ValidationError, match=says):
        client.mailings.add("f", "79161234567", "Hello", files=files, **extended)
    assert sandbox.requests == []


def _multipart_post(sandbox: Sandbox, fields: Dict[str, str], files: Any) -> str:
    return requests.post(sandbox.url.replace("soap.php", "jobs.php"), data=fields, files=files, timeout=10).text


@pytest.mark.parametrize("extra, files", [
    ({}, {"file0": ("a.jpg", JPEG)}),                                  # no channel takes files
    ({"mms": "1", "subj": "Hi"}, {"file0": ("run.exe", b"MZ")}),       # not an MMS type
    ({"mms": "1", "subj": "Hi"}, {"file0": ("a.jpg", b"")}),           # empty
])
def test_the_sandbox_refuses_what_the_client_refuses_of_files(extra: Dict[str, str], files: Any) -> None:
    with Sandbox([f"bob:{PSW}:1000"], start_time=START) as sandbox:
        fields = dict(add="1", login="bob", psw=PSW, name="f", phones="79161234567", mes="Hello", fmt="3", **extra)
        assert json.loads(_multipart_post(sandbox, fields, files))["error_code"] == 1
        fields.update(mms="1", subj="Hi")
        assert "id" in json.loads(_multipart_post(sandbox, fields, {"file0": ("a.gif", b"GIF89a" + b"\0" * 100)}))


def test_the_multipart_body_is_pure_and_keeps_the_password_out_until_the_write() -> None:
    from smsc_soap.http_api.calls import prepare
    from smsc_soap.http_api.multipart import Attachment

    files = (Attachment("a.jpg", JPEG),)
    call = prepare("jobs.add", {"name": "x", "mes": "Hi", "mms": "1"}, login="bob", psw=PSW, files=files)
    body = call.form()
    assert PSW.encode() not in body and JPEG in body and call.content_type.endswith(call._boundary())
    assert call.form() == body  # the same request, the same bytes (a derived boundary)
    assert PSW.encode("utf-8") in call.reveal(body) and "a.jpg" in repr(call) and "\\xff" not in repr(call)


def test_an_email_goes_to_addresses_only(client: smsc_soap.Client, sandbox: Sandbox) -> None:
    """000:78: an e-mail's recipients are e-mail addresses: the client refuses a number, for
    send_sms2 and mailings alike, and the sandbox answers 7 (no valid recipient)."""
    email: Dict[str, Any] = {"mail": 1, "subj": "News", "sender": "shop@example.com"}
    with pytest.raises(ValidationError, match="goes to e-mail addresses"):
        client.send_sms2("79161234567", "Hello", **email)
    with pytest.raises(ValidationError, match="goes to e-mail addresses"):
        client.mailings.add("x", ["ivan@example.com", "79161234567"], "Hello", **email)
    assert sandbox.requests == []
    answer = post(sandbox, "jobs.php", add="1", login="alex", psw="123", name="x", phones="79161234567",
                  mes="Hello", fmt="3", **{k: str(v) for k, v in email.items()})
    assert json.loads(answer)["error_code"] == 7


def test_a_voice_not_in_the_pages_list_is_error_1_on_the_sandbox(sandbox: Sandbox) -> None:
    answer = post(sandbox, "jobs.php", add="1", login="alex", psw="123", name="x", phones="79161234567",
                  mes="Hello", fmt="3", call="1", voice="zz")
    assert json.loads(answer)["error_code"] == 1


# --- point 11: the citations, checked against the pages -------------------------------------------

SEEDS = pathlib.Path(__file__).resolve().parent.parent.parent / "shared" / "seeds"
CITED = [  # (the source file that cites, its citation, the page's line, words on that line)
    ("smsc_soap/spec.py", "003:9", "003", 9, "Комментарии в SMS-сообщениях"),
    ("smsc_soap/spec.py", "002:141", "002", 141, "статусу 2"),
    ("smsc_soap/http_api/exports.py", "002:141", "002", 141, "завантажити файл"),
    ("smsc_soap/spec.py", "000:205", "000", 205, "подтверждение с указанием результата"),
    ("smsc_soap/spec.py", "001:96", "001", 96, "при fmt = 1: <country>,<operator>,<region>,<mcc>,<mnc>,<tz>"),
    ("smsc_soap/http_api/mailings.py", "000:188", "000", 188, "tplID шаблона"),
    ("smsc_soap/spec.py", "004:284-286", "004", 284, "більше 50 повідомлень одному абоненту"),
    ("smsc_soap/spec.py", "000:166", "000", 166, "значения всех параметров по умолчанию"),
]


@pytest.mark.parametrize("source, citation, page, line, words", CITED)
def test_each_fixed_citation_names_the_line_that_says_it(source: str, citation: str, page: str, line: int,
                                                         words: str) -> None:
    root = pathlib.Path(__file__).resolve().parent.parent
    assert citation in (root / source).read_text(encoding="utf-8")
    seeds = sorted(SEEDS.glob(f"{page}_*.txt"))
    if not seeds:
        pytest.skip("the source pages are not on this machine")
    text = seeds[0].read_text(encoding="utf-8").splitlines()[line - 1].replace("\xa0", " ")
    assert words in text


def test_a_withdrawn_send_no_longer_counts_in_a_run(client: smsc_soap.Client, sandbox: Sandbox) -> None:
    """A mailing cancelled before it was sent took nothing from the subscriber's run."""
    sandbox.set_balance("alex", 1000)
    lines = [("79161234567", f"line {n}") for n in range(spec.FLOOD_MAX_MESSAGES)]
    created = client.mailings.add("later", list=lines, time="+1")
    client.mailings.cancel(created.id or 0)
    sandbox.advance(70)  # past the withdrawn sends' moment: they would be the run's first 50
    assert client.send_sms2("79161234567", "now", cost=2).cost == Decimal("2.00")


def test_the_next_write_never_follows_or_removes_a_planted_link_named_like_a_temporary(tmp_path: Any) -> None:
    """A link planted under a temporary's name, old and unlocked: the sweep neither opens what it
    points at nor removes it (only regular files of ours are cleared)."""
    import os

    from smsc_soap import _files
    from smsc_soap.http_api.exports import whole_or_nothing

    victim = tmp_path / "victim"
    victim.write_bytes(b"keep me")
    planted = tmp_path / ".out.csv.0123456789ab.part"
    planted.symlink_to(victim)
    old = os.stat(tmp_path).st_mtime - _files.STALE_TEMPORARY_SECONDS - 60
    os.utime(victim, (old, old))
    os.utime(planted, (old, old), follow_symlinks=False)
    with whole_or_nothing(tmp_path / "out.csv") as out:
        out.write(b"whole")
    assert planted.is_symlink() and victim.read_bytes() == b"keep me"
    assert (tmp_path / "out.csv").read_bytes() == b"whole"
