"""bench/bench_forecast_imported.py cannot rot silently: run on a tiny generated history (the
real `supportbot migrate` and `import incidents` underneath), its table must add up.

Each row: breaches + on-time incidents = the replayed ones; foreseen at most the breaches,
false alarms at most the on-time ones; every percentage the ratio it names, within 0-100;
a lower threshold alarms at least as often as a higher one; the customers' rows add up to
the contract's row.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType

import pytest

from tests.conftest import REPO

BENCH = REPO / "bench" / "bench_forecast_imported.py"
ROW = re.compile(
    r"\| (?P<said>[^|]+) \| (?P<breaches>\d+) \| (?P<caught>\d+) \((?P<rate>[\d.]+)%\) \| "
    r"(?P<false>\d+) of (?P<on_time>\d+) \((?P<alarmed>[\d.]+)%\) \| (?P<precision>[\d.]+)% \| "
    r"(?P<lead>[\d.]+) h \|"
)


@dataclass(frozen=True)
class Row:
    said: str
    breaches: int
    caught: int
    rate: float
    false: int
    on_time: int
    alarmed: float
    precision: float
    lead: float


def percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def rows(output: str) -> list[Row]:
    found = []
    for match in ROW.finditer(output):
        named = match.groupdict()
        found.append(
            Row(
                named.pop("said"),
                *(int(named[k]) for k in ("breaches", "caught")),
                float(named["rate"]),
                *(int(named[k]) for k in ("false", "on_time")),
                *(float(named[k]) for k in ("alarmed", "precision", "lead")),
            )
        )
    return found


def test_the_imported_history_bench_prints_figures_that_add_up() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--count", "36", "--seed", "5"],
        capture_output=True, text=True, timeout=120, cwd=REPO, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "imported 36, 0 already imported" in done.stdout, done.stdout
    header = re.search(r"(\d+) imported incidents; (\d+) replayed", done.stdout)
    assert header is not None, done.stdout
    imported, replayed = int(header[1]), int(header[2])
    assert (imported, replayed) == (36, 36 - 36 // 3)

    table = rows(done.stdout)
    assert [r.said for r in table[:3]] == ["the contract's (70 %)", "50%", "90%"], done.stdout
    assert len(table) == 3 + 3  # and one row per customer of contracts/customers.yaml
    for row in table:
        assert 0 <= row.caught <= row.breaches and 0 <= row.false <= row.on_time, row
        assert row.rate == percent(row.caught, row.breaches), row
        assert row.alarmed == percent(row.false, row.on_time), row
        assert row.precision == percent(row.caught, row.caught + row.false), row
        assert all(0 <= p <= 100 for p in (row.rate, row.alarmed, row.precision)), row
        assert row.lead >= 0 and (row.caught > 0 or row.lead == 0.0), row  # alarms precede
    contract, fifty, ninety = table[:3]
    for row in (contract, fifty, ninety):
        assert row.breaches + row.on_time == replayed, row
    assert fifty.caught >= ninety.caught and fifty.false >= ninety.false
    customers = table[3:]
    for field in ("breaches", "on_time", "caught", "false"):
        assert sum(getattr(r, field) for r in customers) == getattr(contract, field), field


@pytest.fixture(scope="module")
def bench() -> Iterator[ModuleType]:
    spec = importlib.util.spec_from_file_location("bench_forecast_imported", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while defined
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


def test_a_customer_with_no_incidents_scores_zeros_not_a_crash(bench: ModuleType) -> None:
    # A real export (--file) may hold no incident of some customer: its row divided by 0.
    said = bench.score([], bench.History([]), None, "initech only")
    assert rows(said) == [Row("initech only", 0, 0, 0.0, 0, 0, 0.0, 0.0, 0.0)], said
