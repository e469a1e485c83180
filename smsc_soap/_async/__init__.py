"""The async shell: httpx under zeep's async transport (:mod:`.transport`), used by
:class:`smsc_soap.AsyncClient`."""
