"""Triage rules: keywords or regular expressions that suggest a severity.

Pure: the rules are data (``contracts/triage.yaml``) and suggesting is a function of text.
A suggestion is never applied silently; the card shows it and a person confirms it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from supportbot.datafiles import load_model


class TriageRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    severity: int = Field(ge=1, le=4)
    keywords: tuple[str, ...] = ()
    regex: str | None = None
    reason: str | None = None

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"regex does not compile: {exc}") from exc
        return value

    @model_validator(mode="after")
    def _has_a_matcher(self) -> TriageRule:
        if not self.keywords and not self.regex:
            raise ValueError("a rule needs `keywords` or `regex`")
        return self

    def matches(self, text: str) -> str | None:
        lowered = text.casefold()
        for keyword in self.keywords:
            if keyword.casefold() in lowered:
                return f'"{keyword}"'
        if self.regex and re.search(self.regex, text, re.IGNORECASE):
            return f"/{self.regex}/"
        return None


class TriageRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    rules: tuple[TriageRule, ...] = ()


@dataclass(frozen=True)
class Suggestion:
    severity: int
    because: str


# How much of a text the rules read: an incident's title and description, the length of any
# request. A regular expression runs on a web thread and holds the interpreter lock while it
# runs; the seed's own "\b(production|prod)\b.*\b(down|unreachable)\b" took 5.5 s over a
# 40,000-character message of "prod prod …" (quadratic), during which nobody could open a Sev1.
TEXT_READ = 3200


def suggest(rules: TriageRules, text: str) -> Suggestion | None:
    """The most severe rule that matches wins: under-triaging a site-down costs most. Only
    the first :data:`TEXT_READ` characters are read."""
    text = text[:TEXT_READ]
    best: Suggestion | None = None
    for rule in rules.rules:
        hit = rule.matches(text)
        if hit and (best is None or rule.severity < best.severity):
            best = Suggestion(rule.severity, rule.reason or f"matched {hit}")
    return best


def load_triage_rules(path: Path) -> TriageRules:
    return load_model(path, TriageRules)
