"""The sync client, :class:`smsc_soap.Client` (it lives in :mod:`smsc_soap._sync.client`, the peer
of :mod:`smsc_soap._async.client`); this module keeps the names users import.
"""
from ._sync.client import (  # noqa: F401 - the names this module always had
    Client, Reconciliation, new_message_id,
)

__all__ = ["Client", "Reconciliation", "new_message_id"]
