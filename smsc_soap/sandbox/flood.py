"""The sandbox's own reading of the flood rule (004:284-286; facts and the ASSUMPTION of what
fails: spec.FLOOD_*): is a message to a subscriber at ``at`` past the run's limit?"""
from __future__ import annotations

from typing import Iterable

from .. import spec


def blocked(earlier: Iterable[float], at: float) -> bool:
    """Whether a message sent at ``at`` is blocked, after messages to the same subscriber sent at
    ``earlier``: it would be past the FLOOD_MAX_MESSAGES-th of a run in which each message follows
    the one before by less than FLOOD_GAP_SECONDS."""
    run, last = 1, at
    for moment in sorted((t for t in earlier if t <= at), reverse=True):
        if last - moment >= spec.FLOOD_GAP_SECONDS:
            break
        run, last = run + 1, moment
    return run > spec.FLOOD_MAX_MESSAGES
