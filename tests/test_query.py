"""The extended parameters of the *2 methods: the table, every value's check, the query string."""
from __future__ import annotations

import ipaddress
import math
import pathlib
import re
from datetime import timedelta
from typing import Any, Dict, List, Tuple, Union
from urllib.parse import parse_qs, quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsc_soap.errors import ValidationError
from smsc_soap.query import (
    EXTENDED_PARAMS,
    HTTP_PAGE,
    REQUIRES,
    SOAP_PAGE,
    ExtendedParams,
    build_query,
    encode_value,
    encoded_length,
    format_list,
    plain_line,
    recipient_options,
    written_line,
)

# The service's pages sit in shared/ beside the checkout (CI clones main with shared/ beside it).
SEEDS = pathlib.Path(__file__).resolve().parent.parent.parent / "shared" / "seeds"
FLAGS = ["flash", "push", "hlr", "ping", "mms", "mail", "soc", "viber", "whatsapp", "tg", "call",
         "tinyurl", "err", "op", "nl"]


def one(**extended: Any) -> str:
    """The value the server reads back for the (first) keyword given."""
    values = parse_qs(build_query(**extended), keep_blank_values=True)
    (value,) = values[next(iter(extended))]
    return value


def refusal(*, field: str, says: Union[str, Tuple[str, ...]], raw: Any = None, **extended: Any) -> None:
    with pytest.raises(ValidationError) as info:
        build_query(raw, **extended)
    assert info.value.field == field
    for text in (says,) if isinstance(says, str) else says:
        assert text in str(info.value)


# --- the table ----------------------------------------------------------------------------


def test_the_typed_dict_lists_exactly_the_table() -> None:
    assert list(ExtendedParams.__annotations__) == list(EXTENDED_PARAMS)


def test_every_parameter_of_the_soap_page_is_in_the_table() -> None:
    page = [
        "apikey", "tz", "period", "freq", "flash", "bin", "push", "hlr", "ping", "mms", "mail", "soc",
        "viber", "whatsapp", "tg", "bot", "smsreq", "fileurl", "call", "voice", "param", "subj", "cost",
        "list", "valid", "tinyurl", "maxsms", "imgcode", "userip", "err", "op", "pp",
    ]
    assert {name for name, spec in EXTENDED_PARAMS.items() if spec.source == SOAP_PAGE} == set(page)
    assert {name for name, spec in EXTENDED_PARAMS.items() if spec.source == HTTP_PAGE} == {"translit", "nl"}


@pytest.mark.parametrize("name", list(EXTENDED_PARAMS))
def test_every_parameter_is_named_on_the_page_it_cites(name: str) -> None:
    page = SEEDS / pathlib.Path(EXTENDED_PARAMS[name].source).name
    if not page.exists():
        pytest.skip("the source pages are not on this machine")
    assert re.search(rf"(^|\W){name}(\W|$)", page.read_text(encoding="utf-8"), re.M)


# --- flags and choices --------------------------------------------------------------------


@pytest.mark.parametrize("name", [flag for flag in FLAGS if flag != "op"])  # op=1: test_not_carried.py
@pytest.mark.parametrize("value, expected", [(True, "1"), (False, "0"), (1, "1"), (0, "0")])
def test_flags_accept_bool_or_0_1(name: str, value: Any, expected: str) -> None:
    assert build_query(**{name: value}) == f"{name}={expected}"


@pytest.mark.parametrize("name", FLAGS)
@pytest.mark.parametrize("value", [2, -1, "1", 1.0])
def test_flags_refuse_anything_else(name: str, value: object) -> None:
    refusal(field=name, says=(f"{name}:", "a bool or one of 0, 1"), **{name: value})


@pytest.mark.parametrize("name, allowed", [("bin", [0, 1, 2]), ("cost", [0, 1, 2, 3]), ("translit", [0, 1, 2])])
def test_choices(name: str, allowed: List[Any]) -> None:
    for value in allowed:
        assert build_query(**{name: value}) == f"{name}={value}"
    for value in (max(allowed) + 1, -1, True, "1"):
        refusal(field=name, says=f"one of {', '.join(map(str, allowed))}", **{name: value})


# --- numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "extended, expected",
    [
        (dict(tz=0), "tz=0"),
        (dict(tz=-15), "tz=-15"),
        (dict(tz=11), "tz=11"),
        (dict(period=0.1), "period=0.1"),
        (dict(period=720), "period=720"),
        (dict(period=2.0), "period=2"),
        (dict(period=1.5, freq=1), "period=1.5&freq=1"),
        (dict(period=1, freq=1440), "period=1&freq=1440"),
        (dict(smsreq=10), "smsreq=10"),
        (dict(smsreq=999), "smsreq=999"),
        (dict(maxsms=1), "maxsms=1"),
        (dict(maxsms=50), "maxsms=50"),
    ],
)
def test_numbers_accepted(extended: Dict[str, Any], expected: str) -> None:
    assert build_query(**extended) == expected


@pytest.mark.parametrize(
    "name, value, says",
    [
        ("tz", 12, "-15..11"),
        ("tz", -16, "relative to Moscow"),
        ("tz", 2.5, "whole hours"),
        ("tz", "3", "whole hours"),
        ("period", 0.09, "0.1..720"),
        ("period", 720.5, "0.1..720"),
        ("period", 0, "0.1..720"),
        ("period", math.nan, "0.1..720"),
        ("period", math.inf, "0.1..720"),
        ("period", True, "0.1..720"),
        ("period", "2", "0.1..720"),
        ("smsreq", 9, "10..999 days"),
        ("smsreq", 1000, "10..999"),
        ("maxsms", 0, "an int 1"),
        ("maxsms", 2.0, "an int 1"),
    ],
)
def test_numbers_refused(name: str, value: object, says: str) -> None:
    refusal(field=name, says=says, **{name: value})


@pytest.mark.parametrize("freq", [0, 1441, 1.5])
def test_freq_range(freq: float) -> None:
    refusal(field="freq", says="1..1440 minutes", period=1, freq=freq)


@given(st.floats(0.1, 720))
def test_period_round_trip(hours: float) -> None:
    assert float(one(period=hours)) == hours


# --- parameters that need another ----------------------------------------------------------


def test_freq_needs_period() -> None:
    refusal(field="freq", says=("freq needs period", "ignored"), freq=10)


def test_imgcode_needs_userip() -> None:
    refusal(field="imgcode", says="imgcode needs userip", imgcode="x7k2")
    assert build_query(imgcode="x7k2", userip="10.0.0.1") == "imgcode=x7k2&userip=10.0.0.1"


def test_requires_table_names_known_parameters() -> None:
    for name, (needs, _) in REQUIRES.items():
        assert name in EXTENDED_PARAMS and needs in EXTENDED_PARAMS


# --- strings of a given shape ----------------------------------------------------------------


@pytest.mark.parametrize(
    "name, value, expected",
    [
        ("apikey", "Ab3_-x.Z", "Ab3_-x.Z"),
        ("bot", "@smsc_bot", "@smsc_bot"),
        ("bot", "@MyShopBot", "@MyShopBot"),
        ("fileurl", "https://example.com/files/a.jpg", "https://example.com/files/a.jpg"),
        ("fileurl", "http://example.com:8080/a.mp3?x=1&y=2", "http://example.com:8080/a.mp3?x=1&y=2"),
        ("fileurl", "HTTPS://[2001:db8::1]/a.png", "HTTPS://[2001:db8::1]/a.png"),
        ("voice", "m3", "m3"),
        ("voice", "w,fr", "w,fr"),
        ("voice", "m, EN", "m,en"),
        ("param", "25,60,3", "25,60,3"),
        ("param", " 0 , 3600 , 9 ", "0,3600,9"),
        ("param", (99, 10, 0), "99,10,0"),
        ("valid", 1, "1"),
        ("valid", 24, "24"),
        ("valid", "00:01", "00:01"),
        ("valid", "24:00", "24:00"),
        ("valid", "12:30", "12:30"),
        ("valid", timedelta(hours=1, minutes=30), "01:30"),
        ("valid", timedelta(days=1), "24:00"),
        ("userip", "192.168.0.1", "192.168.0.1"),
        ("userip", ipaddress.ip_address("10.1.2.3"), "10.1.2.3"),
        ("userip", "2001:DB8:0:0::1", "2001:db8::1"),
        ("pp", 123456, "123456"),
        ("pp", "42", "42"),
        ("subj", "", ""),
    ],
)
def test_shaped_values_accepted(name: str, value: object, expected: str) -> None:
    assert one(**{name: value}) == expected


@pytest.mark.parametrize("voice", ["m", "m2", "m3", "m4", "w", "w2", "w3", "w4"])
def test_every_voice_of_the_page(voice: str) -> None:
    assert one(voice=voice) == voice
    assert one(voice=f"{voice},de") == f"{voice},de"


@pytest.mark.parametrize(
    "name, value, says",
    [
        ("apikey", "", "printable ASCII"),
        ("apikey", "a key", "printable ASCII"),
        ("apikey", "ключ", "printable ASCII"),
        ("apikey", 123, "expected a str"),
        ("bot", "smsc_bot", "'@name_bot'"),
        ("bot", "@smsc", "'@name_bot'"),
        ("bot", "@b_bot bot", "'@name_bot'"),
        ("fileurl", "ftp://example.com/a.jpg", "full http(s) URL"),
        ("fileurl", "example.com/a.jpg", "full http(s) URL"),
        ("fileurl", "https://", "full http(s) URL"),
        ("fileurl", "http://[::1/a", "full http(s) URL"),
        ("fileurl", "https://example.com/\udc80", "lone surrogate"),
        ("voice", "x", "m, m2, m3, m4, w, w2, w3 or w4"),
        ("voice", "m5", "m, m2"),
        ("voice", "", "m, m2"),
        ("voice", "w,french", "two-letter code"),
        ("voice", "w,", "two-letter code"),
        ("voice", ("w", "fr"), "expected a str"),
        ("param", (100, 60, 3), "w=100 is out of 0..99"),
        ("param", (25, 3601, 3), "i=3601 is out of 0..3600"),
        ("param", (25, 60, 10), "n=10 is out of 0..9"),
        ("param", (-1, 60, 3), "w=-1"),
        ("param", "25,60", "three whole numbers"),
        ("param", "25,60,3,1", "three whole numbers"),
        ("param", "a,b,c", "three whole numbers"),
        ("param", "25;60;3", "three whole numbers"),
        ("param", (25, 60.0, 3), "three whole numbers"),
        ("param", (True, 60, 3), "three whole numbers"),
        ("param", [25, 60, 3], "expected 'w,i,n' or a tuple"),
        ("valid", 0, "1..24 hours"),
        ("valid", 25, "1..24 hours"),
        ("valid", "00:00", "out of 00:01..24:00"),
        ("valid", "24:01", "out of 00:01..24:00"),
        ("valid", "12:60", "minutes 00..59"),
        ("valid", "1:00", "'hh:mm'"),
        ("valid", timedelta(0), "out of 00:01..24:00"),
        ("valid", timedelta(hours=25), "out of 00:01..24:00"),
        ("valid", timedelta(seconds=90), "not a whole number of minutes"),
        ("valid", True, "expected an int, 'hh:mm' or a timedelta"),
        ("valid", 1.5, "expected an int, 'hh:mm' or a timedelta"),
        ("userip", "999.1.1.1", "not an IPv4 or IPv6 address"),
        ("userip", "localhost", "not an IPv4 or IPv6 address"),
        ("userip", 3232235521, "expected an IP address"),
        ("pp", 0, "partner id"),
        ("pp", "0123", "partner id"),
        ("pp", "abc", "partner id"),
        ("pp", True, "partner id"),
        ("subj", 5, "expected a str"),
        ("subj", "\ud800", "lone surrogate"),
        ("imgcode", b"x", "expected a str"),
    ],
)
def test_shaped_values_refused(name: str, value: object, says: str) -> None:
    extra = {"userip": "10.0.0.1"} if name == "imgcode" else {}
    refusal(field=name, says=(f"{name}:", says), **{name: value}, **extra)


@given(st.tuples(st.integers(0, 99), st.integers(0, 3600), st.integers(0, 9)))
def test_param_round_trip(triple: Tuple[int, int, int]) -> None:
    written = one(param=triple)
    assert tuple(map(int, written.split(","))) == triple
    assert one(param=written) == written


@given(st.integers(1, 24 * 60))
def test_valid_timedelta_round_trip(minutes: int) -> None:
    hours, mins = map(int, one(valid=timedelta(minutes=minutes)).split(":"))
    assert hours * 60 + mins == minutes


# --- list ---------------------------------------------------------------------------------


def test_list_of_phones_and_messages() -> None:
    written = one(list=[("79991234567", "Hello"), (["79997654321", "+380501234567"], "Привет")])
    assert written == "79991234567:Hello\n79997654321,+380501234567:Привет"


def test_list_newline_inside_a_message_is_written_backslash_n() -> None:
    assert one(list=[("79991234567", "line 1\nline 2\r\nline 3")]) == "79991234567:line 1\\nline 2\\nline 3"


def test_list_with_sender_and_tz() -> None:
    entries = [("ivan", 2, "79991234567", "a"), ("shop", None, "79997654321", "b"), (None, None, "G5", "c")]
    assert one(list=entries) == "ivan,2|79991234567:a\nshop|79997654321:b\nG5:c"


def test_list_accepts_any_iterable_of_entries() -> None:
    assert format_list(iter([("79991234567", "x:y")])) == "79991234567:x:y"


@pytest.mark.parametrize(
    "entries, says",
    [
        ([], "no entries"),
        ([("79991234567",)], "list entry 0: expected (phones, mes) or (sender, tz, phones, mes)"),
        ([("79991234567", "a"), ["79991234567", "b"]], "list entry 1"),
        ([("79991234567", "a", "b")], "list entry 0"),
        ([(None, 3, "79991234567", "a")], "a tz needs a sender"),
        ([("123", "a")], "'123' has 3 digits"),
        ([("ivan@example.com", "a")], "mail=1"),
        ([("79991234567", "x" * 1001)], "at most 1000"),
        ([("79991234567", 5)], "must be a str"),
        ([("Shop,Ltd", None, "79991234567", "a")], "holds ','"),
        ([("ivan", 12, "79991234567", "a")], "-15..11"),
        (("79991234567", "a"), "expected a str or an iterable of entries"),
        (5, "expected a str or an iterable of entries"),
        ("79991234567 hello", "has no ':'"),
        ("79991234567:a\n", "line 1 '' has no ':'"),
        ("ivan,x|79991234567:a", "tz 'x' is not whole hours"),
        ("ivan,20|79991234567:a", "-15..11"),
        ("bad sender!!|79991234567:a", "characters long"),
        ("12:a", "has 2 digits"),
    ],
)
def test_list_refused(entries: object, says: str) -> None:
    refusal(field="list", says=("list", says), list=entries)


def test_list_as_the_pages_text_is_checked_and_kept() -> None:
    text = "ivan,2|79991234567:Hello\\nthere\n79997654321,G5:Bye: see you"
    assert one(list=text) == text


def test_list_email_and_telegram_recipients_follow_mail_and_tg() -> None:
    assert parse_qs(build_query(mail=1, list=[("ivan@example.com", "hi")]))["list"] == ["ivan@example.com:hi"]
    assert parse_qs(build_query(tg=True, list="@ivan_petrov:1234"))["list"] == ["@ivan_petrov:1234"]
    assert parse_qs(build_query(bot="@shop_bot", list=[("#42", "hi")]))["list"] == ["#42:hi"]
    refusal(field="list", says="tg=1 or bot=", mail=1, list=[("#42", "hi")])


@pytest.mark.parametrize(
    "extended, expected",
    [
        ({}, {"allow_email": False, "allow_telegram": False}),
        ({"mail": 1}, {"allow_email": True, "allow_telegram": False}),
        ({"mail": False, "tg": True}, {"allow_email": False, "allow_telegram": True}),
        ({"bot": "@shop_bot"}, {"allow_email": False, "allow_telegram": True}),
        ({"bot": None, "tg": 0}, {"allow_email": False, "allow_telegram": False}),
    ],
)
def test_recipient_options(extended: Dict[str, Any], expected: Dict[str, bool]) -> None:
    assert recipient_options(extended) == expected


def xml_ok(text: str) -> bool:
    return not re.search("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]", text)


#: Message texts the service takes: no control characters but tab/LF/CR, no U+FFFE/U+FFFF.
MESSAGES = st.text(st.characters(exclude_categories=("Cs", "Cc")) | st.sampled_from("\t\n\r"),
                   max_size=200).filter(xml_ok)


LIST_MESSAGES = MESSAGES.filter(lambda m: "\\n" not in m)  # a literal backslash-n is refused in list (issue 12)


@given(st.lists(st.tuples(st.from_regex(r"\+?[0-9]{7,15}", fullmatch=True), LIST_MESSAGES), min_size=1, max_size=10))
def test_list_lines_match_entries(entries: List[Tuple[str, str]]) -> None:
    lines = one(list=entries).split("\n")
    assert len(lines) == len(entries)
    for line, (phones, mes) in zip(lines, entries):
        phones_part, _, text = line.partition(":")
        assert phones_part == phones
        assert text == re.sub(r"\r\n|\r|\n", lambda _: "\\n", mes)


#: Recipients and texts around plain_line's edges: digits of every length near the limits, a
#: "+", separators, spaces, non-ASCII digits, groups; texts up to past the length limit, with and
#: without newlines, backslash-n, control and unprintable characters.
EDGE_PHONES = (st.integers(5, 17).flatmap(lambda n: st.text("0123456789", min_size=n, max_size=n))
               | st.from_regex(r"\+[0-9]{6,16}", fullmatch=True)
               | st.text(st.sampled_from("0123456789+,; G\u0663\uff11@a"), max_size=18)
               | st.lists(st.from_regex(r"[0-9]{7,15}", fullmatch=True), max_size=2).map(tuple))
EDGE_TEXTS = (st.text(st.characters(categories=["L", "N", "P", "S", "Zs"]), max_size=40)
              | st.text(max_size=30)
              | st.sampled_from(["", "a" * 1000, "a" * 1001, "\u00e9" * 1000 + "!", "line\nbreak", "back\\nslash",
                                 "tab\there", "\u2028", "\x85", "\ufffe", "\U0001f600 ok"]))


@given(EDGE_PHONES, EDGE_TEXTS)
def test_the_plain_line_is_written_lines_own_line_or_none(phones: Union[str, Tuple[str, ...]], mes: str) -> None:
    """plain_line is a shortcut of written_line, never a rule of its own: where it writes a line,
    written_line writes the same line for the same one number; elsewhere it leaves the entry to it."""
    line = plain_line(phones, mes)
    if line is None:
        return
    assert written_line(0, (phones, mes), {"allow_email": False, "allow_telegram": False}) == (line, phones)


def test_the_plain_line_takes_the_common_entry_and_leaves_the_rest() -> None:
    assert plain_line("79991112233", "Dear customer 7, your code is 12345") == "79991112233:Dear customer 7, your code is 12345"
    assert plain_line("7" * 15, "a" * 1000) is not None
    for phones, mes in [("+79991112233", "hi"), ("7" * 16, "hi"), ("7" * 6, "hi"), ("7999,7998", "hi"),
                        ("\u0663" * 11, "hi"), (("79991112233",), "hi"), ("79991112233", "a" * 1001),
                        ("79991112233", "two\nlines"), ("79991112233", "back\\nslash"), ("79991112233", 5)]:
        assert plain_line(phones, mes) is None, (phones, mes)


# --- build_query --------------------------------------------------------------------------


def test_nothing_gives_an_empty_string() -> None:
    assert build_query() == ""
    assert build_query(None) == ""
    assert build_query("") == ""


def test_none_values_are_omitted() -> None:
    assert build_query(cost=None, subj=None, flash=1) == "flash=1"  # type: ignore[arg-type]


def test_the_order_is_the_tables_whatever_the_keywords_order() -> None:
    assert build_query(op=0, cost=2, tz=3) == build_query(tz=3, cost=2, op=0) == "tz=3&cost=2&op=0"


def test_plus_space_and_structure_characters_are_percent_encoded() -> None:
    assert build_query(subj="+1 & a=b; 50% #x") == "subj=%2B1%20%26%20a%3Db%3B%2050%25%20%23x"


def test_unknown_name_suggests_the_closest_known_one() -> None:
    refusal(field="cots", says="unknown extended parameter 'cots'; did you mean 'cost'?", cots=1)
    refusal(field="whatsap", says="did you mean 'whatsapp'?", whatsapp=1, whatsap=1)


def test_unknown_name_with_nothing_close_points_at_the_raw_string() -> None:
    refusal(field="fl_5", says=("unknown extended parameter 'fl_5'", "raw query"), fl_5=1)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("fl%5B5%5D=1", "cost=1&fl%5B5%5D=1"),
        ("fl[5]=1&sender2=ivan", "cost=1&fl[5]=1&sender2=ivan"),
        ("&&mes2=hi%20there&", "cost=1&mes2=hi%20there"),
        ("tpl=", "cost=1&tpl="),
        ("x_custom=utf-8", "cost=1&x_custom=utf-8"),
    ],
)
def test_raw_string_is_appended(raw: str, expected: str) -> None:
    assert build_query(raw, cost=1) == expected


@pytest.mark.parametrize(
    "raw, field, says",
    [
        ("cost=3", "cost", "given both as a keyword and in the raw string"),
        ("subj=hi", "subj", "pass 'subj' as a keyword (subj=...) so that it is validated"),
        ("su%62j=hi", "subj", "pass 'subj' as a keyword"),
        ("tpl=1&tpl=2", "query", "'tpl' appears twice"),
        ("fmt", "query", "'fmt' is not name=value"),
        ("=1", "query", "'=1' is not name=value"),
        ("a-b=1", "query", "not name=value"),
        ("mes2=hi there", "query", "not URL-encoded: ' ' at position 7"),
        ("mes2=привет", "query", "not URL-encoded: 'п'"),
        ("mes2=50%", "query", "a '%' not followed by two hex digits at position 7"),
        ("mes2=a#b", "query", "not URL-encoded: '#'"),
        ("mes2=a\nb", "query", "not URL-encoded"),
        (b"fmt=1", "query", "query must be a str"),
    ],
)
def test_raw_string_refused(raw: Union[str, bytes], field: str, says: str) -> None:
    refusal(field=field, says=says, raw=raw, cost=3)


# --- the round trip that matters: the server reads back exactly what was given -----------

UNKNOWN_NAMES = st.sampled_from(["sender2", "mes2", "tpl", "fl[5]", "x_custom"])
NASTY = st.text(alphabet=st.sampled_from("+&=%;,\n #?/:@[]\\'\"aZ09 привет😀\t~")) | st.text()


@given(subj=NASTY, imgcode=NASTY, query_part=NASTY, raw=st.dictionaries(UNKNOWN_NAMES, NASTY, max_size=4))
def test_any_string_value_round_trips(subj: str, imgcode: str, query_part: str, raw: Dict[str, str]) -> None:
    fileurl = "https://example.com/a.jpg?" + query_part
    raw_string = "&".join(f"{quote(name)}={quote(value, safe='')}" for name, value in raw.items())
    query = build_query(raw_string, subj=subj, imgcode=imgcode, userip="10.0.0.1", fileurl=fileurl)
    assert query.isascii()
    expected = {"subj": [subj], "imgcode": [imgcode], "userip": ["10.0.0.1"], "fileurl": [fileurl]}
    expected.update({name: [value] for name, value in raw.items()})
    assert parse_qs(query, keep_blank_values=True) == expected


@given(mes=LIST_MESSAGES.filter(lambda m: not re.search("[\r\n]", m)), sender=st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,10}", fullmatch=True),
       tz=st.integers(-15, 11))
def test_list_round_trips_through_the_encoding(mes: str, sender: str, tz: int) -> None:
    query = build_query(list=[(sender, tz, "79991234567", mes)])
    assert parse_qs(query, keep_blank_values=True) == {"list": [f"{sender},{tz}|79991234567:{mes}"]}


# mypy infers the one-element tuple ("Cs",) as tuple[str], not as a tuple of the category Literal.
@given(st.text(st.characters(exclude_categories=("Cs",))) | st.text("%25 ab\n,:/@~&+"))  # type: ignore[arg-type]
def test_encode_value_writes_what_quote_writes(text: str) -> None:
    # A value (a bulk send's whole list) is encoded by one replace per distinct byte; what goes
    # on the wire is exactly urllib's quote with the query's safe characters.
    assert encode_value(text) == quote(text, safe=",:/@")
    assert encoded_length(text) == len(quote(text, safe=",:/@"))


def test_encode_value_refuses_what_utf8_cannot_carry_as_quote_does() -> None:
    with pytest.raises(UnicodeEncodeError):
        quote("a\ud800", safe=",:/@")
    with pytest.raises(UnicodeEncodeError):
        encode_value("a\ud800")
