"""A breach kept after a downgrade reads against its own target, not the new one.

INC-1 is Acme's (Premier, 24x7) Sev1: a 15-minute response target. The breach job breaches
it at 15:16 UTC, then staff downgrade it to Sev3, whose 8-hour target is recomputed from the
start (due 23:00 UTC). The breach stays (it was posted and escalated), but `/sla` and the
card said "breached (was due 23:00, breach recorded 15:16)": a breach before its due. They
now name the target that was breached and, apart, the current one, which the monthly report
judges.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from supportbot.clock import TravelClock
from supportbot.db.models import SlaClock
from supportbot.oncall.announcements import open_incidents
from supportbot.reports.figures import figures
from supportbot.reports.load import load_records
from supportbot.reports.records import parse_month
from supportbot.slack import cards
from tests.conftest import Desk
from tests.sla.test_sla_scenarios import card_text
from tests.support.records import ACME_CHANNEL, answer

OPENED = datetime(2026, 12, 8, 15, 0, tzinfo=UTC)  # 09:00 in Chicago, where Americas is on shift
BREACHED = "Tue 2026-12-08 09:16 CST (15:16 UTC)"
SEV1_DUE = "Tue 2026-12-08 09:15 CST (15:15 UTC)"
SEV3_DUE = "Tue 2026-12-08 17:00 CST (23:00 UTC)"
CHICAGO = ZoneInfo("America/Chicago")


@pytest.fixture
def clock() -> TravelClock:
    return TravelClock(OPENED)


def _response_line(desk: Desk) -> str:
    text = answer(desk.slack.command("INC-1", command="/sla"))
    return next(line for line in text.splitlines() if line.startswith("• Response:"))


def _card_response(desk: Desk) -> str:
    return next(line for line in card_text(desk).splitlines() if line.startswith("*Response*"))


def _month(desk: Desk) -> tuple[int, int, int]:
    with desk.rt.session() as session:
        month = parse_month("2026-12")
        records = load_records(session, desk.rt.contracts, month, "acme")
    got = figures(records, month, desk.rt.now()).response_sla
    return got.met, got.breached, got.pending


@pytest.fixture
def downgraded(desk: Desk) -> Desk:
    desk.slack.command("sev1 checkout down", channel=ACME_CHANNEL)
    desk.drain()
    desk.travel(timedelta(minutes=16))  # the breach job breaches the 15-minute target
    assert "*breached*" in _response_line(desk)
    desk.slack.block_action(cards.ACTION_SEVERITY, block_id="incident-1", selected="3")
    desk.drain()
    return desk


def test_sla_names_the_breached_target_and_the_current_one_apart(downgraded: Desk) -> None:
    line = _response_line(downgraded)

    assert line == (
        f"• Response: *breached* {BREACHED} under Sev 1 (Critical)'s target, which was due "
        f"{SEV1_DUE}; the breach stays on record. Current target, Sev 3 (Medium): due "
        f"{SEV3_DUE}, 7h44m left; the monthly report judges this one."
    ), line
    assert f"was due {SEV3_DUE}" not in line  # the contradiction: due after the breach
    # The open-incidents list of a shift announcement names the due the breach missed.
    with downgraded.rt.session() as session:
        listed = open_incidents(downgraded.rt, session, downgraded.rt.now(), CHICAGO)
    assert (
        "response *breached* (was due Tue 08 Dec 09:15 America/Chicago (15:15 UTC))"
        in "\n".join(listed)
    ), listed


def test_the_card_names_the_breached_target_and_the_current_one_apart(downgraded: Desk) -> None:
    line = _card_response(downgraded)

    assert line == (
        "*Response*: :rotating_light: breached Tue 08 Dec 09:16 CST under Sev1 Critical "
        "(due Tue 08 Dec 09:15 CST) · now Sev3 Medium: due Tue 08 Dec 17:00 CST · 7h44m left"
    ), line


def test_answered_within_the_current_target_the_report_and_sla_agree(downgraded: Desk) -> None:
    assert _month(downgraded) == (0, 0, 1)  # the current target is not due yet
    downgraded.travel(timedelta(minutes=4))
    downgraded.slack.block_action(cards.ACTION_ACK, value="1")
    downgraded.drain()

    line = _response_line(downgraded)

    assert f"under Sev 1 (Critical)'s target, which was due {SEV1_DUE}" in line, line
    assert (
        f"Current target, Sev 3 (Medium): due {SEV3_DUE}, met at Tue 2026-12-08 09:20 CST "
        "(15:20 UTC); the monthly report judges this one." in line
    ), line
    assert _card_response(downgraded).endswith("· now Sev3 Medium: due Tue 08 Dec 17:00 CST · met")
    # The report judges the target in force (Sev3), as `/sla` says: met, not breached.
    assert _month(downgraded) == (1, 0, 0)


def test_a_breach_without_a_severity_change_reads_as_before(desk: Desk) -> None:
    desk.slack.command("sev1 checkout down", channel=ACME_CHANNEL)
    desk.drain()
    desk.travel(timedelta(minutes=16))

    assert _response_line(desk) == (
        f"• Response: *breached* (was due {SEV1_DUE}, breach recorded {BREACHED})."
    )
    assert _card_response(desk) == (
        "*Response*: due Tue 08 Dec 09:15 CST · overdue by 1m · :rotating_light: breached"
    )


def test_a_breach_recorded_before_its_due_was_kept_reads_as_moved_too(desk: Desk) -> None:
    """Breaches recorded before migration 0012 have no due or severity of their own; after a
    downgrade their clock's due is later than the breach, which only a moved target makes:
    they read as moved too, without the due nobody recorded."""
    desk.slack.command("sev1 checkout down", channel=ACME_CHANNEL)
    desk.drain()
    desk.travel(timedelta(minutes=16))
    with desk.rt.session() as session:  # as the upgrade left it: the new columns empty
        clock = session.scalars(select(SlaClock).where(SlaClock.kind == "response")).one()
        clock.breach_due_at, clock.breach_severity = None, None
    assert _response_line(desk).startswith("• Response: *breached* (was due ")  # not moved
    desk.slack.block_action(cards.ACTION_SEVERITY, block_id="incident-1", selected="3")
    desk.drain()

    assert _response_line(desk) == (
        f"• Response: *breached* {BREACHED} under an earlier target; the breach stays on "
        f"record. Current target, Sev 3 (Medium): due {SEV3_DUE}, 7h44m left; the monthly "
        "report judges this one."
    )
    assert _card_response(desk) == (
        "*Response*: :rotating_light: breached Tue 08 Dec 09:16 CST · now Sev3 Medium: "
        "due Tue 08 Dec 17:00 CST · 7h44m left"
    )
    with desk.rt.session() as session:
        listed = "\n".join(open_incidents(desk.rt, session, desk.rt.now(), CHICAGO))
    assert "response breached" in listed and "was due" not in listed, listed
