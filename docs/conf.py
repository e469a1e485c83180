"""Sphinx configuration of the smsc-soap documentation.

Both builds the repository's check runs must stay free of warnings:
``python -m sphinx -W --keep-going -b html docs build/docs/html`` and
``python -m sphinx -W --keep-going -b doctest docs build/docs/doctest``. The second runs every
example against a sandbox started in-process for each page (see ``doctest_global_setup``).
"""
from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))
sys.path.insert(0, str(HERE.parent))  # the package from this checkout, installed or not

import smsc_soap  # noqa: E402

project = "smsc-soap"
author = "smsc-soap contributors"
copyright = "smsc-soap contributors"
release = smsc_soap.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.doctest",
    "smsc_tables",
    "smsc_console",
]

html_theme = "furo"
html_title = f"smsc-soap {release}"
exclude_patterns = ["_build"]

# --- API reference ---------------------------------------------------------------------------
autodoc_typehints = "description"
autodoc_member_order = "bysource"
autodoc_default_options = {"show-inheritance": True}

# --- examples: every one runs against a sandbox ------------------------------------------------
# One sandbox per page (per doctest group): demo account alex/123 with 100.00, a free port on
# 127.0.0.1, a clock that stands still until ``sandbox.advance(seconds)``.
doctest_global_setup = """
import logging
import smsc_soap
from smsc_soap.sandbox import Sandbox
from smsc_console import run_console

sandbox = Sandbox().start()
# The back-off warnings some examples provoke would otherwise reach the build's stderr.
logging.getLogger("smsc_soap").addHandler(logging.NullHandler())
"""
doctest_global_cleanup = """
sandbox.stop()
"""
