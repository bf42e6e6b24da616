"""Reading and checking an incident history file (CSV or JSON): pure, apart from reading it.

Every row is checked and every problem is reported with the file and line, so that one run
lists all that is wrong; the caller stores nothing unless every row is good.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from supportbot.incidents.lifecycle import LEVELS

FIELDS = (
    "external_id", "customer", "severity", "title", "opened_at", "acknowledged_at",
    "first_response_at", "resolved_at", "level", "assignee", "outage",
)  # fmt: skip
REQUIRED = ("external_id", "severity", "title", "opened_at", "resolved_at")
TIMES = ("opened_at", "acknowledged_at", "first_response_at", "resolved_at")
EXTERNAL_ID_MAX = 40  # Incident.source_ts
TRUE, FALSE = ("true", "yes", "1"), ("false", "no", "0", "")
# The reports' first year (reports.records.FIRST_YEAR): an incident opened before it could be
# stored but never reported, and 0001-01-01 is what many tools export for "no date".
FIRST_YEAR = 1970


class HistoryFileError(Exception):
    """The file as a whole cannot be read (missing, wrong kind, bad header)."""


@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(frozen=True)
class Unreadable:
    """Why a row could not be read at all: apart from the rows, never confused with one (a
    JSON line may well be a string)."""

    message: str


@dataclass(frozen=True)
class HistoryRow:
    line: int
    external_id: str
    customer: str | None  # a contract key; None for an internal incident
    severity: int
    title: str
    opened_at: datetime
    acknowledged_at: datetime | None
    first_response_at: datetime | None
    resolved_at: datetime
    level: str
    assignee: str | None
    outage: bool


def raw_rows(path: Path) -> Iterator[tuple[int, Any]]:
    """(line, raw row) pairs: CSV with a header, a JSON array, or JSON Lines."""
    if path.is_dir():
        raise HistoryFileError(f"{path}: is a directory, not a file")
    if not path.is_file():
        raise HistoryFileError(f"{path}: no such file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        # Which file, and where: the codec's own words named neither.
        raise HistoryFileError(
            f"{path}: not UTF-8 (byte {exc.object[exc.start]:#04x} at offset {exc.start}); "
            "save it as UTF-8"
        ) from None
    if path.suffix.lower() == ".csv":
        return _csv_rows(path, text)
    if path.suffix.lower() in (".json", ".jsonl"):
        return _json_rows(text)
    raise HistoryFileError(f"{path}: write the history as FILE.csv or FILE.json (JSON Lines)")


def _csv_rows(path: Path, text: str) -> Iterator[tuple[int, Any]]:
    # Records end at CR, LF or CRLF only (RFC 4180), as csv reads them from a newline=""
    # stream: str.splitlines would also cut a cell at U+2028, a form feed or NEL. strict:
    # a quote never closed is an error, not every later row swallowed into one cell.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, [])
    except csv.Error as exc:
        raise HistoryFileError(f"{path}:1: not CSV ({exc})") from None
    _check_header(path, header)
    ended = reader.line_num
    while True:
        start = ended + 1  # a cell with line breaks: the row is named by its first line
        try:
            values = next(reader, None)
        except csv.Error as exc:
            yield start, Unreadable(f"not CSV ({exc}); the rest not read")
            return
        if values is None:
            return
        ended = reader.line_num
        if not values:
            continue  # a blank line
        if len(values) > len(header):
            yield start, Unreadable("more values than columns")
        else:
            yield start, dict(zip(header, values, strict=False))


def _check_header(path: Path, header: list[str]) -> None:
    unknown = [name for name in header if name not in FIELDS]
    missing = [name for name in REQUIRED if name not in header]
    # Two columns of one name: which is the title? Refused rather than the last one winning.
    twice = sorted({name for name in header if header.count(name) > 1})
    if unknown or missing or twice:
        said = [f"unknown column(s) {', '.join(unknown)}"] if unknown else []
        said += [f"missing column(s) {', '.join(missing)}"] if missing else []
        said += [f"duplicate column(s) {', '.join(twice)}"] if twice else []
        raise HistoryFileError(f"{path}:1: {'; '.join(said)}; the columns: {', '.join(FIELDS)}")


def _json_rows(text: str) -> Iterator[tuple[int, Any]]:
    if text.lstrip().startswith("["):
        yield from _json_array(text)
        return
    # Lines end at LF (CRLF included) only: a JSON string may hold U+2028 as it is.
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, Unreadable(f"not JSON ({exc.msg} at column {exc.colno})")
            except (ValueError, RecursionError) as exc:
                yield number, Unreadable(f"not JSON that can be read ({_unreadable(exc)})")


def _json_array(text: str) -> Iterator[tuple[int, Any]]:
    """Each element of a JSON array with the line it starts on."""
    decoder, at = json.JSONDecoder(), text.index("[") + 1
    while True:
        at = _skip(text, at, ",")
        if at >= len(text):
            # Cut off after a whole element (a full disk, a broken download): the rest lost.
            yield text.count("\n") + 1, Unreadable("the array is not closed (no ']'): the "
                                                   "file is cut short")  # fmt: skip
            return
        if text[at] == "]":
            return
        line = text.count("\n", 0, at) + 1
        try:
            value, at = decoder.raw_decode(text, at)
        except json.JSONDecodeError as exc:
            yield (
                exc.lineno,
                Unreadable(f"not JSON ({exc.msg} at column {exc.colno}); the rest not read"),
            )
            return
        except (ValueError, RecursionError) as exc:
            said = f"not JSON that can be read ({_unreadable(exc)}); the rest not read"
            yield line, Unreadable(said)
            return
        yield line, value


def _unreadable(exc: ValueError | RecursionError) -> str:
    """Valid JSON that Python's reader refuses, said without its advice to the programmer."""
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return "a number with more than 4,300 digits"


def _skip(text: str, at: int, also: str) -> int:
    while at < len(text) and (text[at].isspace() or text[at] in also):
        at += 1
    return at


def check_rows(
    path: str, raws: Iterator[tuple[int, Any]], customers: list[str], now: datetime
) -> tuple[list[HistoryRow], list[Problem]]:
    """Every row checked; duplicates of an external id within the file are problems too."""
    good: list[HistoryRow] = []
    problems: list[Problem] = []
    first_seen: dict[str, int] = {}
    for line, raw in raws:
        said: list[str] = []
        unreadable = isinstance(raw, Unreadable)
        row = None if unreadable else _row(line, raw, set(customers), now, said)
        if unreadable:
            said.append(raw.message)
        # By the id as written, whatever else is wrong with the row: a duplicate of a row
        # refused for a missing title was never said, so fixing the title revealed it.
        written = raw.get("external_id") if isinstance(raw, dict) else None
        external_id = _text("external_id", written, [])
        if external_id in first_seen:
            said.append(f"duplicate external_id {external_id!r} (first on line "
                        f"{first_seen[external_id]})")  # fmt: skip
        elif external_id:
            first_seen[external_id] = line
        problems += [Problem(path, line, message) for message in said]
        if row is not None and not said:
            good.append(row)
    if not good and not problems:
        problems.append(Problem(path, 1, "no incidents in the file"))
    return good, problems


# long: one check per field, in the order of the documented columns
def _row(
    line: int, raw: Any, customers: set[str], now: datetime, said: list[str]
) -> HistoryRow | None:
    if not isinstance(raw, dict):
        said.append("each incident must be an object with the documented fields")
        return None
    unknown = sorted(str(k) for k in raw if k not in FIELDS)
    if unknown:
        said.append(f"unknown field(s) {', '.join(unknown)}; the fields: {', '.join(FIELDS)}")
    value = {name: _text(name, raw.get(name), said) for name in FIELDS}
    for name in REQUIRED:
        if not value[name]:
            said.append(f"{name} is required")
    external_id = value["external_id"]
    if len(external_id) > EXTERNAL_ID_MAX:
        said.append(f"external_id is longer than {EXTERNAL_ID_MAX} characters")
    customer = value["customer"] or None
    if customer is not None and customer not in customers:
        said.append(f"unknown customer {customer!r}; known: {', '.join(sorted(customers))} "
                    "(leave it empty for an internal incident)")  # fmt: skip
    severity = value["severity"]
    if severity and severity not in ("1", "2", "3", "4"):
        said.append(f"severity {severity!r} is not 1, 2, 3 or 4")
    if len(value["title"]) > 200:
        said.append("title is longer than 200 characters")
    level = (value["level"] or "L1").upper()
    if level not in LEVELS:
        said.append(f"level {value['level']!r} is not one of {', '.join(LEVELS)}")
    outage = value["outage"].lower()
    if outage not in TRUE + FALSE:
        said.append(f"outage {value['outage']!r} is not true or false")
    times = {name: _instant(name, value[name], said) for name in TIMES}
    opened = times["opened_at"]
    for name in TIMES[1:]:
        at = times[name]
        if opened is not None and at is not None and at < opened:
            said.append(f"{name} {value[name]} is before opened_at {value['opened_at']}")
    for name in TIMES:
        at = times[name]
        if at is not None and at > now:
            said.append(f"{name} {value[name]} is in the future")
    resolved = times["resolved_at"]
    if said or opened is None or resolved is None:
        return None
    return HistoryRow(
        line, external_id, customer, int(severity), value["title"], opened,
        times["acknowledged_at"], times["first_response_at"], resolved, level,
        value["assignee"][:50] or None, outage in TRUE,
    )  # fmt: skip


def _text(name: str, value: Any, said: list[str]) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        # JSON's objects and arrays: their Python repr would be stored as the id or title.
        said.append(f"{name} must be a text, number or true/false, not a JSON "
                    f"{'object' if isinstance(value, dict) else 'array'}")  # fmt: skip
        return ""
    return str(value).strip()


def _instant(name: str, text: str, said: list[str]) -> datetime | None:
    if not text:
        return None
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        said.append(f"{name} {text!r} is not a timestamp; write ISO 8601 with an offset, "
                    "e.g. 2026-03-01T09:30:00Z")  # fmt: skip
        return None
    if at.tzinfo is None or at.utcoffset() is None:
        said.append(f"{name} {text!r} has no offset (a naive time is ambiguous); "
                    "add Z or +HH:MM, e.g. 2026-03-01T09:30:00Z")  # fmt: skip
        return None
    try:
        at = at.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00, or an export's "never" 9999-12-31T23:00-05:00
        said.append(f"{name} {text!r} is outside the years 1 to 9999 in UTC")
        return None
    if at.year < FIRST_YEAR:
        said.append(f"{name} {text!r} is before {FIRST_YEAR}: no report covers it")
        return None
    return at
