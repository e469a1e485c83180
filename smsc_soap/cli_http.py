"""The old path of :mod:`smsc_soap.cli.pages` (``smsc-soap operator``, ``jobs``, ``exports``), kept importable."""
from .cli.pages import (
    PROGRESS_LINE_BYTES, SANDBOX_EXPORT_NAME, SANDBOX_MAILING, add_commands, cmd_exports_get, cmd_exports_list,
    cmd_jobs_add, cmd_jobs_cancel, cmd_jobs_delete, cmd_jobs_get, cmd_jobs_list, cmd_operator,
)

__all__ = ["PROGRESS_LINE_BYTES", "SANDBOX_EXPORT_NAME", "SANDBOX_MAILING", "add_commands", "cmd_exports_get",
           "cmd_exports_list", "cmd_jobs_add", "cmd_jobs_cancel", "cmd_jobs_delete", "cmd_jobs_get", "cmd_jobs_list",
           "cmd_operator"]
