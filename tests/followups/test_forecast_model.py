"""The breach forecast model on synthetic history whose right answer is known.

Hand-sized histories give exact fractions; a large exponential history (memoryless: the
remaining time does not depend on the time already spent) must match exp(-t / (k·m)) for
any time spent, time left and load stretch k; and the chance never falls as the load rises
or the time left shrinks.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supportbot.followups.forecast import (
    Situation,
    durations_from,
    forecast,
    level_of,
    reached,
    samples,
    stretch_for,
)

H = timedelta(hours=1)


def _situation(left: float, at: float = 0.0, open_: int = 1, shift: int = 1) -> Situation:
    return Situation(left * H, at * H, "L1", open_, shift)


def _p(history: list[timedelta], situation: Situation) -> float | None:
    return forecast(situation, history, described="Sev1 Premier").probability


def test_exact_fractions_on_hand_sized_histories() -> None:
    three = [3 * H] * 6
    assert _p(three, _situation(left=1.5, at=1)) == 1.0  # 2 h more needed, 1.5 h left
    assert _p(three, _situation(left=2.5, at=1)) == 0.0
    one_to_ten = [n * H for n in range(1, 11)]
    assert _p(one_to_ten, _situation(left=5.5)) == 0.5  # 6..10 h take longer
    # Conditioned on 4.5 h already spent: 5..10 h remain (6), of which 7..10 need > 2 h more.
    assert _p(one_to_ten, _situation(left=2, at=4.5)) == pytest.approx(4 / 6)
    # Four open for two on shift: twice the reference load, the remaining time doubles.
    assert _p(one_to_ten, _situation(left=10, open_=4, shift=2)) == 0.5
    # Nobody on shift: the load is every open incident on one person.
    assert stretch_for(3, 0) == 3.0 and stretch_for(1, 3) == 1.0


def test_too_little_history_says_so_and_overdue_is_certain() -> None:
    thin = forecast(_situation(left=1, at=2), [1 * H, 3 * H, 4 * H], described="Sev2 Basic")
    assert thin.probability is None and thin.comparable == 2
    assert "only 2 past Sev2 Basic incidents" in thin.reasons[1]
    assert _p([], _situation(left=-0.5)) == 1.0


def test_reasons_name_the_clock_the_history_and_the_load() -> None:
    found = forecast(_situation(left=1.5, at=1, open_=3, shift=1), [3 * H] * 6,
                     described="Sev1 Premier")  # fmt: skip
    clock, history, load = found.reasons
    assert clock == "1h30m left on the resolution clock"
    assert history == (
        "6 of 6 past Sev1 Premier incidents still open after 1h00m at L1 needed more than "
        "that (median 2h00m more at the reference load)"
    )
    assert load == "load at L1: 3 open for 1 on shift (remaining time ×3.0)"


@pytest.mark.parametrize("seed", range(6))
def test_memoryless_history_matches_the_closed_form(seed: int) -> None:
    rng = random.Random(seed)
    mean = rng.uniform(0.5, 6)  # hours
    history = [timedelta(hours=rng.expovariate(1 / mean)) for _ in range(20_000)]
    for _ in range(5):
        spent, left = rng.uniform(0, mean), rng.uniform(0.1, 2 * mean)
        shift = rng.randint(1, 3)
        open_ = rng.randint(1, 3 * shift)
        k = stretch_for(open_, shift)
        expected = math.exp(-left / (k * mean))
        got = _p(history, _situation(left=left, at=spent, open_=open_, shift=shift))
        assert got is not None and abs(got - expected) < 0.03, (spent, left, k, got, expected)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.integers(1, 600), min_size=5, max_size=60),
    st.integers(0, 300),
    st.integers(1, 600),
    st.integers(1, 600),
    st.integers(1, 8),
    st.integers(1, 8),
)
def test_the_chance_never_falls_with_less_time_or_more_load(
    minutes: list[int], spent: int, left_a: int, left_b: int, open_: int, shift: int
) -> None:
    history = [timedelta(minutes=m) for m in minutes]
    m = timedelta(minutes=1)

    def p(left: int, opened: int) -> float | None:
        return forecast(Situation(left * m, spent * m, "L1", opened, shift), history,
                        described="x").probability  # fmt: skip

    low, high = sorted((left_a, left_b))
    a, b = p(high, open_), p(low, open_)
    if a is not None and b is not None:
        assert b >= a  # less time left: at least as likely to breach
        heavier = p(high, open_ + shift)
        assert heavier is not None and heavier >= a  # more load: at least as likely
        # The fraction is of the incidents still open after as long: a brute-force count.
        survivors = [d for d in minutes if d > spent]
        late = [d for d in survivors if (d - spent) * stretch_for(open_, shift) > high]
        assert a == len(late) / len(survivors)


def test_levels_are_read_from_every_escalation_the_product_writes() -> None:
    assert level_of("<@U1> escalated to L2") == "L2"
    assert level_of(":arrow_up: INC-3 escalated to management after the resolution breach") == (
        "MGMT"
    )
    assert level_of(":fire_engine: INC-3 Sev1: L3 engaged 15 minutes after opening") == "L3"
    assert level_of("a note about levels") is None
    opened = datetime(2026, 3, 1, tzinfo=UTC)
    levels = reached(
        opened,
        [(opened + H, "<@U1> escalated to L2"), (opened + 2 * H, "garbled"),
         (opened + 3 * H, "escalated to L2"), (opened + 4 * H, "escalated to L3")],
    )  # fmt: skip
    assert levels == {"L1": opened, "L2": opened + H, "L3": opened + 4 * H}
    past = [(levels, opened + 5 * H), ({"L1": opened}, opened + 2 * H)]
    assert durations_from("L2", past) == [4 * H]
    assert durations_from("L1", past) == [5 * H, 2 * H]


def test_past_loads_come_from_overlapping_stints_and_normalise_the_history() -> None:
    t0 = datetime(2026, 3, 2, tzinfo=UTC)
    # Three incidents at L1: A alone (0-2 h), then B and C together (3-9 h, 4-8 h); C went
    # to L2 at 5 h, so from then on it no longer loads L1.
    past = [
        ({"L1": t0}, t0 + 2 * H),
        ({"L1": t0 + 3 * H}, t0 + 9 * H),
        ({"L1": t0 + 4 * H, "L2": t0 + 5 * H}, t0 + 8 * H),
        ({"L1": t0 + 6 * H}, t0 + 7 * H),  # reached L1 when B alone was (C had left)
    ]
    found = samples("L1", past, on_shift=1)
    assert [(s.duration, s.stretch) for s in found] == [
        (2 * H, 1.0),
        (6 * H, 1.0),
        (4 * H, 2.0),
        (1 * H, 2.0),
    ]
    # At the reference load they took 2, 6, 2 and 0.5 h: one of four needs more than 2.5 h
    # (raw, C's 4 h would have made it two of four).
    one_open = Situation(time_left=2.5 * H, at_level=timedelta(0), level="L1",
                         open_at_level=1, on_shift=1)  # fmt: skip
    assert forecast(one_open, found, described="x", min_samples=4).probability == 0.25
    raw = [s.duration for s in found]
    assert forecast(one_open, raw, described="x", min_samples=4).probability == 0.5
    assert [s.duration for s in samples("L2", past, on_shift=1)] == [3 * H]
