"""Cost of issue 13's card sections (the acknowledgement line, held pages and the
*Escalate to…* choices) when the card is drawn, against the card as drawn before them.

    REDIS_URL=redis://127.0.0.1:6379/2 python bench/bench_card_attention.py [--incidents 300]

In-process, SQLite, the example rotation and contracts. Half the incidents are acknowledged
(so their acknowledgement line is computed). Each card is timed one by one inside one
session, both ways in the same run: the baseline is what ``slack.sync`` built before (SLA
clock lines and the card), the new one adds the attention lines and the on-call choices.
Figures, not assertions.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from _common import row, summary
from sqlalchemy import select

from supportbot.clock import TravelClock
from supportbot.db.migrate import upgrade
from supportbot.db.models import Incident
from supportbot.desk import actions, intake
from supportbot.devtools.embedded_redis import EmbeddedRedis
from supportbot.incidents.access import Actor
from supportbot.jobs import check_registered
from supportbot.oncall.choices import escalation_choices, holders_now
from supportbot.runtime import Runtime, build_runtime, set_runtime
from supportbot.settings import Settings
from supportbot.slack.attention_blocks import attention_blocks
from supportbot.slack.cards import internal_card
from supportbot.slack.clock_blocks import clock_blocks
from supportbot.slack.moment import Moment

REPO = Path(__file__).resolve().parent.parent
AT = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def runtime(folder: Path, redis_url: str) -> Runtime:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        redis_url=redis_url,
        database_url=f"sqlite:///{folder / 'bench.sqlite3'}",
        contracts_file=REPO / "contracts" / "customers.yaml",
        triage_rules_file=REPO / "contracts" / "triage.yaml",
        rotations_dir=REPO / "rotations",
        data_dir=folder / "var",
        queue_name="bench-card-attention",
    )
    rt = build_runtime(settings, clock=TravelClock(AT))
    upgrade(rt.engine)
    set_runtime(rt)
    return rt


def draw(rt: Runtime, incidents: list[Incident], *, new: bool) -> list[float]:
    samples = []
    with rt.session() as session:
        for incident in incidents:
            session.add(incident)
            start = time.perf_counter()
            customer = rt.contracts.by_key(incident.customer) if incident.customer else None
            moment = Moment(rt, session, incident)
            extra = list(clock_blocks(session, incident, moment))
            choices = []
            if new:
                extra += attention_blocks(rt, session, incident, moment)
                holders = holders_now(rt, session, incident, moment.now, overrides=moment.overrides)
                choices = escalation_choices(holders, incident.level)
            internal_card(incident, customer, extra, choices)
            samples.append(time.perf_counter() - start)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        server = None
        redis_url = os.environ.get("REDIS_URL")
        if not redis_url:
            server = EmbeddedRedis(folder / "redis")
            redis_url = server.start()
        try:
            check_registered()  # the dispatcher resolves every kind of job it hands over
            rt = runtime(folder, redis_url)
            acme = rt.contracts.by_key("acme")
            staff = Actor.staff_member("U0STAFF001")
            for i in range(args.incidents):
                opened = intake.open_incident(
                    rt, title=f"bench {i}", severity=2, reporter="U0STAFF001", customer=acme
                )
                if i % 2 == 0:
                    actions.acknowledge(rt, opened.id, staff)
            with rt.session() as session:
                incidents = list(session.scalars(select(Incident).order_by(Incident.id)))
                session.expunge_all()
            draw(rt, incidents[:20], new=True)  # warm the rotation and the calendars
            before = summary(draw(rt, incidents, new=False))
            after = summary(draw(rt, incidents, new=True))
            print(row("card as before (baseline)", before))
            print(row("card with issue 13 sections", after))
            print(
                f"ratio: median {after['median_ms'] / before['median_ms']:.2f}x, "
                f"p99 {after['p99_ms'] / before['p99_ms']:.2f}x"
            )
            rt.redis.delete(*rt.redis.keys("rq:*bench-card-attention*") or ["-"])
        finally:
            if server is not None:
                server.stop()


if __name__ == "__main__":
    main()
