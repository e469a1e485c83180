"""Issue 15, point 6: the docs' channel table is generated from spec.CHANNELS (one row each,
naming the helper, what selects the channel and what it needs), and docs/channels.rst has an
example per channel, run by the doctest build against a sandbox."""
from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path
from typing import List, Tuple

import pytest

from smsc_soap import channels, spec

pytest.importorskip("docutils", reason="the docs extension builds docutils nodes; install '.[docs]'")
pytest.importorskip("sphinx", reason="the docs extension is a Sphinx extension; install '.[docs]'")

DOCS = Path(__file__).resolve().parent.parent / "docs"


def _rows() -> List[Tuple[str, ...]]:
    sys.path.insert(0, str(DOCS / "_ext"))
    try:
        rows: List[Tuple[str, ...]] = importlib.import_module("smsc_tables").channel_rows()
        return rows
    finally:
        sys.path.remove(str(DOCS / "_ext"))


def test_one_row_per_channel_with_its_helper_flag_and_needs() -> None:
    header, *rows = _rows()
    assert header[:4] == ("Channel", "Helper", "Selected by", "Needs")
    assert [row[0] for row in rows] == [c.title for c in spec.CHANNELS.values()]
    by_title = {row[0]: row for row in rows}
    assert by_title["E-mail"][1:4] == (":class:`~smsc_soap.channels.Email`", "``mail=1``",
                                       "``subj``, ``sender`` (e-mail address)")
    assert by_title["Binary SMS"][2] == "``bin=1|2``" and by_title["Telegram bot"][2] == "``bot=NAME``"


def test_the_page_has_an_example_for_every_helper() -> None:
    page = (DOCS / "channels.rst").read_text(encoding="utf-8")
    assert "toctree" not in page and ".. smsc-channel-table::" in page
    examples = "\n".join(re.findall(r"\.\. testcode::\n\n((?:    .*\n|\n)+)", page))
    for helper in channels.HELPERS.values():
        assert f"{helper.__name__}(" in examples, helper
    assert "channels" in (DOCS / "index.rst").read_text(encoding="utf-8")
