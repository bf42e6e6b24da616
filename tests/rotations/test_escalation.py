"""Escalation steps: the default policy, repeats, snapshots and policies from the files."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from pydantic import ValidationError

from supportbot.oncall import (
    DEFAULT_POLICY,
    EscalationPolicy,
    Target,
    due_step,
    next_step,
    parse_rotation,
    step_at,
    total_steps,
)
from supportbot.oncall.escalation import round_length
from tests.rotations.synthetic import one_region

MIN = timedelta(minutes=1)


def targets(index: int) -> list[str]:
    return [str(target) for target in step_at(DEFAULT_POLICY, index).targets]


def test_default_policy_matches_the_issue() -> None:
    assert total_steps(DEFAULT_POLICY) == 12  # 4 steps, run once and repeated twice
    assert round_length(DEFAULT_POLICY) == 20 * MIN
    assert [step_at(DEFAULT_POLICY, i).delay_from_start for i in range(12)] == [
        minutes * MIN for minutes in (0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55)
    ]
    assert targets(0) == ["L1.primary"]
    assert targets(1) == ["L1.primary", "L1.secondary"]
    assert targets(2) == ["L2.primary"]
    assert targets(3) == ["L3.primary", "management"]
    assert targets(4) == targets(0) and targets(11) == targets(3)
    assert [step_at(DEFAULT_POLICY, i).repeat_round for i in (0, 3, 4, 8, 11)] == [0, 0, 1, 2, 2]


def test_step_navigation() -> None:
    assert next_step(DEFAULT_POLICY, None) == step_at(DEFAULT_POLICY, 0)
    assert next_step(DEFAULT_POLICY, 3) == step_at(DEFAULT_POLICY, 4)
    assert next_step(DEFAULT_POLICY, 11) is None
    with pytest.raises(IndexError, match="12 steps"):
        step_at(DEFAULT_POLICY, 12)
    with pytest.raises(IndexError):
        step_at(DEFAULT_POLICY, -1)


@pytest.mark.parametrize(
    ("elapsed", "index"),
    [(0, 0), (4, 0), (5, 1), (14, 2), (15, 3), (19, 3), (20, 4), (55, 11), (600, 11)],
)
def test_due_step(elapsed: int, index: int) -> None:
    step = due_step(DEFAULT_POLICY, elapsed * MIN)
    assert step is not None and step.index == index


def test_nothing_due_before_a_delayed_first_step() -> None:
    policy = EscalationPolicy.model_validate({"steps": [{"after": "2m", "page": ["L1"]}]})
    assert due_step(policy, MIN) is None
    assert total_steps(policy) == 3 and round_length(policy) == 7 * MIN


def test_policy_snapshot_round_trips_through_json() -> None:
    snapshot = json.loads(json.dumps(DEFAULT_POLICY.model_dump(mode="json")))
    assert snapshot["steps"][1]["after"] == "PT5M"
    assert snapshot["steps"][3]["page"][1] == {"level": "management", "slot": "all"}
    assert EscalationPolicy.model_validate(snapshot) == DEFAULT_POLICY


def test_policy_is_frozen() -> None:
    with pytest.raises(ValidationError):
        DEFAULT_POLICY.repeat = 5  # type: ignore[misc]


def test_targets_parse_from_text() -> None:
    assert Target.model_validate("L2") == Target(level="L2", slot="primary")
    assert Target.model_validate("L1.secondary") == Target(level="L1", slot="secondary")
    assert Target.model_validate("management") == Target(level="management", slot="all")
    with pytest.raises(ValidationError, match="unknown level 'L4'"):
        Target.model_validate("L4.primary")
    with pytest.raises(ValidationError):
        Target.model_validate("L1.tertiary")


def test_policy_per_severity_from_the_files() -> None:
    text = one_region() + (
        "escalation:\n"
        "  sev2:\n"
        "    repeat: 0\n"
        "    steps:\n"
        "      - {after: 0m, page: [L1]}\n"
        "      - {after: 30m, page: [L2.primary, L2.secondary]}\n"
    )
    rotation = parse_rotation(text)
    sev2 = rotation.policy_for(2)
    assert total_steps(sev2) == 2
    assert step_at(sev2, 1).delay_from_start == 30 * MIN
    assert [str(t) for t in step_at(sev2, 1).targets] == ["L2.primary", "L2.secondary"]
    assert rotation.policy_for(1) == DEFAULT_POLICY
    with pytest.raises(ValueError, match="severity must be 1 to 4"):
        rotation.policy_for(5)
