"""The worker yields the CPU to the web: it runs at a niceness of its own (SUPPORTBOT_WORKER_NICE),
every one of its threads, so that a burst of cards does not slow the answers Slack waits for."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from supportbot.settings import Settings
from tests.support.processes import process_env


def _niceness(pid: int) -> dict[int, int]:
    """Each thread's niceness, read from /proc (field 19 of stat, after the command's name)."""
    found = {}
    for task in os.listdir(f"/proc/{pid}/task"):
        stat = Path(f"/proc/{pid}/task/{task}/stat").read_text()
        found[int(task)] = int(stat.rpartition(")")[2].split()[16])
    return found


def _worker_threads(settings: Settings, tmp_path: Path, nice: str) -> dict[int, int]:
    env = process_env(settings, tmp_path, f"worker-{nice}") | {"SUPPORTBOT_WORKER_NICE": nice}
    worker = subprocess.Popen(
        [sys.executable, "-m", "supportbot", "worker"], cwd=tmp_path, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        # The reconciler and scheduler threads start once the worker is ready.
        while len(threads := _niceness(worker.pid)) < 3 and time.monotonic() < deadline:
            assert worker.poll() is None, "the worker exited"
            time.sleep(0.1)
        return threads
    finally:
        worker.terminate()
        worker.wait(30)


def test_every_thread_of_the_worker_runs_at_its_niceness(
    settings: Settings, tmp_path: Path
) -> None:
    ours = os.getpriority(os.PRIO_PROCESS, 0)
    threads = _worker_threads(settings, tmp_path, "12")
    assert len(threads) >= 3
    assert set(threads.values()) == {max(ours, 12)}

    # 0 leaves it as it was started: never below what it inherited.
    assert set(_worker_threads(settings, tmp_path, "0").values()) == {ours}


def test_a_niceness_out_of_range_is_refused_at_start(settings: Settings, tmp_path: Path) -> None:
    env = process_env(settings, tmp_path, "worker") | {"SUPPORTBOT_WORKER_NICE": "20"}
    done = subprocess.run(
        [sys.executable, "-m", "supportbot", "worker", "--burst"], cwd=tmp_path, env=env,
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode != 0
    assert "worker_nice" in done.stderr or "WORKER_NICE" in done.stderr, done.stderr
