"""The sync shell (requests): ``client``, ``transport``, ``pages``, ``bulk`` and ``engine``, the
peers of :mod:`smsc_soap._async`'s modules of the same names; neither imports the other. Users
import the public names from where they always were (:mod:`smsc_soap.client`, ...)."""
