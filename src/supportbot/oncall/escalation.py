"""Escalation steps of a policy, as pure arithmetic (no clock, no I/O).

A policy (``escalation:`` in the rotation files, or :data:`~.model.DEFAULT_POLICY`) is one
round of steps, each ``after`` a delay from the round's start, run ``1 + repeat`` times. Round
``r`` starts ``r * round_length`` after paging started, where ``round_length`` is the last
step's delay plus ``repeat_after``. Steps are numbered 0, 1, 2 … across all rounds, so a page
row stores one integer and a stale job can tell it is stale by comparing it.

The pager snapshots the policy with ``policy.model_dump(mode="json")`` when paging starts and
rebuilds it with ``EscalationPolicy.model_validate(snapshot)``, so an edit to the files made
mid-incident does not change an escalation already running.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from supportbot.oncall.model import DEFAULT_POLICY, EscalationPolicy, Target

__all__ = [
    "DEFAULT_POLICY",
    "EscalationPolicy",
    "Step",
    "Target",
    "due_step",
    "next_step",
    "round_length",
    "step_at",
    "total_steps",
]


@dataclass(frozen=True, slots=True)
class Step:
    index: int  # 0-based across all rounds
    delay_from_start: timedelta  # since paging started
    targets: tuple[Target, ...]
    repeat_round: int  # 0 for the first run, 1 for the first repeat …


def total_steps(policy: EscalationPolicy) -> int:
    return len(policy.steps) * (policy.repeat + 1)


def round_length(policy: EscalationPolicy) -> timedelta:
    return policy.steps[-1].after + policy.repeat_after


def step_at(policy: EscalationPolicy, index: int) -> Step:
    """Step ``index``; raises ``IndexError`` past the last one (escalation is exhausted)."""
    total = total_steps(policy)
    if not 0 <= index < total:
        raise IndexError(f"step {index} out of range: the policy has {total} steps")
    repeat_round, position = divmod(index, len(policy.steps))
    step = policy.steps[position]
    delay = repeat_round * round_length(policy) + step.after
    return Step(index, delay, tuple(step.page), repeat_round)


def next_step(policy: EscalationPolicy, index: int | None) -> Step | None:
    """The step after ``index`` (the first step when ``index`` is None), or None when done."""
    following = 0 if index is None else index + 1
    return step_at(policy, following) if following < total_steps(policy) else None


def due_step(policy: EscalationPolicy, elapsed: timedelta) -> Step | None:
    """The latest step due ``elapsed`` after paging started, or None before the first."""
    if elapsed < policy.steps[0].after:
        return None
    low, high = 0, total_steps(policy) - 1
    while low < high:  # delays increase with the index: binary search
        middle = (low + high + 1) // 2
        if step_at(policy, middle).delay_from_start <= elapsed:
            low = middle
        else:
            high = middle - 1
    return step_at(policy, low)
