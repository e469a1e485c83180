"""Deprecated: the pytest plugin is :mod:`smsc_soap.testing.plugin` now (entry point ``smsc_soap``).

``from smsc_soap.pytest_plugin import smsc_sandbox`` keeps working, with a DeprecationWarning.
The names are looked up on use only, so that naming this module as a plugin too
(``-p smsc_soap.pytest_plugin``, or an install whose metadata still lists it) registers the one
plugin once instead of registering its fixtures a second time.
"""
from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pytest

_MOVED = frozenset({"smsc_sandbox", "pytest_configure"})


def __getattr__(name: str) -> Any:
    if name in _MOVED:
        warnings.warn(f"smsc_soap.pytest_plugin.{name} is deprecated: use smsc_soap.testing.plugin.{name}",
                      DeprecationWarning, stacklevel=2)
        from .testing import plugin

        return getattr(plugin, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def pytest_addhooks(pluginmanager: "pytest.PytestPluginManager") -> None:
    """Named as a plugin, this old module registers the one plugin, unless it already is."""
    from .testing.plugin import register_once

    register_once(pluginmanager)
