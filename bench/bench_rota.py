"""What the rota's talking to people costs the reconciler, per pass, against a same-run baseline.

    python bench/bench_rota.py [--passes 2000] [--rotations rotations/]

Each reconciler pass (every 15 s) works out who belongs in each Slack user group and which
shift starts fall in the next 2 hours; the 14-day snapshot of everyone's shifts is computed
only when the rotation or the overrides changed (or hourly). Each is timed at random instants
over two years on a warm resolver, against ``snapshot(t)`` (what ``/oncall`` computes) timed
the same way. The 14-day snapshot is also timed cold (a fresh resolver: a rotation file just
edited), against the same baseline. Figures, not assertions: machines are noisy.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from supportbot.oncall import Resolver, load_rotation
from supportbot.oncall.reminders import PLAN_AHEAD, shift_starts
from supportbot.oncall.rota_changes import WINDOW, shifts_of_everyone
from supportbot.oncall.usergroups import desired_groups

START = datetime(2025, 1, 1, tzinfo=UTC)
SPAN = timedelta(days=730)


def time_each(function: Callable[[datetime], object], instants: list[datetime]) -> list[int]:
    samples = []
    for instant in instants:
        before = time.perf_counter_ns()
        function(instant)
        samples.append(time.perf_counter_ns() - before)
    return samples


def report(name: str, samples: list[int], baseline: list[int] | None = None) -> None:
    ordered = sorted(samples)
    median, p99 = (
        statistics.median(ordered),
        ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))],
    )
    line = f"{name:<46} median {median / 1000:10.1f} µs   p99 {p99 / 1000:10.1f} µs"
    if baseline is not None:
        line += f"   ratio {median / statistics.median(baseline):7.1f}x"
    print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=2000)
    parser.add_argument("--snapshots", type=int, default=30)
    parser.add_argument("--rotations", type=Path, default=Path("rotations"))
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    rotation = load_rotation(args.rotations)
    rng = random.Random(args.seed)
    seconds = int(SPAN.total_seconds())
    instants = [START + timedelta(seconds=rng.randrange(seconds)) for _ in range(args.passes)]
    found = Resolver(rotation)
    for instant in instants:  # warm: every week's table the passes touch
        found.snapshot(instant)
        list(shift_starts(found, instant, instant + PLAN_AHEAD))
    print(f"rotation: {len(rotation.regions)} regions, {len(rotation.people)} people, "
          f"{args.passes} passes\n")  # fmt: skip
    baseline = time_each(found.snapshot, instants)
    report("baseline: snapshot(t) (what /oncall computes)", baseline)
    report("user groups wanted (13 groups)", time_each(
        lambda t: desired_groups(found, t, []), instants), baseline)  # fmt: skip
    report("shift starts in the next 2 h (reminders)", time_each(
        lambda t: list(shift_starts(found, t, t + PLAN_AHEAD)), instants), baseline)  # fmt: skip
    some = instants[: args.snapshots]
    report("14-day shifts of everyone, warm", time_each(
        lambda t: shifts_of_everyone(found, t, t + WINDOW, []), some), baseline)  # fmt: skip
    report("14-day shifts of everyone, cold (file edited)", time_each(
        lambda t: shifts_of_everyone(Resolver(rotation), t, t + WINDOW, []), some),
        baseline)  # fmt: skip


if __name__ == "__main__":
    main()
