"""The ``time`` parameter of send_sms: when a message is to be sent (seed 004, ``time``).

Formats from the page: ``DDMMYYhhmm`` or ``DD.MM.YY hh:mm``; ``h1-h2`` (an hour window);
``0<ts>`` (a Unix timestamp); ``+m`` (minutes from now); ``0`` or a past moment means now. The
first three are local to the zone ``tz`` hours from Moscow time.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Optional

from .. import spec
from .assumptions import SERVICE_UTC_OFFSET_HOURS


class BadTime(ValueError):
    """``time`` is in none of the documented formats (error 5)."""


# The forms are the page's, from spec (the page writes "DD.MM.YY hh: mm" with a stray space;
# both spellings are taken, a choice shared with the client); reading them is this module's own.
_DDMMYYHHMM = spec.TIME_DDMMYYHHMM
_DOTTED = spec.TIME_DOTTED
_WINDOW = spec.TIME_WINDOW
_TIMESTAMP = spec.TIME_TIMESTAMP
_RELATIVE = spec.TIME_OFFSET


def zone(tz_hours: int) -> timezone:
    """The time zone ``tz_hours`` from Moscow time."""
    return timezone(timedelta(hours=SERVICE_UTC_OFFSET_HOURS + tz_hours))


def _local(day: str, month: str, year: str, hour: str, minute: str, tz: timezone) -> float:
    try:
        moment = datetime(spec.TIME_CENTURY + int(year), int(month), int(day), int(hour), int(minute), tzinfo=tz)
    except ValueError as exc:
        raise BadTime(str(exc)) from None
    return moment.timestamp()


def is_absolute(value: Optional[str]) -> bool:
    """True for the two date forms DDMMYYhhmm and DD.MM.YY hh:mm, the only ones a ``list``
    line's own tz applies to (004:182)."""
    text = (value or "").strip()
    return any(form.fullmatch(text) for form in spec.LIST_TZ_TIME_FORMS)


def send_moment(value: Optional[str], now: float, tz_hours: int = 0) -> float:
    """The moment (epoch seconds) a message given ``time=value`` is sent; never before ``now``."""
    try:
        moment = _send_moment(value, now, tz_hours)
    except (OverflowError, OSError, ValueError) as exc:  # absurd numbers are bad dates too
        raise BadTime(str(exc)) from None
    if moment > _LATEST:
        raise BadTime(f"time {value!r} is too far ahead")
    return moment


#: Year 9999: later moments cannot be written as dates (spec's choice, shared with the client).
_LATEST = float(spec.TIME_LATEST_TIMESTAMP)


def _send_moment(value: Optional[str], now: float, tz_hours: int) -> float:
    text = (value or "").strip()
    if text in ("", spec.TIME_NOW):
        return now
    tz = zone(tz_hours)
    m = _DDMMYYHHMM.fullmatch(text) or _DOTTED.fullmatch(text)
    if m:
        day, month, year, hour, minute = m.groups()
        return max(now, _local(day, month, year, hour, minute, tz=tz))
    m = _WINDOW.fullmatch(text)
    if m:
        h1, h2 = int(m.group(1)), int(m.group(2))
        low, high = spec.HOUR_WINDOW
        if not low <= h1 < h2 <= high:
            raise BadTime(f"hour window {text!r} must be h1-h2 with {low} <= h1 < h2 <= {high}")
        local = datetime.fromtimestamp(now, tz)
        start = local.replace(hour=h1, minute=0, second=0, microsecond=0)
        if local < start:
            return start.timestamp()
        if local.hour < h2:
            return now
        return (start + timedelta(days=1)).timestamp()
    m = _TIMESTAMP.fullmatch(text)
    if m:
        return max(now, float(int(m.group(1))))
    m = _RELATIVE.fullmatch(text)
    if m:
        return now + 60.0 * int(m.group(1))
    raise BadTime(f"time {text!r} is in no documented format")


def format_moment(moment: float) -> str:
    """``DD.MM.YYYY hh:mm:ss`` in Moscow time, as get_status writes last_date and send_date."""
    return datetime.fromtimestamp(moment, zone(0)).strftime("%d.%m.%Y %H:%M:%S")
