"""Load YAML data files into pydantic models with line-precise errors.

Rotations, contracts and triage rules are files people edit by hand at 2 AM. A problem must
name the file, the line and the field, and say what is wrong, so each error is mapped from
pydantic's location back to the YAML node it came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)

Location = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    path: str
    line: int | None
    where: str
    message: str

    def __str__(self) -> str:
        place = f"{self.path}:{self.line}" if self.line else self.path
        where = f" {self.where}:" if self.where else ""
        return f"{place}:{where} {self.message}"


class LocatedError(ValueError):
    """Raised by a model-level validator to blame a nested place, such as the second of two
    customers that claim one channel, so the problem names that line, not the file's first."""

    def __init__(self, loc: Location, message: str) -> None:
        super().__init__(message)
        self.loc = loc


class DataFileError(ValueError):
    """One or more problems in a data file; ``str()`` lists them one per line."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def _line_index(node: yaml.Node, prefix: Location, out: dict[Location, int]) -> None:
    out[prefix] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            out[(*prefix, key)] = key_node.start_mark.line + 1
            _line_index(value_node, (*prefix, key), out)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _line_index(item, (*prefix, index), out)


def _format_loc(loc: Location) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _line_for(loc: Location, lines: dict[Location, int]) -> int | None:
    # pydantic adds synthetic parts (union tags, "function-after[...]") that are not in the
    # YAML; drop them and fall back to the nearest ancestor that is.
    real = tuple(p for p in loc if isinstance(p, int) or "[" not in str(p))
    for end in range(len(real), -1, -1):
        if real[:end] in lines:
            return lines[real[:end]]
    return None


def _bad_scalar(node: yaml.Node | None) -> tuple[int | None, str]:
    """The line and text of the first scalar YAML cannot turn into a value."""
    if isinstance(node, yaml.ScalarNode):
        try:
            yaml.SafeLoader("").construct_object(node, deep=True)
        except (ValueError, OverflowError):
            return node.start_mark.line + 1, str(node.value)
        return None, ""
    children: list[yaml.Node] = []
    if isinstance(node, yaml.MappingNode):
        children = [part for pair in node.value for part in pair]
    elif isinstance(node, yaml.SequenceNode):
        children = list(node.value)
    for child in children:
        found = _bad_scalar(child)
        if found[0] is not None:
            return found
    return None, ""


def _read_utf8(path: Path) -> str:
    """The file's text. An editor that saved it as Latin-1 or UTF-16 is named with the line of
    the first byte that is not UTF-8: the codec's own words named neither file nor line."""
    raw = path.read_bytes()
    try:
        # Newlines as read_text() read them (universal newlines), so lines count the same.
        return raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        message = f"not UTF-8 (byte {raw[exc.start]:#04x}); save the file as UTF-8"
        raise DataFileError([Problem(str(path), line, "", message)]) from None


def parse_yaml(path: Path, text: str | None = None) -> tuple[Any, dict[Location, int]]:
    """Parse YAML safely and return the data plus a map from location to line number."""
    name = str(path)
    try:
        text = _read_utf8(path) if text is None else text
    except OSError as exc:
        raise DataFileError([Problem(name, None, "", f"cannot read file: {exc.strerror}")]) from exc
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark else None
        raise DataFileError([Problem(name, line, "", f"invalid YAML: {exc.problem}")]) from exc
    except yaml.reader.ReaderError as exc:
        # A control character (a terminal colour code pasted in): not YAML at all.
        line = text.count("\n", 0, exc.position) + 1
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        message = f"invalid YAML: control character U+{code:04X} is not allowed; remove it"
        raise DataFileError([Problem(name, line, "", message)]) from exc
    except (ValueError, OverflowError) as exc:
        # A well-formed value that cannot exist, such as the date 2026-02-30.
        line, value = _bad_scalar(node)
        where = f"{value!r}: " if value else ""
        raise DataFileError([Problem(name, line, "", f"invalid value {where}{exc}")]) from exc
    doubled = duplicate_keys(name, node)
    if doubled:
        raise DataFileError(doubled)
    lines: dict[Location, int] = {}
    if node is not None:
        _line_index(node, (), lines)
    return data, lines


def duplicate_keys(name: str, node: yaml.Node | None) -> list[Problem]:
    """YAML silently keeps the last of two equal keys; a second ``timezone:`` under one
    customer (or ``may_page:`` under one integration) is a mistake, never an override."""
    found: list[Problem] = []
    stack = [node] if node is not None else []
    while stack:
        current = stack.pop()
        if isinstance(current, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key, value in current.value:
                line = key.start_mark.line + 1
                if key.value in seen:
                    first = seen[key.value]
                    message = f"duplicate key {key.value!r} (first on line {first})"
                    found.append(Problem(name, line, str(key.value), message))
                seen.setdefault(key.value, line)
                stack.append(value)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
    return sorted(found, key=lambda p: p.line or 0)


def problems_from_validation(
    path: Path, exc: ValidationError, lines: dict[Location, int], base: Location = ()
) -> list[Problem]:
    found = []
    for error in exc.errors():
        cause = (error.get("ctx") or {}).get("error")
        inner = cause.loc if isinstance(cause, LocatedError) else ()
        loc = (*base, *error["loc"], *inner)
        message = error["msg"].removeprefix("Value error, ")
        found.append(Problem(str(path), _line_for(loc, lines), _format_loc(loc), message))
    return found


def load_model(
    path: Path, model: type[M], *, text: str | None = None, empty: str | None = None
) -> M:
    """Read ``path`` (or ``text``) as YAML and validate it as ``model``. With ``empty``, a
    file with nothing in it is refused with those words (a truncated save must not stand
    for "no customers"); without, it is read as an empty mapping."""
    return load_model_with_lines(path, model, text=text, empty=empty)[0]


def load_model_with_lines(
    path: Path, model: type[M], *, text: str | None = None, empty: str | None = None
) -> tuple[M, dict[Location, int]]:
    """Like :func:`load_model`, also returning the line map for cross-reference checks."""
    data, lines = parse_yaml(path, text)
    if data is None and empty is not None:
        raise DataFileError([Problem(str(path), None, "", empty)])
    if data is None:
        data = {}
    try:
        return model.model_validate(data), lines
    except ValidationError as exc:
        raise DataFileError(problems_from_validation(path, exc, lines)) from exc


def line_of(lines: dict[Location, int], *loc: str | int) -> int | None:
    """Line of a location, for checks done after validation (cross-references)."""
    return _line_for(tuple(loc), lines)
