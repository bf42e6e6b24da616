"""A contract edited under a running incident: the incident follows the contract as edited.

Every change to an incident re-plans its clocks from the contract as it stands; an edit of
the contracts file reached a running incident only at its next change. Until then its due
and timers kept the old target while ``/sla`` explained the new one, and called the
difference "time waiting on the customer" although nobody waited (a black-box helper found
it: Globex Sev2, 2 h response edited to 4 h). Now the reconciler re-plans the open
incidents of the customer whose entry changed, once, and ``/sla`` never blames a pause that
did not happen.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from supportbot.db.models import SlaClock, SlaTimer
from supportbot.desk import actions
from supportbot.desk.actions import Actor
from supportbot.reconciler import reconcile_once
from supportbot.sla import replan
from supportbot.sla.explain import sla_answer
from supportbot.slack import cards
from tests.conftest import REPO, Desk
from tests.support.records import ACME_CHANNEL, GLOBEX_CHANNEL

CONTRACTS = (REPO / "contracts" / "customers.yaml").read_text()
TWO_HOURS, FOUR_HOURS = "sev2: {response: 2h}", "sev2: {response: 4h}"
STAFF = Actor.staff_member("U0STAFF001")


def _opened_under_a_copy(desk: Desk, tmp_path: Path, channel: str, command: str) -> Path:
    """INC-1 opened in ``channel``, its contract read from a copy of the contracts file that
    the test then edits."""
    path = tmp_path / "customers.yaml"
    path.write_text(CONTRACTS)
    desk.rt.settings = desk.rt.settings.model_copy(update={"contracts_file": path})
    desk.rt.reload_files()
    desk.slack.command(command, channel=channel)
    desk.drain()
    reconcile_once(desk.rt)  # the first pass notes every customer's entry as planned
    return path


@pytest.fixture
def globex_sev2(desk: Desk, tmp_path: Path) -> tuple[Desk, Path]:
    """INC-1: Globex Sev 2 with its 2 h response override, from a contracts file we edit."""
    assert TWO_HOURS in CONTRACTS
    return desk, _opened_under_a_copy(desk, tmp_path, GLOBEX_CHANNEL, "sev2 invoices missing")


def _response(desk: Desk) -> SlaClock:
    with desk.rt.session() as session:
        return session.scalars(
            select(SlaClock).where(SlaClock.incident_id == 1, SlaClock.kind == "response")
        ).one()


def _timers(desk: Desk) -> dict[int, object]:
    with desk.rt.session() as session:
        rows = session.scalars(
            select(SlaTimer).where(SlaTimer.incident_id == 1, SlaTimer.clock == "response")
        )
        return {t.threshold: t.due_at for t in rows}


def test_an_edited_target_re_plans_the_running_clock_and_its_timers(
    globex_sev2: tuple[Desk, Path],
) -> None:
    desk, path = globex_sev2
    before = _response(desk)
    assert before.target_seconds == 2 * 3600
    reminders_before = _timers(desk)

    path.write_text(CONTRACTS.replace(TWO_HOURS, FOUR_HOURS))
    desk.rt.reload_files()
    # Before the reconciler's pass, /sla says what is stored and why, not a pause.
    said = sla_answer(desk.rt, STAFF, "INC-1")
    assert "by time waiting on the customer" not in said, said
    assert "planned before the contract's last edit" in said, said

    found = reconcile_once(desk.rt)
    assert found["sla_contract"] == 1

    after = _response(desk)
    assert after.target_seconds == 4 * 3600
    assert after.due_at is not None and before.due_at is not None
    assert after.due_at > before.due_at  # two more hours (of Globex's business time)
    assert _timers(desk) != reminders_before
    said = sla_answer(desk.rt, STAFF, "INC-1")
    assert "planned before" not in said and "waiting on the customer" not in said, said
    # The card is owed an update (its due time moved), and the next pass changes nothing.
    assert reconcile_once(desk.rt)["sla_contract"] == 0


def test_an_edit_that_moves_no_clock_owes_no_card_update(globex_sev2: tuple[Desk, Path]) -> None:
    desk, path = globex_sev2
    due = _response(desk).due_at
    # Another customer's entry and a field of Globex's own that plans nothing.
    path.write_text(CONTRACTS.replace("name: Globex GmbH", "name: Globex GmbH & Co"))
    desk.rt.reload_files()
    assert reconcile_once(desk.rt)["sla_contract"] == 0
    assert _response(desk).due_at == due


def test_a_pause_still_reads_as_a_pause(desk: Desk) -> None:
    # Acme is 24x7: half an hour waiting moves its due half an hour, whenever this runs.
    desk.slack.command("sev2 payments API slow", channel=ACME_CHANNEL)
    desk.drain()
    desk.slack.block_action(cards.ACTION_WAITING, value="1")
    desk.settle()
    desk.travel(timedelta(minutes=30))
    actions.resume(desk.rt, 1, STAFF)
    desk.drain()
    said = sla_answer(desk.rt, STAFF, "INC-1")
    assert "by time waiting on the customer" in said, said


def test_resolved_incidents_keep_the_clocks_they_were_judged_by(
    globex_sev2: tuple[Desk, Path],
) -> None:
    desk, path = globex_sev2
    actions.resolve(desk.rt, 1, STAFF, "fixed the export")
    desk.drain()
    judged = _response(desk)
    path.write_text(CONTRACTS.replace(TWO_HOURS, FOUR_HOURS))
    desk.rt.reload_files()
    assert replan.redrive(desk.rt) == 0
    again = _response(desk)
    assert (again.target_seconds, again.due_at, again.state) == (
        judged.target_seconds,
        judged.due_at,
        judged.state,
    )


def test_a_target_shortened_below_the_time_spent_breaches_at_once(
    desk: Desk, tmp_path: Path
) -> None:
    # Acme is 24x7 (Premier Sev 2: 2 h); an hour in, its contract is cut to 30 minutes.
    head = "    language: en\n"
    assert CONTRACTS.count(head) >= 1
    path = _opened_under_a_copy(desk, tmp_path, ACME_CHANNEL, "sev2 payments API slow")
    desk.travel(timedelta(hours=1))
    assert _response(desk).state == "running"

    cut = head + "    sla:\n      targets:\n        sev2: {response: 30m}\n"
    path.write_text(CONTRACTS.replace(head, cut, 1))
    desk.rt.reload_files()
    desk.travel(timedelta(seconds=1))  # a pass re-plans: the breach is due now
    desk.travel(timedelta(seconds=1))

    clock = _response(desk)
    assert clock.target_seconds == 30 * 60
    assert clock.state == "breached" and clock.breached_at is not None
    posts = [m.get("text", "") for m in desk.api.messages()]
    assert any("breach" in text.lower() and "INC-1" in text for text in posts), posts
