"""Every datetime in a result is aware (issue 12, point 5): the service writes last_date and
send_date in Moscow time (004:66 "Вказується щодо московського часу"; 004:366 last_date
"DD.MM.YYYY HH:mm: ss" with no zone), and ``--json`` prints the offset."""
from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path


from smsc_soap import Client, results, spec
from smsc_soap.sandbox import Account, Sandbox
from test_cli import smsc


def test_the_service_time_zone_is_named_once() -> None:
    assert spec.SERVICE_TIME_ZONE == "Europe/Moscow"
    assert datetime(2024, 7, 1, tzinfo=results.service_time_zone()).utcoffset() == timedelta(hours=3)


def test_every_datetime_of_a_status_is_aware() -> None:
    with Sandbox([Account("alex", "123", Decimal("10"))]) as sb:
        client = Client("alex", "123", url=sb.url)
        sent = client.send_sms("79999999999", "Hi")
        status = client.get_status("79999999999", sent.id, all=1)
    moments = [value for value in (getattr(status, f.name) for f in dataclasses.fields(status))
               if isinstance(value, datetime)]
    assert {"last_date", "send_date"} <= {f.name for f in dataclasses.fields(status)
                                          if isinstance(getattr(status, f.name), datetime)}
    assert moments and all(moment.utcoffset() is not None for moment in moments)
    assert status.send_date is not None and status.send_date.utcoffset() == timedelta(hours=3)
    assert abs(status.send_date - datetime.fromtimestamp(sb.now(), timezone.utc)) < timedelta(seconds=2)


def test_json_prints_offsets() -> None:
    result = smsc("send", "--sandbox", "--json", "79999999999", "Hi")
    status = json.loads(result.stdout.splitlines()[-1])
    assert status["last_date"].endswith("+03:00"), status


def test_without_a_zone_database_the_fixed_offset_is_used() -> None:
    code = ("import sys, zoneinfo; sys.modules['zoneinfo'] = None\n"
            "from smsc_soap import results; from datetime import timedelta\n"
            "zone = results.service_time_zone(); print(zone.utcoffset(None) == timedelta(hours=3))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "True", done.stderr


def test_tzdata_is_a_windows_dependency() -> None:
    pyproject = (Path(__file__).parent.parent / "pyproject.toml").read_text(encoding="utf-8")
    assert '"tzdata; sys_platform == \'win32\'"' in pyproject


def test_statuses_mailings_and_exports_carry_one_zone() -> None:
    """One Moscow zone for every date the service writes (spec.SERVICE_TIME_ZONE), not a fixed
    offset on some and the zone database's on others."""
    from smsc_soap import spec
    from smsc_soap.http_api.dates import service_datetime

    status = results.StatusResult.from_raw({"status": "1", "err": "0", "last_date": "01.07.2024 10:00:00"})
    page = service_datetime("01.07.2024 10:00:00")
    assert page is not None and status.last_date is not None
    assert page.tzinfo == status.last_date.tzinfo and page == status.last_date
    assert getattr(page.tzinfo, "key", spec.SERVICE_TIME_ZONE) == spec.SERVICE_TIME_ZONE
