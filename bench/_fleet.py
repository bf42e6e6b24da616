"""Shared by the benchmarks that run the product as shipped: `supportbot web` processes and a
`supportbot worker` beside them, as `make run` starts them, on one database and one Redis."""

from __future__ import annotations

import subprocess
from pathlib import Path

from _common import start_server

REPO = Path(__file__).resolve().parent.parent
SECRET = "bench-signing-secret"


def fleet_env(data_dir: str, redis_url: str, database_url: str) -> dict[str, str]:
    """Local mode for Slack (posts go to the log, as `make run` without credentials does) but
    with a known signing secret, so the client signs exactly as Slack does."""
    return {
        "REDIS_URL": redis_url,
        "DATABASE_URL": database_url or f"sqlite:///{data_dir}/bench.sqlite3",
        "SLACK_SIGNING_SECRET": SECRET,
        "SUPPORTBOT_BIND": "127.0.0.1",
        "SUPPORTBOT_TRIAGE_CHANNEL": "C0TRIAGE",
        "SUPPORTBOT_DATA_DIR": data_dir,
        "SUPPORTBOT_LOG_LEVEL": "ERROR",
        "SUPPORTBOT_CONTRACTS_FILE": str(REPO / "contracts/customers.yaml"),
        "SUPPORTBOT_TRIAGE_RULES_FILE": str(REPO / "contracts/triage.yaml"),
        "SUPPORTBOT_ROTATIONS_DIR": str(REPO / "rotations"),
    }


def start_fleet(
    ports: list[int], env: dict[str, str], *, worker: bool = True
) -> list[subprocess.Popen[bytes]]:
    """One `supportbot web` per port (16 threads, the default) and one worker; the first web
    migrates the database before the others start."""
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for port in ports:
            processes.append(
                start_server(["-m", "supportbot", "web"], port, {**env, "PORT": str(port)})
            )
        if worker:
            processes.append(start_server(["-m", "supportbot", "worker"], None, env))
    except BaseException:
        stop(processes)
        raise
    return processes


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(15)
