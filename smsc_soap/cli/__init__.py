"""The ``smsc-soap`` command: the SMSC SOAP service from a shell.

``send``, ``cost``, ``status`` and ``balance`` call the service (or, with ``--sandbox``, a
sandbox running inside the command); ``wsdl`` prints the vendored WSDL for an endpoint;
``sandbox`` serves a local sandbox. Credentials come from the environment (or a password
prompt), never from the command line. Every error is one line on stderr and an exit code from
:data:`EXIT_CODES`.

The layers, each importing only those below it (tests/test_import_graph.py keeps it so):
:mod:`.main` (the parser and :func:`main`) over the subcommands (:mod:`.soap`, :mod:`.pages`,
:mod:`.bulk`, :mod:`.sandbox`, :mod:`.listen`, :mod:`.channels`) over the shared parts
(:mod:`.connection`, :mod:`.options`, :mod:`.extended`, :mod:`.context`, :mod:`.output`,
:mod:`.argtypes`, :mod:`.exits`). This module only gathers the names users import from here.
"""
from .connection import connect
from .context import ENV_APIKEY, ENV_HOST, ENV_LOGIN, ENV_PASSWORD, ENV_URL, Context, Sleep
from .exits import (
    EXIT_CODES, EXIT_FILE, EXIT_INTERRUPTED, EXIT_LOCKED, EXIT_NOT_DELIVERED, EXIT_OK, EXIT_PENDING,
    EXIT_SERVICE, EXIT_TRANSPORT, EXIT_USAGE, FileError, NotDelivered, StillPending, UsageError,
)
from .extended import SECRET_PARAMS, add_extended_options, extended_values
from .main import _interrupted, build_parser, main
from .options import ENVIRONMENT
from .output import Output
from .soap import (
    DEFAULT_WAIT_TIMEOUT, DELIVERED_STATUSES, POLL_INTERVAL, SANDBOX_SEND_COST, STATUS_REQUESTS_PER_MINUTE,
    cmd_balance, cmd_cost, cmd_send, cmd_status, cmd_wsdl, wait_final,
)

__all__ = [
    "Context", "DEFAULT_WAIT_TIMEOUT", "DELIVERED_STATUSES", "ENVIRONMENT", "ENV_APIKEY", "ENV_HOST",
    "ENV_LOGIN", "ENV_PASSWORD", "ENV_URL", "EXIT_CODES", "EXIT_FILE", "EXIT_INTERRUPTED", "EXIT_LOCKED",
    "EXIT_NOT_DELIVERED", "EXIT_OK", "EXIT_PENDING", "EXIT_SERVICE", "EXIT_TRANSPORT", "EXIT_USAGE", "FileError",
    "NotDelivered", "Output",
    "POLL_INTERVAL", "SANDBOX_SEND_COST", "SECRET_PARAMS", "STATUS_REQUESTS_PER_MINUTE", "Sleep", "StillPending",
    "UsageError", "add_extended_options", "build_parser", "cmd_balance", "cmd_cost", "cmd_send", "cmd_status",
    "cmd_wsdl", "connect", "extended_values", "main", "wait_final",
]
