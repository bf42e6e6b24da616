"""Follow-the-sun rotations: the pure layer (no database, Redis, Slack or Twilio).

Load ``rotations/*.yaml`` with :func:`load_rotation`, ask a :class:`Resolver` who is on call,
and derive handoffs, coverage gaps, calendars and escalation steps from it. The DST rule for
every local-time boundary is in :mod:`supportbot.oncall.wallclock`.
"""

from supportbot.oncall.coverage import Gap, coverage_gaps
from supportbot.oncall.escalation import Step, due_step, next_step, step_at, total_steps
from supportbot.oncall.feed import Shift, build_ics, person_shifts
from supportbot.oncall.handoffs import Handoff, handoffs_between, next_handoffs
from supportbot.oncall.loader import load_rotation, load_rotation_files, parse_rotation
from supportbot.oncall.model import (
    DEFAULT_POLICY,
    LEVELS,
    EscalationPolicy,
    Fallback,
    Level,
    Person,
    Region,
    Roster,
    Rotation,
    Slot,
    Target,
)
from supportbot.oncall.resolver import OnCall, Override, Resolver, find_overlap

__all__ = [
    "DEFAULT_POLICY",
    "LEVELS",
    "EscalationPolicy",
    "Fallback",
    "Gap",
    "Handoff",
    "Level",
    "OnCall",
    "Override",
    "Person",
    "Region",
    "Resolver",
    "Roster",
    "Rotation",
    "Shift",
    "Slot",
    "Step",
    "Target",
    "build_ics",
    "coverage_gaps",
    "due_step",
    "find_overlap",
    "handoffs_between",
    "load_rotation",
    "load_rotation_files",
    "next_handoffs",
    "next_step",
    "parse_rotation",
    "person_shifts",
    "step_at",
    "total_steps",
]
