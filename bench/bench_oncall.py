"""Cost of "who is on call at T" and of a one-year calendar, against same-run baselines.

    python bench/bench_oncall.py [--lookups 200000] [--calendars 7] [--rotations rotations/]

Lookups are timed one by one (perf_counter_ns) at random instants over two years, after a
warm-up pass has built the weekly tables, and compared with a plain ``zoneinfo`` conversion
of the same instants timed the same way (so the timer's own overhead is in both). Cold costs
(the first lookup in a week not seen before, which builds that week's table) and lookups with
preferences or overrides are printed too. The one-year calendar is ``build_ics`` for one
person, from a fresh resolver (cold) and again (warm), against a baseline of one zoneinfo
conversion per hour of the year, the least an hour-by-hour calendar would do. Goal: a lookup
under 50 µs. Figures, not assertions: machines are noisy.
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from supportbot.oncall import Override, Resolver, build_ics, load_rotation, person_shifts

START = datetime(2025, 1, 1, tzinfo=UTC)
SPAN = timedelta(days=730)


def percentile(samples: list[int], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def time_each(function: Callable[[datetime], object], instants: list[datetime]) -> list[int]:
    """Nanoseconds per call, one timing per instant."""
    clock = time.perf_counter_ns
    samples = []
    for instant in instants:
        before = clock()
        function(instant)
        samples.append(clock() - before)
    return samples


def report(name: str, samples: list[int], baseline: list[int] | None = None) -> None:
    median, p99 = statistics.median(samples), percentile(samples, 0.99)
    line = f"{name:<44} median {median / 1000:8.2f} µs   p99 {p99 / 1000:8.2f} µs"
    line += f"   mean {statistics.fmean(samples):9.0f} ns/op"
    if baseline is not None:
        line += f"   ratio {median / statistics.median(baseline):6.1f}x"
    print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lookups", type=int, default=200_000)
    parser.add_argument("--calendars", type=int, default=7)
    parser.add_argument("--rotations", type=Path, default=Path("rotations"))
    parser.add_argument("--person", default="wei")
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()

    rotation = load_rotation(args.rotations)
    rng = random.Random(args.seed)
    seconds = int(SPAN.total_seconds())
    instants = [START + timedelta(seconds=rng.randrange(seconds)) for _ in range(args.lookups)]
    dublin = ZoneInfo("Europe/Dublin")
    print(f"python {sys.version.split()[0]} on {platform.machine()}, {args.lookups} instants")
    print(f"rotation: {len(rotation.regions)} regions, {len(rotation.people)} people\n")

    # Cold: the first lookup in each week builds that week's table.
    resolver = Resolver(rotation)
    weeks = [START + timedelta(days=7 * n, hours=rng.randrange(168)) for n in range(104)]
    report(
        "lookup, cold week (builds its table)",
        time_each(lambda t: resolver.on_call(t, "L1"), weeks),
    )

    resolver = Resolver(rotation)
    for instant in instants:  # warm-up: every week's table and every answer
        resolver.snapshot(instant)
        resolver.on_call(instant, "L1", prefer_languages=("de",))
    baseline = time_each(lambda t: t.astimezone(dublin), instants)
    report("baseline: zoneinfo astimezone", baseline)
    table = {n: n for n in range(1024)}
    keys = [rng.randrange(1024) for _ in instants]
    position = iter(keys)
    report("baseline: dict lookup", time_each(lambda _t: table[next(position)], instants), baseline)
    report("on_call(t, 'L1')", time_each(lambda t: resolver.on_call(t, "L1"), instants), baseline)
    report("snapshot(t) (L1, L2, L3)", time_each(resolver.snapshot, instants), baseline)
    report(
        "on_call with language preference",
        time_each(lambda t: resolver.on_call(t, "L1", prefer_languages=("de",)), instants),
        baseline,
    )
    overrides = [
        Override("morgan", "L1", START + timedelta(days=d), START + timedelta(days=d, hours=6))
        for d in (10, 200, 400)
    ]
    report(
        "on_call with 3 overrides",
        time_each(lambda t: resolver.on_call(t, "L1", overrides=overrides), instants),
        baseline,
    )

    print()
    year = timedelta(days=365)
    hours = [START + timedelta(hours=h) for h in range(24 * 365)]
    calendar_baseline = []
    for _ in range(args.calendars):
        before = time.perf_counter_ns()
        for hour in hours:
            hour.astimezone(dublin)
        calendar_baseline.append(time.perf_counter_ns() - before)
    report("baseline: 8760 hourly zoneinfo conversions", calendar_baseline)
    cold, warm, size = [], [], 0
    for _ in range(args.calendars):
        fresh = Resolver(rotation)
        before = time.perf_counter_ns()
        body = build_ics(fresh, args.person, START, START + year)
        cold.append(time.perf_counter_ns() - before)
        before = time.perf_counter_ns()
        build_ics(fresh, args.person, START, START + year)
        warm.append(time.perf_counter_ns() - before)
        size = len(body)
    events = body.count(b"BEGIN:VEVENT")
    report(f"1-year calendar, cold ({events} events)", cold, calendar_baseline)
    report("1-year calendar, warm resolver", warm, calendar_baseline)
    shifts = []
    for _ in range(args.calendars):
        before = time.perf_counter_ns()
        person_shifts(fresh, args.person, START, START + year)
        shifts.append(time.perf_counter_ns() - before)
    report("1-year person_shifts only (no iCalendar)", shifts, calendar_baseline)
    print(f"(calendar: {size} bytes; p99 of {args.calendars} runs is their maximum)")


if __name__ == "__main__":
    main()
