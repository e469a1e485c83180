"""The async shell (httpx): the peers of :mod:`smsc_soap._sync`'s modules, used by
:class:`smsc_soap.AsyncClient`. Without httpx, importing it says which extra to install."""
from .._extras import require

require("httpx", "smsc_soap.AsyncClient")
