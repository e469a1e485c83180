"""Sending many messages: :meth:`smsc_soap.Client.send_bulk` and its outcomes.

The messages, chunks and outcomes are shared by both clients (:mod:`smsc_soap._core.bulk`, where
the rules of a bulk send are told); the sync pipeline is :mod:`smsc_soap._sync.bulk`, the async
one :mod:`smsc_soap._async.bulk`. This module keeps the names users import.
"""
from ._core.bulk import (
    BadInput, Chunk, ChunkNamer, Failed, FloodWarning, Message, MessageLike, Outcome, Progress, Sent, Unknown,
)
from ._sync.bulk import send_bulk

__all__ = [
    "BadInput", "Chunk", "ChunkNamer", "Failed", "FloodWarning", "Message", "MessageLike", "Outcome", "Progress",
    "Sent", "Unknown", "send_bulk",
]
