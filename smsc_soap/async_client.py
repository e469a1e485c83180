"""The async client, :class:`smsc_soap.AsyncClient` (it lives in :mod:`smsc_soap._async.client`);
this module keeps the name users import.
"""
from ._async.client import (  # noqa: F401 - the names this module always had
    AsyncClient,
)

__all__ = ["AsyncClient"]
