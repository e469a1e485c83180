"""The mass mailings of page 000 on the sandbox (``/sys/jobs.php``).

A mailing is sent through the service's own send_sms2 logic, once per repeat, so its messages
are validated, billed, scheduled and reported by get_status like any send. ASSUMPTIONS of the
sandbox (page 000 does not say): every repeat is created, scheduled and billed when the mailing
is added; cancelling removes (and refunds) the repeats still waiting; a repeating mailing without
``rptn`` is sent :data:`MAX_REPEATS` times; ``tpl`` N's text is "Template N"; charsets other than
utf-8 are not modelled (the sandbox reads every form as UTF-8).
"""
from __future__ import annotations

import calendar
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Deque, Dict, List, Mapping, Optional, Sequence, Tuple
from urllib.parse import urlencode

from .. import spec
from . import tables as T
from .exports import service_date
from .forms import Upload, whole
from .page_answers import CONTENT_TYPES, PageAnswer, render
from .refusal import Refused

#: How many times a repeating mailing without rptn is sent (ASSUMPTION, the sandbox's own bound).
MAX_REPEATS = 12
#: ASSUMPTION (the sandbox's own bound): at most this many sends of one mailing are scheduled
#: (a large rptn, 000:106, is taken; the sends after these are not modelled).
MAX_SCHEDULED = 1000
#: The form fields that are the mailing's, not its messages'.
_MAILING_ONLY = {"add", "login", "psw", "apikey", "fmt", "name", "rpt", "rptn", "sender2", "mes2", "tpl",
                 "charset", spec.MES2_FLAG, "cost"}
_BASE_FIELDS = ("phones", "mes", "sender", "time")
_MOSCOW = timezone(timedelta(hours=spec.MOSCOW_UTC_OFFSET_HOURS))


def next_moment(moment: float, rpt: int) -> float:
    """The send after ``moment`` for repeat period ``rpt`` (000:97-105), on Moscow's calendar."""
    at = datetime.fromtimestamp(moment, _MOSCOW)
    if rpt == 1:
        return moment + 3600
    if rpt in (2, 3, 4):
        at += timedelta(days=1)
        while (rpt == 3 and at.weekday() >= 5) or (rpt == 4 and at.weekday() < 5):
            at += timedelta(days=1)
        return at.timestamp()
    if rpt == 5:
        return moment + 7 * 86400
    return _add_months(at, 1 if rpt == 6 else 12).timestamp()


def _add_months(at: datetime, months: int) -> datetime:
    """``at`` moved by ``months`` calendar months (negative: back), the day kept or the month's last."""
    year, month = divmod(at.month - 1 + months, 12)
    year += at.year
    day = min(at.day, calendar.monthrange(year, month + 1)[1])
    return at.replace(year=year, month=month + 1, day=day)


@dataclass
class Mailing:
    id: int
    login: str
    name: str
    created: float
    rpt: int
    rptn: Optional[int]
    moments: List[float]
    files: List[Upload]
    message_ids: List[str]
    cnt: int
    cost: Decimal
    cancelled: bool = False
    deleted: bool = False
    extra: Dict[str, str] = field(default_factory=dict)

    def record(self, now: float) -> Dict[str, str]:
        sent = sum(1 for moment in self.moments if moment <= now)
        waiting = [moment for moment in self.moments if moment > now]
        status = 2 if self.cancelled else (0 if waiting else 1)
        time = waiting[0] if waiting else (self.moments[-1] if self.moments else None)  # None: none was sent
        return {"id": str(self.id), "name": self.name, "status": str(status), "created": service_date(self.created),
                "time": "" if time is None else service_date(time), "rpt": str(self.rpt),
                "rptn": "" if self.rptn is None else str(self.rptn), "sent": str(sent), "cnt": str(self.cnt),
                "cost": str(self.cost)}


class Mailings:
    """Every account's mailings, on the service's accounts, messages and clock."""

    def __init__(self, service: Any) -> None:
        self.service = service
        self._lock = threading.Lock()
        self._mailings: List[Mailing] = []
        self._adds: Dict[Tuple[Any, ...], Deque[float]] = {}

    def handle(self, operation: str, login: str, form: Mapping[str, str], fmt: int, now: float,
               files: Sequence[Upload] = ()) -> Any:
        if operation == "jobs.add":
            return PageAnswer(CONTENT_TYPES[fmt], self._add(login, form, fmt, now, files))
        if operation == "jobs.get_all":
            records = [m.record(now) for m in self._listing(login, form, now)]
            return PageAnswer(CONTENT_TYPES[fmt], render(fmt, records, list_tag="list", item_tag="job", many=True))
        mailing = self._find(login, form.get("id", ""))
        if operation == "jobs.get":
            return PageAnswer(CONTENT_TYPES[fmt], render(fmt, [mailing.record(now)], list_tag="list",
                                                         item_tag="job", many=False))
        if operation == "jobs.cancel":
            if mailing.cancelled or not any(moment > now for moment in mailing.moments):
                raise Refused(T.ERR_PARAMS)  # ASSUMPTION: nothing waits, nothing to cancel
            self._withdraw(mailing, now)
            mailing.cancelled = True
        else:  # jobs.del
            self._withdraw(mailing, now)
            mailing.deleted = True
        return PageAnswer(CONTENT_TYPES[fmt], render(fmt, [{"id": str(mailing.id)}], list_tag="list",
                                                     item_tag="job", many=False))

    # --- add ----------------------------------------------------------------------------------

    def _add(self, login: str, form: Mapping[str, str], fmt: int, now: float, files: Sequence[Upload] = ()) -> bytes:
        _check_files(form, files)
        name = form.get("name", "").strip()
        rpt = _choice(form.get("rpt"), spec.MAILING_REPEATS, 0)
        rptn = _positive(form.get("rptn"))
        cost_mode = _choice(form.get("cost"), dict.fromkeys(spec.MAILING_COST_CHOICES), 0)
        if not name or (spec.RPTN_NEEDS_RPT and rptn is not None and rpt == 0):
            raise Refused(T.ERR_PARAMS)
        template = _positive(form.get("tpl"))
        self._check_sender2(form.get("sender2"))
        key = (login, tuple(sorted((k, v) for k, v in form.items() if k not in ("psw", "apikey"))))
        with self._lock:  # an identical add within a minute is a duplicate send (004's 9 of send)
            hits = self._adds.setdefault(key, deque())
            while hits and hits[0] <= now - spec.RATE_LIMIT_WINDOW_SECONDS:
                hits.popleft()
            if hits and cost_mode != 1:
                raise Refused(T.ERR_RATE)
        base = {name: form[name] for name in _BASE_FIELDS if name in form}
        if template is not None:
            if form.get("mes"):
                raise Refused(T.ERR_PARAMS)
            base["mes"] = f"Template {template}"
        query = {k: v for k, v in form.items() if k not in _MAILING_ONLY and k not in _BASE_FIELDS and k != "id"}
        auth = {"login": login, "psw": self.service.account(login).psw}
        priced = self._send(auth, base, dict(query, cost="1"))
        if cost_mode == 1:
            return _created(fmt, cost_mode, None, priced)
        with self._lock:
            mailing_id = len(self._mailings) + 1
        repeats = 1 if rpt == 0 else min(rptn or MAX_REPEATS, MAX_SCHEDULED)
        first = self._send(auth, dict(base, id=f"job{mailing_id}-1"), dict(query, cost="2"))  # what it cost
        moments = [self._moment_of(f"job{mailing_id}-1", login)]
        for k in range(2, repeats + 1):
            moments.append(next_moment(moments[-1], rpt))
            self._send(auth, dict(base, id=f"job{mailing_id}-{k}", time=f"0{int(moments[-1])}"), query)
        mailing = Mailing(mailing_id, login, name, now, rpt, rptn, moments, list(files),
                          [f"job{mailing_id}-{k}" for k in range(1, repeats + 1)], int(first["cnt"]),
                          Decimal(first["cost"]), extra={k: form[k] for k in ("sender2", "mes2", "tpl") if k in form})
        with self._lock:
            self._mailings.append(mailing)
            self._adds[key].append(now)
        balance = str(self.service.balance(login)) if cost_mode == 3 else None
        return _created(fmt, cost_mode, mailing_id, {"cnt": first["cnt"], "cost": first["cost"], "balance": balance})

    def _check_sender2(self, sender2: Optional[str]) -> None:
        """000:82: sender2 is the sender name of the SMS fallback, so the sender's rules hold
        (the service's own check: its error for a bad sender)."""
        self.service.check_sender(sender2)  # refused with the service's code

    def _send(self, auth: Mapping[str, str], base: Mapping[str, str], query: Mapping[str, str]) -> Dict[str, Any]:
        result: Dict[str, Any] = self.service.call("send_sms2", dict(auth, **base, query=urlencode(query)))
        if result.get("error"):
            raise Refused(int(result["error"]))
        return result

    def _moment_of(self, message_id: str, login: str) -> float:
        return float(next(m.send_at for m in self.service.messages() if m.id == message_id and m.login == login))

    def _withdraw(self, mailing: Mailing, now: float) -> None:
        """Remove the repeats still waiting, and refund them."""
        waiting = [mid for mid, moment in zip(mailing.message_ids, mailing.moments) if moment > now]
        self.service.withdraw(mailing.login, waiting)
        mailing.moments = [moment for moment in mailing.moments if moment <= now]  # empty: none was sent
        mailing.message_ids = mailing.message_ids[:len(mailing.moments)]

    # --- finding ------------------------------------------------------------------------------

    def _find(self, login: str, raw_id: str) -> Mailing:
        wanted = whole(raw_id)
        if wanted is None:
            raise Refused(T.ERR_PARAMS)
        with self._lock:
            for mailing in self._mailings:
                if mailing.login == login and mailing.id == wanted and not mailing.deleted:
                    return mailing
        raise Refused(3)

    def _listing(self, login: str, form: Mapping[str, str], now: float) -> List[Mailing]:
        """000:200-201: from ``start`` to ``end`` (dd.mm.yyyy); by default the last 2 months; at most 10
        when a date is missing (spec.MAILING_LIST_CAP_WITH_BOTH_DATES)."""
        default_start = _add_months(datetime.fromtimestamp(now, _MOSCOW), -spec.MAILING_LIST_DEFAULT_MONTHS)
        try:
            start = _day(form.get("start")) if form.get("start") else default_start.timestamp()
            end = _day(form.get("end")) + 86400 if form.get("end") else float("inf")
        except ValueError:
            raise Refused(T.ERR_PARAMS) from None
        with self._lock:
            found = [m for m in self._mailings if m.login == login and not m.deleted and start <= m.created < end]
        if form.get("start") and form.get("end") and not spec.MAILING_LIST_CAP_WITH_BOTH_DATES:
            return found
        return found[-spec.MAILING_LIST_DEFAULT_MAX:]


def _check_files(form: Mapping[str, str], files: Sequence[Upload]) -> None:
    """Files only for the channels the page gives them (spec.MAILING_FILE_CHANNELS), an MMS's of
    its types (000:129), none empty, within spec.MAILING_FILES_MAX_BYTES; else error 1."""
    if not files:
        return
    flags = {name: spec.CHANNELS[name].flag for name in spec.MAILING_FILE_CHANNELS}
    chosen = [name for name, flag in flags.items() if flag is not None and form.get(flag, "").strip() == "1"]
    if len(chosen) != 1 or any(not upload.data for upload in files) \
            or sum(len(upload.data) for upload in files) > spec.MAILING_FILES_MAX_BYTES:
        raise Refused(T.ERR_PARAMS)
    if chosen[0] == "mms" and any(upload.name.rpartition(".")[2].lower() not in spec.MMS_FILE_TYPES
                                  for upload in files):
        raise Refused(T.ERR_PARAMS)


def _day(text: Optional[str]) -> float:
    return datetime.strptime((text or "").strip(), spec.MAILING_DATE_FORMAT).replace(tzinfo=_MOSCOW).timestamp()


def _choice(raw: Optional[str], allowed: Mapping[int, Any], default: int) -> int:
    if not (raw or "").strip():
        return default
    value = whole(raw)
    if value is None or value not in allowed:
        raise Refused(T.ERR_PARAMS)
    return value


def _positive(raw: Optional[str]) -> Optional[int]:
    if not (raw or "").strip():
        return None
    value = whole(raw)
    if value is None or value < 1:
        raise Refused(T.ERR_PARAMS)
    return value


def _created(fmt: int, cost_mode: int, mailing_id: Optional[int], values: Mapping[str, Any]) -> bytes:
    """add's answer (000:172-176; spec.MAILING_ADD_FIELDS_BY_COST)."""
    import json
    names = spec.MAILING_ADD_FIELDS_BY_COST[cost_mode]
    record = {name: str(mailing_id) if name == "id" else str(values[name]) for name in names}
    if fmt == spec.FMT_JSON:
        return json.dumps({k: (int(v) if k in ("id", "cnt") else v) for k, v in record.items()}).encode()
    if fmt == spec.FMT_XML:
        return ("<result>" + "".join(f"<{k}>{v}</{k}>" for k, v in record.items()) + "</result>").encode()
    if fmt == spec.FMT_CSV:
        return ",".join(record.values()).encode()
    if cost_mode == 1:
        return f"COST - {record['cost']}, {record['cnt']} SMS".encode()
    text = f"OK - {record['cnt']} SMS, ID - {record['id']}"
    text += f", COST - {record['cost']}" if "cost" in record else ""
    text += f", BALANCE - {record['balance']}" if "balance" in record else ""
    return text.encode()
