#!/usr/bin/env python
"""Record the cassettes in cassettes/: every SOAP operation, every call of the HTTP pages beside it
(mailings, operator lookup, export tasks), and the typical errors, one file each.

One command, against the local sandbox by default (nothing leaves the machine)::

    python scripts/record_cassettes.py

or against the real service when credentials are in the environment::

    SMSC_LOGIN=... SMSC_PASSWORD=... SMSC_PHONE=79... python scripts/record_cassettes.py
    SMSC_APIKEY=... SMSC_HOST=smsc.kz SMSC_PHONE=79... python scripts/record_cassettes.py

Environment (real service only): ``SMSC_LOGIN`` and ``SMSC_PASSWORD``, and/or ``SMSC_APIKEY``;
``SMSC_URL`` (a full endpoint) or ``SMSC_HOST`` (smsc.ru, smsc.kz, smsc.ua; default smsc.ru);
``SMSC_PHONE``, the number the send scenarios text (they cost money and reach that phone; without
it they are skipped). Scenarios the real service cannot be made to play (insufficient funds, a
SOAP Fault) are recorded from the sandbox only; their old cassettes stay.

Every cassette is written through smsc_soap.testing, so psw and apikey are REDACTED (by shape,
and by value for the secrets in use) before anything reaches the disk; the script then checks the
written files for any form of those secrets and fails if it finds one. A scenario is recorded into
a temporary directory and moved into place only when it succeeded.
"""
from __future__ import annotations

import argparse
import os
import secrets
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Type, TypedDict, cast

import smsc_soap
from smsc_soap import Client, testing

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "cassettes"
#: The sandbox listens here while recording, so that re-recording changes no URL in the files.
SANDBOX_PORT = 47831
#: The sandbox clock starts here (2026-01-01 00:00 UTC), so recorded dates do not change either.
SANDBOX_START = 1767225600.0
#: A well-formed number the sandbox delivers to.
SANDBOX_PHONE = "79999999999"
#: Accepted by the client (7..15 digits), refused by the service as no phone number (error 7).
MALFORMED_PHONE = "12345678"


@dataclass
class Context:
    """What a scenario may use."""

    client: Optional[Client]          # login + psw
    key_client: Optional[Client]      # apikey (None when no key); the *2 methods prefer it
    wrong_client: Optional[Client]    # a wrong password, for error 2
    poor_client: Optional[Client]     # an account with no money (sandbox only), for error 3
    phone: Optional[str]
    wait: Callable[[float], object]
    sandbox: Optional[object] = None

    @property
    def client2(self) -> Client:
        client = self.key_client or self.client
        assert client is not None
        return client


@dataclass(frozen=True)
class Scenario:
    name: str
    run: Callable[[Context], object]
    doc: str
    sandbox_only: bool = False
    sends: bool = False               # texts a phone (real service: needs SMSC_PHONE, costs money)
    needs_psw: bool = False           # get_balance has no apikey form


def _expect(error: Type[BaseException], call: Callable[[], object]) -> None:
    try:
        call()
    except error:
        return
    raise AssertionError(f"expected {error.__name__}")


def _status(ctx: Context, level: int, two: bool) -> None:
    client = ctx.client2 if two else ctx.client
    assert client is not None and ctx.phone is not None
    sent = client.send_sms(ctx.phone, "Status check from smsc-soap")
    ctx.wait(10)
    if two:
        client.get_status2(ctx.phone, sent.id, all=level)
    else:
        client.get_status(ctx.phone, sent.id, all=level)


def _duplicate(c: Context) -> None:
    c.client2.send_sms2(c.phone, "Only once", id="dup-1")
    _expect(smsc_soap.DuplicateRequest, lambda: c.client2.send_sms2(c.phone, "Only once", id="dup-1"))


def _soap_fault(c: Context) -> None:
    c.sandbox.inject("soap_fault", string="Internal Server Error")  # type: ignore[attr-defined]
    assert c.client is not None
    _expect(smsc_soap.SoapFault, c.client.get_balance)


# The casts are Target.can_play's: a scenario runs only when what it uses is there (a client for
# needs_psw, a phone for sends, the poor client in the sandbox).
SCENARIOS: List[Scenario] = [
    Scenario("get_balance", lambda c: cast(Client, c.client).get_balance(), "balance", needs_psw=True),
    Scenario("send_sms", lambda c: cast(Client, c.client).send_sms(cast(str, c.phone), "Hello from smsc-soap"),
             "send", sends=True, needs_psw=True),
    Scenario("send_sms2", lambda c: c.client2.send_sms2(c.phone, "Hello again", cost=3, err=1),
             "send2 with cost=3 (cost and new balance) and err=1", sends=True),
    Scenario("get_sms_cost",
             lambda c: cast(Client, c.client).get_sms_cost(c.phone or SANDBOX_PHONE, "How much is this?"),
             "cost", needs_psw=True),
    Scenario("get_sms_cost2", lambda c: c.client2.get_sms_cost2(c.phone or SANDBOX_PHONE, "Привет", translit=1),
             "cost2 with translit=1"),
    Scenario("get_status", lambda c: _status(c, 1, two=False), "send, then status with all=1", sends=True,
             needs_psw=True),
    Scenario("get_status2", lambda c: _status(c, 2, two=True), "send2, then status2 with all=2", sends=True),
    Scenario("error_2_auth",
             lambda c: _expect(smsc_soap.AuthenticationError, cast(Client, c.wrong_client).get_balance),
             "balance with a wrong password: error 2", needs_psw=True),
    Scenario("error_3_funds",
             lambda c: _expect(smsc_soap.InsufficientFunds,
                               lambda: cast(Client, c.poor_client).send_sms(SANDBOX_PHONE, "Hi")),
             "send from an account with no money: error 3", sandbox_only=True),
    Scenario("error_3_status",
             lambda c: _expect(smsc_soap.MessageNotFound,
                               lambda: c.client2.get_status2(c.phone or SANDBOX_PHONE, "no-such-message-42")),
             "status of a message that does not exist: error 3 of status"),
    Scenario("error_7_phone",
             lambda c: _expect(smsc_soap.InvalidPhone, lambda: c.client2.get_sms_cost2(MALFORMED_PHONE, "Hi")),
             "cost for a number that is none: error 7"),
    Scenario("error_9_duplicate", _duplicate, "the same send twice within a minute: error 9", sends=True),
    Scenario("soap_fault", _soap_fault, "the server answers a SOAP Fault", sandbox_only=True, needs_psw=True),
]


# --- the HTTP pages beside SOAP (000 mailings, 001 operator lookup, 002 export tasks) -------------

#: A number no operator is known for in the sandbox's numbering table (error 3 of the lookup).
NO_OPERATOR_PHONE = "12025550123"


def _export_file(ctx: Context) -> None:
    """A done task's file: the sandbox makes one (the real service's come from its web UI)."""
    from smsc_soap.sandbox.exports import EXPORT_RUN_SECONDS, EXPORT_WAIT_SECONDS
    sandbox = ctx.sandbox
    assert sandbox is not None and ctx.client is not None
    ctx.client.send_sms(SANDBOX_PHONE, "Exported")
    sandbox.add_export("january", "smsc-soap-demo")  # type: ignore[attr-defined]
    ctx.wait(EXPORT_WAIT_SECONDS + EXPORT_RUN_SECONDS)
    (task,) = ctx.client2.exports.get_list()
    with ctx.client2.exports.rows(task) as rows:
        assert len(list(rows)) == 2


def _mailing(ctx: Context) -> None:
    assert ctx.client is not None and ctx.phone is not None
    created = ctx.client.mailings.add("smsc-soap demo", ctx.phone, "Hello from a mailing", rpt="daily", rptn=2,
                                      time="+60", cost=2)
    assert created.id is not None
    ctx.client.mailings.get(created.id)
    ctx.client.mailings.get_all()
    ctx.client.mailings.cancel(created.id)
    ctx.client.mailings.delete(created.id)


SCENARIOS += [
    Scenario("operator", lambda c: c.client2.operator([c.phone or SANDBOX_PHONE, "79031234567"]),
             "operator lookup of two numbers (page 001)"),
    Scenario("operator_error_3",
             lambda c: _expect(smsc_soap.errors.OperatorNotFound, lambda: c.client2.operator(NO_OPERATOR_PHONE)),
             "operator lookup of a number without one: error 3", sandbox_only=True),
    Scenario("exports_list", lambda c: c.client2.exports.get_list(cnt=10), "export tasks (page 002)"),
    Scenario("exports_file", _export_file, "a done export task's CSV file, as rows", sandbox_only=True,
             needs_psw=True),
    Scenario("exports_error_5",
             lambda c: _expect(smsc_soap.errors.TaskNotFound,
                               lambda: c.client2.exports.get_file(2147483647, to=__import__("io").BytesIO())),
             "the file of a task that does not exist: error 5"),
    Scenario("mailing", _mailing, "a daily mailing added, read, listed, cancelled, deleted (page 000)",
             sends=True, needs_psw=True),
    Scenario("mailing_error_3",
             lambda c: _expect(smsc_soap.errors.MailingNotFound,
                               lambda: cast(Client, c.client).mailings.get(2147483647)),
             "a mailing that does not exist: error 3 (an assumption of spec.JOBS_ERROR_CODES)", needs_psw=True),
]
BY_NAME: Dict[str, Scenario] = {s.name: s for s in SCENARIOS}


# --- targets ---------------------------------------------------------------------------------------


@dataclass
class Target:
    """Where to record from, with the clients and the secrets to keep out of the files."""

    name: str
    context: Context
    secrets: List[str] = field(default_factory=list)
    close: Callable[[], None] = lambda: None

    def can_play(self, scenario: Scenario) -> Optional[str]:
        """None, or why this target skips the scenario."""
        ctx = self.context
        if scenario.sandbox_only and ctx.sandbox is None:
            return "the real service cannot be made to play it"
        if scenario.sends and not ctx.phone:
            return "no SMSC_PHONE to send to"
        if scenario.needs_psw and ctx.client is None:
            return "needs SMSC_LOGIN and SMSC_PASSWORD"
        if ctx.client is None and ctx.key_client is None:
            return "no credentials"
        return None


def sandbox_target(port: int) -> Target:
    from smsc_soap.sandbox import Account, Sandbox

    # Fresh random secrets on every recording: the files must not depend on them, and the
    # check at the end proves they are not in them.
    psw, apikey = secrets.token_urlsafe(24), secrets.token_hex(20)
    sandbox = Sandbox([Account("smsc-soap-demo", psw, apikeys=(apikey,)),
                       Account("smsc-soap-poor", psw, Decimal(0))], port=port, start_time=SANDBOX_START).start()
    url = sandbox.url
    context = Context(
        client=Client("smsc-soap-demo", psw, url=url), key_client=Client(apikey=apikey, url=url),
        wrong_client=Client("smsc-soap-demo", psw + "-wrong", url=url),
        poor_client=Client("smsc-soap-poor", psw, url=url), phone=SANDBOX_PHONE, wait=sandbox.advance,
        sandbox=sandbox)
    return Target(f"sandbox at {url}", context, [psw, apikey], sandbox.stop)


class Where(TypedDict, total=False):
    """Client's keyword for the endpoint: one of the two."""

    url: str
    host: str


def real_target(env: Dict[str, str], wait: float = 10.0) -> Target:
    login, psw, apikey = env.get("SMSC_LOGIN"), env.get("SMSC_PASSWORD"), env.get("SMSC_APIKEY")
    where: Where = {"url": env["SMSC_URL"]} if env.get("SMSC_URL") else {"host": env.get("SMSC_HOST") or "smsc.ru"}
    if bool(login) != bool(psw):
        raise SystemExit("give SMSC_LOGIN and SMSC_PASSWORD together")
    client = Client(login, psw, **where) if login and psw else None
    context = Context(
        client=client, key_client=Client(apikey=apikey, **where) if apikey else None,
        wrong_client=Client(login, psw + "-wrong", **where) if login and psw else None,
        poor_client=None, phone=env.get("SMSC_PHONE") or None, wait=lambda _: time.sleep(wait))
    endpoint = (client or context.key_client).endpoint  # type: ignore[union-attr]
    return Target(f"the real service at {endpoint}", context, [s for s in (psw, apikey) if s])


def wants_real(env: Dict[str, str]) -> bool:
    return bool(env.get("SMSC_LOGIN") or env.get("SMSC_APIKEY"))


# --- recording -------------------------------------------------------------------------------------


def leaks(path: Path, secret_values: Sequence[str]) -> List[str]:
    """The forms of the secrets found in ``path`` (empty when clean)."""
    import base64

    text = path.read_text(encoding="utf-8")
    found: List[str] = []
    for secret in secret_values:
        forms = set(testing.secret_forms(secret)) | {base64.b64encode(secret.encode()).decode()}
        found.extend(form for form in forms if form and form in text)
    return found


def record(scenario: Scenario, target: Target, out: Path) -> Path:
    """Record ``scenario`` from ``target`` into ``out/<name>.yaml`` (replacing it on success)."""
    with tempfile.TemporaryDirectory() as scratch:
        recorder = testing.make_vcr(scratch, record_mode="once", secrets=target.secrets)
        with recorder.use_cassette(f"{scenario.name}.yaml"):
            scenario.run(target.context)
        written = Path(scratch) / f"{scenario.name}.yaml"
        if not written.is_file():
            raise RuntimeError(f"{scenario.name}: nothing was recorded")
        found = leaks(written, target.secrets)
        if found:
            raise RuntimeError(f"{scenario.name}: a secret survived scrubbing ({len(found)} forms); not written")
        out.mkdir(parents=True, exist_ok=True)
        final = out / written.name
        shutil.move(str(written), final)
    return final


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog="Credentials in the environment select the real service; "
                                            "see the module docstring.")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write (default: cassettes/)")
    parser.add_argument("--port", type=int, default=SANDBOX_PORT,
                        help=f"sandbox port (default {SANDBOX_PORT}; 0 for any free one)")
    parser.add_argument("--sandbox", action="store_true", help="record from the sandbox even if credentials are set")
    parser.add_argument("--wait", type=float, default=10.0, metavar="SECONDS",
                        help="real service: how long to wait between a send and its status (default 10)")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    parser.add_argument("only", nargs="*", metavar="SCENARIO", help="record only these (default: all)")
    args = parser.parse_args(argv)

    if args.list:
        for s in SCENARIOS:
            notes = ", ".join(n for n, on in (("sandbox only", s.sandbox_only), ("sends an SMS", s.sends)) if on)
            print(f"{s.name:20} {s.doc}" + (f" ({notes})" if notes else ""))
        return 0
    unknown = [name for name in args.only if name not in BY_NAME]
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(unknown)}; see --list")

    env = dict(os.environ)
    real = wants_real(env) and not args.sandbox
    shared = real_target(env, args.wait) if real else None
    print(f"recording from {shared.name if shared else 'a fresh sandbox per scenario'} into {args.out}")
    failed = 0
    try:
        for scenario in [BY_NAME[n] for n in args.only] or SCENARIOS:
            # each scenario gets a sandbox of its own, so its answers do not depend on the others
            target = shared or sandbox_target(args.port)
            try:
                why = target.can_play(scenario)
                if why:
                    print(f"  skip   {scenario.name}: {why}")
                    continue
                path = record(scenario, target, args.out)
            except Exception as exc:  # noqa: BLE001 - report every scenario, fail at the end
                failed += 1
                print(f"  FAILED {scenario.name}: {type(exc).__name__}: {exc}")
            else:
                print(f"  ok     {scenario.name} -> {path}")
            finally:
                if target is not shared:
                    target.close()
    finally:
        if shared is not None:
            shared.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
