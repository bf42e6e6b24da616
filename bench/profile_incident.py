"""Where the CPU goes in a signed `/incident sev3` and in its card's first post (cProfile).

1. The request: `supportbot web`'s app (built as `supportbot web` builds it, same waitress
   server, 16 threads) in a subprocess with a cProfile profiler on every thread (waitress's
   and Bolt's listener threads), driven by signed requests; no worker runs meanwhile.
2. The card's first post: `supportbot worker --burst` under cProfile drains the jobs those
   requests queued (SimpleWorker: the jobs run in the profiled main thread).
Prints each profile's top entries by own time and by cumulative time, per request.

    python bench/profile_incident.py [--requests 500] [--concurrency 1] [--keep DIR]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from _common import free_port, load, start_server  # noqa: E402
from _fleet import SECRET, fleet_env, stop  # noqa: E402

from supportbot.clients.slack import LOCAL_TEAM_ID  # noqa: E402
from supportbot.devtools.embedded_redis import EmbeddedRedis  # noqa: E402
from supportbot.devtools.slack_simulator import SlackInbound  # noqa: E402


def serve_profiled(port: int, out: str) -> None:
    """`supportbot web` in-process, with a profiler started on every new thread."""
    from waitress import serve

    from supportbot.db.migrate import upgrade
    from supportbot.runtime import build_runtime
    from supportbot.settings import Settings, signing_secret
    from supportbot.web import build_bolt_app, build_flask_app

    profilers: list[cProfile.Profile] = []

    def start_profiler(*_: object) -> None:
        profiler = cProfile.Profile(time.thread_time)  # CPU, not time spent waiting
        profilers.append(profiler)
        profiler.enable()  # replaces this hook for the thread

    settings = Settings()  # type: ignore[call-arg]
    rt = build_runtime(settings)
    upgrade(rt.engine)
    app = build_flask_app(rt, build_bolt_app(rt, signing_secret(settings)))

    def interrupt(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    threading.setprofile(start_profiler)
    try:
        serve(app, host="127.0.0.1", port=port, threads=16, _quiet=True)
    except KeyboardInterrupt:
        pass
    finally:
        threading.setprofile(None)  # type: ignore[arg-type]
        stats = [p for p in profilers if p.getstats()]
        pstats.Stats(*stats).dump_stats(out)


def work_profiled(out: str) -> int:
    """`supportbot worker --burst` with the main thread's CPU profiled (jobs run there)."""
    from supportbot.cli import main as supportbot

    profiler = cProfile.Profile(time.thread_time)
    status = profiler.runcall(supportbot, ["worker", "--burst"])
    profiler.dump_stats(out)
    return int(status)


def show(title: str, path: str, requests: int, limit: int) -> None:
    stats = pstats.Stats(path)
    total = stats.total_tt  # type: ignore[attr-defined]
    print(f"\n== {title}: {total:.2f} s of CPU, {total / requests * 1000:.2f} ms a request")
    for key in ("tottime", "cumulative"):
        print(f"-- top {limit} by {key}")
        stats.sort_stats(key).print_stats(limit)
    print(f"-- top {limit} of the project's own functions by cumulative")
    stats.sort_stats("cumulative").print_stats(r"/(src/supportbot|handlers)/", limit)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--serve", nargs=2)
    parser.add_argument("--work")
    parser.add_argument("--keep", help="copy the two profiles here (web.prof, worker.prof)")
    args = parser.parse_args()
    if args.serve:
        serve_profiled(int(args.serve[0]), args.serve[1])
        return 0
    if args.work:
        return work_profiled(args.work)
    with tempfile.TemporaryDirectory() as tmp:
        redis = EmbeddedRedis(Path(tmp) / "redis")
        env = fleet_env(tmp, redis.start(), args.database_url)
        port = free_port()
        web_prof, worker_prof = f"{tmp}/web.prof", f"{tmp}/worker.prof"
        try:
            server = start_server(
                [__file__, "--serve", str(port), web_prof], port, {**env, "PORT": str(port)}
            )
            try:
                inbound = SlackInbound(
                    f"http://127.0.0.1:{port}/slack/events",
                    SECRET,
                    lambda: "http://127.0.0.1:9/response",
                    team_id=LOCAL_TEAM_ID,
                )

                def one(i: int) -> None:
                    response = inbound.command(f"sev3 profiled incident {i}")
                    if response.status_code != 200:
                        raise RuntimeError(f"HTTP {response.status_code}: {response.text[:200]}")

                load(one, args.requests, args.concurrency)
            finally:
                stop([server])
            subprocess.run(
                [sys.executable, __file__, "--work", worker_prof],
                env={**os.environ, **env},
                check=True,
            )
            if args.keep:
                Path(args.keep).mkdir(parents=True, exist_ok=True)
                shutil.copy(web_prof, Path(args.keep) / "web.prof")
                shutil.copy(worker_prof, Path(args.keep) / "worker.prof")
            show("the request (web, every thread)", web_prof, args.requests, args.top)
            show(
                "the worker, draining the cards' first posts", worker_prof, args.requests, args.top
            )
        finally:
            redis.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
