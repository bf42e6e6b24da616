"""The shape of the code, read from its source with ``ast``: no services, nothing imported.

- The packages import one another one way only: no cycle between the direct subpackages and
  top-level modules of ``supportbot`` (plus ``handlers`` as one unit).
- Only ``supportbot/web.py`` imports ``handlers``; only the composition roots (``cli.py``,
  ``cli_commands/``, ``web.py``) and ``devtools`` itself import ``supportbot.devtools``.
- Modules have at most 400 lines, functions at most 60 unless the line above the ``def``
  (or its decorator) says ``# long: <reason>``.

Every failure lists exactly what offends, with file and line.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SRC = REPO / "src"
CORE = SRC / "supportbot"
HANDLERS = REPO / "handlers"

MODULE_MAX_LINES = 400
FUNCTION_MAX_LINES = 60
LONG_MARK = "# long:"

# devtools itself and the composition roots: the only modules that may import devtools.
DEVTOOLS_IMPORTERS = (
    "supportbot.devtools",
    "supportbot.cli",
    "supportbot.cli_commands",
    "supportbot.web",
)


@dataclass(frozen=True)
class Source:
    path: Path
    module: str  # dotted name, e.g. supportbot.oncall.board
    is_package: bool  # an __init__.py
    tree: ast.Module
    lines: list[str]

    @property
    def where(self) -> str:
        return str(self.path.relative_to(REPO))


@dataclass(frozen=True)
class Import:
    source: Source
    line: int
    target: str  # the dotted name imported (for ``from a import b``: a.b)


def _module_name(path: Path) -> tuple[str, bool]:
    root = SRC if path.is_relative_to(SRC) else REPO
    parts = list(path.relative_to(root).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts.pop()
    return ".".join(parts), is_package


def _sources() -> list[Source]:
    found = []
    for path in sorted([*CORE.rglob("*.py"), *HANDLERS.rglob("*.py")]):
        text = path.read_text(encoding="utf-8")
        module, is_package = _module_name(path)
        tree = ast.parse(text, filename=str(path))
        found.append(Source(path, module, is_package, tree, text.splitlines()))
    return found


SOURCES = _sources()


# --- imports ------------------------------------------------------------------------------


def imports_of(source: Source) -> Iterator[Import]:
    """Every module ``source`` imports, at any nesting (functions, TYPE_CHECKING blocks).

    ``from a import b`` yields ``a.b``: ``b`` may be a module or a name defined in ``a``, and
    :func:`unit_of` maps both to the right unit (``from supportbot import oncall`` is an
    import of supportbot.oncall, ``from supportbot.oncall import Rotation`` too).
    """
    for node in ast.walk(source.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(source, node.lineno, alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(source, node.module, node.level)
            for alias in node.names:
                target = base if alias.name == "*" else f"{base}.{alias.name}"
                yield Import(source, node.lineno, target)


def _absolute(source: Source, module: str | None, level: int) -> str:
    if level == 0:
        return module or ""
    package = source.module.split(".")
    if not source.is_package:
        package.pop()
    package = package[: len(package) - (level - 1)]
    return ".".join([*package, module] if module else package)


def units_of(sources: Iterable[Source]) -> set[str]:
    """The units of the graph: each direct subpackage or top-level module of supportbot."""
    units = set()
    for source in sources:
        parts = source.module.split(".")
        if parts[0] == "handlers":
            units.add("handlers")
        elif len(parts) >= 2:
            units.add(".".join(parts[:2]))
        else:
            units.add("supportbot")
    return units


def unit_of(module: str, units: set[str]) -> str | None:
    """The unit a dotted module belongs to, or None when it is not the project's."""
    parts = module.split(".")
    if parts[0] == "handlers":
        return "handlers"
    if parts[0] != "supportbot":
        return None
    if len(parts) >= 2 and ".".join(parts[:2]) in units:
        return ".".join(parts[:2])
    return "supportbot"


Edges = dict[str, dict[str, list[str]]]  # unit -> unit -> ["file:line", ...]


def import_graph(sources: Iterable[Source], units: set[str] | None = None) -> Edges:
    """Unit -> imported unit -> where; imports within a unit and of third parties are left out."""
    sources = list(sources)
    units = units_of(sources) if units is None else units
    graph: Edges = {unit: {} for unit in units}
    for source in sources:
        here = unit_of(source.module, units)
        assert here is not None
        for imp in imports_of(source):
            there = unit_of(imp.target, units)
            if there is None or there == here:
                continue
            evidence = graph[here].setdefault(there, [])
            place = f"{source.where}:{imp.line}"
            if place not in evidence:
                evidence.append(place)
    return graph


def strongly_connected(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components (iterative), each sorted, largest first."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    nodes = sorted(set(graph) | {m for targets in graph.values() for m in targets})
    for root in nodes:
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    components.append(sorted(component))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph.get(child, ())))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return sorted(components, key=lambda c: (-len(c), c))


def cycle_in(graph: Mapping[str, Iterable[str]], component: list[str]) -> list[str]:
    """One concrete cycle through the component's first member: [a, b, ..., a]."""
    members = set(component)
    start = component[0]
    paths: dict[str, list[str]] = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for child in sorted(graph.get(node, ())):
            if child == start:
                return [*paths[node], start]
            if child in members and child not in paths:
                paths[child] = [*paths[node], child]
                queue.append(child)
    raise AssertionError(f"{component} is not strongly connected")


def describe_cycles(graph: Edges) -> list[str]:
    report = []
    for component in strongly_connected(graph):
        if len(component) < 2:
            continue
        cycle = cycle_in(graph, component)
        lines = [f"cycle among {', '.join(component)}: {' -> '.join(cycle)}"]
        for here, there in zip(cycle, cycle[1:], strict=False):
            lines.append(f"  {here} -> {there}: {', '.join(graph[here][there])}")
        report.append("\n".join(lines))
    return report


def _is_in(module: str, prefixes: Iterable[str]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def test_cycle_finder_finds_a_synthetic_cycle() -> None:
    graph: Edges = {
        "a": {"b": ["a.py:1"]},
        "b": {"c": ["b.py:2"], "d": ["b.py:3"]},
        "c": {"a": ["c.py:3"]},
        "d": {},
        "e": {"a": ["e.py:1"], "e2": ["e.py:2"]},
        "e2": {},
    }
    assert strongly_connected(graph)[0] == ["a", "b", "c"]
    assert cycle_in(graph, ["a", "b", "c"]) == ["a", "b", "c", "a"]
    assert describe_cycles(graph) == [
        "cycle among a, b, c: a -> b -> c -> a\n"
        "  a -> b: a.py:1\n  b -> c: b.py:2\n  c -> a: c.py:3"
    ]
    del graph["c"]["a"]
    assert describe_cycles(graph) == []


def test_a_cycle_through_a_nested_import_is_named() -> None:
    def source(module: str, text: str) -> Source:
        path = CORE / (module.removeprefix("supportbot.").replace(".", "/") + ".py")
        return Source(path, module, False, ast.parse(text), text.splitlines())

    sources = [
        source("supportbot.alpha.one", "from supportbot.beta import two\n"),
        source("supportbot.beta.two", "def late():\n    from supportbot import alpha\n"),
        source("supportbot.gamma", "import supportbot.alpha.one\n"),
    ]
    assert describe_cycles(import_graph(sources)) == [
        "cycle among supportbot.alpha, supportbot.beta: "
        "supportbot.alpha -> supportbot.beta -> supportbot.alpha\n"
        "  supportbot.alpha -> supportbot.beta: src/supportbot/alpha/one.py:1\n"
        "  supportbot.beta -> supportbot.alpha: src/supportbot/beta/two.py:2"
    ]


def test_import_resolution_on_synthetic_sources() -> None:
    text = (
        "import supportbot.oncall.board\n"
        "from supportbot import metrics, runtime\n"
        "import yaml\n"
        "def f():\n"
        "    from supportbot.sla import tracking\n"
        "    from . import sibling\n"
        "    from ..paging.engine import page_step\n"
        "    if True:\n"
        "        import handlers.http\n"
    )
    source = Source(CORE / "desk" / "x.py", "supportbot.desk.x", False, ast.parse(text), [])
    units = {"supportbot", "supportbot.desk", "supportbot.oncall", "supportbot.metrics"}
    units |= {"supportbot.runtime", "supportbot.sla", "supportbot.paging", "handlers"}
    graph = import_graph([source], units)
    assert sorted(graph["supportbot.desk"]) == [
        "handlers",
        "supportbot.metrics",
        "supportbot.oncall",
        "supportbot.paging",
        "supportbot.runtime",
        "supportbot.sla",
    ]
    assert graph["supportbot.desk"]["handlers"] == ["src/supportbot/desk/x.py:9"]


def test_no_import_cycle_between_packages() -> None:
    graph = import_graph(SOURCES)
    assert "supportbot.oncall" in graph and "handlers" in graph
    assert "supportbot.oncall" in graph["supportbot.paging"], "the graph sees no imports"
    cycles = describe_cycles(graph)
    assert not cycles, "import cycles between packages:\n" + "\n".join(cycles)


def test_only_web_imports_handlers() -> None:
    offenders = [
        f"{imp.source.where}:{imp.line} imports {imp.target}"
        for source in SOURCES
        if source.module.startswith("supportbot") and source.module != "supportbot.web"
        for imp in imports_of(source)
        if _is_in(imp.target, ["handlers"])
    ]
    assert not offenders, "only supportbot/web.py may import handlers:\n" + "\n".join(offenders)


def test_only_composition_roots_import_devtools() -> None:
    offenders = [
        f"{imp.source.where}:{imp.line} imports {imp.target}"
        for source in SOURCES
        if not _is_in(source.module, DEVTOOLS_IMPORTERS)
        for imp in imports_of(source)
        if _is_in(imp.target, ["supportbot.devtools"])
    ]
    assert not offenders, (
        "only devtools and the composition roots (cli.py, cli_commands/, web.py) may import "
        "supportbot.devtools:\n" + "\n".join(offenders)
    )


# --- sizes --------------------------------------------------------------------------------


def test_modules_are_at_most_400_lines() -> None:
    offenders = [
        f"{source.where}: {len(source.lines)} lines"
        for source in SOURCES
        if len(source.lines) > MODULE_MAX_LINES
    ]
    assert not offenders, f"modules over {MODULE_MAX_LINES} lines:\n" + "\n".join(offenders)


def long_functions(source: Source) -> Iterator[str]:
    """Functions over the limit whose first line is not preceded by a ``# long:`` reason."""
    for node in ast.walk(source.tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        assert node.end_lineno is not None
        length = node.end_lineno - node.lineno + 1
        if length <= FUNCTION_MAX_LINES or _has_long_reason(source.lines, node):
            continue
        yield f"{source.where}:{node.lineno} {node.name}: {length} lines"


def _has_long_reason(lines: list[str], node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    above = {first - 1, node.lineno - 1}  # above the topmost decorator, or above the def
    for number in above:
        if number >= 1:
            text = lines[number - 1].strip()
            if text.startswith(LONG_MARK) and text[len(LONG_MARK) :].strip():
                return True
    return False


def test_functions_are_at_most_60_lines() -> None:
    offenders = [line for source in SOURCES for line in long_functions(source)]
    assert not offenders, (
        f"functions over {FUNCTION_MAX_LINES} lines (split them, or put `{LONG_MARK} <reason>` "
        "on the line above the def or its decorator):\n" + "\n".join(offenders)
    )


def test_long_reason_mark_is_honoured() -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(FUNCTION_MAX_LINES))
    for above, expected in (("", 1), ("# long: one list of DDL\n", 0), ("# long:\n", 1)):
        text = f"{above}@decorator\ndef f():\n{body}\n"
        source = Source(CORE / "x.py", "supportbot.x", False, ast.parse(text), text.splitlines())
        assert len(list(long_functions(source))) == expected, above
