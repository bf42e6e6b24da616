"""``supportbot import incidents FILE.csv|FILE.json [--dry-run]``: past incidents from
another tool, so that reports, trends and the breach forecast have history.

Every row is checked first and each problem printed as ``FILE:LINE: what``; nothing is stored
unless every row is good, and then all of it in one transaction. Re-importing skips the rows
whose external id an earlier import stored.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from tqdm import tqdm

from supportbot import clock
from supportbot.cli_commands.report import ReportError, _contracts
from supportbot.db.engine import make_engine
from supportbot.history.rows import HistoryFileError, check_rows, raw_rows
from supportbot.history.store import already_imported, lock_imports, store
from supportbot.settings import Settings


def cmd_import(settings: Settings, args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        contracts = _contracts(settings, None)
        now = clock.now()
        rows, problems = check_rows(
            str(path), raw_rows(path), [c.key for c in contracts.customers], now
        )
    except (ReportError, HistoryFileError, UnicodeDecodeError) as exc:
        print(f"supportbot: error: {exc}", file=sys.stderr)
        return 1
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"supportbot: error: {len(problems)} problem(s) in {path}; nothing imported",
              file=sys.stderr)  # fmt: skip
        return 1
    engine = make_engine(settings.sqlalchemy_url)
    try:
        with Session(engine) as session, session.begin():
            lock_imports(session)  # another import of these ids waits for this one
            seen = already_imported(session, [r.external_id for r in rows])
            new = [r for r in rows if r.external_id not in seen]
            if not args.dry_run:
                # Shown on a terminal only (tqdm's disable=None): a log stays readable.
                with tqdm(total=len(new), desc="importing", unit=" incidents",
                          file=sys.stderr, disable=None) as bar:  # fmt: skip
                    store(session, new, contracts, path.name, now, bar.update)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        print(f"supportbot: error: cannot write the database ({reason}); nothing imported: "
              "run supportbot migrate", file=sys.stderr)  # fmt: skip
        return 1
    finally:
        engine.dispose()
    verb = "would import" if args.dry_run else "imported"
    print(f"{path}: {len(rows)} row(s) checked; {verb} {len(new)}, "
          f"{len(rows) - len(new)} already imported (skipped)"
          + ("; dry run: nothing stored" if args.dry_run else ""))  # fmt: skip
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "import",
        help="import past incidents (CSV or JSON) so reports cover the months before",
        description="Load resolved incidents from another tool (fields: README, 'Importing "
        "history'). Every row is checked; nothing is stored when any row is bad. Example: "
        "supportbot import incidents history.csv --dry-run",
    )
    parser.add_argument("what", choices=("incidents",))
    parser.add_argument("file", metavar="FILE.csv|FILE.json")
    parser.add_argument("--dry-run", action="store_true", help="check only; store nothing")
    parser.set_defaults(func=cmd_import)
