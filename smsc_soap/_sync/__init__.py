"""Parts of the sync (requests) shell that are not public modules of their own.

The shell's public modules stay :mod:`smsc_soap.client` and :mod:`smsc_soap.transport`: users,
the testing kit (it patches the transport's pool classes) and the CLI import from there.
"""
