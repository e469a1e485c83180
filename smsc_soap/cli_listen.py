"""The old path of :mod:`smsc_soap.cli.listen` (``smsc-soap listen``), kept importable."""
from .cli.listen import (
    ENV_SECRET, FORWARD_TIMEOUT_SECONDS, MAX_CONNECTIONS, POLL_SECONDS, SOCKET_TIMEOUT_SECONDS, Forwarder,
    add_command, describe, run,
)

__all__ = ["ENV_SECRET", "FORWARD_TIMEOUT_SECONDS", "MAX_CONNECTIONS", "POLL_SECONDS", "SOCKET_TIMEOUT_SECONDS",
           "Forwarder", "add_command", "describe", "run"]
