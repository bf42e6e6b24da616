"""CPU of drawing one incident card, as slack_sdk's models drew it before issue 9 (P1) and as
it is drawn now, interleaved in one process so that the shared machine's load falls on both.

    REDIS_URL=redis://127.0.0.1:6379/2 python bench/bench_card_draw.py [--draws 300]

In-process, SQLite, the example rotation and contracts, at a fixed instant. Two cards: an
internal Sev3 as `/incident sev3` opens it (what bench_incident_command.py --worker posts),
and an acknowledged Sev2 of a customer with plans (SLA clocks, the acknowledgement line, the
plan section). "before" is ``tests/cards/reference_cards`` (the models, and a rotation
lookup for each section); "now" is ``slack.drawing``. Each draw is timed by the thread's CPU
clock; the minimum and the median are printed (the minimum is the least disturbed).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench_card_attention import runtime

from supportbot.db.models import Incident
from supportbot.desk import actions, intake
from supportbot.devtools.embedded_redis import EmbeddedRedis
from supportbot.incidents.access import Actor
from supportbot.jobs import check_registered
from supportbot.runtime import Runtime
from supportbot.slack import drawing

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.cards import reference_cards  # noqa: E402

Draw = Callable[[Runtime, Any, Incident], tuple[str, list[Any]]]


def timed(rt: Runtime, incident_id: int, draw: Draw) -> float:
    with rt.session() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        start = time.thread_time()
        draw(rt, session, incident)
        return time.thread_time() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--draws", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = None
        redis_url = os.environ.get("REDIS_URL")
        if not redis_url:
            server = EmbeddedRedis(Path(tmp) / "redis")
            redis_url = server.start()
        try:
            check_registered()
            rt = runtime(Path(tmp), redis_url)
            internal = intake.open_incident(rt, title="bench", severity=3, reporter="U0STAFF001",
                                            customer=None).id  # fmt: skip
            acme = rt.contracts.by_key("acme")
            worked = intake.open_incident(rt, title="bench", severity=2, reporter="U0STAFF001",
                                          customer=acme).id  # fmt: skip
            actions.acknowledge(rt, worked, Actor.staff_member("U0STAFF001"))
            ways: dict[str, Draw] = {
                "before": reference_cards.internal_payload,
                "now": drawing.internal_payload,
            }
            for name, incident_id in (("internal Sev3", internal), ("acme Sev2, acked", worked)):
                samples: dict[str, list[float]] = {way: [] for way in ways}
                for _ in range(args.draws):
                    for way, draw in ways.items():
                        samples[way].append(timed(rt, incident_id, draw))
                for way, found in samples.items():
                    print(f"{name:<18} {way:<7} min {min(found) * 1000:6.2f} ms  "
                          f"median {statistics.median(found) * 1000:6.2f} ms")  # fmt: skip
            rt.redis.delete(*rt.redis.keys("rq:*bench-card-attention*") or ["-"])
        finally:
            if server is not None:
                server.stop()


if __name__ == "__main__":
    main()
