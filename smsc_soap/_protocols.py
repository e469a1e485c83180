"""What bulk sending, the journal, tracking and the Celery tasks ask of a client: named
protocols, so that they call these methods and never a client's ``_prepare``/``_call`` (and
import no client module: the client imports them, not the reverse). :class:`~smsc_soap.Client`
and :class:`~smsc_soap.AsyncClient` satisfy them; so does any stand-in a test gives.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Awaitable, Callable, ContextManager, Mapping, Optional, Protocol, Union

if TYPE_CHECKING:  # pragma: no cover
    from ._base import Phones
    from ._core.reconcile import Reconciliation
    from .results import SendResult, StatusResult

__all__ = ["AsyncBulkSender", "AsyncStatusSource", "BulkSender", "StatusSource"]


class StatusSource(Protocol):
    """Asks the service for one status: what tracking and reconciling need."""

    def get_status(self, phone: str, id: Union[int, str], *, all: int = 0) -> "StatusResult": ...  # noqa: A002

    def reconcile_send(self, id: Union[int, str], phones: "Phones") -> "Reconciliation": ...  # noqa: A002


class AsyncStatusSource(Protocol):
    """:class:`StatusSource`, awaited."""

    def get_status(self, phone: str, id: Union[int, str], *,  # noqa: A002
                   all: int = 0) -> Awaitable["StatusResult"]: ...

    def reconcile_send(self, id: Union[int, str], phones: "Phones") -> Awaitable["Reconciliation"]: ...  # noqa: A002


class BulkSender(StatusSource, Protocol):
    """Sends one ``list`` request of a bulk send (and, for a journal, looks rows up)."""

    @property
    def endpoint(self) -> str:
        """The service's address (a journal records its host: :func:`smsc_soap.journal.owner_of`)."""

    @property
    def limits_key(self) -> str:
        """Whom the service counts requests against (a journal records it)."""

    @property
    def bulk_slots(self) -> ContextManager[Any]:
        """Held while a request of a bulk send is in flight: the client's bound, for every thread."""

    def send_list(self, encoded_list: str, *, id: str, sender: Optional[str], time: Optional[str],  # noqa: A002
                  extended: Mapping[str, Any]) -> "SendResult": ...

    def write_list(self, encoded_list: str, *, id: str, sender: Optional[str], time: Optional[str],  # noqa: A002
                   extended: Mapping[str, Any]) -> Callable[[], "SendResult"]:
        """``send_list``'s request checked and written, sent when what comes back is called."""

    def call_seconds(self) -> float: ...


class AsyncBulkSender(AsyncStatusSource, Protocol):
    """:class:`BulkSender`, awaited (the async pipeline bounds itself)."""

    @property
    def endpoint(self) -> str: ...

    @property
    def limits_key(self) -> str: ...

    def send_list(self, encoded_list: str, *, id: str, sender: Optional[str], time: Optional[str],  # noqa: A002
                  extended: Mapping[str, Any]) -> Awaitable["SendResult"]: ...

    def call_seconds(self) -> float: ...
