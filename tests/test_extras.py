"""A part that needs an extra, used without it, says which extra to install.

Each case runs in a fresh interpreter where the dependency is made missing the way Python
itself reports it (``sys.modules[name] = None``: importing it raises ModuleNotFoundError).
"""
from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from smsc_soap._extras import EXTRAS, MissingExtra, require

CASES = {
    "httpx": ("async", "from smsc_soap import AsyncClient"),
    "redis": ("celery", "from smsc_soap.limits import RedisLimits\nRedisLimits('redis://127.0.0.1:6379/0')"),
    "celery": ("celery", "import smsc_soap.celery"),
    "vcr": ("testing", "from smsc_soap.testing import make_vcr\nmake_vcr('cassettes')"),
    "opentelemetry": ("otel", "from smsc_soap.otel import OpenTelemetryHooks"),
}


@pytest.mark.parametrize("missing", sorted(CASES))
def test_a_missing_dependency_names_its_extra(missing: str) -> None:
    extra, use = CASES[missing]
    body = textwrap.indent(use, "    ")
    script = f"import sys\nsys.modules[{missing!r}] = None\ntry:\n{body}\nexcept ModuleNotFoundError as error:\n" \
             "    print(type(error).__name__, error.name)\n    print(error)\n"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    kind, message = done.stdout.splitlines()
    assert kind == f"MissingExtra {missing}"
    assert f"pip install 'smsc-soap[{extra}]'" in message and repr(missing) in message


def test_every_optional_dependency_has_its_extra_and_only_its_own_absence_is_translated() -> None:
    assert EXTRAS["tqdm"] == "cli" and set(CASES) <= set(EXTRAS)
    assert issubclass(MissingExtra, ModuleNotFoundError) and issubclass(MissingExtra, ImportError)
    with pytest.raises(ModuleNotFoundError) as caught:  # inside an installed package: as it is
        require("pytest.no_such_module_here", "this test")
    assert not isinstance(caught.value, MissingExtra)
    assert require("pytest", "this test") is sys.modules["pytest"]
