"""A committed unit of work is never reported as failed, even if its jobs cannot be handed
over: its caller would otherwise make the change again (the reconciler queues the jobs)."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from supportbot import metrics
from supportbot.db.models import KeyValue
from supportbot.delivery import effects
from supportbot.delivery.dispatcher import Dispatcher
from supportbot.delivery.kinds import SLACK_SYNC
from supportbot.delivery.unit import unit_of_work
from supportbot.runtime import Runtime


class CannotHandOver(Dispatcher):
    """The hand-over failing as it can in a process out of threads."""

    def submit_all(self, items: list[effects.Effect]) -> None:
        raise RuntimeError("can't start new thread")


def test_a_commit_stands_when_its_jobs_cannot_be_handed_over(
    rt: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    failed = metrics.ENQUEUE_FAILURES.labels(SLACK_SYNC.name)
    before = failed._value.get()
    with unit_of_work(rt.sessions, CannotHandOver(rt.queue)) as session:
        session.add(KeyValue(key="unit-of-work-test", value="kept", updated_at=rt.now()))
        effects.owe(session, SLACK_SYNC, 1, job_id="slack-sync-INC-1")
    with rt.session() as session:
        kept = session.scalar(select(KeyValue.value).where(KeyValue.key == "unit-of-work-test"))
    assert kept == "kept"
    assert failed._value.get() == before + 1
    assert any(
        r.levelno == logging.ERROR and "left to the reconciler" in r.getMessage()
        for r in caplog.records
    )
