"""``/sla INC-1042``: explain an incident's deadlines, the calendar behind them and the clocks."""

from __future__ import annotations

from slack_bolt import Ack, BoltContext

from handlers._common import actor, payload, runtime
from handlers.payloads import Command
from supportbot.sla.explain import sla_answer


def sla_command(ack: Ack, context: BoltContext) -> None:
    # One read-only transaction: quick enough to answer inside the ack (ephemeral).
    text = sla_answer(runtime(context), actor(context), payload(context, Command).text)
    ack(response_type="ephemeral", text=text)
