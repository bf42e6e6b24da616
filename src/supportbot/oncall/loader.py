"""Load every ``*.yaml`` of the rotations directory into one validated :class:`Rotation`.

Problems are collected, not raised one at a time: an on-call lead fixing a file at 2 AM wants
the whole list, each with its file and line. Schema problems of all files come first; the
cross-file checks (unknown people, duplicate names, priority lists) run once every file parses,
because an unknown person is only meaningful when all the ``people`` sections are known.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from supportbot.datafiles import (
    DataFileError,
    Location,
    Problem,
    line_of,
    load_model_with_lines,
)
from supportbot.oncall.model import (
    EscalationPolicy,
    Fallback,
    Person,
    Region,
    Roster,
    Rotation,
    RotationFile,
    SeverityKey,
)


@dataclass(frozen=True)
class _File:
    path: Path
    model: RotationFile
    lines: dict[Location, int]

    def problem(self, message: str, *loc: str | int) -> Problem:
        where = ""
        for part in loc:
            where += f"[{part}]" if isinstance(part, int) else (f".{part}" if where else part)
        return Problem(str(self.path), line_of(self.lines, *loc), where, message)

    def place(self, *loc: str | int) -> str:
        line = line_of(self.lines, *loc)
        return f"{self.path}:{line}" if line else str(self.path)


def load_rotation(directory: Path | str) -> Rotation:
    """Load ``directory/*.yaml`` (sorted by name, which is also the regions' file order)."""
    folder = Path(directory)
    if not folder.is_dir():
        raise DataFileError([Problem(str(folder), None, "", "rotations directory not found")])
    paths = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
    if not paths:
        raise DataFileError([Problem(str(folder), None, "", "no *.yaml rotation files found")])
    return load_rotation_files(paths)


def parse_rotation(text: str, name: str = "<rotation>") -> Rotation:
    """Validate one rotation document given as text (tests, ``supportbot check -``)."""
    return _load([(Path(name), text)])


def load_rotation_files(paths: Sequence[Path]) -> Rotation:
    return _load([(Path(path), None) for path in paths])


def _load(sources: Sequence[tuple[Path, str | None]]) -> Rotation:
    files: list[_File] = []
    problems: list[Problem] = []
    for path, text in sources:
        try:
            model, lines = load_model_with_lines(path, RotationFile, text=text)
        except DataFileError as exc:
            problems.extend(_polish(problem) for problem in exc.problems)
            continue
        files.append(_File(path, model, lines))
    if problems:
        raise DataFileError(problems)
    rotation, problems = _merge(files)
    if problems:
        raise DataFileError(problems)
    return rotation


def _polish(problem: Problem) -> Problem:
    """Say "unknown level" where pydantic says a mapping key is not one of the literals."""
    if problem.where.endswith(".[key]") and "'L1', 'L2' or 'L3'" in problem.message:
        where = problem.where.removesuffix(".[key]")
        level = where.rsplit(".", 1)[-1]
        message = f"unknown level {level!r}: rosters are L1, L2 or L3"
        return replace(problem, where=where, message=message)
    if problem.where.endswith(".[key]") and "'sev1'" in problem.message:
        where = problem.where.removesuffix(".[key]")
        message = f"unknown severity {where.rsplit('.', 1)[-1]!r}: use sev1, sev2, sev3 or sev4"
        return replace(problem, where=where, message=message)
    return problem


@dataclass
class _Sections:
    """Every file's sections gathered in file order, each with the file it came from."""

    people: dict[str, tuple[_File, Person]] = field(default_factory=dict)
    slack_ids: dict[str, str] = field(default_factory=dict)  # Slack id -> person key
    regions: list[tuple[_File, int, Region]] = field(default_factory=list)
    fallback: tuple[_File, Fallback] | None = None
    priority: tuple[_File, list[str]] | None = None
    management: tuple[_File, list[str]] | None = None
    escalation: dict[SeverityKey, tuple[_File, EscalationPolicy]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def add(self, file: _File) -> None:
        self._add_people(file)
        self.regions.extend(
            (file, index, region) for index, region in enumerate(file.model.regions)
        )
        self._add_singles(file)
        self._add_escalation(file)

    def _add_people(self, file: _File) -> None:
        for key, person in file.model.people.items():
            if key in self.people:
                first = self.people[key][0].place("people", key)
                message = f"person {key!r} already declared at {first}"
                self.problems.append(file.problem(message, "people", key))
                continue
            self.people[key] = (file, person)
            if person.slack in self.slack_ids:
                message = f"Slack id {person.slack} is already {self.slack_ids[person.slack]!r}"
                self.problems.append(file.problem(message, "people", key, "slack"))
            self.slack_ids.setdefault(person.slack, key)

    def _add_singles(self, file: _File) -> None:
        """``fallback``, ``priority`` and ``management`` may each be declared in one file."""
        for section in ("fallback", "priority", "management"):
            value = getattr(file.model, section)
            if value is None:
                continue
            earlier = getattr(self, section)
            if earlier is not None:
                first = earlier[0].place(section)
                self.problems.append(
                    file.problem(f"{section} already declared at {first}", section)
                )
                continue
            setattr(self, section, (file, value))

    def _add_escalation(self, file: _File) -> None:
        for severity, policy in file.model.escalation.items():
            if severity in self.escalation:
                first = self.escalation[severity][0].place("escalation", severity)
                message = f"policy {severity} already declared at {first}"
                self.problems.append(file.problem(message, "escalation", severity))
                continue
            self.escalation[severity] = (file, policy)


def _merge(files: list[_File]) -> tuple[Rotation, list[Problem]]:
    sections = _Sections()
    for file in files:
        sections.add(file)
    problems = sections.problems
    known = set(sections.people)
    region_places, found = _check_regions(sections.regions, known)
    problems += found
    problems += _check_references(sections, known, region_places)
    if not sections.regions and sections.fallback is None and files:
        problems.append(
            Problem(str(files[0].path), None, "", "no regions and no fallback: nobody can be paged")
        )
    return _rotation(sections, files), problems


def _check_regions(
    regions: list[tuple[_File, int, Region]], known: set[str]
) -> tuple[dict[str, str], list[Problem]]:
    """Region names are unique and rosters name known people; returns name -> first place."""
    found: list[Problem] = []
    places: dict[str, str] = {}
    for file, index, region in regions:
        if region.name in places:
            message = f"duplicate region name {region.name!r} (first at {places[region.name]})"
            found.append(file.problem(message, "regions", index, "name"))
        places.setdefault(region.name, file.place("regions", index, "name"))
        for level, roster in region.rosters.items():
            found.extend(_check_roster(file, roster, known, "regions", index, "rosters", level))
    return places, found


def _check_references(
    sections: _Sections, known: set[str], regions: dict[str, str]
) -> list[Problem]:
    """The fallback rosters and management name known people; priority lists every region."""
    found: list[Problem] = []
    if sections.fallback is not None:
        file, fallback = sections.fallback
        for level, roster in fallback.rosters.items():
            found.extend(_check_roster(file, roster, known, "fallback", "rosters", level))
    if sections.management is not None:
        file, keys = sections.management
        found.extend(_unknown(file, keys, known, "management"))
    if sections.priority is not None:
        found.extend(_check_priority(*sections.priority, regions))
    return found


def _rotation(sections: _Sections, files: list[_File]) -> Rotation:
    priority, fallback, management = sections.priority, sections.fallback, sections.management
    return Rotation.model_construct(
        people={key: person for key, (_, person) in sections.people.items()},
        regions=tuple(region for _, _, region in sections.regions),
        priority=tuple(priority[1]) if priority else None,
        fallback=fallback[1] if fallback else None,
        management=tuple(management[1]) if management else (),
        escalation={key: policy for key, (_, policy) in sections.escalation.items()},
        sources=tuple(str(file.path) for file in files),
    )


def _unknown(file: _File, keys: Iterable[str], known: set[str], *loc: str | int) -> list[Problem]:
    return [
        file.problem(f"unknown person {key!r}: declare it under people:", *loc, position)
        for position, key in enumerate(keys)
        if key not in known
    ]


def _check_roster(file: _File, roster: Roster, known: set[str], *loc: str | int) -> list[Problem]:
    found = _unknown(file, roster.primary, known, *loc, "primary")
    if roster.secondary is not None:
        found += _unknown(file, roster.secondary, known, *loc, "secondary")
        size = len(roster.primary) * len(roster.secondary)
        clash = next((i for i in range(size) if len(set(roster.holders(i))) == 1), None)
        if clash is not None:
            person = roster.holders(clash)[0]
            found.append(
                file.problem(
                    f"{person!r} would be primary and secondary at once (rotation step "
                    f"{clash}); reorder the secondary list",
                    *loc,
                    "secondary",
                )
            )
    return found


def _check_priority(file: _File, names: list[str], regions: dict[str, str]) -> list[Problem]:
    found = []
    for position, name in enumerate(names):
        if name not in regions:
            found.append(file.problem(f"unknown region {name!r}", "priority", position))
        elif names.index(name) != position:
            found.append(file.problem(f"region {name!r} listed twice", "priority", position))
    missing = [name for name in regions if name not in names]
    if missing:
        message = f"priority must list every region; missing {', '.join(missing)}"
        found.append(file.problem(message, "priority"))
    return found
