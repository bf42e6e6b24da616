"""Accept and Decline on a shift swap invitation (a DM). Each acks at once; the decision
replaces the invitation, and a press that changes nothing is answered to the presser alone."""

from __future__ import annotations

from slack_bolt import Ack, BoltContext, Respond

from handlers._common import actor, payload, runtime
from handlers.payloads import BlockActions
from supportbot.oncall import lookup
from supportbot.oncall.swap_rules import SwapError
from supportbot.oncall.swaps import decide


def _press(respond: Respond, context: BoltContext, *, accept: bool) -> None:
    pressed, who, rt = payload(context, BlockActions), actor(context), runtime(context)
    found = lookup.resolver(rt)
    if not who.is_staff:
        text = ":no_entry: Shift swaps are for the support team."
    elif found is None:
        text = ":warning: The rotation files could not be loaded; run `supportbot check`."
    else:
        try:
            decided, text = decide(
                rt, found, pressed.action.value or "", presser=who.user_id, accept=accept
            )
        except SwapError as exc:
            decided, text = False, f":no_entry: {exc}"
        if decided:
            respond(text=text, replace_original=True)
            return
    respond(text=text, response_type="ephemeral", replace_original=False)


def accept(ack: Ack, respond: Respond, context: BoltContext) -> None:
    ack()
    _press(respond, context, accept=True)


def decline(ack: Ack, respond: Respond, context: BoltContext) -> None:
    ack()
    _press(respond, context, accept=False)
