"""The dispatcher hands effects to RQ after commit: scheduled ones never before their instant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from supportbot.delivery import effects
from supportbot.delivery.dispatcher import BATCH_JOBS, batched
from supportbot.delivery.effects import Effect
from supportbot.delivery.kinds import PAGE_STEP, SLA_TIMER, SLACK_CALL, SLACK_SYNC, SLACK_SYNC_BATCH
from supportbot.runtime import Runtime


def queued_syncs(rt: Runtime) -> list[int]:
    """The incidents whose card sync waits in the queue, one entry per time it is owed: from
    ``slack_sync`` jobs and from the batches that carry several."""
    owed: list[int] = []
    for job in rt.queue.get_jobs():
        if job.func_name.endswith(".slack_sync"):
            owed.append(job.args[0])
        elif job.func_name.endswith(".slack_sync_batch"):
            owed += [incident_id for (incident_id,) in job.args[0]]
    return owed


def sync(incident_id: int) -> Effect:
    return effects.Effect(SLACK_SYNC, (incident_id,), f"slack-sync-INC-{incident_id}")


def test_cards_owed_together_run_as_batches_and_alone_as_themselves() -> None:
    other = Effect(SLACK_CALL, ("chat.postMessage", {}), "slack-call-x")
    assert batched([sync(1), other]) == [sync(1), other]  # one card: its own job, in place
    assert batched([other, sync(1)]) == [other, sync(1)]

    burst = [sync(1), other] + [sync(i) for i in range(2, 2 * BATCH_JOBS + 4)]
    found = batched(burst)

    # The batches take the first card's place: the card is still queued before the DM.
    assert [e.kind for e in found] == [SLACK_SYNC_BATCH] * 3 + [SLACK_CALL]
    assert [len(b.args[0]) for b in found[:3]] == [BATCH_JOBS, BATCH_JOBS, 3]
    assert [i for b in found[:3] for (i,) in b.args[0]] == list(range(1, 2 * BATCH_JOBS + 4))
    assert len({b.job_id for b in found[:3]}) == 3  # each batch its own job


def test_a_burst_of_cards_is_queued_as_batch_jobs_each_card_once(rt: Runtime) -> None:
    rt.dispatcher.submit_all([sync(i) for i in range(1, 21)])
    rt.dispatcher.flush()

    assert sorted(queued_syncs(rt)) == list(range(1, 21))
    assert len(rt.queue.get_job_ids()) == 3  # 8 + 8 + 4


def test_a_scheduled_job_is_never_stored_before_its_instant(rt: Runtime) -> None:
    # RQ keeps whole seconds; a fractional instant is rounded up, never down.
    base = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)
    cases = {
        "step-fraction": base + timedelta(microseconds=200_000),
        "step-whole": base,
        "step-last-micro": base + timedelta(microseconds=999_999),
    }
    rt.dispatcher.submit_all(
        [Effect(PAGE_STEP, (n, 0), job_id, at=at) for n, (job_id, at) in enumerate(cases.items())]
    )
    rt.dispatcher.flush()
    registry = rt.urgent_queue.scheduled_job_registry
    stored = {job_id: registry.get_scheduled_time(job_id) for job_id in cases}
    assert stored == {
        "step-fraction": base + timedelta(seconds=1),
        "step-whole": base,
        "step-last-micro": base + timedelta(seconds=1),
    }
    assert all(stored[job_id] >= at for job_id, at in cases.items())


def test_a_kind_that_waits_for_its_instant_is_stored_in_its_second(rt: Runtime) -> None:
    # SLA timer jobs wait for their instant themselves (tests/sla/test_burst_pump.py), so
    # they are stored a second ahead: rounding up made each one late.
    base = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)
    cases = {"sla-fraction": base + timedelta(microseconds=200_000), "sla-whole": base}
    rt.dispatcher.submit_all(
        [Effect(SLA_TIMER, (n,), job_id, at=at) for n, (job_id, at) in enumerate(cases.items())]
    )
    rt.dispatcher.flush()
    registry = rt.queue.scheduled_job_registry
    assert {job_id: registry.get_scheduled_time(job_id) for job_id in cases} == {
        "sla-fraction": base - timedelta(seconds=1),
        "sla-whole": base - timedelta(seconds=1),
    }


def test_urgent_kinds_go_to_the_urgent_queue(rt: Runtime) -> None:
    rt.dispatcher.submit_all([Effect(PAGE_STEP, (1, 0), "page-step-1-0")])
    rt.dispatcher.submit_all([Effect(SLA_TIMER, (1,), "sla-1")])
    rt.dispatcher.flush()
    assert rt.urgent_queue.get_job_ids() == ["page-step-1-0"]
    assert rt.queue.get_job_ids() == ["sla-1"]


def test_effects_reach_rq_after_commit_and_never_after_a_rollback(rt: Runtime) -> None:
    class Boom(Exception):
        pass

    try:
        with rt.session() as session:
            effects.owe(session, SLA_TIMER, 7, job_id="sla-rolled-back")
            raise Boom
    except Boom:
        pass
    with rt.session() as session:
        effects.owe(session, SLA_TIMER, 8, job_id="sla-committed")
        # Later wins for one id: a cancel recorded after it would take it back.
        effects.owe(session, SLA_TIMER, 9, job_id="sla-committed")
    rt.dispatcher.flush()
    assert rt.queue.get_job_ids() == ["sla-committed"]
    assert list(rt.queue.fetch_job("sla-committed").args) == [9]  # type: ignore[union-attr]
