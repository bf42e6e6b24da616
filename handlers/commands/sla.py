"""``/sla INC-1042``: explain an incident's deadlines, the calendar behind them and the clocks;
``/sla report [customer] [month]``: a month's summary (supportbot.digests.slash)."""

from __future__ import annotations

from slack_bolt import Ack, BoltContext

from handlers._common import actor, payload, runtime
from handlers.payloads import Command
from supportbot.digests.slash import report_answer
from supportbot.prompt_ack import acks_last
from supportbot.sla.explain import sla_answer


@acks_last
def sla_command(ack: Ack, context: BoltContext) -> None:
    # One read-only transaction: quick enough to answer inside the ack (ephemeral).
    rt, who, text = runtime(context), actor(context), payload(context, Command).text
    head, _, rest = text.strip().partition(" ")
    said = report_answer(rt, who, rest) if head.lower() == "report" else sla_answer(rt, who, text)
    ack(response_type="ephemeral", text=said)
