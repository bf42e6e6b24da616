"""Send throttles per contact method. Pure.

Defaults from the issue: at most one message a minute per contact method, and at most 5 SMS
and 3 calls per 15 minutes. A throttled page waits (and is bundled with others to the same
number); it is never dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Limits:
    min_gap: timedelta = timedelta(minutes=1)
    window: timedelta = timedelta(minutes=15)
    sms_per_window: int = 5
    calls_per_window: int = 3

    def cap(self, channel: str) -> int:
        return self.sms_per_window if channel == "sms" else self.calls_per_window


DEFAULT_LIMITS = Limits()


def next_allowed(
    sent: Sequence[datetime], channel: str, now: datetime, limits: Limits = DEFAULT_LIMITS
) -> datetime:
    """The earliest instant at or after ``now`` at which one more message may go out.

    ``sent`` are the send times of earlier messages on this contact method (number and
    channel), in any order.
    """
    earliest = now
    if sent:
        earliest = max(earliest, max(sent) + limits.min_gap)
    recent = sorted(t for t in sent if t > now - limits.window)
    cap = limits.cap(channel)
    if len(recent) >= cap:
        # The (len - cap + 1)-th oldest must leave the window before one more fits.
        earliest = max(earliest, recent[len(recent) - cap] + limits.window)
    return earliest
