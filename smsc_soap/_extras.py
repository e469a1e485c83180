"""Optional dependencies: a missing one is an error that says which extra installs it.

``pip install smsc-soap`` brings only what the client itself needs; the async client, the
shared limits, the Celery tasks, the cassette kit and the command's progress bars need more,
installed with an extra (pyproject.toml's ``[project.optional-dependencies]``). Importing one of
those parts without its extra raises :class:`MissingExtra`, a ``ModuleNotFoundError`` (so an
``except ImportError`` still catches it) whose message is the command to run.
"""
from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["EXTRAS", "MissingExtra", "require"]

#: The top-level module of each optional dependency -> the extra that installs it.
EXTRAS = {
    "httpx": "async",
    "redis": "celery",
    "celery": "celery",
    "vcr": "testing",
    "pytest": "testing",
    "tqdm": "cli",
    "opentelemetry": "otel",
}


class MissingExtra(ModuleNotFoundError):
    """An optional dependency is not installed; the message names the extra to install."""


def require(module: str, needed_by: str) -> ModuleType:
    """``module`` imported, or :class:`MissingExtra` saying that ``needed_by`` needs it and
    which ``pip install 'smsc-soap[EXTRA]'`` brings it. Only the dependency's own absence is
    translated: an import failing inside an installed package is raised as it is."""
    top = module.partition(".")[0]
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        if error.name != top:
            raise
        extra = EXTRAS[top]
        raise MissingExtra(f"{needed_by} needs {top!r}, which is not installed: pip install 'smsc-soap[{extra}]'",
                           name=top) from None
