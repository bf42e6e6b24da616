"""A Monday-morning burst: 10,000 pending SLA timers, 1,000 of them due within one second.

Real Redis (embedded unless REDIS_URL is set), a real SQLite file or PostgreSQL
(``DATABASE_URL``, default ``postgresql://postgres@127.0.0.1:5432/test``, in a schema of its
own), the Slack Web API stand-in (``tests/standins``, a real HTTP server in this process, which
records when each request arrived) and real ``supportbot worker`` subprocesses.

Timers are made the way the product makes them (``tracking.refresh`` plans each incident and
its timer jobs reach RQ through the after-commit dispatcher): 1,000 Acme (Premier, 24x7) Sev2s
opened an hour before T, one every millisecond, so their 50 % response reminders (of a 2 h
target) fall due one every millisecond in the second after T; 250 more opened half an hour
later. 1,250 incidents x 8 timers = 10,000 pending timers; each card was posted beforehand.

Lateness = when the reminder's thread post reached the Slack stand-in minus its due instant
(negative would be early). The card updates and the assignees' direct messages are shown too.
The baseline is RQ's own no-op job on the same workers, in the same run, after the burst.

    python bench/bench_burst.py [--due 1000] [--others 250] [--configs sqlite:1 postgres:1 ...]
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from redis import Redis
from rq import Queue, Worker
from slack_sdk import WebClient
from sqlalchemy import create_engine, text

REPO = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(REPO))

import supportbot.jobs  # noqa: E402, F401 (every job kind gets its function)
from supportbot.clock import TravelClock  # noqa: E402
from supportbot.db.migrate import upgrade  # noqa: E402
from supportbot.db.models import Incident  # noqa: E402
from supportbot.devtools.embedded_redis import EmbeddedRedis  # noqa: E402
from supportbot.runtime import Runtime, build_runtime  # noqa: E402
from supportbot.settings import Settings  # noqa: E402
from supportbot.sla import tracking  # noqa: E402
from tests.standins import SlackStandin  # noqa: E402

TRIAGE = "C0BENCHTRIAGE"
TOKEN = "xoxb-bench-token"
REMINDER = re.compile(r"(INC-\d+) response target 50% used")
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


def noop() -> None:
    """RQ's baseline: a job that does nothing (imported by the workers from this file)."""


def database(kind: str, work: Path) -> tuple[str, str | None]:
    """The SQLAlchemy URL, and the PostgreSQL schema made for it (dropped afterwards)."""
    if kind == "sqlite":
        return f"sqlite:///{work / 'bench.sqlite3'}", None
    base = Settings(_env_file=None, database_url=os.environ.get("DATABASE_URL") or DEFAULT_PG)  # type: ignore[call-arg]
    schema = f"bench_burst_{os.getpid()}"
    engine = create_engine(base.sqlalchemy_url)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine.dispose()
    return f"{base.sqlalchemy_url}?options=-csearch_path%3D{schema}", schema


def drop_schema(schema: str) -> None:
    base = Settings(_env_file=None, database_url=os.environ.get("DATABASE_URL") or DEFAULT_PG)  # type: ignore[call-arg]
    engine = create_engine(base.sqlalchemy_url)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    engine.dispose()


def settings_for(redis_url: str, db_url: str, api_url: str, work: Path, queue: str) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        slack_bot_token=TOKEN,
        slack_signing_secret="bench-signing-secret",
        slack_api_url=api_url,
        redis_url=redis_url,
        database_url=db_url,
        triage_channel=TRIAGE,
        contracts_file=REPO / "contracts" / "customers.yaml",
        triage_rules_file=REPO / "contracts" / "triage.yaml",
        rotations_dir=REPO / "rotations",
        data_dir=work,
        queue_name=queue,
        log_level="WARNING",
    )


def post_cards(api_url: str, count: int) -> list[str]:
    """Each incident's card, posted before the run (a reminder updates it)."""
    client = WebClient(token=TOKEN, base_url=api_url)

    def post(n: int) -> str:
        return str(client.chat_postMessage(channel=TRIAGE, text=f"card {n}")["ts"])

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(post, range(count)))


def create_timers(
    rt: Runtime, clock: TravelClock, due: datetime, n_due: int, others: int, cards: list[str]
) -> dict[str, datetime]:
    """Incidents whose plans hold 8 timers each; returns the 50 % reminder due per key."""
    acme = rt.contracts.by_key("acme")
    assert acme is not None and acme.tier == "premier" and acme.coverage == "24x7"
    spread = timedelta(seconds=1) / max(n_due, 1)
    openings = [due - timedelta(hours=1) + spread * i for i in range(n_due)]
    openings += [due - timedelta(minutes=30)] * others
    dues: dict[str, datetime] = {}
    for start in range(0, len(openings), 250):
        with rt.session() as session:
            for number in range(start, min(start + 250, len(openings))):
                opened = openings[number]
                clock.set(opened)
                incident = Incident(
                    title=f"bench incident {number + 1}",
                    severity=2,
                    customer="acme",
                    reporter="U0BENCHREP",
                    assignee=f"U0BENCH{number:05d}",
                    level="L1",
                    status="open",
                    opened_at=opened,
                    updated_at=opened,
                    card_channel=TRIAGE,
                    card_ts=cards[number],
                )
                session.add(incident)
                session.flush()
                tracking.refresh(session, incident, acme, opened)
                if number < n_due:
                    dues[incident.key] = opened + timedelta(hours=1)
    rt.dispatcher.flush(timeout=300)
    return dues


def worker_env(settings: Settings) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "SUPPORTBOT_", "TWILIO_", "REDIS_", "DATABASE_"))
    }
    return env | {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": "bench-signing-secret",
        "SLACK_API_URL": settings.slack_api_url,
        "REDIS_URL": str(settings.redis_url),
        "DATABASE_URL": settings.sqlalchemy_url,
        "SUPPORTBOT_TRIAGE_CHANNEL": TRIAGE,
        "SUPPORTBOT_CONTRACTS_FILE": str(settings.contracts_file),
        "SUPPORTBOT_TRIAGE_RULES_FILE": str(settings.triage_rules_file),
        "SUPPORTBOT_ROTATIONS_DIR": str(settings.rotations_dir),
        "SUPPORTBOT_DATA_DIR": str(settings.data_dir),
        "SUPPORTBOT_QUEUE_NAME": settings.queue_name,
        "SUPPORTBOT_LOG_LEVEL": os.environ.get("BENCH_WORKER_LOG", "WARNING"),
        "PYTHONPATH": os.pathsep.join([str(BENCH_DIR), env.get("PYTHONPATH", "")]),
    }


def start_workers(settings: Settings, count: int, work: Path) -> list[subprocess.Popen[bytes]]:
    procs = []
    for index in range(count):
        with (work / f"worker-{index}.log").open("wb") as log:
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "supportbot", "worker"],
                    env=worker_env(settings),
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
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if len(Worker.all(queue=Queue(queue, connection=redis))) >= count:
            return
        time.sleep(0.05)
    raise RuntimeError(f"{count} worker(s) did not register in 60 s")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def reminder_posts(api: SlackStandin, dues: dict[str, datetime]) -> dict[str, float]:
    """Seconds from due to the stand-in's receipt of each reminder's thread post (first one)."""
    found: dict[str, float] = {}
    for call in api.calls("chat.postMessage"):
        if not call.params.get("thread_ts"):
            continue
        for key in REMINDER.findall(str(call.params.get("text", ""))):
            if key in dues and key not in found:
                found[key] = (call.at - dues[key]).total_seconds()
    return found


def other_lateness(
    api: SlackStandin, dues: dict[str, datetime], cards: list[str]
) -> tuple[list[float], list[float]]:
    """Card updates of the due incidents and the assignees' direct messages, seconds late."""
    due_by_card = {cards[int(key.removeprefix("INC-")) - 1]: due for key, due in dues.items()}
    first_update: dict[str, float] = {}
    for call in api.calls("chat.update"):
        ts = str(call.params.get("ts"))
        if ts in due_by_card and ts not in first_update:
            first_update[ts] = (call.at - due_by_card[ts]).total_seconds()
    dms = []
    for call in api.calls("chat.postMessage"):
        if str(call.params.get("channel", "")).startswith("U0BENCH"):
            for key in REMINDER.findall(str(call.params.get("text", ""))):
                if key in dues:
                    dms.append((call.at - dues[key]).total_seconds())
    return list(first_update.values()), dms


def drained(redis: Redis, queue_name: str, deadline: float) -> None:
    """Wait until the queue is empty and no job runs (the syncs that follow the posts)."""
    queue = Queue(queue_name, connection=redis)
    while time.monotonic() < deadline:
        if queue.count == 0 and queue.started_job_registry.count == 0:
            return
        time.sleep(0.2)
    print(f"  warning: {queue.count} job(s) still queued", flush=True)


def noop_rate(redis: Redis, queue_name: str, jobs: int) -> float:
    """No-op jobs per second on the idle workers: enqueue all at once, time until the queue
    is empty and the last one finished."""
    queue = Queue(queue_name, connection=redis)
    datas = [Queue.prepare_data("bench_burst.noop", result_ttl=600) for _ in range(jobs)]
    start = time.perf_counter()
    queue.enqueue_many(datas)
    while queue.count or queue.started_job_registry.count:
        if time.perf_counter() - start > 120:
            raise RuntimeError("no-op jobs did not finish in 120 s")
        time.sleep(0.005)
    elapsed = time.perf_counter() - start
    failed = queue.failed_job_registry.count
    if failed:
        raise RuntimeError(f"{failed} job(s) failed in the queue")
    return jobs / elapsed


# long: one scripted run, from set-up to figures, read top to bottom
def run(redis_url: str, kind: str, workers: int, args: argparse.Namespace) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="bench-burst-") as tmp, SlackStandin(token=None) as api:
        work = Path(tmp)
        db_url, schema = database(kind, work)
        queue = f"bench-burst-{os.getpid()}-{kind}-{workers}"
        settings = settings_for(redis_url, db_url, api.api_url, work, queue)
        clock = TravelClock(datetime.now(UTC))
        rt = build_runtime(settings, clock=clock)
        try:
            upgrade(rt.engine)
            rt.redis.flushdb()
            started = time.perf_counter()
            cards = post_cards(api.api_url, args.due + args.others)
            due = (datetime.now(UTC) + timedelta(seconds=args.lead)).replace(microsecond=0)
            dues = create_timers(rt, clock, due, args.due, args.others, cards)
            created_s = time.perf_counter() - started
            api.clear()
            procs = start_workers(settings, workers, work)
            try:
                wait_for_workers(rt.redis, queue, workers)
                ahead = (due - datetime.now(UTC)).total_seconds()
                if ahead < 1:
                    raise RuntimeError(f"set-up took too long: {ahead:.1f}s before due; --lead")
                deadline = time.monotonic() + ahead + 120
                while len(reminder_posts(api, dues)) < len(dues) and time.monotonic() < deadline:
                    time.sleep(0.2)
                posted = reminder_posts(api, dues)
                late = sorted(posted.values())
                p99 = percentile(late, 0.99)
                print(f"  {kind}:{workers} posts done: median {statistics.median(late):.2f}s "
                      f"p99 {p99:.2f}s max {late[-1]:.2f}s", flush=True)  # fmt: skip
                drained(rt.redis, queue, time.monotonic() + 300)  # card updates and DMs
                cards_late, dms_late = other_lateness(api, dues, cards)
                rate = noop_rate(rt.redis, queue, 2000)
            finally:
                stop_workers(procs)
                if os.environ.get("BENCH_WORKER_LOG"):  # keep the workers' logs to read
                    for log in work.glob("worker-*.log"):
                        log.replace(Path.cwd() / f"bench-{kind}-{workers}-{log.name}")
        finally:
            rt.engine.dispose()
            if schema:
                drop_schema(schema)
        late = list(posted.values())
        span = max(late) + 1.0 if late else float("nan")  # the burst's second, then its tail
        return {
            "workers": workers,
            "created_s": created_s,
            "ahead_s": ahead,
            "posted": len(late),
            "early": sum(1 for x in late if x < 0),
            "median": statistics.median(late),
            "p99": percentile(late, 0.99),
            "max": max(late),
            "min": min(late),
            "card_median": statistics.median(cards_late) if cards_late else float("nan"),
            "card_p99": percentile(cards_late, 0.99) if cards_late else float("nan"),
            "cards": len(cards_late),
            "dm_median": statistics.median(dms_late) if dms_late else float("nan"),
            "dm_p99": percentile(dms_late, 0.99) if dms_late else float("nan"),
            "dms": len(dms_late),
            "reminders_per_s": len(late) / span if late else float("nan"),
            "noop_per_s": rate,
        }


def report(kind: str, r: dict[str, float], n_due: int) -> None:
    print(f"  {kind}, {int(r['workers'])} worker(s): set-up {r['created_s']:.1f}s, due "
          f"{r['ahead_s']:.1f}s after the workers were up; posted {r['posted']:.0f}/{n_due}, "
          f"early {r['early']:.0f} (earliest {r['min']:+.3f}s)")  # fmt: skip
    print(f"    thread post lateness (at Slack - due): median {r['median']:6.2f}s  "
          f"p99 {r['p99']:6.2f}s  max {r['max']:6.2f}s")  # fmt: skip
    print(f"    card update lateness:                 median {r['card_median']:6.2f}s  "
          f"p99 {r['card_p99']:6.2f}s  ({r['cards']:.0f} cards)")  # fmt: skip
    print(f"    assignee DM lateness:                 median {r['dm_median']:6.2f}s  "
          f"p99 {r['dm_p99']:6.2f}s  ({r['dms']:.0f} DMs)")  # fmt: skip
    print(f"    reminders posted per second:          {r['reminders_per_s']:7.1f}/s")
    print(f"    RQ no-op jobs per second (same run):  {r['noop_per_s']:7.1f}/s")
    ratio = r["reminders_per_s"] / r["noop_per_s"]
    print(f"    ratio reminders / no-op jobs:         {ratio:7.3f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--due", type=int, default=1000, help="timers due within one second")
    parser.add_argument("--others", type=int, default=250, help="incidents due later")
    parser.add_argument(
        "--configs", nargs="+", default=["sqlite:1", "postgres:1", "postgres:3"],
        help="database:workers runs, in order",
    )  # fmt: skip
    parser.add_argument("--lead", type=float, default=60.0, help="seconds from start to due")
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
    print(f"Burst: {(args.due + args.others) * 8} pending SLA timers, {args.due} due within "
          "one second; Slack stand-in; supportbot worker (SimpleWorker + scheduler)")  # fmt: skip
    try:
        for config in args.configs:
            kind, count = config.split(":")
            r = run(redis_url, kind, int(count), args)
            report(kind, r, args.due)
            goal = "met" if r["p99"] <= 2 and not r["early"] else "NOT met"
            print(f"    goal p99 <= 2 s, none early: {goal}", flush=True)
    finally:
        if embedded is not None:
            embedded.stop()
    print(f"total bench time {time.perf_counter() - total:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
