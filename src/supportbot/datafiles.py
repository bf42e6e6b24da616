"""Load YAML data files into pydantic models with line-precise errors.

Rotations, contracts and triage rules are files people edit by hand at 2 AM. A problem must
name the file, the line and the field, and say what is wrong, so each error is mapped from
pydantic's location back to the YAML node it came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)

Location = tuple[str | int, ...]

# What a file's aliases may expand to, in values: far beyond any real rotation or contract
# (the seeds have a few hundred), far below what hangs a check ("billion laughs": nine
# anchors of nine aliases each are 387 million values from a 400-byte file).
MAX_VALUES = 100_000


class WrittenDecimal(Decimal):
    """A decimal read from a file, shown as written (``1.5``, as the float was, not
    ``Decimal('1.5')``) in the problems that quote it."""

    def __repr__(self) -> str:
        return format(self, "f")


class DataLoader(yaml.SafeLoader):
    """YAML's safe loader, with decimals read exactly: ``12345678901234567890.12`` or
    ``0.1`` in a price becomes the :class:`~decimal.Decimal` written, not the nearest
    binary float (which kept 17 digits and put noise in every sum). Fields typed ``float``
    take a Decimal as they took a float; ``.inf``, ``.nan`` and base-60 stay floats."""

    def construct_decimal(self, node: yaml.ScalarNode) -> WrittenDecimal | float:
        text = str(self.construct_scalar(node)).replace("_", "")
        if ":" in text or "inf" in text.lower() or "nan" in text.lower():
            return self.construct_yaml_float(node)
        # Plain notation, as the float printed it: "1.0e+3" is 1000, not "1.0E+3".
        return WrittenDecimal(format(Decimal(text), "f"))


DataLoader.add_constructor("tag:yaml.org,2002:float", DataLoader.construct_decimal)


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
            DataLoader("").construct_object(node, deep=True)
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
    loader = DataLoader("")
    try:
        loader = DataLoader(text)
        node = loader.get_single_node()
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
    except RecursionError:
        raise DataFileError([Problem(name, None, "", "invalid YAML: nested too deeply")]) from None
    _refuse_alias_blowup(name, node)
    try:
        data = loader.construct_document(node) if node is not None else None
    except (ValueError, OverflowError) as exc:
        # A well-formed value that cannot exist, such as the date 2026-02-30.
        line, value = _bad_scalar(node)
        where = f"{value!r}: " if value else ""
        raise DataFileError([Problem(name, line, "", f"invalid value {where}{exc}")]) from exc
    finally:
        loader.dispose()
    doubled = duplicate_keys(name, node)
    if doubled:
        raise DataFileError(doubled)
    lines: dict[Location, int] = {}
    if node is not None:
        _line_index(node, (), lines)
    return data, lines


def _refuse_alias_blowup(name: str, root: yaml.Node | None) -> None:
    """Refuse an alias inside its own anchor (``&a [*a]``, which made every later walk of
    the file loop for ever) and aliases expanding past :data:`MAX_VALUES`. Each node is
    sized once (aliases share the node they name), so this is linear in the file."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_nodes:
            line = node.start_mark.line + 1
            raise DataFileError([Problem(name, line, "", "an alias inside its own anchor")])
        open_nodes.add(key)
        children: list[yaml.Node] = []
        if isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        total = 1 + sum(size(child) for child in children)
        open_nodes.discard(key)
        if total > MAX_VALUES:
            line = node.start_mark.line + 1
            message = f"aliases expand this to over {MAX_VALUES:,} values; write it out"
            raise DataFileError([Problem(name, line, "", message)])
        sizes[key] = total
        return total

    if root is not None:
        size(root)


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
