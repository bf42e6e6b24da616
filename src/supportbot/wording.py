"""How times read in Slack posts, cards and answers: one wording everywhere."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo


def time_left(due: datetime | None, now: datetime) -> str:
    """``2h05m``, ``45m``, or ``-10m`` when overdue; ``paused`` for a stopped clock."""
    if due is None:
        return "paused"
    return span(due - now)


def span(length: timedelta) -> str:
    """``2h05m``, ``45m``, or ``-10m`` for a negative length: the wording of time left, for
    a length counted on any basis (business time left is not ``due - now``)."""
    seconds = int(length.total_seconds())
    sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
    hours, rest = divmod(seconds, 3600)
    return f"{sign}{hours}h{rest // 60:02d}m" if hours else f"{sign}{rest // 60}m"


def local_time(at: datetime | None, zone: ZoneInfo, *, seconds: bool = False) -> str:
    """``Mon 02 Mar 14:30 CET``; ``paused`` for a clock with no due time. With ``seconds``
    (``14:30:05``) for instants a minute apart, such as a page the throttle holds back."""
    if at is None:
        return "paused"
    return at.astimezone(zone).strftime(f"%a %d %b %H:%M{':%S' if seconds else ''} %Z")


_MENTION = re.compile(r"&lt;([@#][UWC][A-Z0-9]{2,})(\|[^&<>]*)?&gt;")
# Explicit direction controls (embeddings, overrides, isolates and their ends): one typed
# into a title turns the rest of its line around, the bot's own words after it included.
_DIRECTION = re.compile("[\u202a-\u202e\u2066-\u2069]")


def undirected(text: str) -> str:
    """``text`` without explicit direction controls; the letters of every script stay."""
    return _DIRECTION.sub("", text)


# What no phone shows and XML 1.0 cannot carry (a call's TwiML would not parse): control
# characters (a terminal colour code or a bell pasted into a title), lone surrogates and
# the two non-characters.
_UNSAYABLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def plain(text: str) -> str:
    """``text`` for an SMS or a call to read out: one line, without control characters or
    direction controls (:func:`undirected`)."""
    return _UNSAYABLE.sub("", " ".join(undirected(text).split()))


def inert(text: str, *, keep_mentions: bool = False) -> str:
    """Text someone wrote, made safe to re-post in a Slack message.

    ``<`` and ``>`` open Slack's control sequences (``<!channel>``, ``<@U…>``,
    ``<https://…|label>``); escaped, they show as typed and notify or link nobody. ``&`` is
    left alone: Slack already sends a typed ``&``, ``<`` or ``>`` escaped, and escaping it
    again would show ``&amp;lt;``. With ``keep_mentions`` (staff writing in the triage
    thread) a plain user or channel mention still works; broadcasts and links never do.
    Direction controls are left out (:func:`undirected`).
    """
    escaped = undirected(text).replace("<", "&lt;").replace(">", "&gt;")
    if keep_mentions:
        escaped = _MENTION.sub(lambda m: f"<{m.group(1)}{m.group(2) or ''}>", escaped)
    return escaped


# What an escape can be cut into: a bare "&" typed in the text is not one of them (inert
# leaves "&" alone), and the cut before it must not drop the rest of the text.
_ENTITIES = ("&lt;", "&gt;", "&amp;")


def inert_within(text: str, limit: int, *, keep_mentions: bool = False) -> str:
    """``inert(text)`` in at most ``limit`` characters, cut with "…" when longer. Escaped
    first, then cut: each ``<`` escaped is four characters, so text cut to the limit first
    and escaped after went over Slack's block limit (a pasted XML fault kept an incident's
    card from ever being posted), and the cut never splits an ``&lt;``."""
    return clip(inert(text, keep_mentions=keep_mentions), limit)


def clip(posted: str, limit: int) -> str:
    """Text already fit to post (escaped, its mentions and links whole) in at most ``limit``
    characters, cut with "…" when longer, never inside an ``&lt;`` or a ``<…>`` sequence:
    either would reach the reader as ``&l…`` or as a broken link."""
    if len(posted) <= limit:
        return posted
    cut = posted[: limit - 1]
    entity = cut.rfind("&")
    if entity != -1 and any(e.startswith(cut[entity:]) for e in _ENTITIES):
        cut = cut[:entity]  # an entity the cut would split: left out whole
    opened = cut.rfind("<")
    if opened != -1 and ">" not in cut[opened:]:
        cut = cut[:opened]  # likewise a mention or a link
    return cut + "…"


def mention(actor: str) -> str:
    """How an actor reads in a post: a Slack user is mentioned; anyone else (an integration,
    ``alerts:prometheus``) is named as inert code text."""
    if not actor.startswith("alerts:"):
        return f"<@{actor}>"
    shown = inert(actor).replace("`", "'")
    return f"`{shown}`"
