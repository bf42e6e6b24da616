"""Incident ids stay unique when several processes open incidents at the same time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from supportbot.db.models import Incident
from supportbot.runtime import Runtime

OPENER = """
import sys
from pathlib import Path
from supportbot.desk import intake
from supportbot.runtime import build_runtime
from supportbot.settings import Settings
from supportbot.clients.slack import LoggingWebClient
settings = Settings(_env_file=None, database_url=sys.argv[1], redis_url=sys.argv[2],
                    data_dir=Path(sys.argv[3]), triage_channel="C0TRIAGE")
rt = build_runtime(settings, slack=LoggingWebClient())
ids = [intake.open_incident(rt, title=f"load {i}", severity=3, reporter="U0LOAD",
                            customer=None).id for i in range(int(sys.argv[4]))]
rt.dispatcher.flush()
print(" ".join(map(str, ids)))
"""


def test_ids_are_unique_across_concurrent_processes(rt: Runtime, tmp_path: Path) -> None:
    url = rt.settings.sqlalchemy_url
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", OPENER, url, str(rt.settings.redis_url), str(tmp_path), "40"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(os.environ),
        )
        for _ in range(3)
    ]
    ids: list[int] = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err.decode()
        ids += [int(x) for x in out.split()]
    assert len(ids) == 120 and len(set(ids)) == 120
    with rt.session() as session:
        assert session.scalar(select(func.count()).select_from(Incident)) == 120
        assert sorted(session.scalars(select(Incident.id))) == sorted(ids)
