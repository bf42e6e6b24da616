"""How well the breach forecast foresees breaches, on a generated history, and how fast it is.

History: seeded synthetic incidents (Sev1 and Sev2, Premier/Standard/Basic), each needing a
log-normal amount of work (median half its resolution target, wide spread) that the load of
its level at the time (open incidents per person on shift, 0.5 to 3) stretches, with noise.
The first 2,000 are the history; the next 1,000 are replayed: every 15 minutes from opening
until the first resolution reminder (50 % of the target) or resolution, the forecast is asked
(:func:`supportbot.followups.forecast.forecast`, the product's pure model); an alarm counts
once per incident. Against the truth (resolved after its target = a breach) it prints the
breaches foreseen, the false alarms and the lead time, for the model, the model blind to
load, and the product without forecasts (nothing is said before the first reminder); then
the median and p99 time of one forecast against sorting the same history (a baseline of the
same size measured in the same run).

    .venv/bin/python bench/bench_forecast.py [--seed N]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from supportbot.followups.forecast import Sample, Situation, forecast, stretch_for  # noqa: E402

TARGETS_H = {  # resolution targets (hours), the default table
    (1, "premier"): 4, (1, "standard"): 8, (1, "basic"): 24,
    (2, "premier"): 24, (2, "standard"): 48, (2, "basic"): 72,
}  # fmt: skip
STEP = timedelta(minutes=15)
SHIFT = 2  # people on shift at L1


@dataclass(frozen=True)
class Case:
    severity: int
    tier: str
    open_at_level: int  # open incidents at L1 while it ran (its own included)
    duration: timedelta

    @property
    def target(self) -> timedelta:
        return timedelta(hours=TARGETS_H[(self.severity, self.tier)])


def generate(rng: random.Random, n: int) -> list[Case]:
    cases = []
    for _ in range(n):
        severity, tier = rng.choice(list(TARGETS_H))
        target_h = TARGETS_H[(severity, tier)]
        work_h = rng.lognormvariate(0, 0.6) * 0.5 * target_h
        open_ = rng.randint(1, 6)
        stretch = max(1.0, open_ / SHIFT) ** 0.8 * rng.lognormvariate(0, 0.15)
        cases.append(Case(severity, tier, open_, timedelta(hours=work_h * stretch)))
    return cases


@dataclass
class Score:
    alarms_breached: int = 0
    false_alarms: int = 0
    breaches: int = 0
    lead_h: list[float] | None = None

    def line(self, name: str, total: int) -> str:
        lead = statistics.median(self.lead_h) if self.lead_h else 0.0
        caught = self.alarms_breached / self.breaches if self.breaches else 0.0
        alarms = self.alarms_breached + self.false_alarms
        precision = self.alarms_breached / alarms if alarms else 0.0
        return (
            f"{name:<28} breaches {self.breaches:4d}  foreseen {self.alarms_breached:4d} "
            f"({caught:5.1%})  false alarms {self.false_alarms:4d} of {total - self.breaches} "
            f"on time  precision {precision:5.1%}  median lead {lead:5.1f} h"
        )


def replay(tests: list[Case], history: list[Case], threshold: float, *, load_aware: bool) -> Score:
    by_kind: dict[tuple[int, str], list[timedelta | Sample]] = {}
    for case in history:
        # Blind to load: durations as they were; aware: each with the load it ran under.
        seen = (
            Sample(case.duration, stretch_for(case.open_at_level, SHIFT))
            if load_aware
            else case.duration
        )
        by_kind.setdefault((case.severity, case.tier), []).append(seen)
    score = Score(lead_h=[])
    for case in tests:
        breached = case.duration > case.target
        score.breaches += breached
        t = timedelta(0)
        while t < min(case.duration, case.target / 2):
            situation = Situation(case.target - t, t, "L1",
                                  case.open_at_level if load_aware else 1, SHIFT)  # fmt: skip
            found = forecast(situation, by_kind[(case.severity, case.tier)], described="x")
            if found.crosses(threshold):
                if breached:
                    score.alarms_breached += 1
                    assert score.lead_h is not None
                    score.lead_h.append((case.target - t).total_seconds() / 3600)
                else:
                    score.false_alarms += 1
                break
            t += STEP
    return score


def timing(history: list[timedelta], rounds: int = 2000) -> tuple[list[float], list[float]]:
    situation = Situation(timedelta(hours=3), timedelta(hours=1), "L1", 3, SHIFT)
    model, baseline = [], []
    for _ in range(rounds):
        start = time.perf_counter()
        forecast(situation, history, described="x")
        model.append(time.perf_counter() - start)
        start = time.perf_counter()
        sorted(history)
        baseline.append(time.perf_counter() - start)
    return model, baseline


def _stats(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1e6, ordered[int(0.99 * (len(ordered) - 1))] * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    cases = generate(rng, 3000)
    history, tests = cases[:2000], cases[2000:]
    print(f"seed {args.seed}: {len(history)} past incidents, {len(tests)} replayed")
    for threshold in (0.5, 0.7, 0.9):
        aware = replay(tests, history, threshold, load_aware=True)
        print(aware.line(f"forecast at {threshold:.0%}", len(tests)))
    blind = replay(tests, history, 0.7, load_aware=False)
    print(blind.line("blind to load, at 70%", len(tests)))
    none = Score(breaches=sum(c.duration > c.target for c in tests), lead_h=[])
    print(none.line("no forecast (reminders only)", len(tests)))
    sample = [c.duration for c in history if (c.severity, c.tier) == (1, "premier")]
    model, baseline = timing(sample)
    (m_med, m_p99), (b_med, b_p99) = _stats(model), _stats(baseline)
    print(
        f"one forecast over {len(sample)} past incidents: median {m_med:.1f} µs, p99 "
        f"{m_p99:.1f} µs; sorting them (baseline): median {b_med:.1f} µs, p99 {b_p99:.1f} µs; "
        f"ratio {m_med / b_med:.1f}x"
    )


if __name__ == "__main__":
    main()
