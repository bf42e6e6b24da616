"""The webhook formats, validated at the edge, and their one normalised shape. Pure.

- Prometheus Alertmanager, webhook version 4: ``groupKey``, ``status``, ``alerts[]`` with
  ``labels``, ``annotations``, ``startsAt``, ``endsAt``, ``generatorURL``, ``fingerprint``.
- Grafana alerting's webhook: the same shape of alerts (``fingerprint``, ``generatorURL``,
  ``silenceURL``…), with ``version`` "1" and a ``title`` and ``message`` of its own.
- The generic JSON: ``summary``, ``details``, ``severity``, ``dedup_key``,
  ``action: trigger|resolve``, and optionally ``source``, ``url``, ``runbook_url`` and
  ``timestamp``. One ``dedup_key`` is one alert and one group.

Everything in a payload is untrusted text: it is stored as given and rendered inert.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

# A sender's clock may run a little ahead; a timestamp beyond this is refused as a mistake.
FUTURE_TOLERANCE = timedelta(minutes=5)
MAX_ALERTS = 20_000


class PayloadError(ValueError):
    """What is wrong with a payload, in one line for the sender's log."""


@dataclass(frozen=True)
class AlertIn:
    fingerprint: str
    firing: bool
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: datetime
    ends_at: datetime | None
    generator_url: str


@dataclass(frozen=True)
class Batch:
    """One delivery: alerts of one group, as the sender grouped them."""

    group_key: str
    alerts: tuple[AlertIn, ...]
    common_labels: dict[str, str]
    common_annotations: dict[str, str]
    title: str  # the sender's own title of the group, if it has one
    # The sender says every alert of the group is resolved (Alertmanager's and Grafana's group
    # status), those cut from the body by ``max_alerts`` (``truncatedAlerts``) included.
    group_resolved: bool = False


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _MatchedAlert(_Model):
    status: Literal["firing", "resolved"]
    labels: dict[str, str]
    annotations: dict[str, str] = {}
    startsAt: AwareDatetime
    endsAt: AwareDatetime | None = None
    generatorURL: str = ""
    fingerprint: str = Field(min_length=1, max_length=255)


class AlertmanagerWebhook(_Model):
    version: Literal["4"]
    groupKey: str = Field(min_length=1, max_length=20_000)
    status: Literal["firing", "resolved"]
    receiver: str = ""
    groupLabels: dict[str, str] = {}
    commonLabels: dict[str, str] = {}
    commonAnnotations: dict[str, str] = {}
    externalURL: str = ""
    truncatedAlerts: int = 0
    alerts: list[_MatchedAlert] = Field(min_length=1, max_length=MAX_ALERTS)


class GrafanaWebhook(_Model):
    version: str = "1"
    groupKey: str = Field(min_length=1, max_length=20_000)
    status: Literal["firing", "resolved"]
    title: str = ""
    message: str = ""
    commonLabels: dict[str, str] = {}
    commonAnnotations: dict[str, str] = {}
    alerts: list[_MatchedAlert] = Field(min_length=1, max_length=MAX_ALERTS)


class GenericEvent(_Model):
    summary: str = Field("", max_length=1024)
    details: str | dict[str, Any] = ""
    severity: str = Field("", max_length=40)
    dedup_key: str = Field(min_length=1, max_length=255)
    action: Literal["trigger", "resolve"] = "trigger"
    source: str = Field("", max_length=255)
    url: str = Field("", max_length=2000)
    runbook_url: str = Field("", max_length=2000)
    timestamp: AwareDatetime | None = None


def _where(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "body"


def _problem(exc: ValidationError) -> PayloadError:
    errors = exc.errors()
    first = errors[0]
    more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
    return PayloadError(f"{_where(first['loc'])}: {first['msg']}{more}")


def _set(at: datetime | None) -> datetime | None:
    """``at``, or None for Go's zero time (``0001-01-01T00:00:00Z``), which Alertmanager and
    other Go senders write for "no time": taken as an instant, a resolution "ended" 2,000
    years before the alert started, was ignored as a late copy and the incident never
    resolved."""
    return None if at is None or at.year == 1 else at


def _matched(alert: _MatchedAlert) -> AlertIn:
    return AlertIn(
        fingerprint=alert.fingerprint,
        firing=alert.status == "firing",
        labels=alert.labels,
        annotations=alert.annotations,
        starts_at=alert.startsAt,
        # Alertmanager sends 0001-01-01 for "not ended"; a firing alert's endsAt is ignored.
        ends_at=_set(alert.endsAt) if alert.status == "resolved" else None,
        generator_url=alert.generatorURL,
    )


def _generic(event: GenericEvent, now: datetime) -> Batch:
    if event.action == "trigger" and not event.summary.strip():
        raise PayloadError("summary: a trigger needs a summary of what is wrong")
    details = event.details if isinstance(event.details, str) else json.dumps(event.details)
    at = _set(event.timestamp) or now
    alert = AlertIn(
        fingerprint=event.dedup_key,
        firing=event.action == "trigger",
        labels={"severity": event.severity} | ({"source": event.source} if event.source else {}),
        annotations={"summary": event.summary, "description": details[:3000]}
        | ({"runbook_url": event.runbook_url} if event.runbook_url else {}),
        starts_at=at,
        ends_at=at if event.action == "resolve" else None,
        generator_url=event.url,
    )
    return Batch(event.dedup_key, (alert,), {}, {}, event.summary)


# NUL, which PostgreSQL cannot store, and a lone surrogate (JSON's "\ud800" with no pair),
# which no database's UTF-8 can.
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")


def _storable(value: Any, depth: int = 0) -> Any:
    """NULs and lone surrogates replaced by U+FFFD, everywhere: a label carrying a NUL was
    refused with a 503, and a summary carrying "\ud800" with a 500, which Alertmanager
    retries forever (a 400 would have dropped the alert). Deeper than any payload nests,
    left to the models."""
    if isinstance(value, str):
        return _UNSTORABLE.sub("\ufffd", value)
    if depth > 32:
        return value
    if isinstance(value, dict):
        return {_storable(k): _storable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_storable(v, depth + 1) for v in value]
    return value


def parse(fmt: str, data: object, now: datetime) -> Batch:
    """Validate ``data`` as ``fmt``; :class:`PayloadError` says what is wrong and where."""
    if not isinstance(data, dict):
        raise PayloadError("body: expected a JSON object")
    data = _storable(data)
    try:
        if fmt == "generic":
            batch = _generic(GenericEvent.model_validate(data), now)
        else:
            model = AlertmanagerWebhook if fmt == "alertmanager" else GrafanaWebhook
            hook = model.model_validate(data)
            title = hook.title if isinstance(hook, GrafanaWebhook) else ""
            batch = Batch(
                hook.groupKey,
                tuple(_matched(a) for a in hook.alerts),
                hook.commonLabels,
                hook.commonAnnotations,
                title,
                group_resolved=hook.status == "resolved",
            )
    except ValidationError as exc:
        raise _problem(exc) from exc
    check_times(batch, now)
    return batch


def check_times(batch: Batch, now: datetime) -> None:
    """Refuse timestamps in the future beyond :data:`FUTURE_TOLERANCE` (a wrong clock)."""
    limit = now + FUTURE_TOLERANCE
    for index, alert in enumerate(batch.alerts):
        for name, at in (("startsAt", alert.starts_at), ("endsAt", alert.ends_at)):
            if at is not None and at > limit:
                ahead = int((at - now).total_seconds() // 60)
                raise PayloadError(
                    f"alerts[{index}].{name}: {at.isoformat()} is {ahead} minutes in the future; "
                    "check the sender's clock"
                )
