"""``__notes__`` on every supported Python: the errors promise it, 3.9 and 3.10 lack add_note."""
from __future__ import annotations

import sys
import traceback

import pytest

from smsc_soap import SmscError
from smsc_soap._compat import add_note


def test_add_note_appends_to_dunder_notes_in_order() -> None:
    error = SmscError("boom")
    add_note(error, "first")
    add_note(error, "second")
    assert error.__notes__ == ["first", "second"]
    if sys.version_info >= (3, 11):  # the native method: Python prints the notes with the traceback
        assert "second" in "".join(traceback.format_exception(type(error), error, None))


def test_add_note_refuses_what_add_note_refuses() -> None:
    with pytest.raises(TypeError):
        add_note(ValueError(), b"bytes")  # type: ignore[arg-type]
