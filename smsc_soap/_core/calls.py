"""A call, from typed arguments to the fields that go on the wire: validation (through
:mod:`smsc_soap.params` and :mod:`smsc_soap.query`), the client-assigned message id, and the
API-key twin rule.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional, Tuple, Union

from .. import params, spec
from ..errors import SendOutcomeUnknown, TransportError, UnsupportedOperation, ValidationError
from ..query import build_query, list_recipients, recipient_options, refuse_not_carried
from .backoff import Scope, backoff_scopes
from .ids import derived_message_id

Phones = params.Phones
Fields = Dict[str, Optional[str]]


def new_message_id() -> str:
    """A random message id: 'c' and 20 random hex digits (what sends carried before the ids
    derived by :mod:`.ids`; kept for callers who want an id of their own that is new every time).

    The page allows up to 40 of ``[A-Za-z0-9._-]``; the letter keeps it from being read as a
    number (numeric ids must be at most 2147483647).
    """
    return "c" + secrets.token_hex(10)


def check_credentials(login: Optional[str], psw: Optional[str], apikey: Optional[str]) -> None:
    """Refuse a client made with neither or both ways to authenticate, or a malformed API key
    (checked once, when the client is made, not at its first call)."""
    if apikey is not None and (login is not None or psw is not None):
        raise ValidationError("give login and psw, or apikey, not both", field="apikey")
    if apikey is None and not (login and psw):
        raise ValidationError("login and psw are both required (or give apikey instead)", field="login")
    if apikey is not None:
        build_query(apikey=apikey)


# --- the fields of each kind of operation -------------------------------------------------------


def message_fields(phones: Optional[Phones], mes: Optional[str], extended: Mapping[str, Any]) -> Fields:
    """``phones`` and ``mes`` of a send or a cost; both empty when ``list`` carries them."""
    if extended.get("list") is not None and phones is None and mes is None:
        return {"phones": "", "mes": ""}
    if phones is None or mes is None:
        raise ValidationError("phones and mes are required unless list= gives them", field="phones")
    options = recipient_options(extended)
    return {
        "phones": params.phones_field(phones, allow_email=options["allow_email"],
                                      allow_telegram=options["allow_telegram"]),
        "mes": params.mes_field(mes),
    }


def send_fields(phones: Optional[Phones], mes: Optional[str], id: Union[int, str, None],  # noqa: A002
                sender: Optional[str], time: Any, extended: Mapping[str, Any]) -> Fields:
    """A send's fields; without ``id`` it stays None and :func:`prepare` derives one from the
    whole request and its minute (:mod:`.ids`): a send whose answer was lost can be looked up,
    and an identical call within the minute is refused by the service (error 9)."""
    fields = message_fields(phones, mes, extended)
    fields.update(id=params.id_field(id), sender=params.sender_field(sender), time=params.time_field(time))
    return fields


def default_send_id(operation: str, phones: Optional[Phones], mes: Optional[str], sender: Optional[str],
                    time: Any, extended: Mapping[str, Any], *, login: Optional[str],
                    now: Optional[float] = None) -> str:
    """The id :func:`prepare` would derive for this send (for a shell that must name the id
    before the call, such as the CLI for Ctrl+C). The API key is left out of the derivation, so
    it need not be given here."""
    fields = send_fields(phones, mes, None, sender, time, extended)
    call = prepare(operation, fields, login=login, psw="", extended=extended, now=now)
    return call.request["id"]


def status_fields(phone: str, id: Union[int, str], all: int) -> Fields:  # noqa: A002
    """A status request's fields."""
    message_id = params.id_field(id)
    if message_id is None:
        raise ValidationError("id is required to ask for a status", field="id")
    return {"phone": params.phone_field(phone), "id": message_id, "all": params.all_field(all)}


def query_field(raw: Optional[str], extended: Mapping[str, Any], apikey: Optional[str]) -> str:
    """``query`` of a ``*2`` operation; the client's API key, if any, travels in it."""
    if "apikey" in extended:
        raise ValidationError("give the API key to Client(apikey=...), not to a call", field="apikey")
    if apikey:
        extended = {"apikey": apikey, **extended}
    return build_query(raw, **extended)


def wire_operation(operation: str, with_apikey: bool) -> str:
    """The operation to call: with an API key a plain operation goes as its ``*2`` twin, the
    only one with a ``query`` to carry the key; one without a twin cannot be made."""
    facts = spec.OPERATIONS[operation]
    if not with_apikey or facts.has_query:
        return operation
    if facts.twin is None:
        raise UnsupportedOperation(
            f"{operation} has only login and psw fields and no query to carry an API key: "
            "create a Client(login=..., psw=...) to read the balance, or read it from "
            "send_sms2(..., cost=3), which returns the new balance after a send", field="apikey")
    return facts.twin


# --- the call -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One operation with its wire fields (``request``, secrets included: never shown)."""

    operation: str
    request: Mapping[str, str] = field(repr=False)

    @property
    def kind(self) -> str:
        return spec.OPERATIONS[self.operation].kind

    @property
    def is_send(self) -> bool:
        """Sends cost money and reach a phone: never repeated once they may have left."""
        return self.kind == spec.SEND

    @property
    def backoff_scopes(self) -> Tuple[Scope, Scope]:
        return backoff_scopes(self.operation, self.request)

    def recipients(self) -> Tuple[str, ...]:
        """The numbers a send is for: its ``phones``, or those of the lines of ``list``."""
        phones = self.request.get("phones") or ""
        if not phones and self.request.get("query"):
            return list_recipients(self.request["query"])
        return tuple(params.split_phones(phones))

    def outcome_unknown(self, cause: TransportError) -> SendOutcomeUnknown:
        """The error for a send that may have reached the service, for ``Client.reconcile``."""
        return SendOutcomeUnknown.for_cause(self.operation, self.request.get("id"), self.recipients(), cause)


def prepare(operation: str, fields: Mapping[str, Optional[str]], *, login: Optional[str], psw: str,
            apikey: Optional[str] = None, query: Optional[str] = None,
            extended: Optional[Mapping[str, Any]] = None, now: Optional[float] = None) -> Call:
    """The call to make for ``operation`` with ``fields`` (from the ``*_fields`` functions):
    the API-key twin rule applied, ``query`` built where the operation has one, and only the
    fields with a value put on the wire. A send without an id gets the one derived from this
    request at ``now`` (seconds since the epoch; default: the wall clock)."""
    name = wire_operation(operation, bool(apikey))
    request = {"login": login or "", "psw": psw}
    request.update((key, value) for key, value in fields.items() if value is not None)
    kind = spec.OPERATIONS[name].kind
    if spec.OPERATIONS[name].has_query:
        refuse_not_carried(kind, extended or {})
        request["query"] = query_field(query, extended or {}, apikey)
    if kind == spec.SEND and "id" not in request:
        request["id"] = derived_message_id(kind, request, now)
    return Call(name, request)
