"""A call, from typed arguments to the fields that go on the wire: validation (through
:mod:`smsc_soap.params` and :mod:`smsc_soap.query`), the client-assigned message id, and the
API-key twin rule.

The password and the API key never sit in a call's fields: each is replaced by a placeholder
(:func:`placeholder`), and the shell puts the value back, encoded for its wire format, only in
the bytes it writes (:meth:`Call.reveal`). So no frame that builds, logs or serialises a request
(zeep's included) holds a secret that an error reporter reading its locals could show.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Dict, Mapping, Optional, Tuple, Union

from .. import params, spec
from ..errors import SendOutcomeUnknown, TransportError, UnsupportedOperation, ValidationError
from ..query import build_query, list_recipients, recipient_options, refuse_not_carried
from ..redact import Secret
from .backoff import Scope, backoff_scopes
from .ids import derived_message_id

if TYPE_CHECKING:  # loaded by the first channel's message (send2_fields): a plain send needs none
    from .. import channels

#: Per process, so that the placeholder of a secret is the same in every call (the back-off
#: scope of "the same request" hashes it) yet says nothing about the secret.
_PLACEHOLDER_KEY = secrets.token_bytes(32)

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


def message_fields(phones: Optional[Phones], mes: Optional[str], extended: Mapping[str, Any], *,
                   xml: bool = True) -> Fields:
    """``phones`` and ``mes`` of a send or a cost; both empty when ``list`` carries them. ``xml``:
    the text travels in SOAP's XML 1.0; a page's form post (``xml=False``) carries any text, as
    a ``bin=1`` message's octets (000:113-118)."""
    if extended.get("list") is not None and phones is None and mes is None:
        return {"phones": "", "mes": ""}
    if phones is None or mes is None:
        raise ValidationError("phones and mes are required unless list= gives them", field="phones")
    options = recipient_options(extended)
    recipients = params.phones_field(phones, allow_email=options["allow_email"],
                                     allow_telegram=options["allow_telegram"])
    if extended.get("mail"):
        params.only_addresses(recipients)  # 000:78: an e-mail goes to addresses
    return {"phones": recipients, "mes": params.mes_field(mes, xml=xml)}


def send_fields(phones: Optional[Phones], mes: Optional[str], id: Union[int, str, None],  # noqa: A002
                sender: Optional[str], time: Any, extended: Mapping[str, Any]) -> Fields:
    """A send's fields; without ``id`` it stays None and :func:`prepare` derives one from the
    whole request and its minute (:mod:`.ids`): a send whose answer was lost can be looked up,
    and an identical call within the minute is refused by the service (error 9)."""
    fields = message_fields(phones, mes, extended)
    fields.update(id=params.id_field(id), sender=params.sender_field(sender), time=params.time_field(time))
    return fields


def send2_fields(phones: Optional[Phones], mes: Union[str, "channels.Message", None], id: Union[int, str, None],  # noqa: A002
                 sender: Optional[str], time: Any, extended: Mapping[str, Any]) -> Tuple[Fields, Dict[str, Any]]:
    """A ``send_sms2``'s fields and its extended parameters, with a channel's message
    (:mod:`smsc_soap.channels`) unfolded and its rules checked: an e-mail's sender is an address,
    not an SMS sender name."""
    from .. import channels

    unfolded = channels.prepare(mes, sender, extended)
    fields = send_fields(phones, unfolded.mes, id, unfolded.sms_sender, time, unfolded.extended)
    if unfolded.address_sender is not None:
        fields["sender"] = unfolded.address_sender
    return fields, dict(unfolded.extended)


def cost2_fields(phones: Optional[Phones], mes: Union[str, "channels.Message", None],
                 extended: Mapping[str, Any]) -> Tuple[Fields, Dict[str, Any]]:
    """A ``get_sms_cost2``'s fields and extended parameters, a channel's message unfolded as for a
    send (nothing is sent, so no send-only rule applies)."""
    from .. import channels

    unfolded = channels.prepare(mes, None, extended, sending=False)
    return message_fields(phones, unfolded.mes, unfolded.extended), dict(unfolded.extended)


def default_send_id(operation: str, phones: Optional[Phones], mes: Optional[str], sender: Optional[str],
                    time: Any, extended: Mapping[str, Any], *, login: Optional[str],
                    now: Optional[float] = None) -> str:
    """The id :func:`prepare` would derive for this send (for a shell that must name the id
    before the call, such as the CLI for Ctrl+C). The API key is left out of the derivation, so
    it need not be given here."""
    fields, extended = send2_fields(phones, mes, None, sender, time, extended)
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


# --- secrets as placeholders ---------------------------------------------------------------------


def placeholder(name: str, secret: Secret) -> str:
    """The stand-in for ``secret`` in the fields: letters and digits only, so that URL-encoding
    and XML-escaping leave it as it is and the shell finds it in its bytes."""
    digest = hmac.new(_PLACEHOLDER_KEY, f"{name}\0{secret.reveal()}".encode("utf-8"), hashlib.sha256)
    return f"smscsecret{name}{digest.hexdigest()[:32]}"


def _apikey_in_query(apikey: Secret) -> Secret:
    """The API key as :func:`~smsc_soap.query.build_query` writes it in a query (percent-encoded)."""
    return Secret(build_query(apikey=apikey.reveal()).partition("=")[2])


def _secret(value: Union[str, Secret, None]) -> Secret:
    return value if isinstance(value, Secret) else Secret(value or "")


# --- the call -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One operation with its wire fields, secrets as placeholders (``masked``), and the secrets
    behind them (``placeholders``: placeholder -> the text the field holds in its place).

    A shell serialises ``masked`` and calls :meth:`reveal` on the bytes as it writes them.
    ``request`` (the fields with the secrets in) is for tests and tools, never for a shell.
    """

    operation: str
    masked: Mapping[str, str] = field(repr=False)
    placeholders: Mapping[str, Secret] = field(default_factory=dict, repr=False)

    @property
    def request(self) -> Dict[str, str]:
        """The wire fields with the secrets in them (do not keep it in a shell's variables)."""
        return {name: self._reveal_text(value, lambda text: text) for name, value in self.masked.items()}

    def _reveal_text(self, text: str, encode: Callable[[str], str]) -> str:
        for token, secret in self.placeholders.items():
            if token in text:
                text = text.replace(token, encode(secret.reveal()))
        return text

    def reveal(self, data: bytes, encode: Callable[[str], bytes]) -> bytes:
        """``data`` (the serialised ``masked`` fields) with each placeholder replaced by its secret,
        as ``encode`` writes a field's text in the shell's wire format (XML-escaped for SOAP,
        percent-encoded for a form). Call it inline where the bytes are handed to the socket
        layer, so that no variable of the shell holds the result."""
        for token, secret in self.placeholders.items():
            data = data.replace(token.encode("ascii"), encode(secret.reveal()))
        return data

    @property
    def kind(self) -> str:
        return spec.OPERATIONS[self.operation].kind

    @property
    def is_send(self) -> bool:
        """Sends cost money and reach a phone: never repeated once they may have left."""
        return self.kind == spec.SEND

    @property
    def backoff_scopes(self) -> Tuple[Scope, Scope]:
        return backoff_scopes(self.operation, self.masked)

    def recipients(self) -> Tuple[str, ...]:
        """The numbers a send is for: its ``phones``, or those of the lines of ``list``."""
        phones = self.masked.get("phones") or ""
        if not phones and self.masked.get("query"):
            return list_recipients(self.masked["query"])
        return tuple(params.split_phones(phones))

    def outcome_unknown(self, cause: TransportError) -> SendOutcomeUnknown:
        """The error for a send that may have reached the service, for ``Client.reconcile``."""
        return SendOutcomeUnknown.for_cause(self.operation, self.masked.get("id"), self.recipients(), cause)


def prepare(operation: str, fields: Mapping[str, Optional[str]], *, login: Optional[str],
            psw: Union[str, Secret, None], apikey: Union[str, Secret, None] = None, query: Optional[str] = None,
            extended: Optional[Mapping[str, Any]] = None, now: Optional[float] = None) -> Call:
    """The call to make for ``operation`` with ``fields`` (from the ``*_fields`` functions):
    the API-key twin rule applied, ``query`` built where the operation has one, and only the
    fields with a value put on the wire; ``psw`` and ``apikey`` (best given as
    :class:`~smsc_soap.redact.Secret`) go in as placeholders. A send without an id gets the one
    derived from this request at ``now`` (seconds since the epoch; default: the wall clock)."""
    psw, apikey = _secret(psw), _secret(apikey)
    name = wire_operation(operation, bool(apikey))
    placeholders: Dict[str, Secret] = {}
    request = {"login": login or "", "psw": ""}
    if psw:
        request["psw"] = placeholder("psw", psw)
        placeholders[request["psw"]] = psw
    request.update((key, value) for key, value in fields.items() if value is not None)
    kind = spec.OPERATIONS[name].kind
    if spec.OPERATIONS[name].has_query:
        refuse_not_carried(kind, extended or {})
        key_token = placeholder("apikey", apikey) if apikey else None
        request["query"] = query_field(query, extended or {}, key_token)
        if key_token is not None:
            placeholders[key_token] = _apikey_in_query(apikey)
    if kind == spec.SEND and "id" not in request:
        request["id"] = derived_message_id(kind, request, now)
    return Call(name, request, placeholders)
