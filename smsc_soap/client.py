"""The facade: the seven SOAP operations with typed arguments and typed results.

Every operation goes through :meth:`Client._call`, the one call path where the request is
sent, lower-layer errors are translated, and the service's ``error`` code becomes an exception.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, List, Mapping, Optional, Tuple, TypeVar, Union

import zeep

from . import params
from ._wsdl import endpoint_url, wsdl_document
from .errors import ProtocolError, UnsupportedOperation, ValidationError, api_error
from .query import build_query
from .redact import Secret
from .results import BalanceResult, CostResult, SendResult, StatusResult
from .transport import DEFAULT_TIMEOUT, SoapTransport, Timeout, TransportSettings, build_session, map_exceptions

if TYPE_CHECKING:  # pragma: no cover
    import requests
    from typing_extensions import Unpack

    from .query import ExtendedParams

T = TypeVar("T")
Phones = Union[str, Iterable[str]]
Raw = Dict[str, str]
PhoneErrors = Tuple[Tuple[str, str], ...]

_ZEEP_SETTINGS = zeep.Settings(strict=False, forbid_dtd=True, forbid_entities=True,
                               forbid_external=True, xml_huge_tree=False)


class Client:
    """A client of the SMSC SOAP service for one account and one endpoint.

    Authenticate with ``login`` and ``psw``, or with ``apikey``. The endpoint is
    ``https://<host>/sys/soap.php`` (``host`` defaults to smsc.ru), or any ``url``; plain http
    only when an http ``url`` is written out. One client may be shared by many threads.
    """

    def __init__(self, login: Optional[str] = None, psw: Optional[str] = None, *,
                 apikey: Optional[str] = None, host: Optional[str] = None, url: Optional[str] = None,
                 timeout: Timeout = DEFAULT_TIMEOUT, verify: Union[bool, str] = True,
                 session: Optional["requests.Session"] = None) -> None:
        if apikey is not None and (login is not None or psw is not None):
            raise ValidationError("give login and psw, or apikey, not both", field="apikey")
        if apikey is None and not (login and psw):
            raise ValidationError("login and psw are both required (or give apikey instead)", field="login")
        if apikey is not None and not apikey.strip():
            raise ValidationError("apikey is empty", field="apikey")
        self.login = login
        self._psw = Secret(psw or "")
        self._apikey = Secret(apikey or "")
        self._secrets = (self._psw, self._apikey)
        self.endpoint = endpoint_url(host, url)
        settings = TransportSettings(timeout=timeout, verify=verify)
        self._session = session if session is not None else build_session(settings)
        transport = SoapTransport(self._session, settings, self._secrets)
        self._service = zeep.Client(wsdl_document(self.endpoint), transport=transport,
                                    settings=_ZEEP_SETTINGS).service

    def __repr__(self) -> str:
        auth = "apikey" if self._apikey else f"login={self.login!r}"
        return f"<smsc_soap.Client {auth} endpoint={self.endpoint!r}>"

    def close(self) -> None:
        """Close pooled connections."""
        self._session.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- send -------------------------------------------------------------------------------

    def send_sms(self, phones: Phones, mes: str, *, id: Union[int, str, None] = None,
                 sender: Optional[str] = None, time: Any = None) -> SendResult:
        """Send ``mes`` to ``phones`` (a string or an iterable of numbers)."""
        if self._apikey:  # send has no query to carry the key: its twin has
            return self.send_sms2(phones, mes, id=id, sender=sender, time=time)
        return self._call("send_sms", self._send_fields(phones, mes, id, sender, time, {}),
                          SendResult.from_raw)

    def send_sms2(self, phones: Optional[Phones], mes: Optional[str], *, id: Union[int, str, None] = None,
                  sender: Optional[str] = None, time: Any = None, query: Optional[str] = None,
                  **extended: "Unpack[ExtendedParams]") -> SendResult:
        """Send with extended parameters (``cost=3``, ``err=1``, ``valid=12``, ``list=...``, ...).

        ``phones`` and ``mes`` may be None only when ``list`` carries the recipients and texts.
        """
        fields = self._send_fields(phones, mes, id, sender, time, extended)
        fields["query"] = self._query(query, extended)
        return self._call("send_sms2", fields, SendResult.from_raw)

    # --- cost -------------------------------------------------------------------------------

    def get_sms_cost(self, phones: Phones, mes: str) -> CostResult:
        """What sending ``mes`` to ``phones`` would cost; nothing is sent."""
        if self._apikey:
            return self.get_sms_cost2(phones, mes)
        return self._call("get_sms_cost", self._message_fields(phones, mes, {}), CostResult.from_raw)

    def get_sms_cost2(self, phones: Optional[Phones], mes: Optional[str], *, query: Optional[str] = None,
                      **extended: "Unpack[ExtendedParams]") -> CostResult:
        """The cost with extended parameters (channel, ``translit``, ``maxsms``, ...)."""
        fields = self._message_fields(phones, mes, extended)
        fields["query"] = self._query(query, extended)
        return self._call("get_sms_cost2", fields, CostResult.from_raw)

    # --- status -----------------------------------------------------------------------------

    def get_status(self, phone: str, id: Union[int, str], *, all: int = 0) -> StatusResult:
        """The delivery status of message ``id`` to ``phone``; ``all=1``/``2`` adds details."""
        if self._apikey:
            return self.get_status2(phone, id, all=all)
        return self._call("get_status", self._status_fields(phone, id, all), StatusResult.from_raw)

    def get_status2(self, phone: str, id: Union[int, str], *, all: int = 0, query: Optional[str] = None,
                    **extended: "Unpack[ExtendedParams]") -> StatusResult:
        """The delivery status with extended parameters."""
        fields = self._status_fields(phone, id, all)
        fields["query"] = self._query(query, extended)
        return self._call("get_status2", fields, StatusResult.from_raw)

    # --- balance ----------------------------------------------------------------------------

    def get_balance(self) -> BalanceResult:
        """The account's balance."""
        if self._apikey:
            raise UnsupportedOperation(
                "get_balance has only login and psw fields and no query to carry an API key: "
                "create a Client(login=..., psw=...) to read the balance, or read it from "
                "send_sms2(..., cost=3), which returns the new balance after a send", field="apikey")
        return self._call("get_balance", {}, BalanceResult.from_raw)

    # --- the one call path ------------------------------------------------------------------

    def _call(self, operation: str, fields: Mapping[str, Optional[str]],
              build: Callable[..., T]) -> T:
        request = {"login": self.login or "", "psw": self._psw.reveal()}
        request.update((name, value) for name, value in fields.items() if value is not None)
        with map_exceptions(operation, self.endpoint, self._secrets):
            answer = self._service[operation](**request)
        raw, phone_errors = _flatten(answer)
        code = raw.get("error", "").strip() or "0"
        if not code.lstrip("-").isdigit():
            raise ProtocolError(f"{operation}: the answer's error field is not a number: {code!r}")
        if int(code):
            raise api_error(operation, int(code))
        try:
            return build(raw, phone_errors) if phone_errors else build(raw)
        except ValueError as exc:
            raise ProtocolError(f"{operation}: unexpected answer: {exc}") from None

    # --- fields -----------------------------------------------------------------------------

    def _query(self, raw: Optional[str], extended: Mapping[str, Any]) -> str:
        if "apikey" in extended:
            raise ValidationError("give the API key to Client(apikey=...), not to a call", field="apikey")
        if self._apikey:
            extended = {"apikey": self._apikey.reveal(), **extended}
        return build_query(raw, **extended)

    @staticmethod
    def _message_fields(phones: Optional[Phones], mes: Optional[str],
                        extended: Mapping[str, Any]) -> Dict[str, Optional[str]]:
        if extended.get("list") is not None and phones is None and mes is None:
            return {"phones": "", "mes": ""}
        if phones is None or mes is None:
            raise ValidationError("phones and mes are required unless list= gives them", field="phones")
        return {
            "phones": params.phones_field(phones, allow_email=bool(extended.get("mail")),
                                          allow_telegram=bool(extended.get("tg") or extended.get("bot"))),
            "mes": params.mes_field(mes),
        }

    def _send_fields(self, phones: Optional[Phones], mes: Optional[str], id: Union[int, str, None],
                     sender: Optional[str], time: Any, extended: Mapping[str, Any]) -> Dict[str, Optional[str]]:
        fields = self._message_fields(phones, mes, extended)
        fields.update(id=params.id_field(id), sender=params.sender_field(sender), time=params.time_field(time))
        return fields

    @staticmethod
    def _status_fields(phone: str, id: Union[int, str], all: int) -> Dict[str, Optional[str]]:
        message_id = params.id_field(id)
        if message_id is None:
            raise ValidationError("id is required to ask for a status", field="id")
        return {"phone": params.phone_field(phone), "id": message_id, "all": params.all_field(all)}


def _flatten(answer: Any) -> Tuple[Raw, PhoneErrors]:
    """The result element as ``{field: text}`` plus send_sms2's ``errors`` as pairs."""
    if answer is None:
        raise ProtocolError("the answer carries no result element")
    raw: Raw = {}
    phone_errors: List[Tuple[str, str]] = []
    for name in answer:
        value = answer[name]
        if name == "errors":
            phone_errors.extend((str(item["phone"] or ""), str(item["status"] or "")) for item in value or ())
        elif value is not None:
            raw[name] = str(value)
    return raw, tuple(phone_errors)
