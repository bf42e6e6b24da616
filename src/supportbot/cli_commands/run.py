"""``supportbot run``: everything on one machine, and nothing left behind when it stops.

It checks what the operator must fix first (settings, files, Slack token, port), starts an
embedded Redis when REDIS_URL is unset, migrates, then runs ``web`` and ``worker`` as child
processes. Each child, and the embedded Redis, gets Linux's parent-death signal, so when
``run`` dies, even by SIGKILL or a closed terminal, they stop too and the next start finds the
port free. The web process and the embedded Redis get SIGTERM. The worker gets SIGTERM (a warm
shutdown: it finishes the job in hand) when Redis is an external one that stays up; with the
embedded Redis, which goes at the same instant, it gets SIGKILL, as after a power cut: its job
is re-driven by the reconciler, instead of dying in a storm of connection errors. A clean stop
(Ctrl-C, SIGTERM, SIGHUP) ends the children first and Redis last.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
from types import FrameType

from supportbot import metrics
from supportbot.cli_commands import preflight
from supportbot.db.engine import make_engine
from supportbot.db.migrate import upgrade
from supportbot.devtools.embedded_redis import EmbeddedRedis, parent_death_signal
from supportbot.devtools.local_mode import bind_address, missing_credentials
from supportbot.settings import Settings

log = logging.getLogger("supportbot")


class _Stop(Exception):
    """SIGTERM or SIGHUP arrived: stop the children, then Redis."""


def _stop(signum: int, frame: FrameType | None) -> None:
    raise _Stop(signal.Signals(signum).name)


def spawn(role: str, env: dict[str, str], death: signal.Signals) -> subprocess.Popen[bytes]:
    """``supportbot <role>``, which gets ``death`` when this process dies."""
    return subprocess.Popen(
        [sys.executable, "-m", "supportbot", role], env=env, preexec_fn=parent_death_signal(death)
    )


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    host = bind_address(settings)
    preflight.require_port(host, settings.port)
    preflight.require_database(settings)
    preflight.require_files(settings)
    preflight.require_slack(settings, socket_mode=True)
    if settings.redis_url is not None:
        preflight.require_redis(settings, reachable=True)
    for line in missing_credentials(settings):
        log.warning(line)
    env = dict(os.environ)
    embedded = None
    children: list[subprocess.Popen[bytes]] = []
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGHUP, _stop)
    try:
        if settings.redis_url is None:
            embedded = EmbeddedRedis(settings.data_dir / "redis")
            try:
                env["REDIS_URL"] = embedded.start()
            except RuntimeError as exc:
                raise preflight.OperatorError(str(exc)) from None
        engine = make_engine(settings.sqlalchemy_url)
        upgrade(engine)
        engine.dispose()
        env[metrics.MULTIPROC_ENV] = str(metrics.fresh_dir(settings.data_dir / "metrics"))
        worker_death = signal.SIGKILL if embedded is not None else signal.SIGTERM
        children = [spawn("web", env, signal.SIGTERM), spawn("worker", env, worker_death)]
        return _supervise(children)
    except (KeyboardInterrupt, _Stop):
        return 0
    finally:
        _stop_children(children)
        if embedded is not None:
            embedded.stop()


def _supervise(children: list[subprocess.Popen[bytes]]) -> int:
    """Wait until a child exits; its failure is the run's."""
    while all(child.poll() is None for child in children):
        try:
            children[0].wait(1)
        except subprocess.TimeoutExpired:
            continue
    failed = [c for c in children if c.returncode not in (None, 0)]
    return failed[0].returncode if failed else 0


def _stop_children(children: list[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            child.terminate()
    for child in children:
        try:
            child.wait(10)
        except subprocess.TimeoutExpired:
            log.warning("pid %s did not stop within 10 s of SIGTERM; killing it", child.pid)
            child.kill()
            child.wait()
