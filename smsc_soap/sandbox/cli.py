"""The old path of :mod:`smsc_soap.cli.sandbox` (``smsc-soap sandbox``), kept importable."""
from ..cli.sandbox import add_arguments, main, run

__all__ = ["add_arguments", "main", "run"]
