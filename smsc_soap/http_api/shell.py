"""The pages' sync shell (it lives in :mod:`smsc_soap._sync.pages`, the peer of
:mod:`smsc_soap._async.pages`); this module keeps the names users import.
"""
from .._sync.pages import STREAM_CHUNK, HttpShell  # noqa: F401 - the names this module always had

__all__ = ["STREAM_CHUNK", "HttpShell"]
