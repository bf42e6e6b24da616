"""Every pointer into the README from the product (a message, a data file's comment, a
docstring) names a part of the README that exists: `supportbot check` said "README,
'Alerts'" and contracts/customers.yaml "README "Contracts file"", neither of them a heading,
so a new user looked for sections that were not there."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# README, "X" / README, 'X' / README "X" / README ("X") / README (X)
POINTER = re.compile(r"""README,?\s*(?:\(["'“]?|["'“])(?P<name>[^"'”)\n]{3,60})["'”)]""")


def _sections() -> list[str]:
    """The README's headings and bold run-in titles, without their backticks."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    names = re.findall(r"^#+ (.+)$", text, flags=re.M)
    names += re.findall(r"\*\*([^*\n]{3,60}?)\.?\*\*", text)
    return [name.replace("`", "").strip() for name in names]


def _pointers() -> list[tuple[str, str]]:
    files = [*(ROOT / "src" / "supportbot").rglob("*.py"), *(ROOT / "handlers").rglob("*.py")]
    files += [*(ROOT / "contracts").rglob("*.yaml"), *(ROOT / "rotations").glob("*.yaml")]
    found = []
    for path in files:
        for match in POINTER.finditer(path.read_text(encoding="utf-8")):
            found.append((str(path.relative_to(ROOT)), match.group("name").strip()))
    return found


def test_every_readme_pointer_names_a_section_of_the_readme() -> None:
    sections = _sections()
    pointers = _pointers()
    assert len(pointers) > 10, pointers  # the pattern still finds them
    # A name cut by string concatenation ("Importing " "history") is a section's start.
    wrong = [(where, name) for where, name in pointers
             if not any(section.startswith(name) for section in sections)]  # fmt: skip
    assert wrong == [], f"pointers to no README section: {wrong}; sections: {sections}"
