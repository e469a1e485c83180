"""The reconcile rule, once, for both clients, the journal, the Celery tasks and the command.

A send whose outcome is unknown is looked up with get_status by the id it carried: one number
at a time, in the order the send listed them, until the service has one (``found``: it was
accepted, never send it again; a ``list`` request is accepted whole, so one number found
settles every row of its request: :meth:`smsc_soap._core.journal.State.request_found`). Error 3
(:class:`~smsc_soap.MessageNotFound`) for every number: it never arrived, safe to send again
with the same id. Any other answer is not an answer to the question: it is raised, and nothing
is decided. A 9 (another program asked about the same message too) is asked again, after the
service's wait, a few times (:func:`wait_after`). No I/O: the lookups take ``ask``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Awaitable, Callable, Iterable, Optional, Tuple, Union

from .. import spec
from ..errors import MessageNotFound, RateLimited, SendOutcomeUnknown, ValidationError
from ..params import split_phones

if TYPE_CHECKING:  # pragma: no cover
    from ..results import StatusResult

__all__ = ["NOT_FOUND", "RATE_LIMIT_TRIES", "Reconciliation", "lookup", "lookup_async", "pair", "target",
           "wait_after"]

#: The answer that means "the service has no such message for this number" (get_status's 3).
NOT_FOUND = (MessageNotFound,)
#: ASSUMPTION (a choice): times one lookup is asked in all when the service answers 9 (another
#: program asked about the same message within the minute), before the 9 is raised.
RATE_LIMIT_TRIES = 3

Ask = Callable[[str, str], "StatusResult"]
AsyncAsk = Callable[[str, str], Awaitable["StatusResult"]]


@dataclass(frozen=True)
class Reconciliation:
    """What :meth:`Client.reconcile` learnt about a send whose outcome was unknown.

    ``found`` is True when the service has the message (it was accepted: do not send it again);
    then ``phone`` is the number asked about and ``status`` its delivery status. False means the
    service has no message with this id for any of the numbers: it was not sent.
    """

    id: str
    found: bool
    phone: Optional[str] = None
    status: Optional["StatusResult"] = None


def target(error: SendOutcomeUnknown) -> Tuple[str, Tuple[str, ...]]:
    """The message id and the numbers to ask about, in order, to reconcile ``error``; refuses
    what cannot be reconciled."""
    if not isinstance(error, SendOutcomeUnknown):
        raise TypeError(f"reconcile takes a SendOutcomeUnknown, got {type(error).__name__}")
    if not error.id or not error.phones:
        raise ValidationError("the send carried no id or no phone number to look up", field="id")
    return pair(error.id, error.phones)


def pair(id: Union[int, str], phones: Union[str, Iterable[str]]) -> Tuple[str, Tuple[str, ...]]:  # noqa: A002
    """``reconcile_send``'s arguments checked: the id as a string and the numbers to ask about
    in order (a string is split at ``,`` and ``;`` as the page's ``phones`` is)."""
    if isinstance(id, bool) or not isinstance(id, (int, str)) or not str(id).strip():
        raise ValidationError(f"id must be the message id the send carried, got {id!r}", field="id")
    numbers = split_phones(phones) if isinstance(phones, str) else [str(phone).strip() for phone in phones]
    numbers = [phone for phone in numbers if phone]
    if not numbers:
        raise ValidationError("give at least one phone number the send went to", field="phones")
    return str(id).strip(), tuple(numbers)


def lookup(ask: Ask, id: Union[int, str], phones: Union[str, Iterable[str]]) -> Reconciliation:  # noqa: A002
    """Whether the service has message ``id`` for any of ``phones``: ``ask(phone, id)`` (a
    get_status) per number, in order, until one is found."""
    message_id, numbers = pair(id, phones)
    for phone in numbers:
        try:
            status = ask(phone, message_id)
        except NOT_FOUND:
            continue
        return Reconciliation(message_id, True, phone, status)
    return Reconciliation(message_id, False)


async def lookup_async(ask: AsyncAsk, id: Union[int, str],  # noqa: A002
                       phones: Union[str, Iterable[str]]) -> Reconciliation:
    """:func:`lookup`, with ``ask`` awaited."""
    message_id, numbers = pair(id, phones)
    for phone in numbers:
        try:
            status = await ask(phone, message_id)
        except NOT_FOUND:
            continue
        return Reconciliation(message_id, True, phone, status)
    return Reconciliation(message_id, False)


def wait_after(error: RateLimited, tries: int) -> Optional[float]:
    """Seconds to wait before asking a lookup again after its ``tries``-th try got a 9 (as long
    as the service says, at least the status interval its limit allows); None: raise it."""
    if tries >= RATE_LIMIT_TRIES:
        return None
    return max(error.retry_after or 0.0, spec.STATUS_MIN_INTERVAL_SECONDS)
