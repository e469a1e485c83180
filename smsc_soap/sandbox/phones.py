"""Phone numbers as the ``phones``/``phone`` parameters carry them (seed 004, ``phones``)."""
from __future__ import annotations

import re
from typing import List

from .. import spec
from .assumptions import (AUTOCORRECT_RULES, NUMBER_LENGTH_BY_PREFIX, PHONE_DIGITS, PHONE_SEPARATORS,
                          longest_prefix)


class BadPhone(ValueError):
    """Not a phone number in international format (error 7)."""


_LIST_SEPARATORS = re.compile("[" + re.escape(spec.PHONE_SEPARATORS) + "]")


def split_phones(value: str) -> List[str]:
    """The entries of a ``phones`` list (separated by "," or ";"), blanks dropped."""
    return [item.strip() for item in _LIST_SEPARATORS.split(value) if item.strip()]


def normalize(raw: str) -> str:
    """The number in digits only (no "+"), auto-corrected unless written with "+"."""
    text = raw.strip()
    lo, hi = PHONE_DIGITS
    if text.startswith(spec.PHONE_PLUS):
        digits = text[len(spec.PHONE_PLUS):]
    else:
        digits = PHONE_SEPARATORS.sub("", text)
        for pattern, replacement in AUTOCORRECT_RULES:
            if pattern.match(digits):
                digits = pattern.sub(replacement, digits)
                break
    if not (digits.isascii() and digits.isdigit() and lo <= len(digits) <= hi):
        raise BadPhone(f"{raw!r} is not an international phone number")
    zone = longest_prefix(NUMBER_LENGTH_BY_PREFIX, digits)
    if zone is not None and len(digits) != NUMBER_LENGTH_BY_PREFIX[zone]:
        raise BadPhone(f"{raw!r} has {len(digits)} digits; numbers in +{zone} have {NUMBER_LENGTH_BY_PREFIX[zone]}")
    return digits


def dedupe(phones: List[str]) -> List[str]:
    """``phones`` with repeats removed, first occurrence kept."""
    return list(dict.fromkeys(phones))
