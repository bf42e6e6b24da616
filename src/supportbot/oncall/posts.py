"""Messages owed to the on-call channel: override changes and handoffs, as rows.

A change writes its announcement as an :class:`OncallPost` row in the same transaction as
the change itself, which owes :func:`deliver` for after the commit. The job reloads the row and
posts it once; if Redis loses the job, :func:`redrive` (run by the reconciler) finds the row
unsent and queues it again. The Slack call is made outside any transaction, so a slow Slack
never holds the database's single SQLite writer.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from supportbot import metrics
from supportbot.db.models import OncallPost
from supportbot.delivery import effects, inflight, job_ids
from supportbot.delivery.kinds import ONCALL_POST
from supportbot.delivery.locks import job_lock
from supportbot.runtime import Runtime, get_runtime

log = logging.getLogger(__name__)

GRACE = timedelta(seconds=10)  # younger unsent rows are probably still in the queue


def add_post(
    session: Session, *, key: str, channel: str | None, text: str, now: datetime
) -> int | None:
    """Record a post (once per ``key``); None when there is no channel or it already exists.

    Without ``SUPPORTBOT_ONCALL_CHANNEL`` the change still happens; the caller says that it
    was not announced, and ``supportbot check`` reports the missing setting."""
    if not channel:
        log.warning("SUPPORTBOT_ONCALL_CHANNEL is not set; not announced: %s", text)
        return None
    if session.scalar(select(OncallPost.id).where(OncallPost.key == key)) is not None:
        return None
    post = OncallPost(key=key, channel=channel, text=text, created_at=now)
    session.add(post)
    session.flush()
    _owe(session, post.id)
    return post.id


def _owe(session: Session, post_id: int) -> None:
    effects.owe(session, ONCALL_POST, post_id, job_id=job_ids.oncall_post(post_id))


def redrive(rt: Runtime) -> int:
    """Queue again every post left unsent past :data:`GRACE`; returns how many."""
    with rt.session() as session:
        ids = list(
            session.scalars(
                select(OncallPost.id).where(
                    OncallPost.sent_at.is_(None), OncallPost.created_at <= rt.now() - GRACE
                )
            )
        )
        for post_id in ids:
            _owe(session, post_id)
    if ids:
        metrics.RECONCILED.labels("oncall_post").inc(len(ids))
        log.info("reconciler re-queued %d on-call channel post(s)", len(ids))
    return len(ids)


@ONCALL_POST.runs
def deliver(post_id: int) -> None:
    """RQ job: post one row to Slack, once."""
    rt = get_runtime()
    with job_lock(rt.redis, f"oncall-post:{post_id}", f"on-call post {post_id}"):
        with rt.session() as session:
            post = session.get(OncallPost, post_id)
            if post is None or post.sent_at is not None:
                return
            channel, text = post.channel, post.text
        key = f"oncall-post-{post_id}"
        ts = inflight.post(rt, key, {"channel": channel, "text": text, "unfurl_links": False})
        with rt.session() as session:
            post = session.get(OncallPost, post_id)
            assert post is not None
            post.sent_at, post.ts = rt.now(), ts
        inflight.done(rt, key)
