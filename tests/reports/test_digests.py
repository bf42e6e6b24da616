"""Reports where people are: `/sla report`, the monthly report reviewed in triage and sent to
the customer once a lead approves it, and the weekly digest in the on-call channel. Time
travels; the reconciler makes what came due; the worker posts it once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy import select

from supportbot.clock import TravelClock
from supportbot.db.reporting import ReportPost
from supportbot.desk import actions, intake
from supportbot.digests.monthly import ACTION_APPROVE
from supportbot.incidents.access import Actor, Role
from supportbot.runtime import Runtime, build_runtime, set_runtime
from supportbot.settings import Settings
from tests.conftest import REPO, Desk, make_settings
from tests.standins import SlackStandin
from tests.support.records import (
    ACME_ALICE,
    ACME_CHANNEL,
    ACME_TEAM,
    GLOBEX_CHANNEL,
    answer,
    ephemerals,
    posts,
)
from tests.support.slack_requests import STAFF, TRIAGE

ONCALL = "C0ONCALLCHAN"
STAFF_ACTOR = Actor.staff_member(STAFF)
LEAD = "U0MGMT0001"  # Morgan, management in rotations/follow-the-sun.yaml
ALICE = {"user": ACME_ALICE, "user_team": ACME_TEAM, "channel": ACME_CHANNEL}


@pytest.fixture
def clock() -> TravelClock:
    return TravelClock(datetime(2026, 10, 14, 14, 0, tzinfo=UTC))


@pytest.fixture
def settings(
    tmp_path: Path, redis: Redis, redis_url: str, database_url: str, slack_api: SlackStandin
) -> Settings:
    return make_settings(tmp_path, redis_url, database_url, slack_api.api_url,
                         oncall_channel=ONCALL, scheduled_reports=True)  # fmt: skip


@pytest.fixture
def october(desk: Desk) -> Desk:
    """Acme's Sev1 of 14 October, answered two hours late (a 5,000.00 credit)."""
    acme = desk.rt.contracts.by_key("acme")
    assert acme is not None
    late = intake.open_incident(desk.rt, title="checkout down", severity=1, reporter=STAFF,
                                customer=acme)  # fmt: skip
    desk.travel(timedelta(hours=2))
    actions.acknowledge(desk.rt, late.id, STAFF_ACTOR)
    actions.resolve(desk.rt, late.id, STAFF_ACTOR, "rolled back")
    desk.drain()
    return desk


def at(desk: Desk, when: datetime) -> None:
    assert isinstance(desk.rt.clock, TravelClock)
    desk.rt.clock.set(when)
    desk.travel(timedelta(0))


def sla(desk: Desk, text: str, **who: str) -> str:
    return answer(desk.slack.command(text, command="/sla", **who))  # type: ignore[arg-type]


def test_sla_report_answers_each_person_with_what_is_theirs(october: Desk) -> None:
    desk = october
    staff = sla(desk, "report acme 2026-10")
    assert staff.startswith("*Acme Corp: support report for 2026-10*")
    assert "Opened: 1 (Sev1 1)" in staff and "Service credits: 5,000.00 USD (INC-1)" in staff
    assert "Targets missed: INC-1 (response, 1 h 45 min late)" in staff
    assert "_internal:_ the month is not over" in staff  # staff see the review copy
    mine = sla(desk, "report 2026-10", **ALICE)  # a contact: their own, customer-safe
    assert mine.startswith("*Acme Corp: support report for 2026-10*")
    assert "_internal:_" not in mine
    assert "No customer of yours is called `globex`" in sla(desk, "report globex", **ALICE)
    stranger = sla(desk, "report", user="U0RANDOM01", user_team="T0OTHER001",
                   channel=GLOBEX_CHANNEL)  # fmt: skip
    assert "designated contacts" in stranger and "Acme" not in stranger
    overall = sla(desk, "report 2026-10")
    assert overall.startswith("*All customers, 2026-10*") and "Opened: 1" in overall
    assert "is not a month" in sla(desk, "report acme 2026-13")
    assert "at most one customer" in sla(desk, "report acme globex")


# long: one scenario, read top to bottom
def test_the_monthly_report_is_reviewed_then_sent_once_approved(october: Desk) -> None:
    desk = october
    # Sunday 1 November: not a business day anywhere; nothing is due yet.
    at(desk, datetime(2026, 11, 1, 12, 0, tzinfo=UTC))
    assert [p for p in posts(desk.api, TRIAGE) if "support report" in p["text"]] == []
    # Monday 2 November 08:30 in Berlin (07:30Z): Globex's is due, Acme's (New York) is not.
    at(desk, datetime(2026, 11, 2, 7, 30, tzinfo=UTC))
    reviews = [p for p in posts(desk.api, TRIAGE) if "support report" in p["text"]]
    assert [r["text"].split(":")[0] for r in reviews] == ["*Globex GmbH", "*Initech"]
    # 09:00 in New York (14:00Z); Redis loses the job before the worker runs it.
    desk.rt.clock.set(datetime(2026, 11, 2, 14, 0, tzinfo=UTC))
    desk.rt.redis.flushdb()
    desk.travel(timedelta(seconds=30))
    desk.travel(timedelta(seconds=30))  # made, lost, re-driven: still posted once
    (review,) = [p for p in posts(desk.api, TRIAGE) if "Acme Corp: support report" in p["text"]]
    assert "Service credits: 5,000.00 USD (INC-1)" in review["text"]
    assert posts(desk.api, ACME_CHANNEL)[-1]["text"].find("support report") == -1

    with desk.rt.session() as session:
        row = session.scalars(select(ReportPost).where(ReportPost.customer == "acme")).one()
        row_id = row.id
    desk.slack.block_action(ACTION_APPROVE, value=str(row_id), **ALICE)
    desk.drain()
    assert ephemerals(desk.api)[-1] == ":no_entry: Only the support team can approve a report."
    assert [p for p in posts(desk.api, ACME_CHANNEL) if "support report" in p["text"]] == []

    # The review says who may send it; staff who are not a lead are told no.
    assert f"A lead approves it: <@{LEAD}>, <@U0MGMT0002>." in str(review["blocks"])
    desk.slack.block_action(ACTION_APPROVE, value=str(row_id))
    desk.drain()
    assert ephemerals(desk.api)[-1] == (
        ":no_entry: Only a lead (management in the rotation files) can send a report to a "
        f"customer: <@{LEAD}>, <@U0MGMT0002>."
    )
    assert [p for p in posts(desk.api, ACME_CHANNEL) if "support report" in p["text"]] == []

    desk.slack.block_action(ACTION_APPROVE, value=str(row_id), user=LEAD)
    desk.drain()
    assert "goes to their channel" in ephemerals(desk.api)[-1]
    (sent,) = [p for p in posts(desk.api, ACME_CHANNEL) if "support report" in p["text"]]
    assert sent["text"].startswith("*Acme Corp: support report for 2026-10*")
    assert "_internal:_" not in sent["text"] and "Globex" not in sent["text"]
    updated = desk.api.message(TRIAGE, review["ts"])
    assert updated is not None and f"Approved by <@{LEAD}>" in updated["text"]
    desk.slack.block_action(ACTION_APPROVE, value=str(row_id), user=LEAD)
    desk.travel(timedelta(minutes=5))
    assert "already approved" in ephemerals(desk.api)[-1]
    assert len([p for p in posts(desk.api, ACME_CHANNEL) if "support report" in p["text"]]) == 1
    assert len([p for p in posts(desk.api, TRIAGE) if "support report" in p["text"]]) == 3


def test_the_weekly_digest_goes_to_the_on_call_channel_once(october: Desk) -> None:
    desk = october
    at(desk, datetime(2026, 10, 19, 7, 59, tzinfo=UTC))  # Monday, a minute early
    assert [p for p in posts(desk.api, ONCALL) if "digest" in p["text"]] == []
    at(desk, datetime(2026, 10, 19, 8, 0, tzinfo=UTC))
    desk.travel(timedelta(minutes=1))
    (digest,) = [p for p in posts(desk.api, ONCALL) if "digest" in p["text"]]
    assert digest["text"].startswith("*Support digest, week 2026-W42 (UTC)*")
    assert (
        "Opened: 1 (Sev1 1)" in digest["text"]
        and "First response within target: 0.0 %" in (digest["text"])
    )


@pytest.fixture
def no_channels(settings: Settings, clock: TravelClock) -> Iterator[Runtime]:
    from supportbot.db.migrate import upgrade

    bare = settings.model_copy(update={"triage_channel": None, "oncall_channel": None})
    runtime = build_runtime(bare, clock=clock)
    upgrade(runtime.engine)
    set_runtime(runtime)
    yield runtime
    set_runtime(None)
    runtime.engine.dispose()


def test_without_channels_nothing_is_made(no_channels: Runtime) -> None:
    from supportbot.digests import monthly, weekly

    assert isinstance(no_channels.clock, TravelClock)
    no_channels.clock.set(datetime(2026, 11, 2, 15, 0, tzinfo=UTC))
    assert monthly.redrive(no_channels) == 0 and weekly.redrive(no_channels) == 0
    with no_channels.session() as session:
        assert list(session.scalars(select(ReportPost))) == []


def _with_rotation(settings: Settings, clock: TravelClock, folder: Path, text: str) -> Runtime:
    from supportbot.db.migrate import upgrade

    folder.mkdir()
    (folder / "follow-the-sun.yaml").write_text(text)
    runtime = build_runtime(settings.model_copy(update={"rotations_dir": folder}), clock=clock)
    upgrade(runtime.engine)
    return runtime


@pytest.fixture
def no_management(settings: Settings, clock: TravelClock, tmp_path: Path) -> Iterator[Runtime]:
    """The shipped rotation with nobody listed under ``management``."""
    text = (REPO / "rotations" / "follow-the-sun.yaml").read_text()
    text = text.replace("management: [morgan, niamh]", "management: []")
    runtime = _with_rotation(settings, clock, tmp_path / "rotations",
                             text.replace(", management]", "]"))  # fmt: skip
    yield runtime
    runtime.engine.dispose()


@pytest.fixture
def broken_rotation(settings: Settings, clock: TravelClock, tmp_path: Path) -> Iterator[Runtime]:
    """A rotation file that never loaded (an edit between the start's check and first use)."""
    text = (REPO / "rotations" / "follow-the-sun.yaml").read_text()
    text = text.replace("management:", "management: [unclosed", 1)  # not YAML any more
    runtime = _with_rotation(settings, clock, tmp_path / "rotations", text)
    yield runtime
    runtime.engine.dispose()


def _report_row(rt: Runtime) -> int:
    with rt.session() as session:
        row = ReportPost(key="monthly-acme-2026-10", customer="acme", month="2026-10",
                         review_text="r", customer_text="c", created_at=rt.now(),
                         review_channel=TRIAGE, customer_channel=ACME_CHANNEL)  # fmt: skip
        session.add(row)
        session.flush()
        return row.id


def test_without_management_any_staff_member_may_approve(no_management: Runtime) -> None:
    from supportbot.digests import monthly
    from supportbot.incidents.find import IncidentError

    rt = no_management
    assert monthly.leads(rt) == ()
    assert monthly.approvers_line(rt).startswith("Any member of the support team may approve")
    row_id = _report_row(rt)
    with pytest.raises(IncidentError, match="Only the support team"):
        monthly.approve(rt, Actor(ACME_ALICE, Role.CONTACT, "acme"), str(row_id))
    assert "goes to their channel" in monthly.approve(rt, STAFF_ACTOR, str(row_id))
    with rt.session() as session:
        assert session.get_one(ReportPost, row_id).approved_by == STAFF


def test_with_rotation_files_that_never_loaded_nobody_may_approve(
    broken_rotation: Runtime,
) -> None:
    """Not knowing who the leads are is not "nobody is listed": the approval stays shut."""
    from supportbot.digests import monthly
    from supportbot.incidents.find import IncidentError

    rt = broken_rotation
    assert monthly.leads(rt) is None
    assert monthly.approvers_line(rt).startswith("Who may approve it is not known: the rotation")
    row_id = _report_row(rt)
    for who in (STAFF_ACTOR, Actor.staff_member(LEAD)):
        with pytest.raises(IncidentError, match="rotation files did not load"):
            monthly.approve(rt, who, str(row_id))
    with rt.session() as session:
        row = session.get_one(ReportPost, row_id)
        assert row.approved_at is None and row.approved_by is None
