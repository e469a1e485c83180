"""The operator lookup of page 001 on the sandbox: its numbering table and the answer per number."""
from __future__ import annotations

from typing import Dict, List, Mapping, NamedTuple, Optional

from . import assumptions as A


class NumberInfo(NamedTuple):
    """What 001:99-112 returns for a number."""

    country: str
    operator: str
    region: str
    mcc: str
    mnc: str
    tz: str


#: ASSUMPTION (illustrative, not authoritative): the sandbox's numbering table, by number prefix
#: (longest wins); operator and region as :data:`.assumptions.NUMBERING_PLAN` says, the country
#: codes are the ITU's (mcc 250 Russia, 401 Kazakhstan, 255 Ukraine), ``tz`` is hours relative to
#: Moscow (as the send parameter tz, 004:66). A number no prefix matches has no operator (error 3).
LOOKUP_PLAN: Mapping[str, NumberInfo] = {
    "7999": NumberInfo("Russia", *A.NUMBERING_PLAN["7999"], "250", "99", "0"),
    "7903": NumberInfo("Russia", *A.NUMBERING_PLAN["7903"], "250", "99", "0"),
    "7916": NumberInfo("Russia", *A.NUMBERING_PLAN["7916"], "250", "01", "0"),
    "7921": NumberInfo("Russia", *A.NUMBERING_PLAN["7921"], "250", "02", "0"),
    "7701": NumberInfo("Kazakhstan", *A.NUMBERING_PLAN["7701"], "401", "02", "2"),
    "7705": NumberInfo("Kazakhstan", *A.NUMBERING_PLAN["7705"], "401", "01", "2"),
    "7707": NumberInfo("Kazakhstan", *A.NUMBERING_PLAN["7707"], "401", "07", "2"),
    "38050": NumberInfo("Ukraine", *A.NUMBERING_PLAN["38050"], "255", "01", "-1"),
    "38063": NumberInfo("Ukraine", *A.NUMBERING_PLAN["38063"], "255", "06", "-1"),
    "38067": NumberInfo("Ukraine", *A.NUMBERING_PLAN["38067"], "255", "03", "-1"),
}


def info(phone: str) -> Optional[NumberInfo]:
    """The entry for ``phone`` (digits, an optional "+"), or None when no prefix matches."""
    digits = phone.strip().lstrip("+")
    if not digits.isdigit():
        return None
    prefix = A.longest_prefix(LOOKUP_PLAN, digits)
    return None if prefix is None else LOOKUP_PLAN[prefix]


def answer(phones: str) -> Optional[List[Dict[str, str]]]:
    """The entries for a ``phone`` parameter (one number or a comma list; 001:63); numbers with
    no operator are left out of a list (ASSUMPTION); None when no number has one (error 3)."""
    numbers = [number.strip() for number in phones.split(",") if number.strip()]
    entries = []
    for number in numbers:
        found = info(number)
        if found is not None:
            entry = found._asdict()
            if len(numbers) > 1:  # 001:92: a list's entries name their phone
                entry = {"phone": number.lstrip("+"), **entry}
            entries.append(dict(entry))
    return entries or None
