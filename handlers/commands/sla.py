"""``/sla INC-1042``: explain an incident's deadlines, the calendar behind them and the clocks."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from supportbot.incidents.access import identify
from supportbot.runtime import Runtime
from supportbot.sla.explain import sla_answer


def register(app: App, rt: Runtime) -> None:
    @app.command("/sla")
    def sla_command(ack: Ack, command: dict[str, Any]) -> None:
        # One read-only transaction: quick enough to answer inside the ack (ephemeral).
        who = identify(
            rt.contracts, command.get("user_id", ""), channel_id=command.get("channel_id")
        )
        ack(response_type="ephemeral", text=sla_answer(rt, who.actor, command.get("text", "")))
