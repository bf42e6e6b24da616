"""Data files edited while the service runs: a good edit is picked up at the next use, a bad
one keeps the last good copy in use and says so in the log, in Slack (once) and in /healthz."""

from __future__ import annotations

import logging
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from redis import Redis

from supportbot import health
from supportbot.alerts import registry
from supportbot.contracts.triage import suggest
from supportbot.livefiles import LiveFile
from supportbot.oncall import lookup
from supportbot.reconciler import reconcile_once
from supportbot.runtime import Runtime, build_runtime
from supportbot.settings import Settings
from tests.conftest import REPO, Desk, make_settings
from tests.standins import SlackStandin
from tests.support.live import drain
from tests.support.slack_requests import TRIAGE

ALERT = "could not be loaded"


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """Copies of the example contracts, triage rules and rotations, free to edit."""
    folder = tmp_path / "data"
    shutil.copytree(REPO / "contracts", folder / "contracts")
    shutil.copytree(REPO / "rotations", folder / "rotations")
    return folder


@pytest.fixture
def settings(
    tmp_path: Path,
    redis: Redis,
    redis_url: str,
    database_url: str,
    slack_api: SlackStandin,
    data: Path,
) -> Settings:
    return make_settings(
        tmp_path, redis_url, database_url, slack_api.api_url,
        contracts_file=data / "contracts" / "customers.yaml",
        triage_rules_file=data / "contracts" / "triage.yaml",
        rotations_dir=data / "rotations",
    )  # fmt: skip


def _edit(path: Path, old: str, new: str) -> int:
    """Replace ``old`` once; return the 1-based line the replacement is on."""
    text = path.read_text()
    assert text.count(old) >= 1, old
    path.write_text(text.replace(old, new, 1))
    return text[: text.index(old)].count("\n") + 1


def _errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]


def _alerts(desk: Desk) -> list[str]:
    return [m["text"] for m in desk.api.messages(TRIAGE) if ALERT in m["text"]]


def _pass(rt: Runtime) -> None:
    """One reconciler pass of the worker, and the jobs it queued."""
    reconcile_once(rt)
    drain(rt)


# -- contracts and triage rules ------------------------------------------------------------------
def test_an_edited_contracts_file_is_used_at_the_next_lookup(rt: Runtime, data: Path) -> None:
    assert rt.contracts.by_key("acme").name == "Acme Corp"  # type: ignore[union-attr]

    _edit(data / "contracts" / "customers.yaml", "name: Acme Corp", "name: Acme Corporation")

    assert rt.contracts.by_key("acme").name == "Acme Corporation"  # type: ignore[union-attr]
    assert rt.contracts_source.problem is None


def test_a_broken_contracts_edit_keeps_the_last_good_copy_and_logs_file_and_line(
    rt: Runtime, data: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = data / "contracts" / "customers.yaml"
    good = rt.contracts

    line = _edit(path, "tier: Standard", "tier: Platinum")
    with caplog.at_level(logging.ERROR):
        in_use = rt.contracts

    assert in_use is good
    assert in_use.by_key("globex").tier == "standard"  # type: ignore[union-attr]
    problem = rt.contracts_source.problem
    assert problem is not None and problem.kept and problem.name == "contracts"
    assert f"{path}:{line}: customers[1].tier:" in problem.error
    [logged] = _errors(caplog)
    assert f"{path}:{line}: customers[1].tier:" in logged
    assert "the last good copy stays in use until it is fixed" in logged
    # Each change is tried once: using the contracts again neither reloads nor logs again.
    assert rt.contracts is good and len(_errors(caplog)) == 1


def test_a_broken_triage_edit_keeps_the_rules_in_force(
    rt: Runtime, data: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = data / "contracts" / "triage.yaml"
    assert suggest(rt.triage, "our site is down") is not None

    line = _edit(path, 'regex: "\\\\b(production', 'regex: "(\\\\b(production')
    with caplog.at_level(logging.ERROR):
        hint = suggest(rt.triage, "our site is down")

    assert hint is not None and hint.severity == 1
    problem = rt.triage_source.problem
    assert problem is not None and f"{path}:{line}:" in problem.error
    assert any(f"{path}:{line}:" in message for message in _errors(caplog))


def test_a_contracts_file_deleted_while_running_keeps_the_last_good_copy(
    rt: Runtime, data: Path
) -> None:
    good = rt.contracts

    (data / "contracts" / "customers.yaml").unlink()

    assert rt.contracts is good
    problem = rt.contracts_source.problem
    assert problem is not None and "cannot read file" in problem.error


def test_a_contracts_file_missing_at_start_means_none_until_it_appears(
    tmp_path: Path, redis: Redis, redis_url: str, database_url: str, slack_api: SlackStandin
) -> None:
    path = tmp_path / "later" / "customers.yaml"
    settings = make_settings(
        tmp_path, redis_url, database_url, slack_api.api_url, contracts_file=path
    )
    rt = build_runtime(settings)
    try:
        assert rt.contracts.customers == () and rt.contracts_source.problem is None

        path.parent.mkdir()
        shutil.copy(REPO / "contracts" / "customers.yaml", path)

        assert rt.contracts.by_key("acme") is not None
    finally:
        rt.engine.dispose()


# -- rotations -----------------------------------------------------------------------------------
def test_an_edited_rotation_is_used_at_the_next_lookup(rt: Runtime, data: Path) -> None:
    before = lookup.resolver(rt)
    assert before is not None and before.rotation.people["ana"].name == "Ana Alvarez"

    _edit(data / "rotations" / "follow-the-sun.yaml", "name: Ana Alvarez", "name: Ana Ávila")

    after = lookup.resolver(rt)
    assert after is not None and after is not before
    assert after.rotation.people["ana"].name == "Ana Ávila"


def test_a_broken_rotation_edit_keeps_the_last_good_rotation(
    rt: Runtime, data: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = data / "rotations" / "follow-the-sun.yaml"
    good = lookup.resolver(rt)
    assert good is not None

    line = _edit(path, 'phone: "+1 512 555 0101"', 'phone: "call Ana"')
    with caplog.at_level(logging.ERROR):
        in_use = lookup.resolver(rt)

    assert in_use is good
    problem = lookup.rotations(rt).problem
    assert problem is not None and problem.kept
    assert f"{path}:{line}:" in problem.error
    assert any(f"{path}:{line}:" in message for message in _errors(caplog))


def test_a_new_rotation_file_in_the_directory_is_noticed(rt: Runtime, data: Path) -> None:
    good = lookup.resolver(rt)

    (data / "rotations" / "zz-extra.yaml").write_text("people: [not, a, mapping]\n")

    assert lookup.resolver(rt) is good
    problem = lookup.rotations(rt).problem
    assert problem is not None and "zz-extra.yaml:1:" in problem.error


# -- Slack, once, and /healthz -------------------------------------------------------------------
def test_a_file_problem_is_posted_in_the_triage_channel_once(desk: Desk, data: Path) -> None:
    path = data / "contracts" / "customers.yaml"
    other = build_runtime(desk.rt.settings, clock=desk.rt.clock)  # a second worker
    line = _edit(path, "tier: Standard", "tier: Platinum")

    _pass(desk.rt)
    _pass(desk.rt)

    [posted] = _alerts(desk)
    assert f"`{path}`" in posted and f"{path}:{line}: customers[1].tier:" in posted
    assert "The last good copy stays in use until the file is fixed." in posted

    # The other worker finds the same problem, and knows it was posted (a marker in Redis).
    try:
        _pass(other)
        assert other.contracts_source.problem == desk.rt.contracts_source.problem
    finally:
        other.engine.dispose()
    assert len(_alerts(desk)) == 1


def test_each_distinct_problem_is_posted_and_a_repeat_after_a_fix_too(
    desk: Desk, data: Path
) -> None:
    path = data / "contracts" / "triage.yaml"
    original = path.read_text()
    _edit(path, "severity: 2", "severity: 7")
    _pass(desk.rt)
    _edit(path, "severity: 4", "severity: 9")  # a second, different mistake
    _pass(desk.rt)
    assert len(_alerts(desk)) == 2

    path.write_text(original)
    _pass(desk.rt)
    assert desk.rt.triage_source.problem is None and len(_alerts(desk)) == 2

    _edit(path, "severity: 2", "severity: 7")  # the first mistake, made again
    _pass(desk.rt)
    assert len(_alerts(desk)) == 3


def test_healthz_shows_a_data_file_problem_as_degraded(desk: Desk, data: Path) -> None:
    health.beat(desk.rt)
    path = data / "contracts" / "triage.yaml"
    line = _edit(path, "severity: 2", "severity: 7")

    response = requests.get(desk.url + "/healthz", timeout=10)

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded" and body["degraded"] == ["data_files"]
    assert body["data_files"].startswith(
        f"degraded: triage rules ({path}): last good copy in use: {path}:{line}:"
    )
    assert body["rotations"] == "ok"

    path.write_text(path.read_text().replace("severity: 7", "severity: 2"))
    assert requests.get(desk.url + "/healthz", timeout=10).json()["data_files"] == "ok"


def test_rotations_that_never_loaded_are_posted_as_nobody_can_be_paged(
    tmp_path: Path, redis: Redis, redis_url: str, database_url: str, slack_api: SlackStandin
) -> None:
    from supportbot.db.migrate import upgrade

    folder = tmp_path / "rotations"
    folder.mkdir()
    (folder / "team.yaml").write_text("people:\n  ana: {name: Ana, phone: '12'}\n")
    settings = make_settings(
        tmp_path, redis_url, database_url, slack_api.api_url, rotations_dir=folder
    )
    rt = build_runtime(settings)
    try:
        upgrade(rt.engine)
        _pass(rt)
    finally:
        rt.engine.dispose()

    [posted] = [m["text"] for m in slack_api.messages(TRIAGE) if ALERT in m["text"]]
    assert f"{folder / 'team.yaml'}:2:" in posted
    assert "Nothing is in use until it is fixed. *Nobody can be paged.*" in posted


# -- the rule itself -----------------------------------------------------------------------------
def test_a_loader_that_fails_unexpectedly_keeps_the_copy_and_logs_the_traceback(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "numbers.txt"
    path.write_text("1 2 3")

    def load(p: Path) -> list[int]:
        return [int(word) for word in p.read_text().split()]

    live = LiveFile("numbers", lambda: path, load, [])
    assert live.get() == [1, 2, 3]

    path.write_text("1 two 3")
    with caplog.at_level(logging.ERROR):
        assert live.get() == [1, 2, 3]

    assert live.problem is not None and live.problem.kept
    assert live.problem.error.startswith(f"{path}: ValueError: invalid literal")
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.exc_info is not None
    with pytest.raises(ValueError):
        live.reload()
    assert live.get() == [1, 2, 3]


def test_threads_reading_during_the_first_load_wait_for_it(tmp_path: Path) -> None:
    """A reader must never see the empty value while another thread is loading the file."""
    path = tmp_path / "slow.txt"
    path.write_text("loaded")
    started = threading.Event()

    def slow_load(p: Path) -> str:
        started.set()
        time.sleep(0.2)  # widen the window in which other threads read
        return p.read_text()

    live: LiveFile[str] = LiveFile("slow", lambda: path, slow_load, "empty")
    with ThreadPoolExecutor(8) as pool:
        first = pool.submit(live.get)
        started.wait(5)
        others = [pool.submit(live.get) for _ in range(16)]
        seen = [first.result()] + [f.result() for f in others]
    assert seen == ["loaded"] * 17


def test_a_file_is_looked_at_again_only_once_its_last_look_is_recheck_seconds_old(
    tmp_path: Path,
) -> None:
    path = tmp_path / "words.txt"
    path.write_text("first")
    clock = [100.0]
    stats: list[str] = []

    def load(p: Path) -> str:
        stats.append("load")
        return p.read_text()

    live = LiveFile(
        "words", lambda: path, load, "", recheck_seconds=1.0, monotonic=lambda: clock[0]
    )
    assert live.get() == "first"
    path.write_text("second, longer")  # a new size: a new fingerprint whatever the mtime
    clock[0] += 0.999
    assert live.get() == "first"  # looked at 0.999 s ago: not again yet
    clock[0] += 0.001
    assert live.get() == "second, longer"
    assert stats == ["load", "load"]

    path.write_text("third, longer still")
    assert live.get() == "second, longer"
    assert live.reload() == "third, longer still"  # an explicit reload never waits
    assert live.get() == "third, longer still"


def test_every_data_file_of_a_runtime_uses_the_recheck_setting(
    tmp_path: Path, redis_url: str, database_url: str, slack_api: SlackStandin
) -> None:
    settings = make_settings(
        tmp_path, redis_url, database_url, slack_api.api_url, data_files_recheck_seconds=2.5
    )
    rt = build_runtime(settings)
    sources = [rt.contracts_source, rt.triage_source, lookup.rotations(rt), registry.source(rt)]
    assert [source.recheck_seconds for source in sources] == [2.5] * 4
    assert Settings(_env_file=None).data_files_recheck_seconds == 1.0  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="data_files_recheck_seconds"):
        Settings(_env_file=None, data_files_recheck_seconds=-1)  # type: ignore[call-arg]
