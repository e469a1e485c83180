"""The sandbox's one reader of a whole number in a form field or query parameter: ASCII digits
only (``²``, ``٣``, ``1_000``, ``--5`` are not numbers), at most :data:`MAX_DIGITS` of them, so
that no value reaches ``int()`` to fail there (a traceback, a dropped connection): the caller
answers error 1 for a None.
"""
from __future__ import annotations

import re
from typing import Optional

#: ASSUMPTION (the sandbox's own bound): more digits than this are no number the pages take.
MAX_DIGITS = 18
_WHOLE = re.compile(rf"[0-9]{{1,{MAX_DIGITS}}}")
_SIGNED = re.compile(rf"[+-]?[0-9]{{1,{MAX_DIGITS}}}")


def whole(raw: Optional[str], *, signed: bool = False) -> Optional[int]:
    """``raw`` (spaces around it dropped) as an int, or None when it is not one."""
    text = (raw or "").strip()
    return int(text) if (_SIGNED if signed else _WHOLE).fullmatch(text) else None
