"""``supportbot oncall [--at ISO-TIME] [--json]``: the ``/oncall`` board for any instant.

Reads the rotation files and the overrides in the database; needs neither Redis nor Slack,
so it works on a laptop against a copy of production's files. Without a usable database it
still prints the roster, and says on stderr (and in the JSON) that overrides are left out.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime

from sqlalchemy import inspect
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from supportbot.check import database_url_problem
from supportbot.cli_commands.output import emit
from supportbot.clock import now as clock_now
from supportbot.datafiles import DataFileError
from supportbot.db.engine import make_engine
from supportbot.instants import InstantError, parse_instant
from supportbot.oncall import Override, Resolver, load_rotation
from supportbot.oncall.board import build_board, to_json, to_text
from supportbot.oncall.lookup import view_overrides
from supportbot.settings import Settings


def instant(value: str) -> datetime:
    """An ISO 8601 instant with an offset; a naive time is ambiguous across the regions."""
    try:
        return parse_instant(value)
    except InstantError as exc:
        raise argparse.ArgumentTypeError(_refusal(value, exc)) from None


def _refusal(value: str, exc: InstantError) -> str:
    if exc.reason == "malformed":
        return (
            f"{value!r} is not an ISO 8601 time; write e.g. 2026-03-10T10:00+00:00 or "
            "2026-03-10T10:00Z"
        )
    if exc.reason == "naive":
        return (
            f"{value!r} has no UTC offset, so it could be any region's time; add one, e.g. "
            f"{value}Z or {value}+01:00"
        )
    return f"{value!r}: {exc}"


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "oncall",
        help="who is on call at an instant (default now), per level, and the next handoffs",
    )
    parser.add_argument(
        "--at", type=instant, help="the instant, ISO 8601 with an offset (e.g. 2026-03-10T10:00Z)"
    )
    parser.add_argument(
        "--json", action="store_true", help="machine-readable output (includes phone numbers)"
    )
    parser.set_defaults(func=cmd_oncall)


def _overrides(settings: Settings, at: datetime, found: Resolver) -> list[Override] | None:
    """The overrides from the database, or None (with a note on stderr) when unavailable."""
    if problem := database_url_problem(settings):
        print(f"warning: {problem}; showing the roster without overrides", file=sys.stderr)
        return None
    engine = make_engine(settings.sqlalchemy_url)
    try:
        if not inspect(engine).has_table("oncall_overrides"):
            print(
                "note: the database has no schema yet (run `supportbot migrate`); "
                "showing the roster without overrides",
                file=sys.stderr,
            )
            return None
        with Session(engine) as session:
            return view_overrides(session, at, found)
    except SQLAlchemyError as exc:
        reason = str(exc).splitlines()[0]
        print(
            f"warning: cannot read overrides from the database ({reason}); showing the "
            "roster without them",
            file=sys.stderr,
        )
        return None
    finally:
        engine.dispose()


def cmd_oncall(settings: Settings, args: argparse.Namespace) -> int:
    try:
        found = Resolver(load_rotation(settings.rotations_dir))
    except DataFileError as exc:
        print(f"error: the rotation files are invalid:\n{exc}", file=sys.stderr)
        return 1
    at = args.at or clock_now()
    overrides = _overrides(settings, at, found)
    board = build_board(found, at, overrides or [])
    if args.json:
        data = to_json(board, overrides_included=overrides is not None)
        emit(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        emit(to_text(board).removesuffix("\n"))
    return 0
