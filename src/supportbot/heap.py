"""Keeping the garbage collector's full pauses off the request path.

A web or worker process holds a large heap made at start-up (SQLAlchemy's mappers and
compiled statements, Bolt, slack_sdk, the rota and contracts loaded) that never becomes
garbage. CPython's collection of its oldest generation walks every one of those objects
with every thread stopped: measured in ``supportbot web``, about 100 ms once every few
hundred requests, so a whole batch of concurrent ``/incident`` requests was answered 100 ms
late (docs/benchmarks.md, "Fourth pass"). ``gc.freeze()`` moves them into a permanent
generation that no collection scans; everything made afterwards is collected as before.
"""

from __future__ import annotations

import gc
import logging

log = logging.getLogger(__name__)


def freeze_startup_heap() -> int:
    """Free start-up's garbage, then freeze what is left; returns how many objects are
    frozen. Call it once the process is built, just before it starts serving."""
    gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    log.info("start-up heap frozen: %d objects the collector no longer scans", frozen)
    return frozen
