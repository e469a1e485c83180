"""The dates the HTTP pages write, as aware datetimes (the zone: :data:`smsc_soap.spec.HTTP_DATE_FORMAT`'s
ASSUMPTION, Moscow time)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from .. import spec
from ..results import service_time_zone

#: The one zone of every date the service writes, SOAP results' included (spec.SERVICE_TIME_ZONE).
SERVICE_ZONE = service_time_zone()


def service_datetime(value: Optional[str]) -> Optional[datetime]:
    """``DD.MM.YYYY hh:mm:ss`` (or just the date) in the service's zone; None when empty."""
    text = (value or "").strip()
    if not text:
        return None
    for layout in (spec.HTTP_DATE_FORMAT, spec.MAILING_DATE_FORMAT, "%d.%m.%Y %H:%M"):
        try:
            return datetime.strptime(text, layout).replace(tzinfo=SERVICE_ZONE)
        except ValueError:
            continue
    raise ValueError(f"not a date of the service: {text!r}")


def page_date(value: date) -> str:
    """A date as get_all's ``start``/``end`` take it ('дд.мм.гггг', 000:200-201)."""
    if not isinstance(value, date):
        raise TypeError(f"a date is needed, got {type(value).__name__}")
    return value.strftime(spec.MAILING_DATE_FORMAT)
