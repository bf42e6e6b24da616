"""No orphans: when ``supportbot run`` dies, its web, worker and embedded Redis die with it.

``run`` is killed with SIGKILL, so it cannot clean up; the kernel's parent-death signal must
stop every process it started (and the RQ scheduler the worker forked), free the port, and
let the next ``run`` start on the same port. That one is then stopped as a closed terminal
stops it (SIGHUP): cleanly, exit 0.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
_OURS = ("SLACK_", "SUPPORTBOT_", "TWILIO_", "REDIS_URL", "DATABASE_URL", "PORT")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, parent pid) of a process, or None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = text.rsplit(")", 1)[1].split()
    return fields[0], int(fields[1])


def _alive(pid: int) -> bool:
    stat = _stat(pid)
    return stat is not None and stat[0] != "Z"  # a zombie has exited; only its entry is left


def descendants(root: int) -> dict[int, str]:
    """Every living process below ``root``, with its command line."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) and stat[0] != "Z":
            parents[int(entry.name)] = stat[1]
    found: dict[int, str] = {}
    frontier = [root]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parents.items():
            if ppid == parent and pid not in found:
                try:
                    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
                except (FileNotFoundError, ProcessLookupError):
                    continue
                found[pid] = cmdline.replace(b"\0", b" ").decode(errors="replace").strip()
                frontier.append(pid)
    return found


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _start(tmp_path: Path, port: int, name: str) -> tuple[subprocess.Popen[bytes], Path]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OURS)}
    env |= {"PORT": str(port), "SUPPORTBOT_DATA_DIR": str(tmp_path / "var")}
    log = tmp_path / f"{name}.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "supportbot", "run"],
        cwd=REPO,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    return process, log


def _wait_running(process: subprocess.Popen[bytes], log: Path, port: int) -> dict[int, str]:
    """Until the web app answers and the worker (with its scheduler) listens on its queues;
    then every process below ``run``."""
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, log.read_text()
        assert time.monotonic() < deadline, log.read_text()
        try:
            answered = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code
        except requests.ConnectionError:
            answered = None
        below = descendants(process.pid)
        redis = any("valkey-server" in cmd for cmd in below.values())
        # The worker runs its scheduler in a thread (supportbot.worker.SchedulerThread).
        workers = [cmd for cmd in below.values() if cmd.endswith("supportbot worker")]
        text = log.read_text()
        scheduling = "took the scheduler lock" in text
        if answered and redis and workers and scheduling and "Listening on" in text:
            return below
        time.sleep(0.2)


def test_killing_run_leaves_no_process_and_no_port_behind(tmp_path: Path) -> None:
    port = _free_port()
    first, log = _start(tmp_path, port, "first")
    below: dict[int, str] = {}
    try:
        below = _wait_running(first, log, port)
        commands = " | ".join(below.values())
        assert "supportbot web" in commands and "valkey-server" in commands, commands
        text = log.read_text()
        redis_port = int(
            text.split("embedded Redis listening on redis://127.0.0.1:")[1].split("/")[0]
        )

        first.send_signal(signal.SIGKILL)
        first.wait(5)
        deadline = time.monotonic() + 10
        while (left := {pid: cmd for pid, cmd in below.items() if _alive(pid)}) and (
            time.monotonic() < deadline
        ):
            time.sleep(0.1)
        assert not left, f"still running 10 s after run was killed: {left}"
    finally:
        if first.poll() is None:
            first.kill()
        for pid in below:
            if _alive(pid):  # only if the test failed: never leak them
                os.kill(pid, signal.SIGKILL)
    assert _port_free(port), f"port {port} is still held"
    assert _port_free(redis_port), f"the embedded Redis port {redis_port} is still held"

    # The next start finds the port free, and a closed terminal (SIGHUP) stops it cleanly.
    second, log = _start(tmp_path, port, "second")
    try:
        below = _wait_running(second, log, port)
        second.send_signal(signal.SIGHUP)
        code = second.wait(30)
    finally:
        if second.poll() is None:
            second.kill()
    text = log.read_text()
    assert code == 0, text
    assert "Traceback" not in text, text
    assert not [pid for pid in below if _alive(pid)], "children outlived a clean stop"
    assert _port_free(port)
