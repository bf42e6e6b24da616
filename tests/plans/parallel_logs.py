"""One process of the concurrency test: log time and appointments on one incident from
several threads at once, through the real service, against the shared database.

Run as ``python -m tests.plans.parallel_logs SPEC`` (JSON: settings, incident, count, and
the wall-clock instant to start at, so both processes begin together).
"""

from __future__ import annotations

import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from supportbot.desk import work
from supportbot.incidents.access import Actor
from supportbot.runtime import build_runtime
from tests.conftest import make_settings


def main(spec: dict[str, object]) -> None:
    settings = make_settings(
        Path(str(spec["tmp"])), str(spec["redis"]), str(spec["db"]), str(spec["slack"]),
        contracts_file=Path(str(spec["contract"])),
    )  # fmt: skip
    rt = build_runtime(settings)
    who = Actor.staff_member(str(spec["person"]))
    incident = int(str(spec["incident"]))

    def one(index: int) -> None:
        if spec.get("appointments_only"):
            work.log_time(rt, incident, who, 70, f"visit {index}", appointment=True)
        elif index % 2 == 0:
            work.log_time(rt, incident, who, 10, f"log {index}")
        else:
            work.log_time(rt, incident, who, 70, f"visit {index}", appointment=True)

    time.sleep(max(0.0, float(str(spec["start_at"])) - time.time()))
    with ThreadPoolExecutor(max_workers=5) as pool:
        list(pool.map(one, range(int(str(spec["count"])))))
    rt.dispatcher.flush()
    rt.engine.dispose()


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
