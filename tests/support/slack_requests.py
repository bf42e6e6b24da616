"""Signed inbound Slack requests for tests (the builder lives in the product for the demo)."""

from supportbot.devtools.slack_simulator import STAFF, TEAM_ID, TRIAGE, SlackInbound

__all__ = ["STAFF", "TEAM_ID", "TRIAGE", "SlackInbound"]
