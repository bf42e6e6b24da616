"""A charge waived after its term ended and was closed: the units it gives back belong to a
term whose rollover was already computed, so they roll on as that term's end rolls them (up
to what is left of the cap, the rest expire), in entries of their own with the reason,
rather than vanishing into the closed term while the answer says they were waived."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from supportbot.dashboard.data import balances
from supportbot.db.ledger import LedgerEntry
from supportbot.plans.usage import summarise
from supportbot.reports.records import Period, PeriodKind
from tests.conftest import Desk
from tests.plans.conftest import INITECH_CHANNEL, INITECH_PETER
from tests.standins import block_text
from tests.support.records import incident, say

NEW_YEAR = datetime(2027, 1, 1, 16, 0, 30, tzinfo=UTC)  # 00:00:30 on 2 January in Singapore


def customer_says(desk: Desk, text: str) -> str:
    return say(desk, text, channel=INITECH_CHANNEL, user=INITECH_PETER)


def corrections(desk: Desk) -> list[tuple[str, str | None, int, str | None]]:
    """The entries written after the term's end for it: waivers and the close's
    corrections, in order."""
    with desk.rt.session() as session:
        rows = session.scalars(
            select(LedgerEntry).where(LedgerEntry.at > NEW_YEAR).order_by(LedgerEntry.id)
        )
        return [(e.kind, e.term, e.quantity, e.reason) for e in rows]


def shown_everywhere(desk: Desk, open_incident: int) -> list[str]:
    """The pack's balance on /sla, the open card, the dashboard and the month's usage."""
    desk.drain()
    sla = say(desk, f"INC-{open_incident}", command="/sla")
    card = incident(desk.rt, open_incident)
    message = desk.api.message(card.card_channel or "", card.card_ts or "")
    assert message is not None
    customer = desk.rt.contracts.by_key("initech")
    assert customer is not None
    _, dashboard = balances(desk.rt, customer, Period(PeriodKind.MONTH, date(2027, 1, 1)))
    with desk.rt.session() as session:
        [total] = summarise(session, customer, date(2027, 1, 1)).totals
    found = [line[2:] for line in sla.splitlines() if line.startswith("• Pack")]
    card_text = block_text(message["blocks"])
    found += [
        "Pack:" + line.split("Pack:")[1] for line in card_text.splitlines() if "Pack:" in line
    ]
    return found + dashboard + [total.balance]


def test_a_waiver_after_the_close_rolls_the_refund_into_the_new_term(desk: Desk) -> None:
    """Initech used all 10 incidents of 2026 (nothing rolled over); in January the 10 were
    waived ("Waived 10 unit(s)"), yet the 2027 balance still read `Pack: 9 of 10 left`:
    the refund went into the closed 2026 term and was lost."""
    customer_says(desk, "sev3 printers offline")
    assert say(desk, "appointment INC-1 4h30m").endswith("Pack: 0 of 10 left")
    desk.travel(NEW_YEAR - desk.rt.now())
    assert customer_says(desk, "sev3 new year, new printer").endswith("Pack: 9 of 10 left")

    said = say(desk, "waive INC-1 product defect")
    assert said == (
        "Waived 10 unit(s) on INC-1: product defect\n"
        "The term 2026 had ended: 3 incidents rolled over into 2027, 7 incidents expired."
    )
    why = "product defect on INC-1, waived after the end of term 2026"
    assert corrections(desk) == [
        ("charge", "2027-01-01", 1, None),
        ("waiver", "2026-01-01", -1, "product defect"),
        ("waiver", "2026-01-01", -9, "product defect"),
        ("rollover_out", "2026-01-01", 3, why),
        ("expiry", "2026-01-01", 7, why),
        ("rollover_in", "2027-01-01", -3, why),
    ]
    expected = "Pack: 12 of 13 left, 3 rolled over from 2026"
    assert shown_everywhere(desk, 2) == [expected] * 4
    # Once: the same waiver again has nothing left to give back.
    assert say(desk, "waive INC-1 product defect") == ":warning: INC-1 has no charge to waive"


def test_a_late_refund_rolls_only_what_the_cap_has_left(desk: Desk) -> None:
    """2 of 2026 rolled over at its end (cap 3); 7 waived in January roll 1 more and 6
    expire: the cap holds across the close and its correction."""
    customer_says(desk, "sev3 printers offline")
    say(desk, "appointment INC-1 2h40m")  # 6 more: 7 used
    customer_says(desk, "sev3 scanner offline")  # 8 used, 2 left
    desk.travel(NEW_YEAR - desk.rt.now())
    assert customer_says(desk, "sev3 badge reader").endswith(
        "Pack: 11 of 12 left, 2 rolled over from 2026"
    )

    said = say(desk, "waive INC-1 product defect")
    assert said.endswith(
        "The term 2026 had ended: 1 incident rolled over into 2027, 6 incidents expired."
    )
    expected = "Pack: 12 of 13 left, 3 rolled over from 2026"
    assert shown_everywhere(desk, 3) == [expected] * 4
