"""The start-up heap is frozen before web and worker serve, so no full collection of the
garbage collector walks it (a 100 ms stop of every thread, docs/benchmarks.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from supportbot.settings import Settings
from tests.conftest import REPO
from tests.support.processes import process_env

_BUILD_THE_WEB = """
import gc, json, sys
from pathlib import Path

from supportbot.settings import Settings
from tests.conftest import REPO
from tests.support.processes import process_env
from supportbot.clients.slack import LoggingWebClient
from supportbot.db.migrate import upgrade
from supportbot.heap import freeze_startup_heap
from supportbot.runtime import build_runtime
from supportbot.settings import Settings
from supportbot.web import build_bolt_app, build_flask_app

data = Path(sys.argv[1])
settings = Settings(_env_file=None, redis_url=sys.argv[2], data_dir=data,
                    database_url=f"sqlite:///{data}/heap.sqlite3", triage_channel="C0TRIAGE")
rt = build_runtime(settings, slack=LoggingWebClient())
upgrade(rt.engine)
build_flask_app(rt, build_bolt_app(rt, "heap-test-secret"))
before = len(gc.get_objects(generation=2))
frozen = freeze_startup_heap()
print(json.dumps({"before": before, "frozen": frozen, "after": len(gc.get_objects(2))}))
"""


def test_the_web_heap_is_frozen_and_out_of_the_oldest_generation(
    tmp_path: Path, redis_url: str
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SUPPORTBOT_", "SLACK_"))}
    done = subprocess.run(
        [sys.executable, "-c", _BUILD_THE_WEB, str(tmp_path), redis_url],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    # A built web holds tens of thousands of long-lived objects in the oldest generation;
    # frozen, that generation starts again nearly empty.
    assert found["before"] > 20_000
    # The collection before the freeze frees start-up's garbage; the rest is what is frozen.
    assert found["frozen"] > found["before"] // 2
    assert found["after"] < found["frozen"] // 100


def test_the_worker_freezes_its_heap_before_its_first_job(
    settings: Settings, tmp_path: Path
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "supportbot", "worker", "--burst"],
        cwd=tmp_path, env=process_env(settings, tmp_path, "worker"), capture_output=True,
        text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "start-up heap frozen" in done.stdout + done.stderr
