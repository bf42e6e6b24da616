"""Triage rules read a bounded part of a text: a regular expression holds the interpreter
lock while it runs, on a web thread, and a customer chooses the text."""

from __future__ import annotations

from supportbot.contracts.triage import (
    TEXT_READ,
    TriageRule,
    TriageRules,
    load_triage_rules,
    suggest,
)
from tests.conftest import REPO

SEED = load_triage_rules(REPO / "contracts" / "triage.yaml")


def test_a_rule_matches_within_the_part_read() -> None:
    text = "x" * (TEXT_READ - 40) + " production is down"
    hit = suggest(SEED, text)
    assert hit is not None and hit.severity == 1


def test_words_past_the_part_read_suggest_nothing() -> None:
    text = "x" * TEXT_READ + " production is down"
    assert suggest(SEED, text) is None


def test_a_long_message_of_near_misses_is_read_only_in_part() -> None:
    """Over 40,000 characters of "prod prod …" the seed's regex backtracked quadratically
    (5.5 s on the web's thread); only the first part is read now, and nothing matches."""
    text = "prod " * 8000
    assert len(text) == 40_000
    rules = TriageRules(rules=(TriageRule(severity=1, regex=r"\b(prod)\b.*\b(down)\b"),))
    assert suggest(rules, text) is None
    assert suggest(rules, text[: TEXT_READ - 10] + " down") is not None
