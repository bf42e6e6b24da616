"""The integrations file as the running process sees it: loaded at first use, and again
whenever it changes on disk; a bad edit keeps the last good copy (README, "Data files")."""

from __future__ import annotations

from pathlib import Path
from typing import cast

from supportbot.alerts.integrations import Integration, Integrations, load_integrations
from supportbot.livefiles import LiveFile
from supportbot.runtime import Runtime

_KEY = "alerts.integrations"


def source(rt: Runtime) -> LiveFile[Integrations]:
    found = rt.extras.get(_KEY)
    if not isinstance(found, LiveFile):

        def load(path: Path) -> Integrations:
            return load_integrations(path, rt.contracts)

        fresh = LiveFile(
            "integrations", lambda: rt.settings.integrations_file, load, Integrations(),
            missing_ok=True, recheck_seconds=rt.settings.data_files_recheck_seconds,
        )  # fmt: skip
        found = rt.extras.setdefault(_KEY, fresh)  # one per runtime, whichever thread is first
    return cast("LiveFile[Integrations]", found)


def integrations(rt: Runtime) -> Integrations:
    return source(rt).get()


def find(rt: Runtime, key: str) -> Integration | None:
    return integrations(rt).by_key(key)
