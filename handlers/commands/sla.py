"""``/sla INC-1042``: explain an incident's deadlines, the calendar behind them and the clocks."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext

from handlers._common import actor, runtime
from supportbot.sla.explain import sla_answer


def sla_command(ack: Ack, command: dict[str, Any], context: BoltContext) -> None:
    # One read-only transaction: quick enough to answer inside the ack (ephemeral).
    text = sla_answer(runtime(context), actor(context), str(command.get("text") or ""))
    ack(response_type="ephemeral", text=text)
