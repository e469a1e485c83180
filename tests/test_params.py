"""The base SOAP fields: what each accepts, the exact string it writes, and every refusal."""
from __future__ import annotations

import math
from datetime import date, datetime, timedelta, timezone
from typing import Callable, List, Optional, Tuple, Union

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsc_soap.errors import ValidationError
from smsc_soap.params import (
    ID_MAX_INT,
    SENDER_SYMBOLS,
    all_field,
    id_field,
    mes_field,
    Phones,
    TimeValue,
    phone_field,
    phones_field,
    sender_field,
    time_field,
)

Says = Union[str, Tuple[str, ...]]


def refusal(call: Callable[..., object], *args: object, field: str, says: Says, **kwargs: object) -> ValidationError:
    """Assert ``call`` raises ValidationError for ``field`` with every text of ``says``."""
    with pytest.raises(ValidationError) as info:
        call(*args, **kwargs)
    assert info.value.field == field
    for text in (says,) if isinstance(says, str) else says:
        assert text in str(info.value)
    return info.value


# --- phones --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "phones, expected",
    [
        ("79991234567", "79991234567"),
        ("+79991234567", "+79991234567"),
        ("79991234567,79997654321", "79991234567,79997654321"),
        ("79991234567; +79997654321 ,G12", "79991234567,+79997654321,G12"),
        (["79991234567", "+380501234567", "G3"], "79991234567,+380501234567,G3"),
        (("1234567",), "1234567"),
        ("123456789012345", "123456789012345"),
        (" 79991234567 ", "79991234567"),
    ],
)
def test_phones_accepted(phones: Phones, expected: str) -> None:
    assert phones_field(phones) == expected


def test_phones_accepts_a_generator() -> None:
    assert phones_field(p for p in ["79991234567", "79997654321"]) == "79991234567,79997654321"


@pytest.mark.parametrize(
    "phones, says",
    [
        ("", "no recipient"),
        ("   ", "no recipient"),
        ([], "no recipient"),
        ("79991234567,,79997654321", "empty entry"),
        ("79991234567;", "empty entry"),
        (["79991234567", " "], "empty recipient"),
        (["79991234567,79997654321"], "one recipient per item"),
        ([79991234567], "must be a str"),
        (79991234567, "must be a str or an iterable"),
        (b"79991234567", "must be a str or an iterable"),
        ("123456", "'123456' has 6 digits; a phone number has 7..15"),
        ("1234567890123456", "has 16 digits"),
        ("+7 (999) 123-45-67", ("formatting characters", "'+79991234567'")),
        ("8-999-123-45-67", "'89991234567'"),
        ("++79991234567", "not a phone number"),
        ("\u0667\u0669\u0669\u0669\u0661\u0662\u0663\u0664\u0665\u0666\u0667", "not a phone number"),
        ("g12", "not a phone number"),
        ("hi!", "not a phone number"),
        ("ivan@example.com", ("'ivan@example.com' is not a valid phone number", "as an e-mail address", "mail=1",
                              "allow_email=True")),
        ("o9991234567", ("'o9991234567' is not a valid phone number", "telegram", "allow_telegram=True")),
        ("#79991234567", ("'#79991234567' is not a valid phone number", "telegram")),
        ("@ivan_petrov", ("telegram", "tg=1 or bot=", "allow_telegram=True")),
        ("#123456789", ("telegram", "tg=1")),
    ],
)
def test_phones_refused(phones: object, says: Says) -> None:
    refusal(phones_field, phones, field="phones", says=says)


def test_phones_error_names_the_bad_entry_in_a_list() -> None:
    refusal(phones_field, "79991234567,12x45,79997654321", field="phones", says="'12x45'")


@pytest.mark.parametrize("entry", ["ivan@example.com", "a.b-c+tag@mail.example.co.uk"])
def test_emails_need_allow_email(entry: str) -> None:
    assert phones_field(["79991234567", entry], allow_email=True) == f"79991234567,{entry}"
    refusal(phones_field, entry, field="phones", says="mail=1", allow_telegram=True)


@pytest.mark.parametrize("entry", ["@ivan_petrov", "ivan_petrov", "#123456789"])
def test_telegram_recipients_need_allow_telegram(entry: str) -> None:
    assert phones_field(entry, allow_telegram=True) == entry
    refusal(phones_field, entry, field="phones", says="tg=1", allow_email=True)


def test_a_bad_email_is_refused_even_with_allow_email() -> None:
    refusal(phones_field, "ivan@localhost", field="phones", says="not a phone number", allow_email=True)


def test_the_error_field_can_be_renamed() -> None:
    with pytest.raises(ValidationError) as info:
        phones_field("x", field="list")
    assert info.value.field == "list"
    assert str(info.value).startswith("list: 'x'")


phone_numbers = st.from_regex(r"\+?[0-9]{7,15}", fullmatch=True)
groups = st.from_regex(r"G[0-9]{1,10}", fullmatch=True)


@given(st.lists(phone_numbers | groups, min_size=1, max_size=20), st.sampled_from([",", ";", " , ", "; "]))
def test_phones_round_trip(entries: List[str], separator: str) -> None:
    joined = phones_field(entries)
    assert joined.split(",") == entries
    assert phones_field(separator.join(entries)) == joined
    assert phones_field(joined) == joined


# --- phone (get_status) -------------------------------------------------------------------


def test_phone_takes_one_recipient() -> None:
    assert phone_field("79991234567") == "79991234567"
    assert phone_field(" +79991234567 ") == "+79991234567"
    assert phone_field("ivan@example.com", allow_email=True) == "ivan@example.com"
    assert phone_field("#42", allow_telegram=True) == "#42"


@pytest.mark.parametrize(
    "phone, says",
    [
        ("79991234567,79997654321", "exactly one recipient"),
        ("79991234567;", "exactly one recipient"),
        ("", "no recipient"),
        ("G5", "contact group"),
        (79991234567, "must be a str"),
        (["79991234567"], "must be a str"),
        ("12", "has 2 digits"),
        ("ivan@example.com", "mail=1"),
    ],
)
def test_phone_refused(phone: object, says: Says) -> None:
    refusal(phone_field, phone, field="phone", says=says)


# --- mes ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "mes",
    ["Hello world!", "", "Привет, мир", "line 1\nline 2\r\n\tend", "emoji \U0001F600", "x" * 1000,
     "text\n~~~\ncomment", "\ue000\ufffd"],
)
def test_mes_accepted_unchanged(mes: str) -> None:
    assert mes_field(mes) == mes


@pytest.mark.parametrize(
    "mes, says",
    [
        ("x" * 1001, "1001 characters long; the service takes at most 1000"),
        ("bell\x07", "U+0007 at position 4"),
        ("\x00", "U+0000"),
        ("a\ud800b", "U+D800 at position 1"),
        ("\ufffe", "U+FFFE"),
        ("\uffff", "U+FFFF"),
        (b"bytes", "must be a str"),
        (None, "must be a str"),
        (42, "must be a str"),
    ],
)
def test_mes_refused(mes: object, says: Says) -> None:
    refusal(mes_field, mes, field="mes", says=says)


_ANY_CHARACTER = st.one_of(st.characters(blacklist_categories=()),  # surrogates too
                           st.sampled_from("\x00\x07\x0b\x1f\t\n\r \ud800\udfff\ufffd\ufffe\uffff\ue000"))


@given(st.text(_ANY_CHARACTER, max_size=20))
def test_mes_is_refused_exactly_when_xml_cannot_carry_a_character(mes: str) -> None:
    # XML 1.0's Char production, read plainly; the check takes a printable text at once
    carried = all(c in "\t\n\r" or " " <= c <= "\ud7ff" or "\ue000" <= c <= "\ufffd" or c >= "\U00010000" for c in mes)
    try:
        accepted = mes_field(mes) == mes
    except ValidationError:
        accepted = False
    assert accepted == carried


# --- id -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        (None, None),
        (1, "1"),
        (ID_MAX_INT, "2147483647"),
        ("order-42.a_b", "order-42.a_b"),
        ("x" * 40, "x" * 40),
        ("007", "007"),
    ],
)
def test_id_accepted(value: Union[int, str, None], expected: Optional[str]) -> None:
    assert id_field(value) == expected


@pytest.mark.parametrize(
    "value, says",
    [
        (0, "out of range 1..2147483647"),
        # a digit string is the 32-bit number of 004:35 too (spec.ID_INT_RANGE; issue 12 point 3)
        ("0", "a number out of range 1..2147483647"),
        ("2147483648", "a number out of range"),
        (-5, "out of range"),
        (ID_MAX_INT + 1, "out of range"),
        (True, "must be an int or a str"),
        (1.0, "must be an int or a str"),
        ("", "pass None"),
        ("x" * 41, "41 characters long; at most 40"),
        ("a b", "holds ' '"),
        ("заказ", "holds 'з'"),
        ("a/b", "Latin letters, digits and '.', '-', '_'"),
    ],
)
def test_id_refused(value: object, says: Says) -> None:
    refusal(id_field, value, field="id", says=says)


# digit strings are numbers and must be in range too (spec.ID_INT_RANGE), hence the filter
@given(st.integers(1, ID_MAX_INT) | st.from_regex(r"[A-Za-z0-9._-]{1,40}", fullmatch=True).filter(
    lambda s: not s.isdigit() or 1 <= int(s) <= ID_MAX_INT))
def test_id_round_trip(value: Union[int, str]) -> None:
    written = id_field(value)
    assert written == str(value)
    assert id_field(written) == written


# --- sender -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sender", [None, "ivan", "SMSC.RU", "My Shop", "A1-B2_C3", "12345678901", "123456789012345", "Shop!", "x"]
)
def test_sender_accepted_unchanged(sender: Optional[str]) -> None:
    assert sender_field(sender) == sender


def test_every_allowed_symbol_is_accepted_inside_a_name() -> None:
    for symbol in SENDER_SYMBOLS:
        assert sender_field(f"a{symbol}b") == f"a{symbol}b"


@pytest.mark.parametrize(
    "sender, says",
    [
        ("", "pass None"),
        ("ShopNameLong", "12 characters long; at most 11 (or 15 digits)"),
        ("1234567890123456", "16 digits; at most 15"),
        ("Shop,Ltd", "holds ','"),
        ("a|b", "holds '|'"),
        ("a:b", "holds ':'"),
        ("Магазин", "holds 'М'"),
        ("Shop\n", "holds '\\n'"),
        (" ivan", "starts or ends with a space"),
        ("ivan ", "starts or ends with a space"),
        (123, "must be a str"),
    ],
)
def test_sender_refused(sender: object, says: Says) -> None:
    refusal(sender_field, sender, field="sender", says=says)


# --- time ---------------------------------------------------------------------------------

MSK = timezone(timedelta(hours=3))


@pytest.mark.parametrize(
    "value, expected",
    [
        (None, None),
        (0, "0"),
        (1700000000, "01700000000"),
        (10 ** 9, "01000000000"),
        (datetime(2024, 12, 1, 15, 30), "0112241530"),
        (datetime(2024, 12, 1, 15, 30, 59, 999), "0112241530"),
        (datetime(2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc), "01700000000"),
        (datetime(2023, 11, 15, 1, 13, 20, 500000, tzinfo=MSK), "01700000000"),
        (timedelta(minutes=1), "+1"),
        (timedelta(hours=2), "+120"),
        (timedelta(days=1), "+1440"),
        ((9, 21), "9-21"),
        ((0, 24), "0-24"),
        ("0", "0"),
        ("0112241530", "0112241530"),
        ("01.12.24 15:30", "01.12.24 15:30"),
        ("01.12.24 15: 30", "01.12.24 15: 30"),  # the page's own spelling (004:45; spec.TIME_DOTTED)
        ("2902240000", "2902240000"),
        ("01700000000", "01700000000"),
        ("+5", "+5"),
        ("+05", "+05"),
        ("9-21", "9-21"),
        ("09-21", "09-21"),
        ("0-24", "0-24"),
    ],
)
def test_time_accepted(value: TimeValue, expected: Optional[str]) -> None:
    assert time_field(value) == expected


@pytest.mark.parametrize(
    "value, says",
    [
        (True, "a bool is not a time"),
        (-1, "negative"),
        (5, ("before 2001-09-09", "use 0 to send now")),
        (999999999, "before 2001-09-09"),
        (datetime(2001, 1, 1, tzinfo=timezone.utc), "before 2001-09-09"),
        (datetime(1999, 12, 31, 23, 0), "year 1999 cannot be written as YY"),
        (datetime(2100, 1, 1), "year 2100"),
        (date(2024, 12, 1), "pass a datetime"),
        (timedelta(0), "at least one minute"),
        (timedelta(minutes=-5), "at least one minute"),
        (timedelta(seconds=90), "not a whole number of minutes"),
        ((21, 9), "needs 0 <= h1 < h2 <= 24"),
        ((9, 9), "h1 < h2"),
        ((0, 25), "h1 < h2 <= 24"),
        ((-1, 5), "0 <= h1"),
        ((9,), "pair of ints"),
        ((9.0, 21), "pair of ints"),
        ((True, 21), "pair of ints"),
        ("3102241530", ("31.02.2024", "not a real moment")),
        ("0113241530", "not a real moment"),
        ("2902230000", "not a real moment"),
        ("0112242430", "not a real moment"),
        ("0112241560", "not a real moment"),
        ("31.04.24 10:00", "not a real moment"),
        ("01.12.24 15:  30", "none of the forms"),
        ("01.12.24 5:30", "none of the forms"),
        ("1.12.24 15:30", "none of the forms"),
        ("+0", "at least one minute"),
        ("+", "none of the forms"),
        ("-5", "none of the forms"),
        ("0999", "before 2001-09-09"),
        ("21-9", "h1 < h2"),
        ("9-25", "h2 <= 24"),
        ("9 - 21", "none of the forms"),
        ("", "none of the forms"),
        ("now", "none of the forms"),
        (" 0", "none of the forms"),
        ("\u0661\u0662-\u0661\u0663", "none of the forms"),
        (1.5, "unsupported type float"),
        ([9, 21], "unsupported type list"),
    ],
)
def test_time_refused(value: object, says: Says) -> None:
    refusal(time_field, value, field="time", says=says)


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31, 23, 59)))
def test_naive_datetime_round_trip(moment: datetime) -> None:
    written = time_field(moment)
    assert written is not None
    day, month, year, hour, minute = (int(written[i:i + 2]) for i in range(0, 10, 2))
    assert datetime(2000 + year, month, day, hour, minute) == moment.replace(second=0, microsecond=0)
    assert time_field(written) == written


@given(st.datetimes(min_value=datetime(2001, 9, 10), max_value=datetime(2200, 1, 1), timezones=st.timezones()))
def test_aware_datetime_round_trip(moment: datetime) -> None:
    written = time_field(moment)
    assert written is not None
    assert written[0] == "0"
    assert int(written[1:]) == math.floor(moment.timestamp())
    assert time_field(written) == written


# up to the year 9999 (spec.TIME_LATEST_TIMESTAMP; 10**12 went past it)
@given(st.integers(10 ** 9, 253402300799))
def test_timestamp_round_trip(ts: int) -> None:
    assert time_field(ts) == f"0{ts}"
    assert time_field(f"0{ts}") == f"0{ts}"


def test_timestamp_after_the_year_9999_is_refused() -> None:
    refusal(time_field, 253402300800, field="time", says="after the year 9999")
    refusal(time_field, "0253402300800", field="time", says="after the year 9999")


@given(st.integers(1, 10 ** 6))
def test_timedelta_round_trip(minutes: int) -> None:
    assert time_field(timedelta(minutes=minutes)) == f"+{minutes}"
    assert time_field(f"+{minutes}") == f"+{minutes}"


@given(st.integers(0, 23).flatmap(lambda h1: st.tuples(st.just(h1), st.integers(h1 + 1, 24))))
def test_hour_window_round_trip(window: Tuple[int, int]) -> None:
    written = time_field(window)
    assert written is not None
    assert tuple(map(int, written.split("-"))) == window
    assert time_field(written) == written


# --- all ----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, 1, 2])
def test_all_accepted(value: int) -> None:
    assert all_field(value) == str(value)


@pytest.mark.parametrize("value", [3, -1, True, "1", None, 1.0])
def test_all_refused(value: object) -> None:
    refusal(all_field, value, field="all", says="all must be 0, 1 or 2")


@pytest.mark.parametrize("huge", [10 ** 5000, -(10 ** 5000), "9" * 5000], ids=["int", "negative", "digits"])
def test_an_id_of_thousands_of_digits_is_a_validation_error(huge: object) -> None:
    # Python refuses int <-> str conversions of more than 4300 digits with a plain ValueError.
    with pytest.raises(ValidationError) as info:
        id_field(huge)  # type: ignore[arg-type]
    assert info.value.field == "id"
    assert len(str(info.value)) < 200


def test_the_xml_check_refuses_exactly_what_xml_1_0_cannot_carry() -> None:
    """params' check (cheap to set up: no character class of surrogates) is the complement of
    XML 1.0's Char."""
    from smsc_soap.params import _uncarried

    def xml_char(c: int) -> bool:
        return c in (0x9, 0xA, 0xD) or 0x20 <= c <= 0xD7FF or 0xE000 <= c <= 0xFFFD or 0x10000 <= c <= 0x10FFFF

    wrong = [c for c in range(0x110000) if (_uncarried(chr(c), True) is None) != xml_char(c)]
    assert wrong == []
