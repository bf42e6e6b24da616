"""Acknowledgement codes and SMS reply parsing. Pure.

A page says "Reply 1042A to acknowledge": the incident number and a letter for the paging
episode, short enough to type on a lock screen. A bare "ack" also works when the sender has
only one open page; anything else is an unrecognised text, never a guess.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

# The letters repeat one letter (A … Z, AA … ZZ, AAA …), as ack_code writes them.
_CODE = re.compile(r"^(?:ack(?:nowledge)?\s+)?(\d{1,9})(([a-z])\3*)\s*[.!]?$", re.IGNORECASE)
_BARE_ACK = {"1", "ack", "acknowledge", "ok", "okay", "yes", "y", "on it", "👍"}


def ack_code(incident_id: int, episode: int) -> str:
    """``episode`` counts paging episodes of one incident from 0 (A, B, … Z, then AA…)."""
    letters = string.ascii_uppercase
    suffix = letters[episode % 26] * (episode // 26 + 1)
    return f"{incident_id}{suffix}"


@dataclass(frozen=True)
class Reply:
    kind: str  # "code" | "bare_ack" | "unrecognised"
    code: str | None = None


def parse_reply(body: str) -> Reply:
    text = " ".join((body or "").split()).strip()
    match = _CODE.match(text)
    if match:
        return Reply("code", f"{int(match.group(1))}{match.group(2).upper()}")
    if text.lower().rstrip(".!") in _BARE_ACK:
        return Reply("bare_ack")
    return Reply("unrecognised")
