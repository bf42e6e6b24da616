"""Shared by the benchmarks: percentiles, a load loop, a server in a subprocess."""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def summary(samples_s: list[float]) -> dict[str, float]:
    ordered = sorted(samples_s)
    p99 = ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]
    return {"n": len(ordered), "median_ms": statistics.median(ordered) * 1000, "p99_ms": p99 * 1000}


def load(request: Callable[[int], None], total: int, concurrency: int) -> list[float]:
    """Run ``request(i)`` ``total`` times on ``concurrency`` threads; return each latency."""

    def timed(i: int) -> float:
        start = time.perf_counter()
        request(i)
        return time.perf_counter() - start

    with ThreadPoolExecutor(concurrency) as pool:
        return list(pool.map(timed, range(total)))


def start_server(args: list[str], port: int | None, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Start a process; with a port, wait until it listens (without, give it a moment)."""
    process = subprocess.Popen([sys.executable, *args], env={**os.environ, **env})
    if port is None:
        time.sleep(3)
        if process.poll() is not None:
            raise RuntimeError(f"{args} exited with {process.returncode}")
        return process
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"server {args} did not start on port {port}")


def row(label: str, stats: dict[str, float]) -> str:
    return (
        f"{label:<34} n={stats['n']:<5} median={stats['median_ms']:7.2f} ms  "
        f"p99={stats['p99_ms']:7.2f} ms"
    )


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc)."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def settled_cpu(pids: list[int], quiet: float = 0.05) -> list[float]:
    """Each process's CPU time once none of them is busy any more (a worker draining the jobs
    a run left it): polled every half second until they used less than ``quiet`` s in one."""
    before = [cpu_seconds(pid) for pid in pids]
    while True:
        time.sleep(0.5)
        now = [cpu_seconds(pid) for pid in pids]
        if sum(now) - sum(before) < quiet:
            return now
        before = now
