"""Acknowledgement codes and SMS reply parsing. Pure.

A page says "Reply 1042A to acknowledge": the incident number and a letter for the paging
episode, short enough to type on a lock screen. A bare "ack" also works when the sender has
only one open page; anything else is an unrecognised text, never a guess.
"""

from __future__ import annotations

import re
import string
import unicodedata
from dataclasses import dataclass

# The letters repeat one letter (A … Z, AA … ZZ, AAA …), as ack_code writes them.
_CODE = re.compile(r"^(?:ack(?:nowledge)?\s+)?(\d{1,9}) ?(([a-z])\3*)\s*[.!]?$", re.IGNORECASE)
# Invisible characters a paste or a keyboard adds (zero-width space and joiners, a BOM).
_INVISIBLE = re.compile("[\u200b-\u200d\u2060\ufeff]")
_BARE_ACK = {"1", "ack", "acknowledge", "ok", "okay", "yes", "y", "on it", "👍"}
# Twilio's own opt-out and opt-in words (the whole text, any case): after the first, Twilio
# refuses every SMS to the sender (error 21610) until one of the second. ("yes" opts in at
# Twilio too, and acknowledges here.)
_OPT_OUT = {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "optout", "revoke"}
_OPT_IN = {"start", "unstop"}


def ack_code(incident_id: int, episode: int) -> str:
    """``episode`` counts paging episodes of one incident from 0 (A, B, … Z, then AA…)."""
    letters = string.ascii_uppercase
    suffix = letters[episode % 26] * (episode // 26 + 1)
    return f"{incident_id}{suffix}"


@dataclass(frozen=True)
class Reply:
    kind: str  # "code" | "bare_ack" | "opt_out" | "opt_in" | "unrecognised"
    code: str | None = None


def parse_reply(body: str) -> Reply:
    # NFKC: a full-width "１０４２Ａ" (a Chinese or Japanese keyboard) is "1042A".
    text = " ".join(_INVISIBLE.sub("", unicodedata.normalize("NFKC", body or "")).split())
    match = _CODE.match(text)
    if match:
        return Reply("code", f"{int(match.group(1))}{match.group(2).upper()}")
    word = text.lower().rstrip(".!")
    if word in _BARE_ACK:
        return Reply("bare_ack")
    if word in _OPT_OUT:
        return Reply("opt_out")
    if word in _OPT_IN:
        return Reply("opt_in")
    return Reply("unrecognised")
