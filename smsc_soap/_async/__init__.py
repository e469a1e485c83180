"""The async shell: httpx under zeep's async transport (:mod:`.transport`), used by
:class:`smsc_soap.AsyncClient`. Without httpx, importing it says which extra to install."""
from .._extras import require

require("httpx", "smsc_soap.AsyncClient")
