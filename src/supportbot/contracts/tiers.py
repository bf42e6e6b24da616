"""The SLA policy: tiers, severities, the default target table and contract overrides.

Turns DESIGN.md §5 into data. A target is a length (``Span``: fixed time and/or business days)
plus the clock it runs on; business days stay a unit until a calendar resolves them, because
their length depends on the customer's business day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from enum import IntEnum, StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler, field_validator
from pydantic_core import core_schema

from supportbot.hours.calendar import TimeBasis

TargetName = Literal["response", "resolution"]


class Tier(StrEnum):
    PREMIER = "premier"
    STANDARD = "standard"
    BASIC = "basic"

    @classmethod
    def _missing_(cls, value: object) -> Tier:
        text = str(value).strip().lower()
        for member in cls:
            if member.value == text:
                return member
        valid = ", ".join(member.value for member in cls)
        raise ValueError(f"unknown tier {value!r}: valid tiers are {valid}")

    @classmethod
    def parse(cls, value: Tier | str) -> Tier:
        """Case-insensitive; unknown tiers raise ValueError listing the valid ones."""
        return cls(value)

    @property
    def label(self) -> str:
        return self.value.title()


class Severity(IntEnum):
    CRITICAL = 1
    HIGH = 2
    MEDIUM = 3
    LOW = 4

    @classmethod
    def _missing_(cls, value: object) -> Severity:
        text = str(value).strip().lower().replace(" ", "")
        for prefix in ("severity", "sev", "s", "p"):
            # "sev-2" and "sev 2" as "sev2"; a bare "-1" stays what it is, not a Sev1.
            rest = text[len(prefix) :].removeprefix("-")
            if text.startswith(prefix) and rest.isdigit():
                text = rest
                break
        for member in cls:
            if text in (str(member.value), member.name.lower()):
                return member
        raise ValueError(
            f"unknown severity {value!r}: use 1-4 (1 Critical, 2 High, 3 Medium, 4 Low), "
            "written as 1, sev1 or critical"
        )

    @classmethod
    def parse(cls, value: Severity | int | str) -> Severity:
        """Accepts 1, "1", "sev1", "S1", "P1" or "critical"."""
        return cls(value)  # type: ignore[arg-type]  # strings are handled by _missing_

    @property
    def label(self) -> str:
        return f"Sev {self.value} ({SEVERITY_NAMES[self]})"


SEVERITY_NAMES: dict[Severity, str] = {
    Severity.CRITICAL: "Critical",
    Severity.HIGH: "High",
    Severity.MEDIUM: "Medium",
    Severity.LOW: "Low",
}
SEVERITY_HELP: dict[Severity, str] = {
    Severity.CRITICAL: "production down or unusable for most users, no workaround",
    Severity.HIGH: "a major function is impaired for many users; any workaround is painful",
    Severity.MEDIUM: "partial or non-critical loss of function; a reasonable workaround exists",
    Severity.LOW: "question, cosmetic issue or feature request; no business impact",
}


class Coverage(StrEnum):
    """What the contract buys: round-the-clock or business-hours support."""

    TWENTY_FOUR_SEVEN = "24x7"
    BUSINESS_HOURS = "business-hours"

    @classmethod
    def _missing_(cls, value: object) -> Coverage:
        text = str(value).strip().lower().replace("/", "x").replace(" ", "-").replace("_", "-")
        for member in cls:
            if member.value == text:
                return member
        raise ValueError(f"unknown coverage {value!r}: use 24x7 or business-hours")

    @classmethod
    def parse(cls, value: Coverage | str) -> Coverage:
        return cls(value)


class TargetClock(StrEnum):
    """The clock one target runs on."""

    WALL = "24x7"
    BUSINESS = "business-hours"


_PART = r"(\d+(?:\.\d+)?)\s*(business\s+days?|[a-z]+)"
_SPAN_PART = re.compile(_PART)
_SPAN = re.compile(rf"(?:\s*{_PART})+\s*")
_UNITS: dict[str, str] = {
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), "seconds"),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), "minutes"),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), "hours"),
    **dict.fromkeys(("bd", "business day", "business days"), "business_days"),
}
_SPAN_HINT = "write a duration such as '15m', '4h', '1h30m' or '5bd' (business days)"


# Longer than any support promise, and far from the calendar's end: a deadline a few digits
# too long passed `supportbot check` and then failed every incident of the customer.
_LONGEST_DAYS = 366


def _too_long(text: str) -> str:
    return f"target {text!r} is longer than a year ({_LONGEST_DAYS} days or business days)"


@dataclass(frozen=True)
class Span:
    """A target length: fixed time plus N business days (resolved by the calendar)."""

    fixed: timedelta = timedelta(0)
    business_days: float = 0.0

    def __post_init__(self) -> None:
        if self.fixed < timedelta(0) or self.business_days < 0:
            raise ValueError(
                f"a target must be positive, got {self.fixed} + {self.business_days} business days"
            )
        if not self.fixed and not self.business_days:
            raise ValueError("a target must be positive, got zero; " + _SPAN_HINT)

    @classmethod
    def parse(cls, text: str) -> Span:
        """Parse "15m", "4h", "1h30m", "5bd", "2.5h"; refuse "1d" as ambiguous."""
        raw = str(text).strip().lower()
        if raw.startswith("-"):
            raise ValueError(f"target {text!r} is negative; a target must be positive")
        if not _SPAN.fullmatch(raw):
            raise ValueError(f"cannot read target {text!r}: {_SPAN_HINT}")
        parts = list(_SPAN_PART.finditer(raw))
        fixed, business_days = timedelta(0), 0.0
        for part in parts:
            amount, unit = float(part.group(1)), re.sub(r"\s+", " ", part.group(2))
            kind = _UNITS.get(unit)
            if kind is None and unit.rstrip("s") in ("d", "day", "w", "wk", "week"):
                raise ValueError(
                    f"target {text!r}: days are ambiguous; write '24h' for wall-clock days "
                    "or '1bd' for business days"
                )
            if kind is None:
                raise ValueError(f"target {text!r}: unknown unit {unit!r}; {_SPAN_HINT}")
            if kind == "business_days":
                business_days += amount
            elif amount > _LONGEST_DAYS * 86400:  # more than a year in any unit; and
                raise ValueError(_too_long(text))  # timedelta overflows past 10**9 days
            else:
                fixed += timedelta(**{kind: amount})
            if fixed > timedelta(days=_LONGEST_DAYS) or business_days > _LONGEST_DAYS:
                raise ValueError(_too_long(text))
        if not fixed and not business_days:
            raise ValueError(f"target {text!r} is zero; a target must be positive")
        return cls(fixed, business_days)

    @classmethod
    def of(cls, value: Span | str | timedelta) -> Span:
        if isinstance(value, Span):
            return value
        if isinstance(value, timedelta):
            return cls(fixed=value)
        if isinstance(value, str):
            return cls.parse(value)
        raise ValueError(f"a target needs a unit, got {value!r}: {_SPAN_HINT}")

    def resolve(self, basis: TimeBasis) -> timedelta:
        """The counted time this span means on ``basis`` (business days × its day length)."""
        return self.fixed + basis.business_day_length() * self.business_days

    def __str__(self) -> str:
        parts = [f"{self.business_days:g}bd"] if self.business_days else []
        seconds = int(self.fixed.total_seconds())
        hours, rest = divmod(seconds, 3600)
        minutes, seconds = divmod(rest, 60)
        for amount, unit in ((hours, "h"), (minutes, "m"), (seconds, "s")):
            if amount:
                parts.append(f"{amount}{unit}")
        return "".join(parts) or "0m"

    def human(self) -> str:
        """Words for explanations: "15 min", "4 h", "5 business days"."""
        parts = []
        if self.business_days:
            plural = "" if self.business_days == 1 else "s"
            parts.append(f"{self.business_days:g} business day{plural}")
        if self.fixed:
            parts.append(_human_delta(self.fixed))
        return " + ".join(parts)

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            cls.of,
            serialization=core_schema.plain_serializer_function_ser_schema(str),
            json_schema_input_schema=core_schema.str_schema(),
        )


def _human_delta(value: timedelta) -> str:
    """ "15 min", "4 h", "1 h 30 min"; odd seconds fall back to H:MM:SS."""
    hours, rest = divmod(int(value.total_seconds()), 3600)
    minutes, seconds = divmod(rest, 60)
    if seconds or value.microseconds:
        return str(value)
    parts = ([f"{hours} h"] if hours else []) + ([f"{minutes} min"] if minutes else [])
    return " ".join(parts) or "0 min"


class SeverityOverride(BaseModel):
    """A contract's own response and/or resolution target for one severity."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    response: Span | None = None
    resolution: Span | None = None


class SlaOverrides(BaseModel):
    """What a customer contract may declare under ``sla:``.

    Example::

        sla:
          targets:
            sev1: {response: 30m, resolution: 6h}
            sev4: {resolution: 20bd}
          thresholds: [0.5, 0.75, 0.9]
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    targets: dict[Severity, SeverityOverride] = Field(default_factory=dict)
    thresholds: list[float] = Field(default_factory=lambda: [0.5, 0.75, 0.9])

    @field_validator("targets", mode="before")
    @classmethod
    def _severity_keys(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        parsed: dict[Severity, Any] = {}
        for key, item in value.items():
            severity = Severity.parse(key)
            if severity in parsed:
                raise ValueError(f"severity {severity.value} is overridden twice")
            parsed[severity] = item
        return parsed

    @field_validator("thresholds")
    @classmethod
    def _fractions(cls, value: list[float]) -> list[float]:
        for fraction in value:
            if not 0 < fraction < 1:
                raise ValueError(
                    f"threshold {fraction} is outside (0, 1): reminders are fractions of the "
                    "target strictly between 0 and 1, e.g. [0.5, 0.75, 0.9]"
                )
        return sorted(set(value))


_TABLE: dict[Tier, dict[int, tuple[str, str]]] = {
    Tier.PREMIER: {1: ("15m", "4h"), 2: ("2h", "24h"), 3: ("8h", "72h"), 4: ("24h", "5bd")},
    Tier.STANDARD: {1: ("1h", "8h"), 2: ("4h", "48h"), 3: ("12h", "5bd"), 4: ("48h", "10bd")},
    Tier.BASIC: {1: ("4h", "24h"), 2: ("12h", "72h"), 3: ("24h", "10bd"), 4: ("72h", "15bd")},
}
DEFAULT_TARGETS: dict[Tier, dict[Severity, tuple[Span, Span]]] = {
    tier: {
        Severity(sev): (Span.parse(response), Span.parse(resolution))
        for sev, (response, resolution) in row.items()
    }
    for tier, row in _TABLE.items()
}
DEFAULT_THRESHOLDS: tuple[float, ...] = (0.5, 0.75, 0.9)


@dataclass(frozen=True)
class Target:
    """One target: how long, on which clock, and the rule that said so (for explanations)."""

    name: TargetName
    span: Span
    clock: TargetClock
    source: str
    clock_rule: str


@dataclass(frozen=True)
class Targets:
    tier: Tier
    severity: Severity
    coverage: Coverage
    response: Target
    resolution: Target
    thresholds: tuple[float, ...] = DEFAULT_THRESHOLDS

    def __getitem__(self, name: TargetName) -> Target:
        return {"response": self.response, "resolution": self.resolution}[name]


def clock_for(tier: Tier, severity: Severity, coverage: Coverage) -> tuple[TargetClock, str]:
    """The §5 clock rule, with the reason in words."""
    if coverage is Coverage.TWENTY_FOUR_SEVEN:
        return TargetClock.WALL, "24x7 coverage: every target runs on the wall clock"
    if severity is Severity.CRITICAL and tier in (Tier.PREMIER, Tier.STANDARD):
        return TargetClock.WALL, "Sev 1 on Premier and Standard runs 24x7"
    return TargetClock.BUSINESS, "Basic Sev 1 and every Sev 2-4 target count business hours"


def targets_for(
    tier: Tier | str,
    severity: Severity | int | str,
    coverage: Coverage | str,
    overrides: SlaOverrides | None = None,
) -> Targets:
    """The response and resolution targets of one incident, contract overrides first."""
    tier, severity = Tier.parse(tier), Severity.parse(severity)
    coverage = Coverage.parse(coverage)
    clock, clock_rule = clock_for(tier, severity, coverage)
    override = overrides.targets.get(severity) if overrides else None
    defaults = DEFAULT_TARGETS[tier][severity]
    built: list[Target] = []
    names: tuple[TargetName, TargetName] = ("response", "resolution")
    for index, name in enumerate(names):
        custom = getattr(override, name) if override else None
        if custom is not None:
            span, source = custom, f"contract override for {severity.label} {name}"
        else:
            span, source = defaults[index], f"default {tier.label} {severity.label} {name}"
        built.append(Target(name, span, clock, source, clock_rule))
    thresholds = tuple(overrides.thresholds) if overrides else DEFAULT_THRESHOLDS
    return Targets(tier, severity, coverage, built[0], built[1], thresholds)
