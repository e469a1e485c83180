"""The documented facts of the service's pages, in one module: read by the client, the CLI, the
docs and the sandbox instead of copies of their own.

Facts only (constants, tables, small frozen dataclasses), no I/O and no import of the rest of
the package, so anything may import it. Each section names its page; what a page does not
state is marked ASSUMPTION where it is kept. Sources: the SOAP page (seed 004, smsc.ua/sys/soap.php)
and its English digest ../shared/spec/smsc-api.md.
"""
from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping, NamedTuple, Optional, Tuple

# === operations ===
#
# The seven SOAP operations of seed 004. Exception classes live in smsc_soap.errors, which builds
# its tables (SEND_ERRORS, ...) from the codes here: a class is named, not imported, so this
# module stays free of the package. Result types are named the same way (smsc_soap.results).

#: What an operation does; only sends cost money and reach a phone, so only they are never
#: repeated once they may have left.
SEND, COST, STATUS, BALANCE = "send", "cost", "status", "balance"
KINDS: Tuple[str, ...] = (SEND, COST, STATUS, BALANCE)


class ErrorCode(NamedTuple):
    """One row of an operation's error table: the exception class (by name) and the page's text."""

    exception: str
    meaning: str


def _table(rows: Mapping[int, ErrorCode]) -> Mapping[int, ErrorCode]:
    return MappingProxyType(dict(rows))


_AUTH = ErrorCode("AuthenticationError", "wrong login or password, or the request came from an IP address "
                                         "not in the client's list of allowed addresses")

#: "Відправка повідомлення": the codes of send_sms and send_sms2.
SEND_ERROR_CODES = _table({
    1: ErrorCode("ParameterError", "error in parameters"),
    2: _AUTH,
    3: ErrorCode("InsufficientFunds", "insufficient funds on the client's account"),
    4: ErrorCode("IpBlocked", "IP address temporarily blocked because of frequent errors in requests"),
    5: ErrorCode("InvalidTime", "invalid date format"),
    6: ErrorCode("MessageForbidden", "message forbidden (by its text or by the sender name)"),
    7: ErrorCode("InvalidPhone", "invalid phone number format"),
    8: ErrorCode("Undeliverable", "the message cannot be delivered to the number"),
    9: ErrorCode("DuplicateRequest", "more than one identical request to send an SMS within a minute"),
})
#: ASSUMPTION: the page lists the returned ``error`` of get_sms_cost/get_sms_cost2 but gives no
#: code table for them; they take the same parameters as send, so their codes are read with
#: send's table (as the digest does).
COST_ERROR_CODES = SEND_ERROR_CODES
#: "Перевірка статусу": the codes of get_status and get_status2.
STATUS_ERROR_CODES = _table({
    1: ErrorCode("ParameterError", "error in parameters"),
    2: _AUTH,
    3: ErrorCode("MessageNotFound", "message not found"),
    4: ErrorCode("IpBlocked", "IP address temporarily blocked"),
    9: ErrorCode("RateLimited", "more than five requests for the status of the same message within a minute"),
})
#: "Перевірка стану балансу": the codes of get_balance (0 means no error).
BALANCE_ERROR_CODES = _table({
    1: ErrorCode("ParameterError", "error in parameters"),
    2: _AUTH,
    4: ErrorCode("IpBlocked", "IP address temporarily blocked"),
    9: ErrorCode("RateLimited", "more than ten balance requests within a minute"),
})
#: A code the page does not list for the operation: kept as its number.
UNKNOWN_ERROR_CODE = ErrorCode("UnknownApiError", "a code the service's documentation does not list for this method")


@dataclass(frozen=True)
class Operation:
    """One SOAP operation as the page describes it.

    ``twin`` pairs the plain operation with its ``*2`` one, which has the ``query`` string
    (extended parameters, and the only place an API key can travel); get_balance has none.
    """

    name: str
    kind: str
    twin: Optional[str]
    has_query: bool
    errors: Mapping[int, ErrorCode]
    result: str  # the class name in smsc_soap.results


OPERATIONS: Mapping[str, Operation] = MappingProxyType({op.name: op for op in (
    Operation("send_sms", SEND, "send_sms2", False, SEND_ERROR_CODES, "SendResult"),
    Operation("send_sms2", SEND, "send_sms", True, SEND_ERROR_CODES, "SendResult"),
    Operation("get_sms_cost", COST, "get_sms_cost2", False, COST_ERROR_CODES, "CostResult"),
    Operation("get_sms_cost2", COST, "get_sms_cost", True, COST_ERROR_CODES, "CostResult"),
    Operation("get_status", STATUS, "get_status2", False, STATUS_ERROR_CODES, "StatusResult"),
    Operation("get_status2", STATUS, "get_status", True, STATUS_ERROR_CODES, "StatusResult"),
    Operation("get_balance", BALANCE, None, False, BALANCE_ERROR_CODES, "BalanceResult"),
)})
