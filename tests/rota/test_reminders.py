"""Shift reminders and weekly summaries as a script: time moves on the travel clock, the
reconciler passes, and the DMs appear at the Slack stand-in at their instants, once each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rq.registry import ScheduledJobRegistry
from sqlalchemy import select

from supportbot.db.rota import RotaDm
from supportbot.delivery import job_ids
from supportbot.reconciler import reconcile_once
from tests.conftest import Desk
from tests.oncall.conftest import AOIFE, BRAM, CHLOE, ELENA, mention
from tests.standins import SlackStandin

MONDAY = datetime(2026, 3, 9, tzinfo=UTC)  # Dublin is on GMT: 08:00 local is 08:00 UTC
DIETER, GRETA, FIONN = "U0EMEA0004", "U0EMEA0007", "U0EMEA0006"
ANA = "U0AMER0001"


def step(desk: Desk, instant: datetime) -> None:
    desk.rt.clock.set(instant)  # type: ignore[attr-defined]
    desk.settle()
    reconcile_once(desk.rt)
    desk.drain()


def dms(api: SlackStandin, user: str) -> list[str]:
    """Reminders and summaries sent to ``user`` (change notices are tests/rota/test_changes)."""
    return [m["text"] for m in api.messages(channel=user) if "shifts changed" not in m["text"]]


def rows(desk: Desk) -> list[RotaDm]:
    with desk.rt.session() as session:
        return list(session.scalars(select(RotaDm).order_by(RotaDm.id)))


def test_an_hour_before_each_shift_its_holder_is_reminded_once_with_the_open_incidents(
    desk: Desk,
) -> None:
    api = desk.api
    step(desk, MONDAY + timedelta(hours=5))
    desk.slack.command("sev3 the status page shows stale numbers")  # opens at L1
    desk.slack.command("sev2 exports fail for <!channel> at <https://evil.example|acme>")
    desk.drain()
    step(desk, MONDAY + timedelta(hours=6))  # plans the 08:00 shifts; nothing is sent yet
    step(desk, MONDAY + timedelta(hours=6, minutes=59))
    assert dms(api, BRAM) == []
    keys = {row.key for row in rows(desk) if row.kind == "reminder"}
    at8 = int((MONDAY + timedelta(hours=8)).timestamp())
    assert f"remind-bram-L1-primary-{at8}" in keys
    assert f"remind-chloe-L1-secondary-{at8}" in keys
    assert f"remind-elena-L2-primary-{at8}" in keys

    # The worker's scheduler holds Bram's reminder for 07:00 sharp ...
    [row] = [r for r in rows(desk) if r.key == f"remind-bram-L1-primary-{at8}"]
    registry = ScheduledJobRegistry(queue=desk.rt.queue)
    scheduled = registry.get_scheduled_time(job_ids.rota_dm(row.id))
    assert scheduled == MONDAY + timedelta(hours=7)
    # ... and were that job lost, the reconciler sends it a grace period later. Here the
    # scheduler is not running: the reconciler's pass at 07:00:11 sends it.
    step(desk, MONDAY + timedelta(hours=7, seconds=11))
    [bram] = dms(api, BRAM)
    assert bram == (
        ":alarm_clock: You take L1 for EMEA at 08:00 Dublin, in 1 h; open: "
        "INC-2 Sev2 High exports fail for &lt;!channel&gt; at "
        "&lt;https://evil.example|acme&gt;; INC-1 Sev3 Medium the status page shows stale numbers"
    )
    [chloe] = dms(api, CHLOE)
    assert chloe.startswith(":alarm_clock: You take L1 secondary for EMEA at 08:00 Dublin, in 1 h")
    [elena] = dms(api, ELENA)
    assert elena == ":alarm_clock: You take L2 for EMEA at 08:00 Dublin, in 1 h; open: none"
    assert len(dms(api, GRETA)) == 1 and len(dms(api, DIETER)) == 1

    # Exactly once: more passes, a lost Redis, a restart's replanning send nothing again.
    desk.rt.redis.flushdb()
    step(desk, MONDAY + timedelta(hours=7, minutes=1))
    step(desk, MONDAY + timedelta(hours=7, minutes=30))
    assert len(dms(api, BRAM)) == 1 and len(dms(api, ELENA)) == 1
    # Aoife holds nothing until Tuesday: not reminded today.
    assert dms(api, AOIFE) == []


def test_a_reminder_lost_with_redis_is_sent_by_the_reconciler_and_never_early(desk: Desk) -> None:
    api = desk.api
    step(desk, MONDAY + timedelta(hours=6, minutes=30))
    desk.rt.redis.flushdb()  # the scheduled reminder jobs are gone
    api.inject("chat.postMessage", "503", times=1)  # and Slack stumbles once when it is sent
    step(desk, MONDAY + timedelta(hours=6, minutes=59, seconds=59))
    assert dms(api, BRAM) == []  # not a second early
    step(desk, MONDAY + timedelta(hours=7, seconds=11))
    assert len(dms(api, BRAM)) == 1
    assert 503 in [c.status for c in api.calls("chat.postMessage")]


def test_a_shift_moved_by_an_override_drops_its_reminder_and_reminds_of_the_new_start(
    desk: Desk,
) -> None:
    api = desk.api
    step(desk, MONDAY + timedelta(hours=6))
    # Before Bram's 08:00 reminder, Aoife takes L1 until 09:30 (3 h from 06:30).
    desk.rt.clock.set(MONDAY + timedelta(hours=6, minutes=30))  # type: ignore[attr-defined]
    desk.slack.command(f"override {mention(AOIFE)} 3h", command="/oncall")
    step(desk, MONDAY + timedelta(hours=7, seconds=11))
    assert dms(api, BRAM) == []
    [dropped] = [r for r in rows(desk) if r.key.startswith("remind-bram-L1-primary")]
    assert dropped.dropped_reason and "moved" in dropped.dropped_reason
    # Bram's shift now starts at 09:30, when the override ends: reminded at 08:30.
    step(desk, MONDAY + timedelta(hours=8, minutes=29))
    assert dms(api, BRAM) == []
    step(desk, MONDAY + timedelta(hours=8, minutes=30, seconds=11))
    [bram] = dms(api, BRAM)
    assert bram.startswith(":alarm_clock: You take L1 for EMEA at 09:30 Dublin, in 1 h;")
    # Aoife's override began at once: no reminder for a shift already under way. Both were
    # told of the change itself.
    assert dms(api, AOIFE) == []
    assert len(api.messages(channel=AOIFE)) == 1 and len(api.messages(channel=BRAM)) == 2


def test_weekly_summary_on_sunday_at_five_in_each_persons_zone_across_the_us_dst_change(
    desk: Desk,
) -> None:
    api = desk.api
    sunday = datetime(2026, 3, 8, tzinfo=UTC)  # Chicago springs forward at 02:00 today
    step(desk, sunday + timedelta(hours=16, minutes=59))
    assert dms(api, BRAM) == []
    step(desk, sunday + timedelta(hours=17, seconds=11))  # 17:00 in Dublin (GMT)
    [bram] = dms(api, BRAM)
    lines = bram.splitlines()
    assert lines[0] == (
        ":calendar: Your on-call shifts in the week from Sun 08 Mar (times Europe/Dublin):"
    )
    assert "• L1 · EMEA: Mon 09 Mar 08:00–13:00" in lines
    assert "• L1 secondary · EMEA: Sun 15 Mar 08:00–13:00" not in lines  # weekends: fallback
    assert dms(api, ANA) == []  # 12:00 in Austin
    # 17:00 CDT is 22:00 UTC today (it would have been 23:00 UTC yesterday, on CST).
    step(desk, sunday + timedelta(hours=21, minutes=59))
    assert dms(api, ANA) == []
    step(desk, sunday + timedelta(hours=22, seconds=11))
    [ana] = dms(api, ANA)
    assert ana.splitlines()[0] == (
        ":calendar: Your on-call shifts in the week from Sun 08 Mar (times America/Chicago):"
    )
    # On CDT, Singapore's 08:00 is 19:00 in Austin: it takes the pager an hour before the
    # Austin shift ends; on Friday nobody follows, so Austin keeps it until 20:00.
    assert ana.splitlines()[1:] == [
        "• L1 secondary · Americas: Tue 10 Mar 08:00–19:00",
        "• L1 · Americas: Wed 11 Mar 08:00–19:00",
        "• L1 secondary · Americas: Fri 13 Mar 08:00–20:00",
    ]
    # Once: the next passes and the next day send no second summary.
    step(desk, sunday + timedelta(hours=23))
    assert len(dms(api, ANA)) == 1 and len(dms(api, BRAM)) == 1
    # Management, with no shift, is not sent an empty summary.
    assert dms(api, "U0MGMT0001") == []
    assert len(dms(api, FIONN)) == 1


def test_weekly_summaries_cover_sunday_to_sunday_at_five_local_across_the_eu_dst_change(
    desk: Desk,
) -> None:
    api = desk.api
    # Sunday 18 Oct 2026, 17:00 in Dublin (IST, 16:00 UTC): Dieter holds the weekend's L1.
    step(desk, datetime(2026, 10, 18, 16, 0, 11, tzinfo=UTC))
    [first] = dms(api, DIETER)
    # Ireland falls back on Sunday 25 Oct: the week runs to 17:00 Dublin time that Sunday,
    # which is 17:00 UTC, 7 days and an hour after it began.
    assert "• L1 · Global weekend: Sat 24 Oct 02:00–Sun 25 Oct 17:00" in first.splitlines()
    step(desk, datetime(2026, 10, 25, 17, 0, 11, tzinfo=UTC))
    [_, second] = dms(api, DIETER)
    assert second.splitlines()[:2] == [
        ":calendar: Your on-call shifts in the week from Sun 25 Oct (times Europe/Dublin):",
        "• L1 · Global weekend: Sun 25 Oct 17:00–Mon 26 Oct 00:00",
    ]  # the two summaries meet: no hour of the weekend is left out of both


def test_a_shift_moved_away_and_back_after_its_reminder_was_dropped_is_reminded_once(
    desk: Desk,
) -> None:
    api = desk.api
    step(desk, MONDAY + timedelta(hours=6))  # Bram's 08:00 reminder is planned for 07:00
    desk.rt.clock.set(MONDAY + timedelta(hours=6, minutes=30))  # type: ignore[attr-defined]
    desk.slack.command(f"override {mention(AOIFE)} 3h", command="/oncall")
    step(desk, MONDAY + timedelta(hours=7, seconds=11))
    assert dms(api, BRAM) == []  # his shift moved to 09:30: the 08:00 reminder is dropped
    # Aoife's override is ended at 07:10: Bram takes L1 at 08:00 after all.
    desk.rt.clock.set(MONDAY + timedelta(hours=7, minutes=10))  # type: ignore[attr-defined]
    desk.slack.command(f"end-override {mention(AOIFE)}", command="/oncall")
    step(desk, MONDAY + timedelta(hours=7, minutes=10, seconds=5))
    [bram] = dms(api, BRAM)
    assert bram == ":alarm_clock: You take L1 for EMEA at 08:00 Dublin, in 50 min; open: none"
    step(desk, MONDAY + timedelta(hours=7, minutes=30))
    step(desk, MONDAY + timedelta(hours=8, minutes=30))
    assert len(dms(api, BRAM)) == 1
