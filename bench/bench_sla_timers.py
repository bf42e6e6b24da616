"""Lateness of SLA reminders with 10,000 timers pending and 1,000 due in the same second.

Real Redis (embedded unless REDIS_URL is set), a real SQLite file, Slack in local mode
(``LoggingWebClient``: no network) and real ``supportbot worker`` subprocesses (RQ
``SimpleWorker`` with its scheduler and the reconciler), 1 and then 2 of them.

Timers are made the way the product makes them: incidents of a Premier 24x7 customer, each
stored and planned by ``tracking.refresh``, whose timer jobs reach RQ through the unit of
work's after-commit dispatcher. 1,000 incidents opened exactly an hour before T have their 50 %
response reminder (of a 2 h target) due at T, a few seconds ahead; 250 more are opened half an
hour later. 1,250 incidents x 8 timers = 10,000 pending timers.

Lateness = when the reminder was posted in the incident's thread (``posted_internal_at``,
stamped after the Slack call returned) minus its due time; the assignee's direct message
(``Notification.sent_at``) is shown too. The baseline is RQ's own no-op job on the same
workers in the same run.

    python bench/bench_sla_timers.py [--due 1000] [--others 250] [--workers 1 2]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from redis import Redis
from rq import Queue
from rq.registry import FinishedJobRegistry
from sqlalchemy import func, select

from supportbot.clock import TravelClock
from supportbot.db.migrate import upgrade
from supportbot.db.models import Incident, Notification, SlaTimer, TimelineEvent
from supportbot.devtools.embedded_redis import EmbeddedRedis
from supportbot.runtime import Runtime, build_runtime
from supportbot.settings import Settings
from supportbot.sla import tracking

REPO = Path(__file__).resolve().parent.parent
TRIAGE = "C0BENCHTRIAGE"
BENCH_DIR = Path(__file__).resolve().parent
REMINDER = "reminder:response:50"


def noop() -> None:
    """RQ's baseline: a job that does nothing (imported by the workers from this file)."""


def settings_for(redis_url: str, work: Path, queue: str) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        redis_url=redis_url,
        database_url=f"sqlite:///{work / 'bench.sqlite3'}",
        triage_channel=TRIAGE,
        contracts_file=REPO / "contracts" / "customers.yaml",
        triage_rules_file=REPO / "contracts" / "triage.yaml",
        rotations_dir=REPO / "rotations",
        data_dir=work,
        queue_name=queue,
        log_level="WARNING",
    )


def create_timers(rt: Runtime, clock: TravelClock, due: datetime, n_due: int, others: int) -> int:
    """Incidents whose plans hold 8 timers each; ``n_due`` of them have one due at ``due``."""
    acme = rt.contracts.by_key("acme")
    assert acme is not None and acme.tier == "premier" and acme.coverage == "24x7"
    batches = [(due - timedelta(hours=1), n_due), (due - timedelta(minutes=30), others)]
    number = 0
    for opened, count in batches:
        clock.set(opened)
        for start in range(0, count, 250):
            with rt.session() as session:
                for _ in range(min(250, count - start)):
                    number += 1
                    incident = Incident(
                        title=f"bench incident {number}",
                        severity=2,
                        customer="acme",
                        reporter="U0BENCHREP",
                        assignee=f"U0BENCH{number:05d}",
                        level="L1",
                        status="open",
                        opened_at=opened,
                        updated_at=opened,
                        # The card was posted when it opened; reminders update it.
                        card_channel=TRIAGE,
                        card_ts=f"1700000000.{number:06d}",
                    )
                    session.add(incident)
                    session.flush()
                    tracking.refresh(session, incident, acme, opened)
    rt.dispatcher.flush(timeout=300)
    print(f"  {rt.queue.scheduled_job_registry.count} timer jobs scheduled on RQ", flush=True)
    with rt.session() as session:
        return int(
            session.scalar(select(func.count(SlaTimer.id)).where(SlaTimer.state == "pending"))
        )


def worker_env(settings: Settings) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "SUPPORTBOT_", "TWILIO_", "REDIS_", "DATABASE_"))
    }
    return env | {
        "REDIS_URL": str(settings.redis_url),
        "DATABASE_URL": settings.sqlalchemy_url,
        "SUPPORTBOT_TRIAGE_CHANNEL": TRIAGE,
        "SUPPORTBOT_CONTRACTS_FILE": str(settings.contracts_file),
        "SUPPORTBOT_TRIAGE_RULES_FILE": str(settings.triage_rules_file),
        "SUPPORTBOT_ROTATIONS_DIR": str(settings.rotations_dir),
        "SUPPORTBOT_DATA_DIR": str(settings.data_dir),
        "SUPPORTBOT_QUEUE_NAME": settings.queue_name,
        "SUPPORTBOT_LOG_LEVEL": "WARNING",
        "PYTHONPATH": os.pathsep.join([str(BENCH_DIR), env.get("PYTHONPATH", "")]),
    }


def start_workers(settings: Settings, count: int, work: Path) -> list[subprocess.Popen[bytes]]:
    env = worker_env(settings)
    procs = []
    for index in range(count):
        log = (work / f"worker-{index}.log").open("wb")  # noqa: SIM115 (the child keeps it)
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "supportbot", "worker"],
                env=env,
                cwd=work,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    return procs


def stop_workers(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # RQ's warm shutdown
    for proc in procs:
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def wait_for_workers(redis: Redis, queue: str, count: int) -> None:
    from rq import Worker

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if len(Worker.all(queue=Queue(queue, connection=redis))) >= count:
            return
        time.sleep(0.05)
    raise RuntimeError(f"{count} worker(s) did not register in 30 s")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def lateness(rt: Runtime, due: datetime) -> tuple[list[float], list[float], list[float]]:
    """Seconds late: job start (fired_at), thread post, direct message; for the due timers."""
    with rt.session() as session:
        fired = session.scalars(
            select(SlaTimer.fired_at).where(SlaTimer.due_at == due, SlaTimer.fired_at.is_not(None))
        ).all()
        posted = session.scalars(
            select(TimelineEvent.posted_internal_at).where(
                TimelineEvent.kind == REMINDER, TimelineEvent.posted_internal_at.is_not(None)
            )
        ).all()
        sent = session.scalars(
            select(Notification.sent_at).where(
                Notification.kind == "reminder", Notification.sent_at.is_not(None)
            )
        ).all()
    return tuple(  # type: ignore[return-value]
        [(at - due).total_seconds() for at in group] for group in (fired, posted, sent)
    )


def wait_posted(rt: Runtime, n_due: int, deadline: float) -> int:
    while True:
        with rt.session() as session:
            done = int(
                session.scalar(
                    select(func.count(TimelineEvent.id)).where(
                        TimelineEvent.kind == REMINDER,
                        TimelineEvent.posted_internal_at.is_not(None),
                    )
                )
            )
        if done >= n_due or time.monotonic() > deadline:
            return done
        time.sleep(0.1)


def noop_rate(redis: Redis, queue_name: str, jobs: int) -> float:
    """No-op jobs per second on the idle workers: enqueue all at once, time until finished."""
    queue = Queue(queue_name, connection=redis)
    finished = FinishedJobRegistry(queue=queue)
    before = finished.count
    datas = [Queue.prepare_data("bench_sla_timers.noop", result_ttl=600) for _ in range(jobs)]
    start = time.perf_counter()
    queue.enqueue_many(datas)
    while finished.count - before < jobs:
        if time.perf_counter() - start > 120:
            raise RuntimeError("no-op jobs did not finish in 120 s")
        time.sleep(0.01)
    return jobs / (time.perf_counter() - start)


def run(redis_url: str, workers: int, n_due: int, others: int, lead: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="bench-sla-") as tmp:
        work = Path(tmp)
        queue = f"bench-sla-{os.getpid()}-{workers}"
        settings = settings_for(redis_url, work, queue)
        clock = TravelClock(datetime.now(UTC))
        rt = build_runtime(settings, clock=clock)
        upgrade(rt.engine)
        rt.redis.flushdb()
        started = time.perf_counter()
        # Due at a whole second (RQ stores whole seconds), ``lead`` seconds from now.
        due = (datetime.now(UTC) + timedelta(seconds=lead)).replace(microsecond=0)
        pending = create_timers(rt, clock, due, n_due, others)
        created_s = time.perf_counter() - started
        procs = start_workers(settings, workers, work)
        try:
            wait_for_workers(rt.redis, queue, workers)
            ahead = (due - datetime.now(UTC)).total_seconds()
            if ahead < 1:
                raise RuntimeError(f"set-up took too long: only {ahead:.1f}s before due; --lead")
            done = wait_posted(rt, n_due, time.monotonic() + ahead + 150)
            fired, posted, dms = lateness(rt, due)
            rate = noop_rate(rt.redis, queue, 2000)
        finally:
            stop_workers(procs)
        rt.engine.dispose()
        span = max(posted) if posted else float("nan")
        return {
            "workers": workers,
            "pending": pending,
            "created_s": created_s,
            "ahead_s": ahead,
            "posted": done,
            "fire_median": statistics.median(fired),
            "fire_p99": percentile(fired, 0.99),
            "post_median": statistics.median(posted),
            "post_p99": percentile(posted, 0.99),
            "post_max": span,
            "dm_median": statistics.median(dms) if dms else float("nan"),
            "dm_p99": percentile(dms, 0.99) if dms else float("nan"),
            "reminders_per_s": len(posted) / span if posted and span > 0 else float("nan"),
            "noop_per_s": rate,
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--due", type=int, default=1000, help="timers due in the same second")
    parser.add_argument("--others", type=int, default=250, help="incidents due later")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--lead", type=float, default=25.0, help="seconds from start to due")
    args = parser.parse_args()

    embedded = None
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        embedded = EmbeddedRedis(Path(tempfile.mkdtemp(prefix="bench-redis-")))
        redis_url = embedded.start()
    elif "--i-know-this-flushes" not in os.environ.get("BENCH_FLAGS", ""):
        print(f"REDIS_URL={redis_url}: this bench FLUSHes that database between runs.")
        print("Set BENCH_FLAGS=--i-know-this-flushes to go on, or unset REDIS_URL.")
        return 2
    total = time.perf_counter()
    try:
        results = [run(redis_url, n, args.due, args.others, args.lead) for n in args.workers]
    finally:
        if embedded is not None:
            embedded.stop()

    print(
        f"SLA timers: {results[0]['pending']:.0f} pending, {args.due} due in one second; "
        "SQLite, Slack in local mode, supportbot worker (SimpleWorker + scheduler)"
    )
    for r in results:
        n = int(r["workers"])
        print(
            f"  {n} worker(s): set-up {r['created_s']:.1f}s, due {r['ahead_s']:.1f}s after "
            f"workers were up; posted {r['posted']:.0f}/{args.due}"
        )
        print(
            f"    lateness, job start (fired_at - due):   median {r['fire_median']:6.2f}s  "
            f"p99 {r['fire_p99']:6.2f}s"
        )
        print(
            f"    lateness, thread post (posted - due):   median {r['post_median']:6.2f}s  "
            f"p99 {r['post_p99']:6.2f}s  max {r['post_max']:6.2f}s"
        )
        print(
            f"    lateness, assignee DM (sent_at - due):  median {r['dm_median']:6.2f}s  "
            f"p99 {r['dm_p99']:6.2f}s"
        )
        print(f"    reminders posted per second:            {r['reminders_per_s']:7.1f}/s")
        print(f"    RQ no-op jobs per second (same workers): {r['noop_per_s']:7.1f}/s")
        ratio = r["reminders_per_s"] / r["noop_per_s"]
        print(f"    ratio reminders / no-op jobs:            {ratio:7.3f}")
        goal = "met" if r["post_p99"] < 2 else "NOT met"
        print(f"    goal p99 lateness < 2 s: {goal}")
    print(f"total bench time {time.perf_counter() - total:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
