"""docs/architecture.md keeps one copy of each thing it says: merges of branches that each
edited a list left halves of both behind (a layout entry, the services layer, the pure
modules, the job kinds and the reconciler's redrivers written twice). Read as text only."""

from __future__ import annotations

import re
from collections import Counter

from tests.conftest import REPO

DOC = REPO / "docs" / "architecture.md"
PACKAGE = REPO / "src" / "supportbot"


def block(text: str, first_line: str) -> list[str]:
    """The lines of the fenced block that starts with ``first_line``."""
    start = text.index(f"```\n{first_line}") + 4
    return text[start : text.index("```", start)].splitlines()


def test_the_layout_tree_names_each_part_of_the_package_once() -> None:
    tree = block(DOC.read_text(), "src/supportbot/")
    gaps = [n for n, line in enumerate(tree) if not line.strip()]
    assert gaps == [], "a blank line in the tree: what follows it belongs to no entry"
    ours = tree[: next(n for n, line in enumerate(tree) if line.startswith("handlers/"))]
    top = [m[1] for line in ours if (m := re.match(r"[├└]── (\S+)", line))]
    repeated = [name for name, n in Counter(top).items() if n > 1]
    assert repeated == [], repeated
    parts = {
        p.name + "/" if p.is_dir() else p.name
        for p in PACKAGE.iterdir()
        if p.name not in ("__init__.py", "__pycache__") and (p.is_dir() or p.suffix == ".py")
    }
    assert sorted(parts - set(top)) == [], "unlisted in the layout"
    assert sorted(set(top) - parts) == [], "listed but absent"


def test_the_dependency_order_has_each_layer_once() -> None:
    layers = block(DOC.read_text(), "edge and roots")
    labels = [line[:18].strip() for line in layers if line[:1].isalpha()]
    assert labels == ["edge and roots", "services", "wiring and store", "pure core"], labels


def test_no_sentence_of_the_prose_is_written_twice() -> None:
    prose = re.sub(r"```.*?```", "", DOC.read_text(), flags=re.S)
    pieces = re.split(r"(?<=[.:;])\s+|\n\s*\n", prose)
    sentences = [" ".join(s.split()) for s in pieces if len(s) > 40]
    repeated = [s for s, n in Counter(sentences).items() if n > 1]
    assert repeated == [], repeated


def test_every_job_kind_is_named() -> None:
    kinds = re.findall(
        r'^(\w+) = JobKind\("', (PACKAGE / "delivery" / "kinds.py").read_text(), re.M
    )
    text = DOC.read_text()
    assert kinds and [k for k in kinds if f"`{k}`" not in text] == []
