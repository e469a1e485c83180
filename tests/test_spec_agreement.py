"""Property (issue 10, point 2): what the client's validation accepts, the sandbox accepts; what
the client refuses, the sandbox answers with error 1 or the page's code for that field.

Both read their facts from :mod:`smsc_soap.spec`, but each has its own logic, so random inputs
can show where they still disagree. The sandbox is driven in-process through its service layer
(no HTTP, no XML), one fresh service per example so that no limit or duplicate guard carries over.

Where the sandbox is meant to be stricter or looser than the client, the case is named in
:data:`EXCEPTIONS` with the reason; a case that falls under one still has its stated sandbox
outcome asserted.
"""
from __future__ import annotations

import re
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Mapping, Optional, Set, Union, cast
from urllib.parse import quote

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from smsc_soap import channels, params, query, spec
from smsc_soap.errors import ValidationError
from smsc_soap.sandbox import assumptions as A
from smsc_soap.sandbox.clock import Clock
from smsc_soap.sandbox.phones import BadPhone, normalize
from smsc_soap.sandbox.service import Account, Service

if TYPE_CHECKING:
    from smsc_soap.http_api.wire import PageAccess

PROPERTY = settings(max_examples=200, deadline=None)
START = 1772442000.0  # 2026-03-02 09:00 UTC
BASE = {"login": "alex", "psw": "123", "phones": "79161234567", "mes": "Hello"}

#: The page's error codes for a refused value of each field (seed 004, "Код помилки"); error 1
#: ("помилка в параметрах") is always allowed too. A list line carries a sender and phones.
PAGE_CODES: Mapping[str, Set[str]] = {
    "phones": {"7"}, "mes": set(), "id": set(), "sender": {"6"}, "time": {"5"}, "query": set(),
    "list": {"6", "7"}, "mailing": {"6", "7"},
}

#: Named disagreements: name -> (what the sandbox answers, why). Each is checked, not skipped.
EXCEPTIONS: Mapping[str, Any] = {
    "EMPTY_ELEMENT": ("accepts", "an empty id, sender or time: the client refuses it as a likely "
                      "mistake (pass None to omit); the sandbox, like PHP's SoapServer, reads an "
                      "empty element as absent"),
    "AUTOCORRECTED_PHONE": ("accepts", "a number written with spaces, dashes, dots or "
                            "parentheses: the page says a number without '+' may be corrected "
                            "(004:19), which the sandbox models; the client refuses rather than "
                            "guess the number"),
    "EMPTY_PHONE_ENTRY": ("accepts", "two separators in a row: the client refuses the request, "
                          "the sandbox drops the blank entry"),
    "SOME_PHONES_GOOD": ("accepts", "some numbers bad, some good: the service sends to the good ones "
                         "and lists the bad with err=1 (004:216-218); the client refuses the whole "
                         "request so that no wrong number is dropped silently"),
    "NUMBERING_PLAN": ("7", "a number of the wrong length for its zone (+1, +7, +380): the sandbox "
                       "knows these numbering plans (assumptions.NUMBER_LENGTH_BY_PREFIX), the "
                       "client only the general bounds of spec.PHONE_DIGITS"),
    "CONTACT_GROUP": ("7", "G<n>: the client lets a contact group through (004:23); the sandbox "
                      "models no groups (assumptions.py) and answers 7"),
    "EMPTY_TEXT": ("1", "an empty text (or only a comment): the client allows it because hlr and "
                   "ping send none; the sandbox answers 1 for an ordinary send"),
    "NOT_XML": ("accepts", "a character XML 1.0 cannot carry: the client refuses it; in-process "
                "the sandbox sees it although no SOAP request could carry it"),
    "SHORT_TIMESTAMP": ("accepts", "0<ts> before 2001-09-09: the client refuses it (a short one can "
                        "read as DDMMYYhhmm, params.MIN_TIMESTAMP); the sandbox reads it as a past "
                        "moment, i.e. now"),
    "PADDED_TIME": ("accepts", "spaces around a time: the sandbox strips them, the client does not"),
    "ZERO_OFFSET": ("accepts", "+0: the client refuses it and says to write 0 for now; the sandbox "
                    "reads a zero offset as now"),
    "UNUSED_TEXT": ("accepts", "hlr=1 or ping=1 with a text: the page says mes is unused there; the "
                    "client refuses the text that would be dropped (spec.REFUSE_UNUSED_TEXT), the "
                    "sandbox ignores it"),
    "NOT_CARRIED": ("accepts", "op=1 (query.NOT_CARRIED): the service answers it with per-number details "
                    "the WSDL's result has no element for; the client refuses what it would drop"),
    "FAR_OFFSET": ("5", "+m past the year 9999: the sandbox cannot date it; the client does not "
                   "know the server's now"),
}


def _service() -> Service:
    return Service([Account("alex", "123", Decimal("1000000000"))], clock=Clock(START))


def _sandbox(**fields: Optional[str]) -> Dict[str, Any]:
    """send_sms2 on a fresh service; a field given as None is left out."""
    request = {name: value for name, value in {**BASE, **fields}.items() if value is not None}
    return _service().call("send_sms2", request)


def _client_accepts(check: Callable[..., Any], *args: Any, **kwargs: Any) -> bool:
    try:
        check(*args, **kwargs)
    except ValidationError:
        return False
    return True


def _agree(field: str, client_ok: bool, answer: Mapping[str, Any], exceptions: List[str]) -> None:
    """The property, with the named exceptions that apply to this input."""
    sandbox_ok = "error" not in answer
    if client_ok == sandbox_ok and (client_ok or answer["error"] in {"1"} | PAGE_CODES[field]):
        return
    assert exceptions, f"{field}: client {'accepts' if client_ok else 'refuses'}, sandbox answers {answer}"
    outcomes = {EXCEPTIONS[name][0] for name in exceptions}
    got = "accepts" if sandbox_ok else answer["error"]
    assert got in outcomes, f"{field}: {exceptions} say the sandbox {outcomes}, it answers {answer}"


# --- phones ----------------------------------------------------------------------------------

_number = st.text(alphabet="0123456789", min_size=0, max_size=17)
_entry = st.one_of(
    _number,
    _number.map(lambda n: "+" + n),
    st.builds(lambda a, sep, b: a + sep + b, _number, st.sampled_from([" ", "-", "(", ")", "."]), _number),
    st.from_regex(r"G[0-9]{1,3}", fullmatch=True),
    st.text(alphabet="0123456789+ab@ -", max_size=14),
)
_phones = st.lists(_entry, min_size=1, max_size=3).flatmap(
    lambda entries: st.sampled_from([",", ";", ", "]).map(lambda sep: sep.join(entries)))


def _sandbox_number(entry: str) -> Optional[str]:
    try:
        return normalize(entry)
    except BadPhone:
        return None


def _wrong_length_for_zone(entry: str) -> bool:
    digits = entry.lstrip("+")
    zone = A.longest_prefix(A.NUMBER_LENGTH_BY_PREFIX, digits)
    return zone is not None and len(digits) != A.NUMBER_LENGTH_BY_PREFIX[zone]


def _phone_exceptions(text: str) -> List[str]:
    entries = params.split_phones(text, keep_empty=True)
    names = []
    if text.strip() and "" in entries:
        names.append("EMPTY_PHONE_ENTRY")
    good = [_client_accepts(params.phone_field, entry) for entry in entries if entry]
    if any(good) and not all(good):
        names.append("SOME_PHONES_GOOD")
    if any(re.search(r"[ \-().]", entry) and not entry.startswith("+") and _sandbox_number(entry)
           for entry in entries):
        names.append("AUTOCORRECTED_PHONE")
    if any(_client_accepts(params.phone_field, entry) and _sandbox_number(entry) is None
           and _wrong_length_for_zone(entry) for entry in entries):
        names.append("NUMBERING_PLAN")
    if any(re.fullmatch(r"G[0-9]+", entry) for entry in entries):
        names.append("CONTACT_GROUP")
    return names


@PROPERTY
@given(_phones)
def test_phones(text: str) -> None:
    # the sandbox's magic numbers end otherwise on purpose (error 8 and the like)
    assume(not any(_sandbox_number(entry) in A.MAGIC_PHONES for entry in params.split_phones(text)))
    client_ok = _client_accepts(params.phones_field, text)
    _agree("phones", client_ok, _sandbox(phones=text), _phone_exceptions(text))


# --- mes -------------------------------------------------------------------------------------

_mes = st.one_of(
    st.text(max_size=40),
    st.builds(lambda n, comment: "a" * n + comment, st.integers(0, 1010),
              st.sampled_from(["", spec.COMMENT_SEPARATOR, spec.COMMENT_SEPARATOR + "note " * 20])),
    st.builds(lambda n: "ж" * n, st.integers(990, 1010)),
)


@PROPERTY
@given(_mes)
def test_mes(mes: str) -> None:
    names = []
    text = mes.partition(spec.COMMENT_SEPARATOR)[0]
    if text == "":
        names.append("EMPTY_TEXT")
    if re.search("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]", mes):
        names.append("NOT_XML")
    _agree("mes", _client_accepts(params.mes_field, mes), _sandbox(mes=mes), names)


# --- id --------------------------------------------------------------------------------------

_id = st.one_of(
    st.integers(0, 2 ** 31 + 5),
    st.integers(0, 2 ** 31 + 5).map(str),
    st.sampled_from(["0", "2147483647", "2147483648", "00", "007"]),
    st.from_regex(r"[A-Za-z0-9._\-]{0,42}", fullmatch=True),
    st.text(max_size=42),
)


@PROPERTY
@given(_id)
def test_id(value: Union[int, str]) -> None:
    names = ["EMPTY_ELEMENT"] if value == "" else []
    _agree("id", _client_accepts(params.id_field, value), _sandbox(id=str(value)), names)


# --- sender ----------------------------------------------------------------------------------

_sender = st.one_of(
    st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=13),
    st.text(alphabet="0123456789", min_size=1, max_size=17),
    st.text(alphabet="ab Жé,|:;", max_size=12),
)


@PROPERTY
@given(_sender)
def test_sender(value: str) -> None:
    names = ["EMPTY_ELEMENT"] if value == "" else []
    _agree("sender", _client_accepts(params.sender_field, value), _sandbox(sender=value), names)


# --- time ------------------------------------------------------------------------------------

_time = st.one_of(
    st.from_regex(r"[0-3][0-9][01][0-9][0-9]{2}[0-2][0-9][0-5][0-9]", fullmatch=True),
    st.from_regex(r"[0-9]{10}", fullmatch=True),
    st.from_regex(r"[0-3][0-9]\.[01][0-9]\.[0-9]{2} [0-9]{1,2}: ?[0-9]{2}", fullmatch=True),
    st.from_regex(r"[0-9]{1,2}-[0-9]{1,2}", fullmatch=True),
    st.from_regex(r"0[0-9]{1,12}", fullmatch=True),
    st.from_regex(r"\+[0-9]{1,7}", fullmatch=True),
    st.sampled_from(["0", "", " 0", "+0", "24-24", "0-24"]),
    st.text(alphabet="0123456789.:+- ", max_size=15),
)


def _time_exceptions(value: str) -> List[str]:
    names = []
    if value == "":
        names.append("EMPTY_ELEMENT")
    if value != value.strip():
        names.append("PADDED_TIME")
    match = spec.TIME_TIMESTAMP.fullmatch(value)
    if match and len(value) != 10 and 0 < int(match.group(1)) < params.MIN_TIMESTAMP:
        names.append("SHORT_TIMESTAMP")
    match = spec.TIME_OFFSET.fullmatch(value)
    if match and int(match.group(1)) == 0:
        names.append("ZERO_OFFSET")
    if match and START + 60 * int(match.group(1)) > spec.TIME_LATEST_TIMESTAMP:
        names.append("FAR_OFFSET")
    return names


@PROPERTY
@given(_time, st.sampled_from([None, -15, 0, 11]))
def test_time(value: str, tz: Optional[int]) -> None:
    extra = {"query": f"tz={tz}"} if tz is not None else {}
    client_ok = _client_accepts(params.time_field, value)
    _agree("time", client_ok, _sandbox(time=value, **extra), _time_exceptions(value))


# --- extended parameters with documented values ---------------------------------------------

_NUMERIC = sorted({*spec.EXTENDED_FLAGS, *spec.EXTENDED_CHOICES, *spec.EXTENDED_INT_RANGES, "maxsms"})


@PROPERTY
@given(st.sampled_from(_NUMERIC), st.one_of(st.integers(-20, 30), st.integers(-2000, 2000)))
def test_extended_whole_numbers(name: str, value: int) -> None:
    extra = {"period": 1} if name == "freq" else {}  # freq means nothing without period (004:78)
    given_ = {name: value, **extra}
    client_ok = (_client_accepts(query.build_query, **given_)
                 and _client_accepts(channels.check, BASE["mes"], None, given_))  # spec.CHANNELS' rules
    raw = "&".join(f"{key}={val}" for key, val in given_.items())
    named = ["UNUSED_TEXT"] if name in ("hlr", "ping") and value == 1 else []
    if name in query.NOT_CARRIED and value in query.NOT_CARRIED[name][0]:
        named.append("NOT_CARRIED")
    _agree("query", client_ok, _sandbox(query=raw), named)


@PROPERTY
@given(st.one_of(st.floats(-1, 800, allow_nan=False), st.integers(-5, 800)))
def test_period(hours: float) -> None:
    client_ok = _client_accepts(query.build_query, period=hours)
    _agree("query", client_ok, _sandbox(query=f"period={hours!r}"), [])


# --- list ----------------------------------------------------------------------------------

_list_entry = st.one_of(
    st.tuples(_phones, st.text(alphabet="ab :\n", max_size=8)),
    st.tuples(st.sampled_from(["SHOP", "ivan", "bad,name", "x" * 12]), st.sampled_from([None, -16, -15, 0, 11, 12]),
              st.sampled_from(["79161234567", "79161234567,380501234567", "123"]), st.sampled_from(["hi", "a\nb"])),
)


def _page_lines(entries: List[Any]) -> str:
    """The entries written as the page's lines, unchecked (what a caller without the client sends)."""
    lines = []
    for entry in entries:
        head = ""
        if len(entry) == 4:
            head = entry[0] + (f",{entry[1]}" if entry[1] is not None else "") + "|"
        # phones joined by "," as the page writes them in a list line (004:180; ";" ends them, 004:175)
        lines.append(head + entry[-2].replace(";", ",") + ":" + entry[-1].replace("\n", "\\n"))
    return "list=" + quote("\n".join(lines), safe="")


@PROPERTY
@given(st.lists(_list_entry, min_size=1, max_size=3))
def test_list(entries: List[Any]) -> None:
    every_phone = ",".join(entry[-2] for entry in entries)
    assume(not any(_sandbox_number(p) in A.MAGIC_PHONES for p in params.split_phones(every_phone)))
    names = _phone_exceptions(every_phone)
    if any(entry[-1] == "" for entry in entries):
        names.append("EMPTY_TEXT")
    try:
        raw = query.build_query(list=entries)
    except ValidationError:
        client_ok, raw = False, _page_lines(entries)
    else:
        client_ok = True
    _agree("list", client_ok, _sandbox(query=raw, phones=None, mes=None), names)


# --- mailings' channel rules (issue 22): jobs.add refuses the forms send_sms2 refuses -------------

_FLAGS = ["viber", "soc", "mail", "call", "hlr", "ping", "push", "mms", "whatsapp"]
_mailing_form = st.fixed_dictionaries({
    "flags": st.lists(st.sampled_from(_FLAGS), max_size=2, unique=True),
    "bin": st.sampled_from([None, 1, 2]),
    "voice": st.sampled_from([None, "m", "w,en", "zz"]),
    "subj": st.sampled_from([None, "News"]),
    "sender": st.sampled_from([None, "shop@example.com", "Shop"]),
    "mes": st.sampled_from(["Hello", "", "http://x.ru\nTitle", "0048656C6C6F", "ABC", "\x00hi", "\x05hi"]),
    "phones": st.sampled_from(["79161234567", "ivan@example.com"]),
})


class _Access:
    """The client's side of a page call without a shell (the plans are pure)."""

    def prepare(self, operation: str, fields: Mapping[str, Optional[str]], **kwargs: Any) -> Any:
        from smsc_soap.http_api.calls import prepare

        kwargs = {name: value for name, value in kwargs.items() if value is not None}
        return prepare(operation, fields, login="alex", psw="123", **kwargs)


def _jobs_add(form: Mapping[str, str]) -> Dict[str, Any]:
    """jobs.add on a fresh sandbox, in-process (its HTTP pages' own logic); the answer as a dict."""
    import json

    from smsc_soap.sandbox.http_pages import HttpPages, pieces

    answer = HttpPages(_service()).handle("jobs.php", {**form, "fmt": "3"}, "127.0.0.1")
    value = json.loads(b"".join(pieces(answer)))
    return {"error": str(value["error_code"])} if "error_code" in value else value


@PROPERTY
@given(_mailing_form)
def test_mailing_channels(case: Dict[str, Any]) -> None:
    from smsc_soap.http_api.mailings import plan_add

    extended: Dict[str, Any] = {flag: 1 for flag in case["flags"]}
    for name in ("bin", "voice", "subj"):
        if case[name] is not None:
            extended[name] = case[name]
    raw = {"add": "1", "login": "alex", "psw": "123", "name": "x", "phones": case["phones"], "mes": case["mes"],
           **{name: str(value) for name, value in extended.items()}}
    if case["sender"] is not None:
        raw["sender"] = case["sender"]
    try:
        plan = plan_add(cast("PageAccess", _Access()), "x", case["phones"], case["mes"], sender=case["sender"], **extended)
    except ValidationError:
        client_ok, form = False, raw
    else:
        client_ok, form = True, {k: v for k, v in plan.call.request.items() if k != "fmt"}
    names = ["UNUSED_TEXT"] if any(flag in ("hlr", "ping") for flag in case["flags"]) and case["mes"] else []
    _agree("mailing", client_ok, _jobs_add(form), names)
