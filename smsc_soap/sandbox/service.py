"""The service logic behind soap.php: accounts, billing, limits, messages and their statuses.

Pure logic, no HTTP and no XML: :meth:`Service.call` takes an operation name and the parameters a
SoapServer would hand to the PHP code (``str``, ``None`` when the element is absent, a ``list``
when it was given more than once) and returns the result fields (``str`` values, plus a list of
``{"phone", "status"}`` dicts under ``errors``). Fields left out of the result are left out of the
answer. Everything runs under one lock, on the sandbox :class:`~.clock.Clock`.
"""
from __future__ import annotations

import heapq
import hmac
import itertools
import threading
from collections import deque
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any, Deque, Dict, Iterable, List, Mapping, Optional, Sequence, Set, Tuple, Union
from urllib.parse import parse_qs

from .. import spec
from . import assumptions as A
from . import billing
from . import tables as T
from .clock import Clock
from .phones import BadPhone, dedupe, normalize, split_phones
from .forms import whole
from .refusal import Refused
from . import flood
from .sendtime import BadTime, format_moment, is_absolute, send_moment

Params = Mapping[str, Any]
Result = Dict[str, Any]

#: The operations the service answers: the seven of spec (and of the vendored WSDL).
OPERATIONS = tuple(spec.OPERATIONS)


def money(amount: Decimal) -> str:
    """Money as the answers write it: two decimals."""
    return str(amount.quantize(A.MONEY_QUANTUM))


def balance_amount(value: Union[Decimal, int, str]) -> Decimal:
    """A balance as kept: a finite number in 0..MAX_BALANCE, to two decimals; else ValueError
    (never a decimal signal or an OverflowError from an absurd number)."""
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValueError(f"balance must be a number, got {value!r}") from None
    if not amount.is_finite() or not 0 <= amount <= A.MAX_BALANCE:
        raise ValueError(f"balance must be a number from 0 to {A.MAX_BALANCE}, got {value!r}")
    return amount.quantize(A.MONEY_QUANTUM)


@dataclass
class Account:
    """A sandbox account: login, password, balance, and API keys that act for it."""

    login: str
    psw: str
    balance: Decimal = A.DEFAULT_BALANCE
    apikeys: Tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self.balance = balance_amount(self.balance)
        self.apikeys = tuple(self.apikeys)

    @classmethod
    def parse(cls, spec: str) -> "Account":
        """An account from ``LOGIN:PSW[:BALANCE]`` (the command line's ``--account``)."""
        login, sep, rest = spec.partition(":")
        if not sep or not login:
            raise ValueError(f"account must be LOGIN:PSW[:BALANCE], got {spec!r}")
        psw, balance = rest, A.DEFAULT_BALANCE
        head, sep, tail = rest.rpartition(":")
        if sep:
            try:
                Decimal(tail)
            except InvalidOperation:
                pass  # not a number: part of the password
            else:
                balance, psw = balance_amount(tail), head
        return cls(login, psw, balance)


@dataclass(frozen=True)
class SentMessage:
    """One message to one number, as the sandbox stored it; ``status``/``err`` are as of now."""

    id: str
    login: str
    phone: str
    mes: str
    text: str
    comment: Optional[str]
    sender: Optional[str]
    parts: int
    cost: Decimal
    accepted_at: float
    send_at: float
    operation: str
    options: Mapping[str, str]
    outcome: str
    status: int = T.STATUS_WAITING
    err: int = 0
    last_change: float = 0.0


#: How a message the flood rule blocks ends (spec.FLOOD_STATUS, FLOOD_ERR: the page's ASSUMPTION).
FLOODED = A.Outcome("flooded", spec.FLOOD_STATUS, spec.FLOOD_ERR)


@dataclass
class _Record:
    message: SentMessage
    expires_at: float
    final: A.Outcome
    withdrawn: bool = False

    def changes(self) -> Tuple[float, float]:
        """When the status changes: to "transferred", then to the final one."""
        transfer = self.message.send_at + A.QUEUE_SECONDS
        if self.final.status == T.STATUS_EXPIRED:
            return transfer, max(transfer, self.expires_at)
        return transfer, transfer + A.DELIVERY_SECONDS

    def state(self, now: float) -> Tuple[int, int, float]:
        """``(status, err, since)`` of the message at ``now``."""
        msg = self.message
        transfer, final_at = self.changes()
        if now < transfer:
            return T.STATUS_WAITING, 0, msg.accepted_at
        if now < final_at:
            return T.STATUS_TRANSFERRED, 0, transfer
        return self.final.status, self.final.err, final_at

    def snapshot(self, now: float) -> SentMessage:
        status, err, since = self.state(now)
        return replace(self.message, status=status, err=err, last_change=since)


@dataclass
class _Batch:
    """One text to a list of numbers: the whole request, or one line of ``list``."""

    phones: List[str]
    mes: str
    sender: Optional[str]
    tz: int
    text: str = ""
    comment: Optional[str] = None
    parts: int = 0
    good: List[str] = field(default_factory=list)


class Service:
    """The state of one sandbox and the seven operations of the WSDL."""

    def __init__(
        self,
        accounts: Iterable[Account],
        *,
        apikeys: Optional[Mapping[str, str]] = None,
        senders: Optional[Iterable[str]] = None,
        clock: Optional[Clock] = None,
    ) -> None:
        self.clock = clock or Clock()
        self._lock = threading.RLock()
        self._accounts: Dict[str, Account] = {}
        self._apikeys: Dict[str, str] = {}
        for account in accounts:
            self.add_account(account)
        for key, login in (apikeys or {}).items():
            self.add_apikey(key, login)
        self.senders = frozenset(senders) if senders is not None else None
        self._records: List[_Record] = []
        #: The messages whose status will still change, by their next change: (when, order sent,
        #: record), a heap, so that a look for changes touches only those due, never the finished.
        self._changing: List[Tuple[float, int, _Record]] = []
        self._sent_order = itertools.count()
        self._to_number: Dict[Tuple[str, str], List[_Record]] = {}  # (login, phone): its sends (flood rule)
        self._index: Dict[Tuple[str, str, str], _Record] = {}
        self._next_id = A.FIRST_MESSAGE_ID
        self._used_ids: Set[str] = set()
        self._sends: Dict[Tuple[Any, ...], float] = {}
        self._status_hits: Dict[Tuple[str, str, str], Deque[float]] = {}
        self._balance_hits: Dict[str, Deque[float]] = {}
        self._ip_errors: Dict[str, Deque[float]] = {}
        self._ip_blocked_until: Dict[str, float] = {}

    # --- accounts ----------------------------------------------------------------------------

    def add_account(self, account: Account) -> None:
        with self._lock:
            self._accounts[account.login] = account
            for key in account.apikeys:
                self._apikeys[key] = account.login

    def add_apikey(self, key: str, login: str) -> None:
        with self._lock:
            if login not in self._accounts:
                raise ValueError(f"apikey {key!r} names unknown login {login!r}")
            self._apikeys[key] = login

    @property
    def logins(self) -> List[str]:
        with self._lock:
            return list(self._accounts)

    def account(self, login: str) -> Account:
        with self._lock:
            try:
                return replace(self._accounts[login])
            except KeyError:
                raise KeyError(f"no sandbox account {login!r}") from None

    def balance(self, login: str) -> Decimal:
        return self.account(login).balance

    def set_balance(self, login: str, amount: Union[Decimal, int, str]) -> None:
        with self._lock:
            self.account(login)
            self._accounts[login].balance = balance_amount(amount)

    def messages(self) -> List[SentMessage]:
        """Every message sent so far, oldest first, with its status as of now."""
        with self._lock:
            now = self.clock.now()
            return [record.snapshot(now) for record in self._records]

    def status_changes(self, since: float, until: float) -> List[Tuple[float, SentMessage]]:
        """The status changes in ``(since, until]`` not reported by an earlier call, oldest first
        (ties in the order sent): each one's moment and the message as of then (what the sandbox's
        callbacks report as the clock moves). Changes up to ``until`` are then done with: those at
        or before ``since`` are passed over. The work is that of the changes due, whatever the
        number of messages whose status is final."""
        found: List[Tuple[float, SentMessage]] = []
        with self._lock:
            while self._changing and self._changing[0][0] <= until:
                at, order, record = heapq.heappop(self._changing)
                if record.withdrawn:
                    continue
                if at > since:
                    found.append((at, record.snapshot(at)))
                self._push_change(record, order, after=at)
        return found

    def _push_change(self, record: _Record, order: int, after: float) -> None:
        """Keep ``record`` among the changing ones at its first change after ``after``, if any."""
        upcoming = [at for at in record.changes() if at > after]
        if upcoming:
            heapq.heappush(self._changing, (min(upcoming), order, record))

    # --- the seams of the HTTP pages (http_pages.py, mailings.py): the service's state stays its own ---

    def page_login(self, form: Mapping[str, str], client_ip: str, *, takes_apikey: bool) -> str:
        """The login a page's request acts for; :class:`Refused` from a blocked address, for an
        unknown ``apikey`` (on a page that takes one) or a wrong login or password."""
        with self._lock:
            if self._ip_blocked_until.get(client_ip, float("-inf")) > self.clock.now():
                raise Refused(T.ERR_IP_BLOCKED)
            apikey = form.get("apikey") if takes_apikey else None
            if apikey is not None:
                login = self._apikeys.get(apikey)
                if login is None:
                    raise Refused(T.ERR_AUTH)
                return login
            return self._authenticate(form, {}).login

    def note_page_error(self, client_ip: str, code: int) -> None:
        """A page's refusal counts towards blocking the address, as the SOAP endpoint's do."""
        with self._lock:
            self._note_ip_error(client_ip, code, self.clock.now())

    def withdraw(self, login: str, message_ids: Iterable[str]) -> Decimal:
        """Remove ``login``'s messages ``message_ids`` (a mailing's repeats still waiting) and
        refund what they cost; the amount refunded."""
        wanted = set(message_ids)
        with self._lock:
            keep, refund = [], Decimal("0")
            for record in self._records:
                message = record.message
                if message.login == login and message.id in wanted:
                    refund += message.cost
                    record.withdrawn = True  # its entry in _changing is passed over
                    self._index.pop((message.login, message.id, message.phone), None)
                else:
                    keep.append(record)
            self._records[:] = keep
            self._accounts[login].balance += refund
        return refund

    # --- the entry point -------------------------------------------------------------------

    def call(self, operation: str, params: Params, client_ip: str = "127.0.0.1") -> Result:
        """Run ``operation`` with ``params`` for a client at ``client_ip``; the result fields."""
        handler = {
            "get_balance": self._get_balance,
            "send_sms": self._send_sms,
            "send_sms2": self._send_sms2,
            "get_sms_cost": self._get_sms_cost,
            "get_sms_cost2": self._get_sms_cost2,
            "get_status": self._get_status,
            "get_status2": self._get_status2,
        }.get(operation)
        if handler is None:
            raise ValueError(f"unknown operation {operation!r}")
        with self._lock:
            now = self.clock.now()
            if self._ip_blocked_until.get(client_ip, float("-inf")) > now:
                return {"error": str(T.ERR_IP_BLOCKED)}
            try:
                return handler(params, now)
            except Refused as refused:
                self._note_ip_error(client_ip, refused.code, now)
                return {"error": str(refused.code)}

    # --- the operations ----------------------------------------------------------------------

    def _get_balance(self, params: Params, now: float) -> Result:
        account = self._authenticate(params, {})
        self._limit(self._balance_hits, account.login, T.BALANCE_REQUESTS_PER_MINUTE, now)
        return {"balance": money(account.balance)}

    def _send_sms(self, params: Params, now: float) -> Result:
        return self._send(params, {}, now, "send_sms", cost_only=False)

    def _send_sms2(self, params: Params, now: float) -> Result:
        query = self._query(params, required=False)
        return self._send(params, query, now, "send_sms2", cost_only=False)

    def _get_sms_cost(self, params: Params, now: float) -> Result:
        return self._send(params, {}, now, "get_sms_cost", cost_only=True)

    def _get_sms_cost2(self, params: Params, now: float) -> Result:
        query = self._query(params, required=True)
        return self._send(params, query, now, "get_sms_cost2", cost_only=True)

    def _get_status(self, params: Params, now: float) -> Result:
        return self._status(params, {}, now)

    def _get_status2(self, params: Params, now: float) -> Result:
        return self._status(params, self._query(params, required=True), now)

    # --- parameters and authentication ---------------------------------------------------------

    @staticmethod
    def _value(params: Params, name: str, code: int = A.MISSING_PARAM_ERROR) -> Optional[str]:
        value = params.get(name)
        if value is None or isinstance(value, str):
            return value
        raise Refused(code)  # given twice (an array in PHP), or not text

    def _required(self, params: Params, name: str, code: int = A.MISSING_PARAM_ERROR) -> str:
        value = self._value(params, name, code)
        if value is None:
            raise Refused(code)
        return value

    def _query(self, params: Params, *, required: bool) -> Dict[str, str]:
        raw = self._required(params, "query") if required else self._value(params, "query")
        parsed = parse_qs(raw or "", keep_blank_values=True)
        return {name: values[-1] for name, values in parsed.items()}

    def _authenticate(self, params: Params, query: Mapping[str, str]) -> Account:
        if "apikey" in query:
            login = self._apikeys.get(query["apikey"])
            if login is None:
                raise Refused(T.ERR_AUTH)
            return self._accounts[login]
        login = self._value(params, "login", A.MISSING_AUTH_ERROR)
        psw = self._value(params, "psw", A.MISSING_AUTH_ERROR)
        if login is None or psw is None:
            raise Refused(A.MISSING_AUTH_ERROR)
        account = self._accounts.get(login)
        if account is None or not hmac.compare_digest(account.psw.encode(), psw.encode()):
            raise Refused(T.ERR_AUTH)
        return account

    @staticmethod
    def _int_option(query: Mapping[str, str], name: str, lo: int, hi: Optional[int], default: int) -> int:
        raw = query.get(name, "").strip()
        if raw == "":
            return default
        return Service._int_in(raw, lo, hi)

    @staticmethod
    def _int_in(raw: str, lo: int, hi: Optional[int]) -> int:
        """``raw`` read as a whole number in ``lo..hi`` (no upper bound when ``hi`` is None)."""
        value = whole(raw, signed=True)
        if value is None:
            raise Refused(T.ERR_PARAMS)
        if value < lo or (hi is not None and value > hi):
            raise Refused(T.ERR_PARAMS)
        return value

    @staticmethod
    def _check_documented_values(query: Mapping[str, str]) -> None:
        """Error 1 for a flag, choice or whole number outside what the pages allow (spec's
        tables); an empty value counts as absent. The rules of reading them are the sandbox's."""
        allowed = {name: spec.FLAG for name in spec.EXTENDED_FLAGS}
        allowed.update(spec.EXTENDED_CHOICES)
        for name, values in allowed.items():
            raw = query.get(name, "").strip()
            if raw and raw not in {str(value) for value in values}:
                raise Refused(T.ERR_PARAMS)
        for name, bounds in spec.EXTENDED_INT_RANGES.items():
            raw = query.get(name, "").strip()
            if raw and name != "valid":  # valid has an hh:mm form too: see _validity
                Service._int_in(raw, *bounds)
        period = query.get("period", "").strip()
        if period:
            try:
                hours = float(period)
            except ValueError:
                raise Refused(T.ERR_PARAMS) from None
            low, high = spec.PERIOD_HOURS
            if not low <= hours <= high:
                raise Refused(T.ERR_PARAMS)

    @staticmethod
    def _validity(query: Mapping[str, str]) -> float:
        raw = query.get("valid", "").strip()
        if raw == "":
            return float(A.DEFAULT_VALIDITY_SECONDS)
        hours = whole(raw)
        if hours is not None and spec.EXTENDED_INT_RANGES["valid"].includes(hours):
            return hours * 3600.0
        hh, sep, mm = raw.partition(":")
        if sep and whole(hh) is not None and whole(mm) is not None and len(mm) == 2 and int(mm) < 60:
            minutes = int(hh) * 60 + int(mm)
            if spec.VALID_MINUTES.includes(minutes):
                return minutes * 60.0
        raise Refused(T.ERR_PARAMS)

    def _new_id(self) -> str:
        """The next number no message has as its id yet (see :data:`.assumptions.FIRST_MESSAGE_ID`)."""
        while str(self._next_id) in self._used_ids:
            self._next_id += 1
        self._next_id += 1
        return str(self._next_id - 1)

    @staticmethod
    def _check_id(value: str) -> None:
        if value.isascii() and value.isdigit():
            number = whole(value)
            if number is None or not spec.ID_INT_RANGE.includes(number):
                raise Refused(T.ERR_PARAMS)
            return
        allowed = all(ch.isascii() and (ch.isalnum() or ch in spec.ID_SYMBOLS) for ch in value)
        if len(value) > T.MAX_ID_CHARS or not allowed:
            raise Refused(T.ERR_PARAMS)

    @staticmethod
    def _channel(query: Mapping[str, str], cost_only: bool, sender: Optional[str]) -> spec.Channel:
        """The channel the query selects, error 1 for what spec.CHANNELS forbids (two channels, a
        channel-only parameter elsewhere, a missing subject or e-mail sender). The rules are
        spec's; this reading of them is the sandbox's own."""
        given = {name for name, value in query.items() if value.strip() not in ("", "0")}
        chosen = [c for c in spec.CHANNELS.values() if c.flag in given]
        if len(chosen) > 1 and spec.ONE_CHANNEL_PER_REQUEST:
            raise Refused(T.ERR_PARAMS)
        channel = chosen[0] if chosen else spec.CHANNELS["sms"]
        if channel.flag == "bin" and query["bin"].strip() not in {str(v) for v in channel.flag_values}:
            raise Refused(T.ERR_PARAMS)
        if any(p in given and p not in channel.needs + channel.allows for p in spec.CHANNEL_ONLY_PARAMS):
            raise Refused(T.ERR_PARAMS)
        if not all(p in given for p in channel.needs):
            raise Refused(T.ERR_PARAMS)
        voice, comma, language = query.get("voice", "").partition(",")
        if "voice" in given and (voice.strip() not in spec.VOICES  # 004 voice: m..w4, optionally ",en"
                                 or (comma and not spec.VOICE_LANGUAGE.fullmatch(language.strip()))):
            raise Refused(T.ERR_PARAMS)
        if channel.needs_sender and not cost_only:
            address = sender or ""
            if len(address) > spec.EMAIL_ADDRESS_MAX_CHARS or not spec.EMAIL_ADDRESS.fullmatch(address):
                raise Refused(T.ERR_PARAMS)
        return channel

    @staticmethod
    def _check_channel_text(channel: spec.Channel, mes: str, text: str, query: Mapping[str, str]) -> None:
        """Error 1 for a text the channel cannot carry (spec.CHANNELS' ``text`` rule); hlr and
        ping ignore theirs, as the page says ("mes не використовується")."""
        if channel.text == spec.TEXT and text == "":
            raise Refused(T.ERR_PARAMS)
        if channel.text == spec.TEXT_CODE and not (
                text.isascii() and text.isdigit() and spec.TELEGRAM_CODE_DIGITS.includes(len(text))):
            raise Refused(T.ERR_PARAMS)
        if channel.text == spec.TEXT_LINK_TITLE:
            link, sep, title = mes.partition(spec.PUSH_SEPARATOR)
            if not (sep and link.strip() and title.strip()):
                raise Refused(T.ERR_PARAMS)
        if channel.text == spec.TEXT_SUBJECT_OR_TEXT and text == "" and not query.get("subj", "").strip():
            raise Refused(T.ERR_PARAMS)
        if channel.text == spec.TEXT_BINARY:
            body, params = billing.split_comment(mes)
            if query["bin"].strip() == "2":
                if not spec.HEX_TEXT.fullmatch(body) or int(body[:2], 16) + 1 > len(body) // 2:
                    raise Refused(T.ERR_PARAMS)
            elif (any(ord(ch) > spec.BINARY_CHAR_MAX for ch in body) or body == ""
                  or ord(body[0]) + 1 > len(body)):
                raise Refused(T.ERR_PARAMS)
            if params is not None:
                match = spec.BINARY_PARAMS.fullmatch(params)
                if not match or not all(spec.OCTET.includes(int(v)) for v in match.groups()):
                    raise Refused(T.ERR_PARAMS)

    @staticmethod
    def _recipient(raw: str, channel: spec.Channel) -> str:
        """A recipient as kept: a normalised number, or (e-mail) an address as written."""
        if channel.name == "email":
            address = raw.strip()
            if len(address) > spec.EMAIL_ADDRESS_MAX_CHARS or not spec.EMAIL_ADDRESS.fullmatch(address):
                raise BadPhone(f"{raw!r} is not an e-mail address")
            return address
        return normalize(raw)

    def check_sender(self, sender: Optional[str]) -> None:
        if sender is None or sender == "":
            return
        if sender.isascii() and sender.isdigit():
            well_formed = len(sender) <= T.MAX_SENDER_DIGITS
        else:
            well_formed = (len(sender) <= T.MAX_SENDER_CHARS and bool(A.SENDER_CHARS.match(sender))
                           and (spec.SENDER_EDGE_SPACES or sender == sender.strip()))
        if not well_formed or (self.senders is not None and sender not in self.senders):
            raise Refused(T.ERR_FORBIDDEN)

    # --- limits ----------------------------------------------------------------------------------

    @staticmethod
    def _limit(table: Dict[Any, Deque[float]], key: Any, allowed: int, now: float) -> None:
        hits = table.setdefault(key, deque())
        while hits and hits[0] <= now - T.RATE_WINDOW:
            hits.popleft()
        if len(hits) >= allowed:
            raise Refused(T.ERR_RATE)
        hits.append(now)

    def _note_ip_error(self, ip: str, code: int, now: float) -> None:
        if code not in A.IP_BLOCK_COUNTED_ERRORS:
            return
        errors = self._ip_errors.setdefault(ip, deque())
        errors.append(now)
        while errors and errors[0] <= now - A.IP_ERROR_WINDOW:
            errors.popleft()
        if len(errors) >= A.IP_BLOCK_ERRORS:
            self._ip_blocked_until[ip] = now + A.IP_BLOCK_SECONDS
            errors.clear()

    # --- sending ---------------------------------------------------------------------------------

    def _batches(self, params: Params, query: Mapping[str, str], sender: Optional[str], tz: int) -> List[_Batch]:
        if "list" not in query:
            phones = self._required(params, "phones")
            mes = self._required(params, "mes")
            if not split_phones(phones):
                raise Refused(T.ERR_PARAMS)
            return [_Batch(split_phones(phones), mes, sender, tz)]
        # list: "phones:mes" or "phones;mes" lines (004:175: the text follows the first ":" or
        # ";"), or "sender,tz|phones:mes"; "\n" inside mes is a newline. The separators are
        # spec's; reading them is the sandbox's own.
        batches = []
        for line in query["list"].replace("\r\n", "\n").split(spec.LIST_LINE_SEPARATOR):
            if not line.strip():
                continue
            line_sender, line_tz = sender, tz
            head, bar, rest = line.partition(spec.LIST_SENDER_END)
            if bar and not any(mark in head for mark in spec.LIST_TEXT_SEPARATORS):
                name, _, tz_text = head.partition(spec.LIST_TZ_SEPARATOR)
                line_sender = name.strip() or sender
                if tz_text.strip():
                    line_tz = self._int_in(tz_text.strip(), *A.TZ_RANGE)
                line = rest
            ends = [line.find(mark) for mark in spec.LIST_TEXT_SEPARATORS if mark in line]
            if not ends:
                raise Refused(T.ERR_PARAMS)
            phones, mes = line[:min(ends)], line[min(ends) + 1:]
            if not split_phones(phones):
                raise Refused(T.ERR_PARAMS)
            text = mes.replace(spec.LIST_NEWLINE_ESCAPE, "\n")
            batches.append(_Batch(split_phones(phones), text, line_sender, line_tz))
        if not batches:
            raise Refused(T.ERR_PARAMS)
        return batches

    def _send(self, params: Params, query: Mapping[str, str], now: float, operation: str, *, cost_only: bool) -> Result:
        account = self._authenticate(params, query)
        self._check_documented_values(query)
        cost_mode = 1 if cost_only else self._int_option(query, "cost", min(T.COST_MODES), max(T.COST_MODES), 0)
        want_errors = not cost_only and query.get("err", "").strip() == "1"
        tz = self._int_option(query, "tz", A.TZ_RANGE[0], A.TZ_RANGE[1], A.ACCOUNT_TZ)
        maxsms = self._int_option(query, "maxsms", spec.MAXSMS_MIN, spec.MAXSMS_MAX, 0)
        translit = self._int_option(query, "translit", 0, max(spec.EXTENDED_CHOICES["translit"]), 0)
        validity = self._validity(query)
        msg_id = sender = when = None
        if not cost_only:
            msg_id = self._value(params, "id")
            if msg_id:
                self._check_id(msg_id)
            sender = self._value(params, "sender")
            when = self._value(params, "time")
        channel = self._channel(query, cost_only, sender)
        batches = self._batches(params, query, sender, tz)

        for batch in batches:
            batch.text, batch.comment = billing.split_comment(batch.mes)
            self._check_channel_text(channel, batch.mes, batch.text, query)
            if len(batch.mes if spec.MES_LIMIT_COUNTS_COMMENT else batch.text) > T.MAX_MESSAGE_CHARS:
                raise Refused(T.ERR_PARAMS)
            if maxsms and channel.billing == spec.BILL_PARTS:
                batch.text = billing.sent_text(batch.text, maxsms, translit=translit)
            batch.parts = billing.parts_billed(batch.mes, channel, translit=translit, maxsms=maxsms,
                                               binary=int(query.get("bin", "0").strip() or 0))
        moments = []
        for batch in batches:
            try:
                # 004:182: a line's own tz counts only with DDMMYYhhmm or DD.MM.YY hh:mm
                moments.append(send_moment(when, now, batch.tz if is_absolute(when) else tz))
            except BadTime:
                raise Refused(T.ERR_DATE) from None
        for batch in batches:
            if not channel.needs_sender:  # an e-mail's sender is an address, checked above
                self.check_sender(batch.sender)

        failed: List[Dict[str, str]] = []
        malformed = refused = 0
        for batch in batches:
            good = []
            for raw in batch.phones:
                try:
                    phone = self._recipient(raw, channel)
                except BadPhone:
                    malformed += 1
                    failed.append({"phone": raw, "status": str(A.ERRORS_STATUS_MALFORMED)})
                    continue
                if A.outcome(phone).refused_at_send:
                    refused += 1
                    failed.append({"phone": raw, "status": str(A.ERRORS_STATUS_UNDELIVERABLE)})
                    continue
                good.append(phone)
            batch.good = dedupe(good)
        if not any(batch.good for batch in batches):
            raise Refused(T.ERR_PHONE if malformed else T.ERR_UNDELIVERABLE)

        flooded = set() if cost_mode == 1 else self._flooded(account.login, batches, moments)
        cnt = sum(batch.parts * len(batch.good) for batch in batches)
        cost = sum(
            (A.price_per_part(phone) * batch.parts for i, batch in enumerate(batches) for phone in batch.good
             if spec.FLOOD_CHARGED or (i, phone) not in flooded),
            Decimal("0"),
        )
        result: Result = {}
        if cost_mode == 1:
            result.update(cost=money(cost), cnt=str(cnt))
            if want_errors and failed:
                result["errors"] = failed
            return result

        options = {k: v for k, v in query.items() if k != "apikey"}
        dup_key = (account.login, tuple(sorted(k for k in params if k != "query")),
                   tuple(str(params.get(k)) for k in ("phones", "mes", "id", "sender", "time")),
                   tuple(sorted(options.items())))
        for key, at in list(self._sends.items()):
            if at <= now - T.DUPLICATE_SEND_WINDOW:
                del self._sends[key]
        if dup_key in self._sends:
            raise Refused(T.ERR_RATE)
        if cost > account.balance:
            raise Refused(T.ERR_FUNDS)

        account.balance -= cost
        self._sends[dup_key] = now
        if not msg_id:
            msg_id = self._new_id()
        self._used_ids.add(str(int(msg_id)) if msg_id.isascii() and msg_id.isdigit() else msg_id)
        for i, (batch, moment) in enumerate(zip(batches, moments)):
            for phone in batch.good:
                final = A.outcome(phone) if (i, phone) not in flooded else FLOODED
                free = (i, phone) in flooded and not spec.FLOOD_CHARGED
                sent = SentMessage(
                    id=msg_id, login=account.login, phone=phone, mes=batch.mes, text=batch.text,
                    comment=batch.comment, sender=batch.sender or None, parts=batch.parts,
                    cost=Decimal("0") if free else (A.price_per_part(phone) * batch.parts).quantize(A.MONEY_QUANTUM),
                    accepted_at=now, send_at=moment, operation=operation, options=dict(options),
                    outcome=final.label, last_change=now,
                )
                record = _Record(sent, moment + validity, final)
                self._push_change(record, next(self._sent_order), after=float("-inf"))
                self._records.append(record)
                self._index[(account.login, msg_id, phone)] = record
                self._to_number.setdefault((account.login, phone), []).append(record)

        result["id"] = msg_id
        if cost_mode == 3:
            result["balance"] = money(account.balance)
        if cost_mode >= 2:
            result["cost"] = money(cost)
        result["cnt"] = str(cnt)
        if want_errors and failed:
            result["errors"] = failed
        return result

    def _flooded(self, login: str, batches: Sequence["_Batch"], moments: Sequence[float]) -> Set[Tuple[int, str]]:
        """(batch, phone) of this send that the flood rule blocks (sandbox.flood, spec.FLOOD_*):
        the login's earlier messages to the number count, and those earlier in this request."""
        times: Dict[str, List[float]] = {}
        for phone in {phone for batch in batches for phone in batch.good}:
            sends = self._to_number.get((login, phone), [])
            sends[:] = [r for r in sends if (login, r.message.id, phone) in self._index]  # not withdrawn
            times[phone] = [r.message.send_at for r in sends]
        flooded: Set[Tuple[int, str]] = set()
        for i, (batch, moment) in enumerate(zip(batches, moments)):
            for phone in batch.good:
                if flood.blocked(times[phone], moment):
                    flooded.add((i, phone))
                times[phone].append(moment)
        return flooded

    # --- status ----------------------------------------------------------------------------------

    def _status(self, params: Params, query: Mapping[str, str], now: float) -> Result:
        account = self._authenticate(params, query)
        raw_phone = self._required(params, "phone")
        msg_id = self._required(params, "id")
        level_text = (self._value(params, "all") or "").strip() or "0"
        if level_text not in {str(level) for level in T.STATUS_DETAIL_LEVELS}:
            raise Refused(T.ERR_PARAMS)
        level = int(level_text)
        try:
            phone = normalize(raw_phone)
        except BadPhone:
            raise Refused(T.ERR_PARAMS) from None
        key = (account.login, msg_id, phone)
        self._limit(self._status_hits, key, T.STATUS_REQUESTS_PER_MINUTE, now)
        record = self._index.get(key)
        if record is None:
            raise Refused(T.ERR_NOT_FOUND)
        status, err, since = record.state(now)
        msg = record.message
        result: Result = {"status": str(status), "last_date": format_moment(since), "err": str(err)}
        if level >= 1:
            result.update(
                send_date=format_moment(msg.send_at),
                phone=msg.phone,
                cost=money(msg.cost),
                sender_id=msg.sender or A.DEFAULT_SENDER,
                status_name=T.status_name(status),
                message=msg.mes,
            )
        if level >= 2:
            result["operator"], result["region"] = A.numbering(msg.phone)
        return result
