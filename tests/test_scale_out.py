"""Scale-out, as a script: 2 ``supportbot web`` and 3 ``supportbot worker`` processes on one
database and one Redis, one worker SIGKILLed mid-run and started again.

300 signed ``/incident`` requests of mixed severity come in over both webs at concurrency 20
while SLA reminders of incidents opened an hour ago fall due. Then: every request answered
(200; how long each took is printed, not asserted: these machines are shared and noisy, and
``bench/bench_throughput.py`` measures it), one incident each, each card posted once, each
Sev1's page sent once (one SMS carrying its code; every SMS and call Twilio made is recorded by
a page), each reminder posted once and not before its instant, and no deadlock or
serialization failure in any process's log.
Run on PostgreSQL with DATABASE_URL set (CI runs both databases).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from supportbot.clock import TravelClock
from supportbot.db.models import Escalation, Incident, Page, SlaTimer, TimelineEvent
from supportbot.desk import intake
from supportbot.runtime import Runtime
from supportbot.settings import Settings
from tests.conftest import SIGNING_SECRET, make_settings
from tests.standins import TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, SlackStandin, TwilioStandin
from tests.support.processes import free_port, process_env, wait_until, web_up
from tests.support.slack_requests import TEAM_ID, TRIAGE, SlackInbound

REPO = Path(__file__).resolve().parent.parent
FROM_NUMBER = "+15005550006"
UNA = "+353855550401"
ROTATION = """\
people:
  una: {name: Una Ruane, slack: U0SCALE001, phone: "+353 85 555 0401"}
regions:
  - name: Days
    time_zone: UTC
    shift: {start: "00:00", end: "12:00"}
    working_days: [mon, tue, wed, thu, fri, sat, sun]
    rosters:
      L1: {rotation: daily, handoff_time: "00:00", start: 2025-01-06, primary: [una]}
  - name: Nights
    time_zone: UTC
    shift: {start: "12:00", end: "00:00"}
    working_days: [mon, tue, wed, thu, fri, sat, sun]
    rosters:
      L1: {rotation: daily, handoff_time: "00:00", start: 2025-01-06, primary: [una]}
management: []
escalation:
  sev1:
    repeat: 0
    repeat_after: 30m
    steps:
      - after: 0m
        page: [L1.primary]
"""
ACME = "C0ACMESHARED"
REQUESTS, SEV1_EVERY, AT_ONCE = 300, 4, 20  # a Sev1 every 4th request, Sev2 and Sev3 between
PLANTED = 12  # incidents opened an hour ago whose 50 % reminder falls due during the run


@pytest.fixture
def twilio_api() -> Iterator[TwilioStandin]:
    with TwilioStandin(hang_seconds=1.0) as standin:
        yield standin


@pytest.fixture
def clock() -> TravelClock:
    return TravelClock(datetime.now(UTC), ticking=True)  # the processes read the real clock


@pytest.fixture
def settings(
    tmp_path: Path,
    redis_url: str,
    database_url: str,
    slack_api: SlackStandin,
    twilio_api: TwilioStandin,
    redis: object,
) -> Settings:
    rotations = tmp_path / "rotations"
    rotations.mkdir()
    (rotations / "scale.yaml").write_text(ROTATION)
    return make_settings(
        tmp_path,
        redis_url,
        database_url,
        slack_api.api_url,
        twilio_account_sid=TWILIO_ACCOUNT_SID,
        twilio_auth_token=TWILIO_AUTH_TOKEN,
        twilio_from_number=FROM_NUMBER,
        twilio_api_url=twilio_api.url,
        rotations_dir=rotations,
    )


def env_for(s: Settings, tmp_path: Path, name: str) -> dict[str, str]:
    return process_env(s, tmp_path, name) | {
        "TWILIO_ACCOUNT_SID": TWILIO_ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": TWILIO_AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": FROM_NUMBER,
        "TWILIO_API_URL": s.twilio_api_url,
        "SUPPORTBOT_RECONCILE_INTERVAL_SECONDS": "2",
        # One person holds every page here: no per-contact throttle (bundling still applies).
        "SUPPORTBOT_PAGE_MIN_GAP_SECONDS": "0",
        "SUPPORTBOT_PAGE_SMS_PER_15MIN": "10000",
        "SUPPORTBOT_PAGE_CALLS_PER_15MIN": "10000",
        "SUPPORTBOT_LOG_LEVEL": "INFO",
    }


class Fleet:
    """The processes this test started; each logs to its own file."""

    def __init__(self, s: Settings, tmp_path: Path) -> None:
        self.s, self.tmp_path = s, tmp_path
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, *args: str, **extra: str) -> subprocess.Popen[bytes]:
        with (self.tmp_path / f"{name}.log").open("ab") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "supportbot", *args],
                env=env_for(self.s, self.tmp_path, name) | extra,
                cwd=self.tmp_path,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a kill takes the whole process group
            )
        self.procs[name] = proc
        return proc

    def kill(self, name: str) -> None:
        os.killpg(self.procs[name].pid, signal.SIGKILL)
        self.procs[name].wait(10)

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in self.tmp_path.glob("*.log"))


def plant_reminders(rt: Runtime, clock: TravelClock) -> dict[int, datetime]:
    """Acme Sev2s opened a little under an hour ago: their 50 % reminders fall due in the
    next seconds, one every half second. Returns each incident's opening."""
    acme = rt.contracts.by_key("acme")
    now, due = datetime.now(UTC), {}
    for n in range(PLANTED):
        clock.set(now - timedelta(hours=1) + timedelta(seconds=8 + n / 2))
        incident = intake.open_incident(
            rt, title=f"planted {n}", severity=2, reporter="U0STAFF001", customer=acme
        )
        due[incident.id] = incident.opened_at
    clock.set(datetime.now(UTC))
    rt.dispatcher.flush()
    return due


def test_two_webs_three_workers_one_killed_everything_once(  # long: one scripted run
    rt: Runtime,
    clock: TravelClock,
    settings: Settings,
    tmp_path: Path,
    slack_api: SlackStandin,
    twilio_api: TwilioStandin,
) -> None:
    fleet = Fleet(settings, tmp_path)
    ports = [free_port(), free_port()]
    try:
        for n, port in enumerate(ports):
            fleet.start(f"web-{n}", "web", PORT=str(port))
        for n in range(3):
            fleet.start(f"worker-{n}", "worker")
        for port in ports:
            wait_until(lambda p=port: web_up(p), lambda: f"a web up: {fleet.logs()[-3000:]}", 60)
        due = plant_reminders(rt, clock)

        def ask(n: int) -> tuple[int, float]:
            url = f"http://127.0.0.1:{ports[n % 2]}/slack/events"
            inbound = SlackInbound(url, SIGNING_SECRET, slack_api.response_url, team_id=TEAM_ID)
            severity = 1 if n % SEV1_EVERY == 0 else 2 + n % 2
            started = time.monotonic()
            answer = inbound.command(f"sev{severity} scale-out {n}", channel=ACME)
            return answer.status_code, time.monotonic() - started

        with ThreadPoolExecutor(AT_ONCE) as pool:
            first = list(pool.map(ask, range(REQUESTS // 2)))
            fleet.kill("worker-0")  # mid-run, with jobs in its hands
            fleet.start("worker-0-again", "worker")
            second = list(pool.map(ask, range(REQUESTS // 2, REQUESTS)))
        answers = first + second
        assert [status for status, _ in answers] == [200] * REQUESTS
        took = sorted(seconds for _, seconds in answers)
        p50, p99 = took[len(took) // 2], took[len(took) * 99 // 100]
        print(f"answered: median {p50:.3f} s, p99 {p99:.3f} s, max {took[-1]:.3f} s")

        sev1 = REQUESTS // SEV1_EVERY
        wait_until(lambda: _settled(rt, twilio_api, sev1, due), "every card, page, reminder", 180)
        _check_once(rt, slack_api, twilio_api, sev1, due)
        logs = fleet.logs().lower()
        assert "deadlock detected" not in logs and "could not serialize" not in logs
    finally:
        fleet.stop_all()


def _post_key(message: dict[str, object]) -> str:
    """The key a post carries in its metadata (delivery/inflight), or "" for none."""
    meta = message.get("metadata")
    payload = meta.get("event_payload") if isinstance(meta, dict) else None
    return str(payload.get("post", "")) if isinstance(payload, dict) else ""


def carries(body: str, code: str) -> bool:
    """The SMS names the acknowledgement code as a word (16A is not in 116A)."""
    return re.search(rf"(?<![0-9A-Z]){re.escape(code)}(?![0-9A-Z])", body) is not None


def _settled(rt: Runtime, twilio: TwilioStandin, sev1: int, due: dict[int, datetime]) -> bool:
    with rt.session() as session:
        incidents = session.scalars(select(Incident)).all()
        codes = list(session.scalars(select(Escalation.ack_code)))
        # A page whose SMS Twilio took is marked sent a moment later, in its own commit.
        owed = session.scalar(select(Page.id).where(Page.state.in_(("pending", "sending"))))
        reminders = session.scalars(
            select(TimelineEvent).where(TimelineEvent.kind == "reminder:response:50")
        ).all()
    carried = " ".join(m["body"] for m in twilio.messages(to=UNA))
    return (
        len(incidents) == REQUESTS + PLANTED
        and all(i.card_ts for i in incidents)
        and len(codes) == sev1
        and owed is None
        and all(carries(carried, code) for code in codes)
        and len([r for r in reminders if r.posted_internal_at]) == len(due)
    )


def _check_once(
    rt: Runtime,
    slack: SlackStandin,
    twilio: TwilioStandin,
    sev1: int,
    due: dict[int, datetime],
) -> None:
    with rt.session() as session:
        incidents = session.scalars(select(Incident)).all()
        codes = list(session.scalars(select(Escalation.ack_code)))
        pages = session.scalars(select(Page)).all()
        timers = {
            t.incident_id: t
            for t in session.scalars(
                select(SlaTimer).where(SlaTimer.clock == "response", SlaTimer.threshold == 50)
            )
            if t.incident_id in due
        }
    # One incident per request, unique keys; each card posted once. Other posts at the top of
    # the triage channel (a page a killed worker held is said there) are printed; those that
    # carry a post key are checked once below with every other post.
    assert len({i.key for i in incidents}) == REQUESTS + PLANTED
    posted = [m for m in slack.messages() if m["method"] == "chat.postMessage"]
    top = [m for m in posted if m["channel"] == TRIAGE and not m.get("thread_ts")]
    cards = {m["ts"]: _post_key(m) for m in top if _post_key(m).startswith("card-")}
    others = {_post_key(m): m.get("text") for m in top if m["ts"] not in cards}
    print(f"other posts at the top of the triage channel: {others}")
    assert sorted(cards.values()) == sorted(f"card-{i.id}-internal" for i in incidents)
    assert set(cards) == {i.card_ts for i in incidents}
    # Each Sev1's page went out once: its code in exactly one SMS; every SMS and call that
    # Twilio made is the one recorded by a page (nothing sent twice and left unrecorded).
    assert len(codes) == sev1
    sms = twilio.messages(to=UNA)
    for code in codes:
        assert sum(carries(m["body"], code) for m in sms) == 1, (code, [m["body"] for m in sms])
    recorded = {p.provider_sid for p in pages if p.provider_sid}
    assert {m["sid"] for m in sms} <= recorded and {c["sid"] for c in twilio.voice_calls()} <= (
        recorded
    )
    assert not [p for p in pages if p.state in ("failed", "pending", "sending")]
    # Each reminder posted once, at or after its instant.
    for incident_id in due:
        timer = timers[incident_id]
        assert timer.state == "fired" and timer.fired_at is not None
        assert timer.fired_at >= timer.due_at  # never early
    posts = Counter(
        m["metadata"]["event_payload"]["post"]
        for m in posted
        if (m.get("metadata") or {}).get("event_payload")
    )
    assert set(posts.values()) == {1}
    reminded = [m for m in posted if "response target 50% used" in str(m.get("text"))]
    assert len([m for m in reminded if m.get("thread_ts")]) == len(due)
