"""``grouped`` works each incident out once and adds it to its groups: its figures must be
exactly those of ``figures`` over each group's members (the reference tests in
test_formulas define ``figures``), breaches and CSAT order included."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from supportbot.reports.figures import GROUPINGS, figures, grouped
from supportbot.reports.records import parse_month
from tests.reports.test_formulas import MONTHS, random_incident


@pytest.mark.parametrize("seed", range(12))
def test_grouped_equals_figures_per_group(seed: int) -> None:
    rng = random.Random(5000 + seed)
    period = parse_month(MONTHS[seed % len(MONTHS)])
    around = datetime(period.first_day.year, period.first_day.month, 1, tzinfo=UTC)
    incidents = [random_incident(rng, n, around) for n in range(rng.randint(0, 200))]
    as_of = around + timedelta(days=rng.randint(-5, 45))
    groups = grouped(incidents, period, as_of)
    expected = {("overall", "all"): figures(incidents, period, as_of)}
    for grouping, key_of in GROUPINGS.items():
        for name in sorted({key_of(i) for i in incidents}):
            members = [i for i in incidents if key_of(i) == name]
            expected[(grouping, name)] = figures(members, period, as_of)
    assert list(groups) == list(expected)  # the order the report prints them in
    assert groups == expected
