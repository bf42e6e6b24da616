"""``supportbot check`` for rotations: bad entries, coverage gaps and on-call settings.

Every problem in the rotation files is listed with its file and line (the loader collects
them all). Gaps are every stretch of the next 90 days in which a level has nobody on call,
by the roster alone (overrides are temporary and do not make a rotation sound), listed as
UTC ranges with the number of clock hours each touches, so none is hidden behind a count.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from itertools import groupby

from sqlalchemy import inspect, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from supportbot.check import Report, database_url_problem
from supportbot.clock import now as clock_now
from supportbot.datafiles import DataFileError
from supportbot.db.engine import make_engine
from supportbot.db.models import OncallOverride
from supportbot.oncall import Gap, Resolver, Rotation, Target, coverage_gaps, load_rotation
from supportbot.oncall.model import DEFAULT_POLICY, Fallback, Region, SeverityKey
from supportbot.settings import Settings

HORIZON_DAYS = 90


def check_rotations(settings: Settings, report: Report, *, at: datetime | None = None) -> None:
    try:
        rotation = load_rotation(settings.rotations_dir)
    except DataFileError as exc:
        report.problems.extend(str(problem) for problem in exc.problems)
        return
    start = (at or clock_now()).astimezone(UTC)
    gaps = coverage_gaps(Resolver(rotation), start, HORIZON_DAYS)
    for level, level_gaps in groupby(gaps, key=lambda gap: gap.level):
        report.problems.append(describe_gaps(level, list(level_gaps), settings))
    unreachable_targets(rotation, settings, report)
    files = ", ".join(rotation.sources) or str(settings.rotations_dir)
    report.notes.append(
        f"rotations ({files}): {len(rotation.regions)} region(s), {len(rotation.people)} "
        f"people, fallback {rotation.fallback.name if rotation.fallback else 'none'}; "
        + ("no coverage gaps" if not gaps else f"{len(gaps)} coverage gap(s)")
        + f" in the next {HORIZON_DAYS} days"
    )
    if not settings.oncall_channel:
        # In local mode Slack posts only go to the log: a note, as in check.py.
        said = report.notes if settings.local_mode else report.problems
        said.append(
            "SUPPORTBOT_ONCALL_CHANNEL is not set: handoffs and override changes cannot be "
            "announced; set it to the on-call channel's id (README, 'Configuration')"
        )
    if settings.calendar_secret is None:
        report.notes.append(
            "SUPPORTBOT_CALENDAR_SECRET is not set: /oncall.ics tokens derive from the Slack "
            "signing secret, so rotating that secret also changes every calendar URL"
        )
    _check_overrides(settings, rotation, report, start)


def _hours(gap: Gap) -> int:
    return len(gap.hours())


def _span(gap: Gap) -> str:
    end_format = "%H:%M" if gap.end.date() == gap.start.date() else "%Y-%m-%d %H:%M"
    return f"{gap.start:%Y-%m-%d %H:%M}–{gap.end:{end_format}} UTC ({_hours(gap)} h)"


def describe_gaps(level: str, gaps: list[Gap], settings: Settings) -> str:
    """One problem per level: the total, the reason, then every range on its own line."""
    total = sum(_hours(gap) for gap in gaps)
    reasons = sorted({gap.reason for gap in gaps})
    lines = [
        f"{settings.rotations_dir}: nobody is on call for {level} in {len(gaps)} range(s), "
        f"{total} hour(s) of the next {HORIZON_DAYS} days ({'; '.join(reasons)}); add a "
        f"fallback {level} roster or widen the shifts:"
    ]
    lines += [f"  {_span(gap)}" for gap in gaps]
    return "\n".join(lines)


def unreachable_targets(rotation: Rotation, settings: Settings, report: Report) -> None:
    """Policy steps naming a target that can never hold anyone: ``management`` with no
    management contacts, or a level's secondary when no roster of that level has one. At run
    time each such step says "nobody to page" at every Severity 1; say it here first. A
    missing secondary is a note when the step reaches someone else."""
    severities: list[SeverityKey] = ["sev1", *sorted(k for k in rotation.escalation if k != "sev1")]
    for severity in severities:
        policy = rotation.escalation.get(severity, DEFAULT_POLICY)
        which = "" if severity in rotation.escalation else " (the built-in default)"
        for number, step in enumerate(policy.steps, start=1):
            missing = [(t, why) for t in step.page if (why := _never_reached(rotation, t))]
            for target, why in missing:
                said = (
                    report.problems
                    if target.level == "management" or len(missing) == len(step.page)
                    else report.notes
                )
                said.append(
                    f"{settings.rotations_dir}: escalation {severity}{which} step {number} "
                    f"pages {target}, but {why}: that page reaches nobody"
                )


def _never_reached(rotation: Rotation, target: Target) -> str | None:
    if target.level == "management":
        return None if rotation.management else "management: lists nobody"
    if target.slot != "secondary":
        return None
    teams: list[Region | Fallback] = [*rotation.regions]
    teams += [rotation.fallback] if rotation.fallback else []
    rosters = [team.rosters[target.level] for team in teams if target.level in team.rosters]
    if any(r.secondary is not None or len(r.primary) > 1 for r in rosters):
        return None
    return f"no {target.level} roster has a secondary (one person and no secondary: list)"


def _check_overrides(settings: Settings, rotation: Rotation, report: Report, at: datetime) -> None:
    """Overrides in force that name someone no longer in the rotation are ignored by the
    pager; say so. A database that is down is reported by the service checks already."""
    if database_url_problem(settings):
        return  # the service checks name it
    engine = make_engine(settings.sqlalchemy_url)
    try:
        if not inspect(engine).has_table(OncallOverride.__tablename__):
            return
        with Session(engine) as session:
            rows = session.scalars(
                select(OncallOverride).where(
                    OncallOverride.end_at > at, OncallOverride.ended_early_at.is_(None)
                )
            )
            report.problems.extend(_orphans(rows, rotation))
    except SQLAlchemyError:
        report.notes.append("overrides not checked: the database is unavailable")
    finally:
        engine.dispose()


def _orphans(rows: Iterable[OncallOverride], rotation: Rotation) -> list[str]:
    return [
        f"override #{row.id} ({row.level} {row.slot} until {row.end_at:%Y-%m-%d %H:%M} UTC) "
        f"names {row.person!r}, who is not in the rotation files, so the pager ignores it; "
        "restore the person in rotations/ or let it run out"
        for row in rows
        if row.person not in rotation.people
    ]
