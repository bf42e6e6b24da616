"""Data files a running process keeps loaded, and loads again when they change on disk.

Contracts, triage rules and rotations are files people edit by hand, sometimes at 2 AM, while
the service runs. The rule (README, "Data files"): a change that fails to load never replaces
the copy in use. The failure is logged at ERROR with every problem's file and line, and kept
as the file's :attr:`LiveFile.problem`, which ``/healthz`` shows and the worker's reconciler
posts once to the triage channel (:mod:`supportbot.reconciler`).

Noticing a change costs one ``stat`` per file (a directory listing for rotations), made at a
use when the last look is older than ``recheck_seconds`` (``SUPPORTBOT_DATA_FILES_RECHECK_SECONDS``,
1 s), so an edit is picked up within that time without a watcher thread. Not at every use: a
``/incident`` looked at three files, and at twenty requests at once each ``stat`` gave up the
interpreter lock and waited to win it back (bench/, docs/benchmarks.md).
"""

from __future__ import annotations

import logging
import os
import stat
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from supportbot.datafiles import DataFileError

log = logging.getLogger(__name__)

T = TypeVar("T")

Fingerprint = tuple[object, ...]
_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class FileProblem:
    """A load that failed: what was being loaded, and whether an earlier copy is in use."""

    name: str  # what the file holds: "contracts", "triage rules", "rotations"
    path: str
    error: str  # every problem, one a line, each naming its file and line
    kept: bool  # an earlier good copy stays in use (False: nothing was ever loaded)

    @property
    def summary(self) -> str:
        """One line: the first problem, and how many more there are."""
        lines = self.error.splitlines() or [""]
        more = f" (and {len(lines) - 1} more)" if len(lines) > 1 else ""
        return lines[0] + more


def fingerprint(path: Path) -> Fingerprint:
    """What changes when a file, or a directory's YAML files, is edited, added or removed."""
    try:
        # One system call for a file (``is_dir`` and ``stat`` were two): it runs at every
        # lookup, several times a request, and under load each one waits for the GIL again.
        st = os.stat(path)
        if not stat.S_ISDIR(st.st_mode):
            return (str(path), st.st_mtime_ns, st.st_size, st.st_ino)
        with os.scandir(path) as entries:
            files = sorted(
                (entry.name, entry.stat().st_mtime_ns, entry.stat().st_size)
                for entry in entries
                if entry.name.endswith(_SUFFIXES)
            )
        return (str(path), st.st_mtime_ns, *files)
    except OSError:  # missing or unreadable: the loader says which, with the file's name
        return (str(path), None)


class LiveFile(Generic[T]):
    """One data file (or directory of them) loaded by ``load``, reloaded when it changes.

    ``empty`` is the value before anything loaded. With ``missing_ok`` a file that does not
    exist at the first load means ``empty`` (a warning, not a problem); once a copy is in use,
    a file that vanishes is a problem like any other and the copy stays. The file is looked at
    again at a use at least ``recheck_seconds`` after the last look (0: at every use).
    """

    def __init__(
        self,
        name: str,
        path: Callable[[], Path],
        load: Callable[[Path], T],
        empty: T,
        *,
        missing_ok: bool = False,
        recheck_seconds: float = 0.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name, self._path, self._load, self.missing_ok = name, path, load, missing_ok
        self.recheck_seconds, self._monotonic = recheck_seconds, monotonic
        self._fresh_until = float("-inf")  # no look before this instant (monotonic seconds)
        self._value: T = empty
        self._loaded = False  # a good copy (or a missing_ok absence) is in use
        self._seen: Fingerprint | None = None  # what was last tried, good or bad
        self.problem: FileProblem | None = None
        self._lock = threading.Lock()

    @property
    def path(self) -> Path:
        return self._path()

    def get(self) -> T:
        """The copy in use, after loading the file again if it changed since it was last tried
        (looked at when the last look is ``recheck_seconds`` old)."""
        now = self._monotonic()
        if now < self._fresh_until:
            return self._value
        if fingerprint(self.path) != self._seen:
            with self._lock:
                seen = fingerprint(self.path)
                if seen != self._seen:
                    self._try(seen)  # a failure is logged and kept as ``problem``
        # Set once the outcome is in place: a reader during the first load waits for it above.
        self._fresh_until = now + self.recheck_seconds
        return self._value

    def reload(self) -> T:
        """Load now, changed or not. A bad file raises (:class:`DataFileError`) for the caller
        to report, and the copy in use stays; the failure is kept as ``problem`` all the same."""
        with self._lock:
            failure = self._try(fingerprint(self.path), quiet=True)
            if failure is not None:
                raise failure
            return self._value

    def replace(self, value: T) -> None:
        """Put ``value`` in use as if the file as it is now had loaded to it."""
        with self._lock:
            self._value, self._loaded, self.problem = value, True, None
            self._seen = fingerprint(self.path)

    def _try(self, seen: Fingerprint, *, quiet: bool = False) -> Exception | None:
        """Load under the lock; ``seen`` is the fingerprint taken before reading, so a file
        that changes while it is read is read again at the next use. ``seen`` is recorded
        only once the outcome is in place: until then other threads wait on the lock instead
        of reading the copy from before (at the first load, nothing at all)."""
        try:
            return self._attempt(self.path, quiet=quiet)
        finally:
            self._seen = seen

    def _attempt(self, path: Path, *, quiet: bool) -> Exception | None:
        if self.missing_ok and not self._loaded and not path.exists():
            log.warning("%s: %s not found; starting with none (see README)", self.name, path)
            self._loaded = True
            return None
        try:
            value = self._load(path)
        except DataFileError as exc:
            self._failed(path, str(exc), quiet=quiet)
            return exc
        except Exception as exc:  # a loader's bug must not stop paging either: keep the copy
            log.exception("%s: loading %s failed unexpectedly", self.name, path)
            self._failed(path, f"{path}: {type(exc).__name__}: {exc}", quiet=True)
            return exc
        if self.problem is not None:
            log.info("%s loaded from %s again; the earlier problem is fixed", self.name, path)
        elif self._loaded:
            log.info("%s changed on disk and was loaded again from %s", self.name, path)
        self._value, self._loaded, self.problem = value, True, None
        return None

    def _failed(self, path: Path, text: str, *, quiet: bool) -> None:
        self.problem = FileProblem(self.name, str(path), text, kept=self._loaded)
        if quiet:
            return
        if self._loaded:
            outcome = "the last good copy stays in use until it is fixed"
        else:
            outcome = "nothing is in use until it is fixed"
        log.error("%s could not be loaded from %s; %s:\n%s", self.name, path, outcome, text)
