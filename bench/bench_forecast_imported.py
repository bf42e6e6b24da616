"""The breach forecast replayed on imported history: how many breaches it would have foreseen
before the first resolution reminder, and how many false alarms it would have raised.

Unlike bench/bench_forecast.py (the pure model on in-memory cases), the history here goes
through the product: a history file (``--file``, the columns of ``supportbot import
incidents``; without it one is generated, seeded, for the customers of contracts/) is loaded
with the real ``supportbot migrate`` and ``supportbot import incidents`` into a fresh SQLite
database, and the replay reads back what the import stored: each incident's resolution clock
as the contract counts it (24x7 or business hours with holidays), its breach or not, and the
levels its timeline shows. Then, oldest third excluded (it is only history), each incident is
asked the forecast every 15 minutes from opening until its first resolution reminder (the
product's own instant, from supportbot.sla.plan) or its resolution, as the reconciler would
have: history is what had been resolved in the 180 days before that instant, the load is the
imported incidents open at that instant per person on shift (2 at L1, as the example
rotation staffs it), the threshold the contract's. One alarm per incident at most.

    .venv/bin/python bench/bench_forecast_imported.py [--seed N] [--count N] [--file F.csv]
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import statistics
import subprocess
import sys
import tempfile
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from sqlalchemy import create_engine, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from supportbot.contracts.customers import Contracts, load_contracts  # noqa: E402
from supportbot.db.models import Incident, SlaClock  # noqa: E402
from supportbot.followups.forecast import Sample, Situation, forecast, samples  # noqa: E402
from supportbot.followups.forecasting import HISTORY  # noqa: E402
from supportbot.incidents.lifecycle import IMPORTED_SOURCE  # noqa: E402
from supportbot.sla.plan import Facts, plan  # noqa: E402
from supportbot.sla.tracking import contract_of  # noqa: E402

CONTRACTS = REPO / "contracts" / "customers.yaml"
STEP = timedelta(minutes=15)
ON_SHIFT = 2  # people on shift at L1 (primary and secondary) in rotations/
END = datetime(2026, 6, 1, tzinfo=UTC)  # a generated history ends here
LOAD = 1.5  # spreads the arrivals: with the stretch, 1 to 6 open at once (deciles)
FIELDS = ("external_id", "customer", "severity", "title", "opened_at", "acknowledged_at",
          "first_response_at", "resolved_at", "level", "assignee", "outage")  # fmt: skip


def _resolution(contracts: Contracts, customer: str, severity: int, opened: datetime):  # type: ignore[no-untyped-def]
    found = contracts.by_key(customer)
    facts = Facts(opened, severity, "L1", True, None, None)
    return next(c for c in plan(facts, contract_of(found), opened).clocks if c.kind == "resolution")


def generate(rng: random.Random, contracts: Contracts, count: int, path: Path) -> None:
    """A history file: Sev1 and Sev2 for each customer, arriving at random until :data:`END`;
    each needs a log-normal amount of work (median half the wall-clock span its contract gives
    it, sigma 0.6), stretched by the incidents already open when it came
    (``max(1, open / 2) ** 0.8``, open counted up to 12, 15 % noise): a busy desk is slower,
    not exactly as the model assumes."""
    end = END  # fixed, so a seed gives the same file whatever the day (it must be past)
    keys = [c.key for c in contracts.customers]
    # Spread the arrivals so that about LOAD incidents are open at once on average.
    probes = [end - timedelta(days=rng.uniform(0, 365)) for _ in range(200)]
    spans = [(_resolution(contracts, rng.choice(keys), rng.choice((1, 2)), at).due - at)
             for at in probes]  # fmt: skip
    period = count * 0.6 * statistics.mean(s.total_seconds() for s in spans) / LOAD
    arrivals = sorted(end - timedelta(seconds=int(rng.uniform(0, period))) for _ in range(count))
    resolved: list[datetime] = []
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(FIELDS)
        for n, opened in enumerate(arrivals):
            customer, severity = rng.choice(keys), rng.choice((1, 2))
            clock = _resolution(contracts, customer, severity, opened)
            span = (clock.due - opened).total_seconds()
            busy = min(1 + sum(1 for r in resolved if r > opened), 12)  # a desk sheds beyond
            stretch = max(1.0, busy / ON_SHIFT) ** 0.8 * rng.lognormvariate(0, 0.15)
            work = timedelta(seconds=rng.lognormvariate(0, 0.6) * 0.5 * span * stretch)
            done = (opened + max(work, timedelta(minutes=5))).replace(microsecond=0)
            resolved.append(done)
            ack = opened + timedelta(minutes=rng.randint(1, 20))
            writer.writerow([f"H-{n + 1}", customer, severity, f"history {n + 1}",
                             opened.isoformat(), min(ack, done).isoformat(), "",
                             done.isoformat(), "L1", "", "false"])  # fmt: skip


def load_file(path: Path, database: Path) -> None:
    """Through the product's own commands, as an operator would."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}",
           "SUPPORTBOT_CONTRACTS_FILE": str(CONTRACTS),
           "SUPPORTBOT_ROTATIONS_DIR": str(REPO / "rotations"),
           "SUPPORTBOT_DATA_DIR": str(database.parent / "var")}  # fmt: skip
    for args in (["migrate"], ["import", "incidents", str(path)]):
        done = subprocess.run([sys.executable, "-m", "supportbot", *args], env=env,
                              capture_output=True, text=True, check=False)  # fmt: skip
        if done.returncode:
            sys.exit(f"supportbot {' '.join(args)} failed:\n{done.stderr}")
        if args[0] == "import":
            print(done.stdout.strip())


@dataclass(frozen=True)
class Past:
    customer: str
    severity: int
    tier: str
    opened: datetime
    resolved: datetime
    due: datetime  # the resolution clock's due instant, as the import stored it
    reminder: datetime  # the first resolution reminder's instant (the forecast's last chance)
    threshold: float

    @property
    def breached(self) -> bool:
        return self.resolved > self.due


def read_back(database: Path, contracts: Contracts) -> list[Past]:
    engine = create_engine(f"sqlite:///{database}")
    query = (
        select(
            Incident.severity,
            Incident.customer,
            Incident.opened_at,
            Incident.resolved_at,
            SlaClock.due_at,
        )  # fmt: skip
        .join(SlaClock, (SlaClock.incident_id == Incident.id) & (SlaClock.kind == "resolution"))
        .where(Incident.source_channel == IMPORTED_SOURCE)
        .order_by(Incident.opened_at)
    )
    found = []
    with Session(engine) as session:
        for severity, key, opened, resolved, due in session.execute(query):
            customer = contracts.by_key(key)
            assert customer is not None and resolved is not None and due is not None
            clock = _resolution(contracts, key, severity, opened)
            first = min(at for _, at in clock.timers)
            policy = contracts.followups.for_tier(customer.tier).merged(customer.followups)
            found.append(Past(key, severity, customer.tier, opened, resolved, due, first,
                              policy.forecast_threshold))  # fmt: skip
    engine.dispose()
    return found


class History:
    """Resolved incidents by (severity, tier) and by severity, oldest resolution first."""

    def __init__(self, pasts: list[Past]) -> None:
        self.groups: dict[object, list[Past]] = {}
        for past in sorted(pasts, key=lambda p: p.resolved):
            self.groups.setdefault((past.severity, past.tier), []).append(past)
            self.groups.setdefault(past.severity, []).append(past)
        self.ends = {key: [p.resolved for p in group] for key, group in self.groups.items()}
        self.opened = sorted(p.opened for p in pasts)
        self.closed = sorted(p.resolved for p in pasts)
        self._cache: dict[tuple[object, int, int], list[Sample]] = {}

    def samples(self, key: object, at: datetime) -> list[Sample]:
        lo, hi = bisect_left(self.ends[key], at - HISTORY), bisect_left(self.ends[key], at)
        if (key, lo, hi) not in self._cache:
            past = [({"L1": p.opened}, p.resolved) for p in self.groups[key][lo:hi]]
            self._cache[(key, lo, hi)] = samples("L1", past, ON_SHIFT)
        return self._cache[(key, lo, hi)]

    def open_at(self, at: datetime) -> int:
        return bisect_right(self.opened, at) - bisect_right(self.closed, at)


def first_alarm(case: Past, history: History, threshold: float) -> datetime | None:
    """When the reconciler would first have posted a forecast for ``case``, if ever."""
    at = case.opened
    while at < min(case.resolved, case.reminder, case.due):
        situation = Situation(case.due - at, at - case.opened, "L1", history.open_at(at), ON_SHIFT)
        found = forecast(situation, history.samples((case.severity, case.tier), at), described="")
        if found.probability is None:  # too few of this tier: the severity across tiers
            found = forecast(situation, history.samples(case.severity, at), described="")
        if found.crosses(threshold):
            return at
        at += STEP
    return None


def score(cases: list[Past], history: History, threshold: float | None, said: str = "") -> str:
    breaches = [c for c in cases if c.breached]
    caught, false, leads = 0, 0, []
    for case in cases:
        alarm = first_alarm(case, history, case.threshold if threshold is None else threshold)
        if alarm is None:
            continue
        if case.breached:
            caught += 1
            leads.append((case.due - alarm).total_seconds() / 3600)
        else:
            false += 1
    on_time = len(cases) - len(breaches)  # 0 for a customer absent from an export
    rate = caught / len(breaches) if breaches else 0.0
    alarmed = false / on_time if on_time else 0.0
    precision = caught / (caught + false) if caught + false else 0.0
    lead = statistics.median(leads) if leads else 0.0
    said = said or ("the contract's (70 %)" if threshold is None else f"{threshold:.0%}")
    return (f"| {said} | {len(breaches)} | {caught} ({rate:.1%}) | {false} of {on_time} "
            f"({alarmed:.1%}) | {precision:.1%} | {lead:.1f} h |")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--count", type=int, default=3000, help="incidents to generate")
    parser.add_argument("--file", type=Path, help="a history file to import instead")
    args = parser.parse_args()
    contracts = load_contracts(CONTRACTS)
    with tempfile.TemporaryDirectory() as tmp:
        path = args.file or Path(tmp) / "history.csv"
        if args.file is None:
            generate(random.Random(args.seed), contracts, args.count, path)
        load_file(path, Path(tmp) / "bench.db")
        pasts = read_back(Path(tmp) / "bench.db", contracts)
    history = History(pasts)
    cases = pasts[len(pasts) // 3 :]
    print(f"{len(pasts)} imported incidents; {len(cases)} replayed (the oldest third is history)")
    print("| threshold | breaches | foreseen before the first reminder | false alarms "
          "(of on-time) | precision | median lead before the target |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    for threshold in (None, 0.5, 0.9):
        print(score(cases, history, threshold))
    for customer in contracts.customers:  # 24x7 against business-hours clocks
        mine = [c for c in cases if c.customer == customer.key]
        named = f"{customer.key} only ({customer.tier}, {customer.coverage}), the contract's"
        print(score(mine, history, None, named))


if __name__ == "__main__":
    main()
