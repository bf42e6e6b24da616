"""What a contract says about follow-ups: the Severity 1 update cadence, root cause analyses
and predictive escalation (issue 13). Pure data, validated on load like the rest of the file.

Defaults per tier live in the contracts file's top-level ``followups:`` (one entry per tier);
a customer's own ``followups:`` overrides the fields it names::

    followups:                      # per tier
      premier: {update_every: 30m}
      basic: {update_every: 1h}
    customers:
      - key: acme
        followups: {rca_due: 3bd, auto_escalate: true}
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field, field_validator

from supportbot.contracts.tiers import Span

UPDATE_MAX = 1500  # characters of one customer update (a short status, not an essay)
WRITTEN_MAX = 2000  # characters of each part of an RCA the approver writes


class FollowupPolicy(BaseModel):
    """One contract's follow-up terms; every field has the issue's default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # How often the assignee owes the customer an update while a Sev1 is open (wall clock).
    update_every: Span = Span(fixed=timedelta(minutes=30))
    # Missed updates in a row after which the reminder also goes to the L2 on call.
    missed_before_l2: int = Field(default=2, ge=1, le=10)
    # When the RCA of a resolved Sev1/Sev2 is due, counted on the customer's business hours.
    rca_due: Span = Span(business_days=5)
    # How long before it is due the assignee is reminded (business time).
    rca_remind_before: Span = Span(business_days=1)
    # The forecast chance of breaching the resolution target that is worth saying out loud.
    forecast_threshold: float = Field(default=0.7, gt=0, lt=1)
    # Escalate by itself when the forecast crosses the threshold (else offer a button).
    auto_escalate: bool = False

    @field_validator("update_every")
    @classmethod
    def _wall_clock(cls, value: Span) -> Span:
        if value.business_days:
            raise ValueError("update_every runs on the wall clock: write minutes or hours")
        if value.fixed < timedelta(minutes=5):
            raise ValueError("update_every must be at least 5m")
        return value

    def merged(self, override: FollowupPolicy | None) -> FollowupPolicy:
        """This policy with the fields ``override`` names replaced."""
        if override is None:
            return self
        named = {name: getattr(override, name) for name in override.model_fields_set}
        return self.model_copy(update=named)


class TierFollowups(BaseModel):
    """The per-tier defaults (top-level ``followups:`` of the contracts file)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    premier: FollowupPolicy = FollowupPolicy()
    standard: FollowupPolicy = FollowupPolicy()
    basic: FollowupPolicy = FollowupPolicy()

    def for_tier(self, tier: str) -> FollowupPolicy:
        found: FollowupPolicy = getattr(self, tier.lower())
        return found
