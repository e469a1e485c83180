"""Sending many messages: ``list`` requests, several at once, one outcome per message.

The page's ``list`` parameter (004:175-190) carries many ``phones:mes`` lines in ONE request, and
"Повідомленням у запиті присвоюється єдиний ідентифікатор": all messages of a request share one
id. So a message is known to the service as (that id, one of its phones); every outcome here
carries the chunk's ``id`` and the message's ``phones``, which is what ``get_status`` and
:meth:`~smsc_soap.Client.track` take. A message with its own ``id`` goes in a request of that id
(with the messages next to it that share it); so does a message with its own ``time``, and so
does a channel's message (:mod:`smsc_soap.channels`: an ``Email``, a ``VoiceCall``, ...), whose
flag and parameters (and an e-mail's sender address) are parameters of the whole request: only
messages next to each other with the same ones share a request. Each is checked by the rules of
``send_sms2`` (:func:`smsc_soap._core.calls.send2_fields`) before anything is sent.

Memory stays flat in the number of messages: the input is read lazily, and at most
``concurrency * spec.BULK_WINDOW_PER_SLOT`` chunks are held at once. Requests in flight are
bounded by the pool here AND by the client's own slots (``spec.BULK_CONCURRENT_REQUESTS``, shared by
every thread using the client), which keep a client under the service's limit of concurrent
requests (spec.CONCURRENT_REQUESTS_ALLOWED).
"""
from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from decimal import Decimal
from typing import (
    Any, Callable, Deque, Dict, Iterable, Iterator, List, Mapping, Optional, Tuple, Union, cast,
)

from .. import channels
from .. import message as sms
from .. import params, spec
from .._core.flood import FloodCount, FloodWarning  # noqa: F401 - FloodWarning: importable here
from .._compat import add_note
from .._core import calls
from ..errors import SendOutcomeUnknown, SmscError, ValidationError
from ..query import (
    encode_value, encoded_length, format_list, parse_list_line, plain_line, recipient_options, written_line,
)
from ..results import PhoneError, SendResult

__all__ = [
    "BadInput", "Chunk", "ChunkNamer", "Failed", "FloodWarning", "InputBroke", "Message", "MessageLike", "Outcome", "Progress", "Sent",
    "Tally", "Unknown", "check_options", "chunks", "not_sent", "read_outcomes", "unreported",
]

#: Lines of ``list`` are joined with the page's "%0A" (004:181): its length, encoded.
_ENCODED_SEPARATOR_LENGTH = encoded_length(spec.LIST_LINE_SEPARATOR)
#: format_list's options for a plain SMS line (no e-mail, no telegram recipients).
_PLAIN: Mapping[str, bool] = {"allow_email": False, "allow_telegram": False}


@dataclass(frozen=True)
class Message:
    """One message of a bulk send: its recipients (a str or an iterable), its text (a str, or a
    channel's message such as :class:`~smsc_soap.channels.Email`), and optionally a sender name,
    a send ``time`` (as ``send_sms`` takes it) and an ``id``."""

    phones: Union[str, Tuple[str, ...]]
    text: Union[str, channels.Message]
    sender: Optional[str] = None
    time: Any = None
    id: Union[int, str, None] = None


class BadInput(ValidationError):
    """An input that could not be read as a message (a CSV row with a field too long, a byte the
    encoding cannot read, no phone): given to send_bulk in the message's place, it fails alone
    with this error, and the others still go."""


MessageLike = Union[Message, Tuple[Any, ...], BadInput]

#: Names a chunk from its messages' input positions (send_bulk's ``chunk_id`` option).
ChunkNamer = Callable[[Tuple[int, ...]], str]


@dataclass(frozen=True)
class Sent:
    """Accepted by the service: ``(id, phone)`` for each of ``phones`` finds it with get_status.

    ``parts`` is the client's count of SMS parts (:func:`smsc_soap.message.parts`); ``cost`` is
    the service's, known only when the request held this message alone (the answer gives one
    total per request). ``failed`` lists numbers of this message the service refused (``err=1``).
    """

    index: int
    message: Message
    id: str
    phones: Tuple[str, ...]
    cost: Optional[Decimal] = None
    failed: Tuple[PhoneError, ...] = ()

    @property
    def parts(self) -> int:
        """Counted when asked for, not for every message sent: counting costs more than sending."""
        return sms.parts(self.message.text)


@dataclass(frozen=True)
class Failed:
    """Not sent: ``error`` is the typed error of its request (or of the message itself, e.g. a
    :class:`~smsc_soap.ValidationError`), or None when the service refused every one of its
    numbers (``failed``, from send_sms2's ``errors`` list)."""

    index: int
    message: Message
    error: Optional[SmscError]
    id: Optional[str] = None
    failed: Tuple[PhoneError, ...] = ()


@dataclass(frozen=True)
class Unknown:
    """Its request may or may not have reached the service (``error``); it was NOT resent.
    Look it up with get_status(phone, id) (or ``client.reconcile(error)``) before sending again."""

    index: int
    message: Message
    error: SendOutcomeUnknown
    id: str
    phones: Tuple[str, ...]


Outcome = Union[Sent, Failed, Unknown]


@dataclass(frozen=True)
class Progress:
    """Counts of messages so far: read from the input (``queued``) and resolved each way."""

    queued: int
    sent: int
    failed: int
    unknown: int
    elapsed: float

    @property
    def done(self) -> int:
        return self.sent + self.failed + self.unknown

    @property
    def rate(self) -> float:
        """Messages resolved per second so far."""
        return self.done / self.elapsed if self.elapsed > 0 else 0.0


@dataclass(frozen=True)
class Chunk:
    """One ``list`` request: its id, and the input positions and messages it carries;
    ``extended`` holds its messages' channel flag and parameters (empty for plain SMS)."""

    id: str
    indices: Tuple[int, ...]
    messages: Tuple[Message, ...]
    phones: Tuple[Tuple[str, ...], ...]
    sender: Optional[str]
    time: Optional[str]
    encoded_list: str
    extended: Tuple[Tuple[str, Any], ...] = ()

    def __len__(self) -> int:
        return len(self.indices)


# --- from messages to chunks -------------------------------------------------------------------


def as_message(item: MessageLike) -> Message:
    if isinstance(item, Message):
        return item
    if isinstance(item, BadInput):
        raise item
    if isinstance(item, tuple) and 2 <= len(item) <= 5:
        return Message(*item)
    raise ValidationError(f"a message is a Message or a tuple (phones, text[, sender, time, id]), got {item!r}",
                          field="messages")


#: What a request is cut by: its id, its time, its channel's parameters and an e-mail's sender.
_Key = Tuple[Optional[str], Optional[str], Tuple[Tuple[str, Any], ...], Optional[str]]


#: The key of a message with no id, time or channel of its own (most of a bulk send).
_PLAIN_KEY: _Key = (None, None, (), None)


class _Line:
    """One message, checked and written once (by format_list, the one list writer). A channel's
    message is checked as send_sms2 checks it (:func:`~smsc_soap._core.calls.send2_fields`)."""

    __slots__ = ("index", "message", "mes", "options", "plain", "sender", "key", "phones")

    def __init__(self, index: int, message: Message) -> None:
        self.index = index
        self.message = message
        self.sender: Optional[str]
        self.key: _Key
        self.phones: Tuple[str, ...]
        self.options: Mapping[str, bool] = _PLAIN
        if type(message.text) is not str and isinstance(message.text, channels.Message):
            self._channel_line(message, message.text)
        else:
            self.mes = message.text
            plain = plain_line(message.phones, message.text)
            if plain is not None:
                self.plain, self.phones = plain, (cast(str, message.phones),)
            else:
                self.plain, phones = written_line(0, (message.phones, message.text), _PLAIN)
                self.phones = tuple(phones.split(","))  # phones_field's join: each entry as split_phones gives it
            self.sender = params.sender_field(message.sender) if message.sender is not None else None
            self.key = _PLAIN_KEY if message.id is None and message.time is None else (
                params.id_field(message.id), params.time_field(message.time), (), None)

    def _channel_line(self, message: Message, text: channels.Message) -> None:
        fields, extended = calls.send2_fields(message.phones, text, message.id, message.sender, message.time, {})
        self.mes, self.options = fields["mes"] or "", recipient_options(extended)
        self.plain = format_list([(message.phones, self.mes)], **self.options)
        self.phones = tuple(params.split_phones(parse_list_line(self.plain).phones))
        address = fields["sender"] if channels.channel_of(extended).needs_sender else None
        self.sender = None if address is not None else fields["sender"]
        self.key = (fields["id"], fields["time"], tuple(sorted(extended.items())), address)

    def written(self, with_sender: bool) -> str:
        if with_sender and self.sender is not None:
            return format_list([(self.sender, None, self.message.phones, self.mes)], **self.options)
        return self.plain


class _Chunker:
    """Cuts the lines into chunks of at most ``lines`` lines and ``size`` encoded bytes, one
    (id, time) per chunk."""

    def __init__(self, lines: int, size: int, name: Optional[ChunkNamer] = None) -> None:
        self.lines, self.size, self.name = lines, size, name
        self._open: List[_Line] = []
        self._bytes = 0

    def add(self, line: _Line) -> Optional[Chunk]:
        """Add ``line``; the chunk it closed, if any."""
        size = encoded_length(line.plain) + _ENCODED_SEPARATOR_LENGTH
        closed = None
        if self._open and (len(self._open) >= self.lines or line.key != self._open[0].key
                           or self._bytes + size > self.size):
            closed = self.flush()
        self._open.append(line)
        self._bytes += size
        return closed

    def flush(self) -> Optional[Chunk]:
        if not self._open:
            return None
        lines = self._open
        senders = {line.sender for line in lines}
        mixed = len(senders) > 1
        # Encoded whole, not line by line: the same bytes ("\n" is "%0A"), in far fewer steps.
        encoded_list = encode_value(spec.LIST_LINE_SEPARATOR.join(
            [line.written(True) for line in lines] if mixed else [line.plain for line in lines]))
        message_id, send_time, extended, address = lines[0].key
        self._open, self._bytes = [], 0
        indices = tuple(line.index for line in lines)
        return Chunk(
            id=message_id or (self.name(indices) if self.name is not None else calls.new_message_id()),
            indices=indices,
            messages=tuple(line.message for line in lines),
            phones=tuple(line.phones for line in lines),
            sender=address if address is not None else (None if mixed else next(iter(senders))),
            time=send_time,
            encoded_list=encoded_list,
            extended=extended,
        )


class InputBroke:
    """The input itself raised while it was read (a file gone, a generator's own error; a bad
    row is a :class:`BadInput` instead): the last item :func:`chunks` gives. What was read before
    it is sent as usual, and the error is raised once their outcomes are out (:class:`Tally`)."""

    __slots__ = ("error",)

    def __init__(self, error: Exception) -> None:
        self.error = error


def chunks(messages: Iterable[MessageLike], lines: int, size: int,
           name: Optional[ChunkNamer] = None) -> Iterator[Union[Chunk, Failed, InputBroke]]:
    """Chunks in input order; a message that cannot be written is a Failed at its place. A chunk
    whose messages carry no id of their own gets ``name(indices)``, else a new random id."""
    chunker = _Chunker(lines, size, name)
    flood = FloodCount()  # a FloodWarning before the 51st message to one number is queued (004:284-286)
    items = iter(messages)
    index = -1
    while True:
        try:
            item = next(items)
        except StopIteration:
            break
        except Exception as error:  # noqa: BLE001 - the input's own: handed on after what it gave
            closed = chunker.flush()
            if closed is not None:
                yield closed
            yield InputBroke(error)
            return
        index += 1
        try:
            line = _Line(index, as_message(item))
            flood.warn(line.phones)
        except ValidationError as error:
            closed = chunker.flush()  # keeps the outcomes in input order
            if closed is not None:
                yield closed
            yield Failed(index, item if isinstance(item, Message) else Message("", str(error) if item is error
                                                                                  else repr(item)), error)
            continue
        closed = chunker.add(line)
        if closed is not None:
            yield closed
    closed = chunker.flush()
    if closed is not None:
        yield closed


# --- one chunk on the wire ---------------------------------------------------------------------


def _digits(phone: str) -> str:
    """A number as compared with the answer's ``errors``; an e-mail address as it is."""
    if "@" in phone:
        return phone.strip().lower()
    return "".join(ch for ch in phone if ch.isdigit()) or phone


def not_sent(chunk: Chunk, error: SmscError) -> List[Outcome]:
    """The outcome of each message of a chunk whose request failed with ``error``: Unknown when
    it may have reached the service, else Failed."""
    if isinstance(error, SendOutcomeUnknown):
        return [Unknown(i, m, error, chunk.id, p) for i, m, p in zip(chunk.indices, chunk.messages, chunk.phones)]
    return [Failed(i, m, error, chunk.id) for i, m in zip(chunk.indices, chunk.messages)]


def read_outcomes(chunk: Chunk, result: SendResult) -> List[Outcome]:
    """One outcome per message. ASSUMPTION (the page does not say): ``errors`` lists failed
    numbers in the order of the lines, so a number written in two lines takes its entries in
    that order."""
    refused: Dict[str, Deque[PhoneError]] = {}
    for entry in result.errors:
        refused.setdefault(_digits(entry.phone), deque()).append(entry)
    message_id, cost = result.id or chunk.id, result.cost if len(chunk) == 1 else None
    outcomes: List[Outcome] = []
    for index, message, phones in zip(chunk.indices, chunk.messages, chunk.phones):
        failed = tuple(refused[key].popleft() for key in map(_digits, phones) if refused.get(key)) if refused else ()
        if failed and len(failed) == len(phones):
            outcomes.append(Failed(index, message, None, message_id, failed))
            continue
        outcomes.append(sent(index, message, message_id, phones, cost, failed))
    return outcomes


def sent(index: int, message: Message, message_id: str, phones: Tuple[str, ...], cost: Optional[Decimal],
         failed: Tuple[PhoneError, ...]) -> Sent:
    """``Sent(...)``, the same object, without the frozen dataclass's six ``object.__setattr__``:
    one is made per message sent, on the thread that also writes the chunks, where the checked
    constructor cost as much as writing a line's phones. Held to ``Sent(...)`` by tests/test_bulk.py."""
    outcome = object.__new__(Sent)
    fields = outcome.__dict__
    fields["index"] = index
    fields["message"] = message
    fields["id"] = message_id
    fields["phones"] = phones
    fields["cost"] = cost
    fields["failed"] = failed
    return outcome


class Tally:
    """What both pipelines count as they go: queued messages and outcomes, and the progress."""

    def __init__(self) -> None:
        self.start = time.monotonic()
        self.queued = self.sent = self.failed = self.unknown = 0
        #: What the input raised, to be raised once the outcomes of what it gave before are out.
        self.input_error: Optional[Exception] = None

    def count(self, outcome: Outcome) -> None:
        if isinstance(outcome, Sent):
            self.sent += 1
        elif isinstance(outcome, Failed):
            self.failed += 1
        else:
            self.unknown += 1

    def progress(self) -> Progress:
        return Progress(self.queued, self.sent, self.failed, self.unknown, time.monotonic() - self.start)

    def next_chunk(self, source: Iterator[Union[Chunk, Failed, InputBroke]], queue: Deque[Any]) -> Optional[Chunk]:
        """The next chunk to send from ``source``, counted as queued; a message refused before
        sending takes its place in ``queue`` (in input order) as its own outcome. None at the end,
        and when the input broke off (kept for :meth:`raise_input_error`)."""
        for item in source:
            if isinstance(item, Failed):
                self.queued += 1
                queue.append([item])
                continue
            if isinstance(item, InputBroke):
                self.input_error = item.error
                return None
            self.queued += len(item)
            return item
        return None

    def raise_input_error(self) -> None:
        """At the end of a run, once every outcome is out: the input's error, if it broke off."""
        error, self.input_error = self.input_error, None
        if error is not None:
            add_note(error, f"send_bulk: the {self.queued} messages read before it were handled as usual (their "
                            "outcomes came before this error); the input was not read further")
            raise error

    def report(self, outcomes: List[Outcome], progress: Optional[Callable[[Progress], None]]) -> List[Outcome]:
        """``outcomes``, counted, and the progress told."""
        for outcome in outcomes:
            self.count(outcome)
        if progress is not None:
            progress(self.progress())
        return outcomes


#: Request ids named in the warning of a send_bulk stopped before its end; the others are counted.
UNREPORTED_IDS_SHOWN = 10


def unreported(left: List[Chunk]) -> str:
    """The warning for requests that had gone, or were going, to the service when the caller
    stopped reading send_bulk's outcomes (a ``break``, an error of its own): their outcomes were
    never given, so it names what to look up before sending those messages again."""
    ids = [chunk.id for chunk in left]
    shown = ", ".join(ids[:UNREPORTED_IDS_SHOWN])
    if len(ids) > UNREPORTED_IDS_SHOWN:
        shown += f" and {len(ids) - UNREPORTED_IDS_SHOWN} more"
    return (f"smsc_soap: send_bulk was stopped before its end: {sum(len(chunk) for chunk in left)} messages in "
            f"{len(left)} requests had gone, or were going, to the service, and their outcomes were not all "
            f"given. Look them up by id and numbers (client.reconcile_send) before sending them again: {shown}")


def check_options(concurrency: Optional[int], lines_per_request: int, bytes_per_request: int) -> int:
    """The requests at once to use; refuses options out of range (before anything is read)."""
    slots = spec.BULK_CONCURRENT_REQUESTS if concurrency is None else concurrency
    if not (isinstance(slots, int) and 1 <= slots <= spec.CONCURRENT_REQUESTS_ALLOWED):
        raise ValidationError(f"concurrency must be 1..{spec.CONCURRENT_REQUESTS_ALLOWED} "
                              "(the service refuses more requests at once under one login)", field="concurrency")
    if not (isinstance(lines_per_request, int) and lines_per_request >= 1):
        raise ValidationError("lines_per_request must be an int of at least 1", field="lines_per_request")
    if not (isinstance(bytes_per_request, int) and bytes_per_request >= 1):
        raise ValidationError("bytes_per_request must be an int of at least 1", field="bytes_per_request")
    return slots
