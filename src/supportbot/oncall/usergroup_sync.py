"""Keep the rota's Slack user groups in line with who is on call (see :mod:`.usergroups`).

The reconciler's redriver compares the membership wanted now with what was last set (a
``kv_state`` row per handle) and owes one sync job when they differ, which they do right after
a handoff or an override. It also owes one every :data:`VERIFY_EVERY` to catch a group edited
by hand in Slack. The job reads the groups once (``usergroups.list``), creates a missing one
(``usergroups.create``) and calls ``usergroups.users.update`` only for a group whose members
in Slack differ, so a sync that finds everything right makes no change at all. Slack errors
raise: RQ retries the job and the next pass owes it again.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from supportbot import metrics
from supportbot.db.models import KeyValue
from supportbot.delivery import effects, job_ids
from supportbot.delivery.kinds import USERGROUP_SYNC
from supportbot.delivery.locks import job_lock
from supportbot.oncall.lookup import active_overrides, resolver
from supportbot.oncall.usergroups import Group, desired_groups
from supportbot.runtime import Runtime, get_runtime

log = logging.getLogger(__name__)

PREFIX = "usergroup."
VERIFY_EVERY = timedelta(hours=1)


def wanted(rt: Runtime, session: Session, at: datetime) -> list[Group] | None:
    """The groups and members wanted at ``at``; None when the rotation never loaded."""
    found = resolver(rt)
    if found is None:
        return None
    overrides = active_overrides(session, at, found.rotation.people)
    return desired_groups(found, at, overrides)


def _stored(session: Session) -> dict[str, KeyValue]:
    rows = session.scalars(select(KeyValue).where(KeyValue.key.like(PREFIX + "%")))
    return {row.key.removeprefix(PREFIX): row for row in rows}


def _members(row: KeyValue | None) -> tuple[str, ...] | None:
    return tuple(json.loads(row.value)["members"]) if row is not None else None


def redrive(rt: Runtime) -> int:
    """Redriver: owe a sync when a group's wanted members differ from the last ones set, or
    the last look at Slack is older than :data:`VERIFY_EVERY`; returns 1 if owed."""
    if not rt.settings.rota_usergroups:
        return 0
    now = rt.now()
    with rt.session() as session:
        groups = wanted(rt, session, now)
        if groups is None:
            return 0
        stored = _stored(session)
        stale = [
            group
            for group in groups
            if group.members
            and (
                _members(stored.get(group.handle)) != group.members
                or stored[group.handle].updated_at <= now - VERIFY_EVERY
            )
        ]
        if stale:
            effects.owe(session, USERGROUP_SYNC, job_id=job_ids.usergroup_sync())
    return 1 if stale else 0


@USERGROUP_SYNC.runs
def sync_job() -> None:
    sync(get_runtime())


def sync(rt: Runtime) -> dict[str, str]:
    """Bring every group in line now; returns handle → created, updated, unchanged or empty."""
    with job_lock(rt.redis, "usergroups", "the user group sync", timeout=120, wait=60):
        now = rt.now()
        with rt.session() as session:
            groups = wanted(rt, session, now)
        if groups is None:
            return {}
        listed = _call(rt, "usergroups.list", include_users=True, include_disabled=True)
        existing = {g.get("handle"): g for g in listed.get("usergroups") or []}
        outcome = {group.handle: _one(rt, group, existing.get(group.handle)) for group in groups}
        with rt.session() as session:
            stored = _stored(session)
            for group in groups:
                if outcome[group.handle] == "empty":
                    continue
                value = json.dumps({"members": list(group.members)})
                row = stored.get(group.handle)
                if row is None:
                    session.add(KeyValue(key=PREFIX + group.handle, value=value, updated_at=now))
                else:
                    row.value, row.updated_at = value, now
        return outcome


def _one(rt: Runtime, group: Group, current: dict[str, Any] | None) -> str:
    if not group.members:
        # Slack keeps at least one member in a group; the gap itself is in /healthz and
        # `supportbot check`, and the group keeps its last holders until someone is on call.
        log.warning("user group @%s: nobody holds it now; left as it is", group.handle)
        return "empty"
    created = current is None
    if current is None:
        answer = _call(
            rt, "usergroups.create",
            name=group.name, handle=group.handle, description=group.description,
        )  # fmt: skip
        current = answer["usergroup"]
        log.info("user group @%s created (%s)", group.handle, current.get("id"))
    if tuple(sorted(current.get("users") or [])) == group.members:
        return "created" if created else "unchanged"
    _call(rt, "usergroups.users.update", usergroup=current["id"], users=",".join(group.members))
    log.info("user group @%s now: %s", group.handle, ", ".join(group.members))
    return "created" if created else "updated"


def _call(rt: Runtime, method: str, **params: Any) -> dict[str, Any]:
    try:
        form = {k: str(v).lower() if isinstance(v, bool) else v for k, v in params.items()}
        response = rt.slack.api_call(method, data=form)
    except Exception:
        metrics.SLACK_CALLS.labels(method, "error").inc()
        raise  # RQ retries the job; the next reconciler pass owes it again
    metrics.SLACK_CALLS.labels(method, "ok").inc()
    return dict(response.data) if isinstance(response.data, dict) else {}
