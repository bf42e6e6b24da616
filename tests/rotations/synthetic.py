"""Rotation documents for tests, written as the YAML people write, so the loader runs too."""

from __future__ import annotations

from pathlib import Path

EXAMPLE_DIR = Path(__file__).resolve().parents[2] / "rotations"


def people(count: int = 6) -> str:
    lines = ["people:"]
    for n in range(1, count + 1):
        lines.append(f"  p{n}: {{slack: U00000000{n}, phone: '+1555010000{n}', name: P{n}}}")
    return "\n".join(lines) + "\n"


def edge_rotation(zone: str, country: str, subdivision: str | None) -> str:
    """Boundaries placed where DST bites: 01:30, 02:00, 02:30, crossing midnight, hourly.

    Night (22:00–02:30, every day) overlaps Day (01:45–21:00, Mon–Sat, with holidays); the
    fallback covers 21:00–22:00 and Sundays for L1 and L2, and has no L3 roster, so L3 is
    "nobody" then.
    """
    subdiv = f", subdivision: {subdivision}" if subdivision else ""
    return (
        people()
        + f"""
regions:
  - name: Night
    time_zone: {zone}
    shift: {{start: "22:00", end: "02:30"}}
    working_days: [mon, tue, wed, thu, fri, sat, sun]
    rosters:
      L1: {{rotation: hourly, handoff_time: "00:30", start: 2024-12-30, primary: [p1, p2, p3]}}
      L2: {{rotation: daily, handoff_time: "02:30", start: 2024-12-30, primary: [p4, p5]}}
      L3:
        rotation: weekly
        handoff_time: "01:30"
        start: 2024-12-29
        primary: [p6, p1]
        secondary: [p2, p3]
  - name: Day
    time_zone: {zone}
    shift: {{start: "01:45", end: "21:00"}}
    working_days: [mon, tue, wed, thu, fri, sat]
    holidays: {{country: {country}{subdiv}}}
    rosters:
      L1: {{rotation: daily, handoff_time: "02:00", start: 2025-01-01, primary: [p2, p3, p4, p5]}}
      L3: {{rotation: hourly, handoff_time: "00:00", start: 2025-01-01, primary: [p5, p6, p1]}}
fallback:
  name: Spare
  time_zone: {zone}
  rosters:
    L1: {{rotation: daily, handoff_time: "02:15", start: 2025-01-01, primary: [p6, p1, p2]}}
    L2: {{rotation: weekly, handoff_time: "01:00", start: 2025-01-05, primary: [p3, p4]}}
"""
    )


def three_zone_rotation() -> str:
    """Kolkata (+05:30), Lord Howe (+10:30/+11, 30-minute DST) and St John's (−03:30/−02:30),
    each 08:00–20:00 on weekdays, overlapping in places, with a UTC fallback."""
    regions = [
        ("Kolkata", "Asia/Kolkata", "IN", None),
        ("Lord Howe", "Australia/Lord_Howe", "AU", "NSW"),
        ("St Johns", "America/St_Johns", "CA", "NL"),
    ]
    text = people() + "regions:\n"
    for number, (name, zone, country, subdivision) in enumerate(regions):
        subdiv = f", subdivision: {subdivision}" if subdivision else ""
        first, second = f"p{number * 2 + 1}", f"p{number * 2 + 2}"
        pair, swapped = f"{first}, {second}", f"{second}, {first}"
        text += f"""  - name: {name}
    time_zone: {zone}
    shift: {{start: "08:00", end: "20:00"}}
    holidays: {{country: {country}{subdiv}}}
    rosters:
      L1: {{rotation: daily, handoff_time: "08:00", start: 2025-01-06, primary: [{pair}]}}
      L2: {{rotation: hourly, handoff_time: "00:30", start: 2025-01-06, primary: [{swapped}]}}
      L3: {{rotation: weekly, handoff_time: "12:00", start: 2025-01-08, primary: [{first}]}}
"""
    return (
        text
        + """fallback:
  name: Follow-the-moon
  time_zone: UTC
  rosters:
    L1: {rotation: daily, handoff_time: "00:00", start: 2025-01-01, primary: [p1, p3, p5]}
    L2: {rotation: daily, handoff_time: "00:00", start: 2025-01-01, primary: [p2, p4, p6]}
    L3: {rotation: daily, handoff_time: "00:00", start: 2025-01-01, primary: [p6]}
"""
    )


def fallback_only(zone: str, rotation: str, handoff: str, count: int = 5) -> str:
    """No regions: one fallback roster that always holds L1, to watch handoffs alone."""
    members = ", ".join(f"p{n}" for n in range(1, count + 1))
    return (
        people(count)
        + f"""
fallback:
  name: Solo
  time_zone: {zone}
  rosters:
    L1: {{rotation: {rotation}, handoff_time: "{handoff}", start: 2025-01-01, primary: [{members}]}}
"""
    )


def one_region(
    *,
    zone: str = "Europe/Dublin",
    window: tuple[str, str] = ("08:00", "20:00"),
    days: str = "[mon, tue, wed, thu, fri]",
    holidays: str = "",
    fallback: bool = True,
) -> str:
    text = (
        people()
        + f"""
regions:
  - name: Solo
    time_zone: {zone}
    shift: {{start: "{window[0]}", end: "{window[1]}"}}
    working_days: {days}
    {f"holidays: {holidays}" if holidays else ""}
    rosters:
      L1: {{rotation: daily, handoff_time: "{window[0]}", start: 2025-01-06, primary: [p1, p2]}}
"""
    )
    if fallback:
        text += """fallback:
  name: Backstop
  time_zone: UTC
  rosters:
    L1: {rotation: weekly, handoff_time: "00:00", start: 2025-01-06, primary: [p5, p6]}
"""
    return text
