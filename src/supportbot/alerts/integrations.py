"""Monitoring integrations, declared in ``contracts/integrations.yaml``. Pure: no I/O but
reading the file.

Each integration has its own URL (``/alerts/<key>``) and token. Only the token's SHA-256 is
stored; after a rotation the previous token keeps working until ``previous_valid_until``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)

from supportbot.contracts.customers import ChannelId, Contracts
from supportbot.contracts.tiers import Span
from supportbot.datafiles import (
    DataFileError,
    LocatedError,
    Problem,
    line_of,
    load_model,
    parse_yaml,
)

# The key is its actor, "alerts:<key>", in the incident's reporter and the timeline's actor
# columns (50 characters): a longer key opened no incident on PostgreSQL (a 503 forever).
KEY_MAX = 50 - len("alerts:")
_KEY = re.compile(rf"[a-z0-9][a-z0-9_-]{{0,{KEY_MAX - 1}}}")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")

# Labels people put on alerts, by the severity they mean (an integration adds its own).
DEFAULT_SEVERITIES: dict[str, int] = {
    **dict.fromkeys(("critical", "crit", "page", "emergency", "sev1", "p1", "disaster"), 1),
    **dict.fromkeys(("high", "error", "major", "sev2", "p2"), 2),
    **dict.fromkeys(("warning", "warn", "medium", "minor", "average", "sev3", "p3"), 3),
    **dict.fromkeys(("info", "low", "none", "informational", "sev4", "p4", "p5"), 4),
}


def _key(value: str) -> str:
    if not _KEY.fullmatch(value):
        raise ValueError(
            f"key must be up to {KEY_MAX} lower-case letters, digits, '-' and '_', "
            "like `prometheus`"
        )
    return value


def _sha256(value: str) -> str:
    text = str(value).strip().lower()
    if not _SHA256.match(text):
        raise ValueError(
            "not a SHA-256 in hex (64 characters); store the token's hash, never the token: "
            'printf %s "$TOKEN" | sha256sum'
        )
    return text


def _duration(value: object) -> timedelta:
    if isinstance(value, timedelta):
        return value
    span = Span.parse(str(value))
    if span.business_days:
        raise ValueError(f"{value!r}: write wall-clock time, such as '10m' or '1h'")
    return span.fixed


Sha256 = Annotated[str, AfterValidator(_sha256)]
Duration = Annotated[timedelta, BeforeValidator(_duration)]


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Window(BaseModel):
    """A maintenance window: alerts inside it are recorded and page nobody."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: AwareDatetime
    end: AwareDatetime
    reason: str = Field("maintenance", max_length=200)

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.end <= self.start:
            raise ValueError("a maintenance window must end after it starts")
        return self

    def covers(self, at: datetime) -> bool:
        return self.start <= at < self.end


class SeverityMapping(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    label: str = "severity"  # the alert label that names the severity
    map: dict[str, Annotated[int, Field(ge=1, le=4)]] = {}
    default: int = Field(3, ge=1, le=4)

    def of(self, labels: dict[str, str]) -> int:
        value = labels.get(self.label, "").strip().lower()
        mapping = {k.lower(): v for k, v in self.map.items()}
        return mapping.get(value) or DEFAULT_SEVERITIES.get(value) or self.default


class Integration(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: Annotated[str, AfterValidator(_key)]
    name: str = Field(min_length=1, max_length=120)
    format: Literal["alertmanager", "grafana", "generic"]
    customer: str | None = None  # a customer key; omitted: internal
    token_sha256: Sha256
    previous_token_sha256: Sha256 | None = None
    previous_valid_until: AwareDatetime | None = None
    severity: SeverityMapping = SeverityMapping()
    triage_channel: ChannelId | None = None  # omitted: SUPPORTBOT_TRIAGE_CHANNEL
    may_page: bool = True
    auto_resolve: Literal["resolve", "note"] = "resolve"
    hold_down: Duration = timedelta(minutes=10)
    summary_interval: Duration = timedelta(seconds=60)
    maintenance: tuple[Window, ...] = ()

    @model_validator(mode="after")
    def _rotation(self) -> Integration:
        if (self.previous_token_sha256 is None) != (self.previous_valid_until is None):
            raise ValueError(
                "previous_token_sha256 and previous_valid_until go together: the old token "
                "stays valid until that instant"
            )
        if self.summary_interval < timedelta(seconds=5):
            raise LocatedError(("summary_interval",), "summary_interval must be at least 5s")
        return self

    def accepts(self, token: str, now: datetime) -> bool:
        """The current token, or the previous one until its grace period ends; compared in
        constant time."""
        given = token_sha256(token)
        ok = hmac.compare_digest(given, self.token_sha256)
        if self.previous_token_sha256 and self.previous_valid_until:
            old = hmac.compare_digest(given, self.previous_token_sha256)
            ok = ok or (old and now < self.previous_valid_until)
        return ok


class CustomerWindow(Window):
    customer: str


class Integrations(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    integrations: tuple[Integration, ...] = ()
    maintenance: tuple[CustomerWindow, ...] = ()  # per customer, for all their integrations

    @model_validator(mode="after")
    def _unique(self) -> Integrations:
        seen: set[str] = set()
        for index, integration in enumerate(self.integrations):
            if integration.key in seen:
                raise LocatedError(
                    ("integrations", index, "key"),
                    f"integration key {integration.key!r} is declared twice",
                )
            seen.add(integration.key)
        return self

    def by_key(self, key: str) -> Integration | None:
        return next((i for i in self.integrations if i.key == key), None)

    def maintenance_at(self, integration: Integration, at: datetime) -> Window | None:
        """The maintenance window covering ``at`` for this integration or its customer."""
        for window in integration.maintenance:
            if window.covers(at):
                return window
        for customer_window in self.maintenance:
            if customer_window.customer == integration.customer and customer_window.covers(at):
                return customer_window
        return None

    def check_customers(self, contracts: Contracts) -> None:
        """Every customer named must exist in the contracts file."""
        known = ", ".join(c.key for c in contracts.customers) or "none"
        for index, integration in enumerate(self.integrations):
            if integration.customer and contracts.by_key(integration.customer) is None:
                raise LocatedError(
                    ("integrations", index, "customer"),
                    f"unknown customer {integration.customer!r}; known customers: {known}",
                )
        for index, window in enumerate(self.maintenance):
            if contracts.by_key(window.customer) is None:
                raise LocatedError(
                    ("maintenance", index, "customer"),
                    f"unknown customer {window.customer!r}; known customers: {known}",
                )


def load_integrations(path: Path, contracts: Contracts) -> Integrations:
    """Load and validate the file, customers included, with file:line errors."""
    found = load_model(path, Integrations)
    try:
        found.check_customers(contracts)
    except LocatedError as exc:
        _, lines = parse_yaml(path)
        section, index, field = exc.loc
        where = f"{section}[{index}].{field}"
        problem = Problem(str(path), line_of(lines, *exc.loc), where, str(exc))
        raise DataFileError([problem]) from exc
    return found
