"""What the supported Pythons (3.9 .. 3.13) do not all have, in one place."""
from __future__ import annotations

__all__ = ["add_note"]


def add_note(error: BaseException, note: str) -> None:
    """``error.add_note(note)``, also before Python 3.11.

    The errors promise ``__notes__``. Python 3.11 added ``BaseException.add_note``; on older
    Pythons the note is appended to ``__notes__`` (created on first use), the same attribute, so
    code that reads ``error.__notes__`` works on every supported Python. Tracebacks print the
    notes from 3.11 on only.
    """
    if not isinstance(note, str):
        raise TypeError(f"note must be a str, not {type(note).__name__}")
    native = getattr(error, "add_note", None)
    if native is not None:
        native(note)
        return
    notes = getattr(error, "__notes__", None)
    if notes is None:
        notes = []
        error.__notes__ = notes
    notes.append(note)
