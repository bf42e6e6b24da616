"""The schema of the rotation files in ``rotations/`` (see the README for the format).

Every file holds any of the top-level sections below; the loader merges all files of the
directory into one :class:`Rotation`. Field validators here check what one value can tell on
its own (phone numbers, time zones, windows, holiday countries, levels); references between
sections and files (people in rosters, region names) are checked by the loader, which knows
the lines.
"""

from __future__ import annotations

import re
from datetime import date, time, timedelta
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from supportbot.hours.calendar import HolidayCalendar
from supportbot.hours.days import DAY_NAMES, check_zone, parse_days
from supportbot.oncall.durations import Duration, span_text

Level = Literal["L1", "L2", "L3"]
LEVELS: tuple[Level, ...] = ("L1", "L2", "L3")
Slot = Literal["primary", "secondary"]
RotationKind = Literal["hourly", "daily", "weekly"]
SeverityKey = Literal["sev1", "sev2", "sev3", "sev4"]

_E164 = re.compile(r"\+[1-9][0-9]{7,14}")
_SLACK_ID = re.compile(r"[UW][A-Z0-9]{2,}")
_KEY = re.compile(r"[a-z0-9][a-z0-9._-]*")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


@lru_cache(maxsize=1)
def _check_phone(value: str) -> str:
    compact = re.sub(r"[ \-]", "", value)
    if not _E164.fullmatch(compact):
        raise ValueError(
            f"invalid phone number {value!r}: use E.164, a + then 8 to 15 digits with no "
            "leading 0, e.g. +15125550101 (spaces are allowed and removed)"
        )
    return compact


def _check_slack(value: str) -> str:
    if not _SLACK_ID.fullmatch(value):
        raise ValueError(f"invalid Slack user id {value!r}: expected U… or W…, e.g. U024BE7LH")
    return value


def _check_key(value: str) -> str:
    if not _KEY.fullmatch(value):
        raise ValueError(
            f"invalid person key {value!r}: use lower-case letters, digits, '.', '_' or '-'"
        )
    return value


def _local_time(value: Any) -> Any:
    # YAML 1.1 reads an unquoted 8:00 as the base-60 integer 480 (minutes); 08:00 stays text.
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        if value < 24 or value >= 24 * 60:
            raise ValueError(f"ambiguous time {value}: write a quoted local time like '08:00'")
        return time(value // 60, value % 60)
    if value == "24:00":
        return time(0)
    return value


def _whole_minutes(value: time) -> time:
    if value.tzinfo is not None:
        raise ValueError("give a local wall-clock time without an offset; time_zone sets it")
    if value.second or value.microsecond:
        raise ValueError(f"{value} has seconds: rotations work in whole minutes")
    return value


def _day_names(value: Any) -> Any:
    return parse_days(value) if isinstance(value, list) else value


ZoneName = Annotated[str, AfterValidator(check_zone)]
LocalTime = Annotated[time, BeforeValidator(_local_time), AfterValidator(_whole_minutes)]
PersonKey = Annotated[str, AfterValidator(_check_key)]


class QuietHours(_Frozen):
    """Local ``[start, end)`` on the person's own wall clock; an end before the start crosses
    midnight. A window leaving less than :data:`MIN_AWAKE` of the day awake (00:00–23:59 as
    much as 07:00–07:00) is refused: that person could never be paged for anything but a
    Severity 1, which is a roster problem, not a personal rule."""

    start: LocalTime
    end: LocalTime

    @model_validator(mode="after")
    def _not_all_day(self) -> QuietHours:
        if self.awake < MIN_AWAKE:
            raise ValueError(
                f"quiet hours {self.start:%H:%M}–{self.end:%H:%M} cover the whole day "
                f"(awake {span_text(self.awake)} of 24 h, at least 1 h is needed): give a "
                "window such as 22:00–07:00, or take the person off the roster"
            )
        return self

    @property
    def awake(self) -> timedelta:
        """How much of a 24-hour wall-clock day falls outside the window, ``[end, start)``."""
        day = timedelta(days=1)
        start = timedelta(hours=self.start.hour, minutes=self.start.minute)
        end = timedelta(hours=self.end.hour, minutes=self.end.minute)
        return (start - end) % day


MIN_AWAKE = timedelta(hours=1)


class ContactMethod(_Frozen):
    """One way to reach a person, ``after`` a delay from the page (issue 13)."""

    method: Literal["sms", "voice"]
    after: Duration = timedelta(0)
    phone: Literal["first", "second"] = "first"

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        return {"method": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _not_negative(self) -> ContactMethod:
        if self.after < timedelta(0):
            raise ValueError("a contact method's 'after' cannot be negative")
        return self


class Person(_Frozen):
    """Someone who can be paged. ``key`` is the stable id used in rosters and overrides.

    ``contact`` lists the ways to reach them in order (default: SMS and a call at once);
    ``quiet_hours`` are read on their own wall clock (``time_zone``): a Severity 2 page
    waits for them or goes to whoever is on shift then; a Severity 1 always pages.
    """

    key: PersonKey
    slack: Annotated[str, AfterValidator(_check_slack)]
    phone: Annotated[str, AfterValidator(_check_phone)]
    name: str | None = None
    second_phone: Annotated[str, AfterValidator(_check_phone)] | None = None
    time_zone: ZoneName | None = None
    quiet_hours: QuietHours | None = None
    contact: list[ContactMethod] | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _personal_rules(self) -> Person:
        if self.quiet_hours is not None and self.time_zone is None:
            raise ValueError("quiet_hours need the person's time_zone (e.g. Europe/Dublin)")
        if self.second_phone is None and any(m.phone == "second" for m in self.contact or ()):
            raise ValueError("a contact method uses the second phone, but second_phone is not set")
        return self

    @property
    def label(self) -> str:
        return self.name or self.key


class Roster(_Frozen):
    """Who holds a slot of one level: the lists rotate together from ``start``.

    Handoff ``k`` happens at wall time ``start + handoff_time + k * period`` (period 1 h, 1 day
    or 7 days, counted on the local calendar; ``k`` may be negative), and holder ``k`` is entry
    ``k`` of each list, cyclically. So the holder at a given local wall time never depends on
    DST: a daily 08:00 handoff stays at 08:00 (the shift over the autumn change lasts 25 h, the
    spring one 23 h), weekly handoffs fall on the start date's weekday, and hourly ones at
    ``handoff_time``'s minute past each hour. On the spring-forward day the hourly slot of the
    skipped hour is empty, so its holder is skipped that day; on the fall-back day the repeated
    hour stays with one holder (no extra handoff). The mapping of wall times to instants is in
    :mod:`supportbot.oncall.wallclock`. Without ``secondary`` the secondary is the next
    person in ``primary``.
    """

    rotation: RotationKind
    handoff_time: LocalTime
    start: date
    primary: list[PersonKey] = Field(min_length=1)
    secondary: list[PersonKey] | None = Field(default=None, min_length=1)

    def holders(self, index: int) -> tuple[str, str | None]:
        primary = self.primary[index % len(self.primary)]
        if self.secondary is not None:
            return primary, self.secondary[index % len(self.secondary)]
        if len(self.primary) > 1:
            return primary, self.primary[(index + 1) % len(self.primary)]
        return primary, None


class ShiftWindow(_Frozen):
    """Local ``[start, end)``; an end before the start crosses midnight (equal: refused)."""

    start: LocalTime
    end: LocalTime

    @model_validator(mode="after")
    def _not_empty(self) -> ShiftWindow:
        if self.start == self.end:
            raise ValueError(
                f"shift window {self.start:%H:%M}–{self.end:%H:%M} is empty: an end before "
                "the start crosses midnight (e.g. 20:00–08:00)"
            )
        return self

    @property
    def crosses_midnight(self) -> bool:
        return self.end <= self.start


class Region(_Frozen):
    """A follow-the-sun center: on shift inside its window on working days that are not
    holidays. A window crossing midnight belongs to the day it starts."""

    name: str = Field(min_length=1)
    site: str | None = None
    time_zone: ZoneName
    shift: ShiftWindow
    working_days: Annotated[list[str], BeforeValidator(_day_names)] = Field(
        default_factory=lambda: list(DAY_NAMES[:5])
    )
    holidays: HolidayCalendar | None = None
    languages: list[str] = Field(default_factory=list)
    specialisations: list[str] = Field(default_factory=list)
    rosters: dict[Level, Roster] = Field(min_length=1)


class Fallback(_Frozen):
    """The named roster that holds the pager whenever no region is on shift for a level."""

    name: str = Field(min_length=1)
    time_zone: ZoneName
    rosters: dict[Level, Roster] = Field(min_length=1)


class Target(_Frozen):
    """Whom a step pages: a level's slot, or every management contact."""

    level: Literal["L1", "L2", "L3", "management"]
    slot: Literal["primary", "secondary", "all"] = "primary"

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        level, _, slot = value.strip().partition(".")
        if level == "management":
            if slot not in ("", "all"):
                raise ValueError(f"{value!r}: management has no slots; write 'management'")
            return {"level": level, "slot": "all"}
        if level not in LEVELS:
            raise ValueError(
                f"unknown level {level!r} in {value!r}: use L1, L2, L3 or management, "
                "optionally with .primary or .secondary"
            )
        return {"level": level, "slot": slot or "primary"}

    def __str__(self) -> str:
        return "management" if self.level == "management" else f"{self.level}.{self.slot}"


class PolicyStep(_Frozen):
    after: Duration
    page: list[Target] = Field(min_length=1)


class EscalationPolicy(_Frozen):
    """Steps of one round, each ``after`` the round began; the round runs ``repeat`` more
    times, each starting ``repeat_after`` after the previous round's last step."""

    steps: list[PolicyStep] = Field(min_length=1)
    repeat: int = Field(default=2, ge=0, le=20)
    repeat_after: Duration = timedelta(minutes=5)
    # Acknowledgement expiry (supportbot.oncall.ack_rules): None takes the severity's
    # default (Sev1 30m, Sev2 2h, else never); "off" turns it off.
    ack_expires_after: Duration | Literal["off"] | None = None
    ack_grace: Duration | None = None  # reminder to release; None: the severity's default

    @model_validator(mode="after")
    def _ordered(self) -> EscalationPolicy:
        delays = [step.after for step in self.steps]
        if delays[0] < timedelta(0):
            raise ValueError("the first step cannot come before paging starts")
        if any(b <= a for a, b in zip(delays, delays[1:], strict=False)):
            raise ValueError("steps must come in order, each 'after' later than the one before")
        if self.repeat_after <= timedelta(0):
            raise ValueError("repeat_after must be positive")
        for name in ("ack_expires_after", "ack_grace"):
            value = getattr(self, name)
            if isinstance(value, timedelta) and value <= timedelta(0):
                raise ValueError(f"{name} must be positive (or 'off' for no expiry)")
        return self


DEFAULT_POLICY = EscalationPolicy.model_validate(
    {
        "repeat": 2,
        "steps": [
            {"after": "0m", "page": ["L1.primary"]},
            {"after": "5m", "page": ["L1.primary", "L1.secondary"]},
            {"after": "10m", "page": ["L2.primary"]},
            {"after": "15m", "page": ["L3.primary", "management"]},
        ],
    }
)


class RotationFile(_Frozen):
    """One file of ``rotations/``; every section is optional."""

    version: Literal[1] = 1
    people: dict[PersonKey, Person] = Field(default_factory=dict)
    regions: list[Region] = Field(default_factory=list)
    priority: list[str] | None = None
    fallback: Fallback | None = None
    management: list[PersonKey] | None = None
    escalation: dict[SeverityKey, EscalationPolicy] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _person_keys(cls, data: Any) -> Any:
        # People are written as a mapping from key to details; the key travels with them.
        if isinstance(data, dict) and isinstance(data.get("people"), dict):
            data = dict(data)
            data["people"] = {
                key: ({**value, "key": key} if isinstance(value, dict) else value)
                for key, value in data["people"].items()
            }
        return data


class Rotation(_Frozen):
    """All rotation files merged: what the resolver and the escalation engine run on."""

    people: dict[str, Person]
    regions: tuple[Region, ...]
    priority: tuple[str, ...] | None = None
    fallback: Fallback | None = None
    management: tuple[str, ...] = ()
    escalation: dict[SeverityKey, EscalationPolicy] = Field(default_factory=dict)
    sources: tuple[str, ...] = ()

    def policy_for(self, severity: int) -> EscalationPolicy:
        """The policy of a severity (1–4), or the built-in default."""
        if severity not in (1, 2, 3, 4):
            raise ValueError(f"severity must be 1 to 4, got {severity!r}")
        key: SeverityKey = f"sev{severity}"  # type: ignore[assignment]
        return self.escalation.get(key, DEFAULT_POLICY)

    def region(self, name: str) -> Region:
        for region in self.regions:
            if region.name == name:
                return region
        raise KeyError(f"no region named {name!r}")
