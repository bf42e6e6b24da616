"""The story ``supportbot demo`` tells: the desk, an SLA running out, and a Sev1 page."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from supportbot.db.models import Escalation, Page
from supportbot.reconciler import reconcile_once
from supportbot.slack import cards

if TYPE_CHECKING:  # the runner imports this module; only its type is needed here
    from supportbot.devtools.demo import Demo

ENGINEER = "U0ENGINEER"
ACME_CONTACT = "U0ACMEALICE"
ACME_OTHER = "U0ACMEEVE"
ACME_CHANNEL = "C0ACMESHARED"
TRIAGE = "C0TRIAGE"


def script(demo: Demo) -> None:
    demo.rt.dispatcher.flush()
    reconcile_once(demo.rt)  # the handoff announcer starts counting from here
    desk(demo)
    paging(demo)
    sla(demo)


def desk(demo: Demo) -> None:
    s = demo.inbound
    demo.out("\n=== 1. The incident desk")
    demo.step(
        "An engineer types `/incident sev3 Export to CSV times out` in Acme's shared channel",
        lambda: s.command("sev3 Export to CSV times out", user=ENGINEER, channel=ACME_CHANNEL),
    )
    demo.step(
        "They press Acknowledge on the card",
        lambda: s.block_action(cards.ACTION_ACK, value="1", user=ENGINEER, channel=TRIAGE),
    )
    demo.step(
        "Someone at Acme who is not a designated contact posts in the shared channel",
        lambda: s.message(
            "Is anyone looking at the export?",
            user=ACME_OTHER,
            channel=ACME_CHANNEL,
            user_team="T0ACME",
        ),
    )
    demo.step(
        "A customer presses Escalate (staff only): refused with an explanation",
        lambda: s.block_action(
            cards.ACTION_ESCALATE,
            value="1",
            user=ACME_CONTACT,
            channel=ACME_CHANNEL,
            user_team="T0ACME",
        ),
    )
    demo.step(
        "The engineer resolves INC-1 from the resolve form",
        lambda: s.view_submission(
            cards.CALLBACK_RESOLVE,
            {"summary": "Raised the export timeout."},
            user=ENGINEER,
            private_metadata="1",
        ),
    )


def paging(demo: Demo) -> None:
    s = demo.inbound
    demo.out("\n=== 2. A Severity 1 pages the on-shift region (EMEA until 14:00 Dublin)")
    site_down = dict(
        text="Our site is down, nobody can log in",
        user=ACME_CONTACT,
        channel=ACME_CHANNEL,
        user_team="T0ACME",
        ts="1763700000.000100",
        event_id="EvDEMOSITEDOWN",
    )
    demo.step(
        "Acme's designated contact writes 'Our site is down, nobody can log in'",
        lambda: s.message(**site_down),
    )
    demo.step(
        "Slack delivers that event again (a retry): nothing new opens",
        lambda: s.message(**site_down, retry_num=1),
    )
    demo.travel(
        timedelta(minutes=5, seconds=10),
        "Five minutes, no answer: step 2 pages the primary again and the secondary",
    )
    demo.travel(timedelta(minutes=5), "Ten minutes: step 3 pages L2")
    demo.travel(
        timedelta(minutes=5),
        "Fifteen minutes: the response target is breached; step 4 pages L3 and management, "
        "and L3 is engaged by policy",
    )
    before = len(demo.pager.sent)
    demo.travel(
        timedelta(minutes=5),
        "14:00: EMEA goes off shift with the page unanswered; Americas takes it",
    )
    incoming = demo.pager.sent[before][1]
    demo.step(
        f"The Americas primary replies to the SMS from {incoming} with the code",
        lambda: demo.sms(incoming, _ack_code(demo)),
    )
    demo.step(
        "…while the page call still rings; they answer it and press 1 (one "
        "acknowledgement, two polite confirmations)",
        lambda: demo.keypress(_call_page(demo, incoming), "1"),
    )
    demo.travel(timedelta(minutes=20), "Twenty minutes later: no further pages went out")


def sla(demo: Demo) -> None:
    s = demo.inbound
    demo.out("\n=== 3. An SLA clock runs out (Acme is Premier, 24x7: Sev2 response in 2 h)")
    demo.step(
        "An engineer opens `/incident sev2 Payments API slow` in Acme's channel",
        lambda: s.command("sev2 Payments API slow", user=ENGINEER, channel=ACME_CHANNEL),
    )
    demo.travel(timedelta(hours=1, minutes=1), "An hour passes: 50 % of the response target")
    demo.travel(timedelta(hours=1), "Another hour: the response target is breached")


def _call_page(demo: Demo, number: str) -> int:
    with demo.rt.session() as session:
        query = select(Page.id).where(Page.to_number == number, Page.channel == "voice")
        return int(session.scalars(query.order_by(Page.id)).first() or 0)


def _ack_code(demo: Demo) -> str:
    with demo.rt.session() as session:
        return str(session.scalars(select(Escalation.ack_code)).first())
