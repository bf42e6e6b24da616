"""Utilisation and load of the people on call: pages and interruptions, per person and per
region, split into business, off and sleep hours in the person's own zone. Pure.

- **Hours** (as PagerDuty reports interruptions), in the person's zone: *sleep* 22:00–08:00
  every day; *business* Monday to Friday 09:00–17:00; *off* everything else (evenings,
  weekends by day, 08:00–09:00 and 17:00–22:00 on weekdays).
- **Page**: one SMS or call sent to the person (a bundle of several incidents is one page),
  at the instant it was sent.
- **Interruption**: one incident that paged the person, at the instant of its first page to
  them: ten pages for one incident are one interruption.
- **Region**: the follow-the-sun region whose shift was paged (the escalation's region);
  "fallback" when none.
- The period is the calendar month in UTC (one month for every person, so rows add up).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time
from zoneinfo import ZoneInfo

BUCKETS = ("business", "off", "sleep")
SLEEP_FROM, SLEEP_UNTIL = time(22, 0), time(8, 0)
BUSINESS_FROM, BUSINESS_UNTIL = time(9, 0), time(17, 0)


def bucket(instant: datetime, zone: str) -> str:
    """``business``, ``off`` or ``sleep`` for an instant in ``zone``'s local time."""
    local = instant.astimezone(ZoneInfo(zone))
    clock = local.time()
    if clock >= SLEEP_FROM or clock < SLEEP_UNTIL:
        return "sleep"
    if local.weekday() < 5 and BUSINESS_FROM <= clock < BUSINESS_UNTIL:
        return "business"
    return "off"


@dataclass(frozen=True)
class PageRecord:
    person: str
    incident: str
    region: str | None
    sent_at: datetime


@dataclass
class Load:
    pages: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BUCKETS, 0))
    interruptions: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BUCKETS, 0))

    def row(self, grouping: str, name: str) -> dict[str, object]:
        out: dict[str, object] = {"grouping": grouping, "name": name}
        out["pages"] = sum(self.pages.values())
        out |= {f"pages_{b}": self.pages[b] for b in BUCKETS}
        out["interruptions"] = sum(self.interruptions.values())
        out |= {f"interruptions_{b}": self.interruptions[b] for b in BUCKETS}
        return out


COLUMNS = (
    "grouping", "name", "pages", "pages_business", "pages_off", "pages_sleep",
    "interruptions", "interruptions_business", "interruptions_off", "interruptions_sleep",
)  # fmt: skip


def utilisation(
    pages: Iterable[PageRecord], zone_of: dict[str, str], bounds: tuple[datetime, datetime]
) -> dict[tuple[str, str], Load]:
    """Load per ``("person", key)`` and ``("region", name)`` for pages sent in ``bounds``;
    a person's zone is ``zone_of[person]`` (UTC when unknown)."""
    out: dict[tuple[str, str], Load] = {}
    first: dict[tuple[str, str], PageRecord] = {}
    mine = sorted((p for p in pages if bounds[0] <= p.sent_at < bounds[1]),
                  key=lambda p: (p.sent_at, p.person))  # fmt: skip
    for page in mine:
        hours = bucket(page.sent_at, zone_of.get(page.person, "UTC"))
        new = (page.person, page.incident) not in first
        first.setdefault((page.person, page.incident), page)
        for key in (("person", page.person), ("region", page.region or "fallback")):
            load = out.setdefault(key, Load())
            load.pages[hours] += 1
            if new:
                load.interruptions[hours] += 1
    return dict(sorted(out.items()))
