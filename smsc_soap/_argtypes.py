"""The old path of :mod:`smsc_soap.cli.argtypes` (typed command-line values), kept importable."""
from .cli.argtypes import (
    OneLineParser, bounded_int, checked, id_or_name, message_id, port, positive_seconds, service_host,
    service_url, whole, xml_text,
)
from .cli.exits import EXIT_USAGE

__all__ = ["EXIT_USAGE", "OneLineParser", "bounded_int", "checked", "id_or_name", "message_id", "port",
           "positive_seconds", "service_host", "service_url", "whole", "xml_text"]
