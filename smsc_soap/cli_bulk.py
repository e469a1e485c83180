"""The old path of :mod:`smsc_soap.cli.bulk` (``smsc-soap bulk``), kept importable."""
from .cli.bulk import (
    FAILURES_SHOWN, INPUT_FIELDS, PLAIN_PROGRESS_EVERY, BadInput, Reporter, add_command, read_rows, run,
)

__all__ = ["BadInput", "FAILURES_SHOWN", "INPUT_FIELDS", "PLAIN_PROGRESS_EVERY", "Reporter", "add_command",
           "read_rows", "run"]
