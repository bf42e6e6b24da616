"""``supportbot check``: every configuration and data-file problem, named, in one pass."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlparse

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from supportbot.contracts.customers import load_contracts
from supportbot.contracts.triage import load_triage_rules
from supportbot.datafiles import DataFileError
from supportbot.db.engine import make_engine, ping
from supportbot.settings import DEFAULT_SLACK_API_URL, DEFAULT_TWILIO_API_URL, Settings


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _url_problem(name: str, value: str | None) -> str | None:
    if value is None:
        return None
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        return f"{name}={value!r} is not an http(s) URL"
    return None


def _check_settings(settings: Settings, report: Report) -> None:
    missing = {
        "SLACK_BOT_TOKEN": settings.slack_bot_token,
        "SLACK_SIGNING_SECRET": settings.slack_signing_secret,
        "SUPPORTBOT_TRIAGE_CHANNEL": settings.triage_channel,
    }
    for name, value in missing.items():
        if not value:
            report.problems.append(
                f"{name} is not set; set it in the environment or .env (README, 'Configuration')"
            )
    if settings.slack_bot_token and not settings.slack_bot_token.get_secret_value().startswith(
        "xoxb-"
    ):
        report.problems.append("SLACK_BOT_TOKEN does not look like a bot token (xoxb-…)")
    twilio = [settings.twilio_account_sid, settings.twilio_auth_token, settings.twilio_from_number]
    if any(twilio) and not all(twilio):
        report.problems.append(
            "Twilio is half configured: set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and "
            "TWILIO_FROM_NUMBER together"
        )
    elif not any(twilio):
        report.notes.append("Twilio credentials not set: pages are recorded, not sent (dry run)")
    elif not settings.public_url:
        report.problems.append(
            "SUPPORTBOT_PUBLIC_URL is not set: Twilio cannot reach the call's TwiML, status "
            "callbacks or SMS replies, and their signatures cannot be checked behind a proxy"
        )

    for name, value, default in (
        ("SLACK_API_URL", settings.slack_api_url, DEFAULT_SLACK_API_URL),
        ("TWILIO_API_URL", settings.twilio_api_url, DEFAULT_TWILIO_API_URL),
        ("SUPPORTBOT_PUBLIC_URL", settings.public_url, None),
    ):
        problem = _url_problem(name, value if value != default else None)
        if problem:
            report.problems.append(problem)


def _check_services(settings: Settings, report: Report) -> None:
    if settings.redis_url is None:
        report.notes.append("REDIS_URL is not set: `supportbot run` starts an embedded Redis")
    else:
        try:
            Redis.from_url(settings.redis_url, socket_connect_timeout=3).ping()
        except (RedisError, ValueError) as exc:
            report.problems.append(f"Redis at REDIS_URL is unreachable: {exc}")
    try:
        engine = make_engine(settings.sqlalchemy_url)
        ping(engine)
        engine.dispose()
    except (SQLAlchemyError, ValueError) as exc:
        reason = str(exc).splitlines()[0]
        report.problems.append(f"database at DATABASE_URL is unreachable: {reason}")


def _check_file(report: Report, path_label: str, exists: bool, load: Callable[[], object]) -> None:
    if not exists:
        report.problems.append(f"{path_label}: file not found")
        return
    try:
        load()
    except DataFileError as exc:
        report.problems.extend(str(p) for p in exc.problems)


def run_checks(
    settings: Settings, extra: Sequence[Callable[[Settings, Report], None]] = ()
) -> Report:
    report = Report()
    _check_settings(settings, report)
    _check_services(settings, report)
    contracts, triage = settings.contracts_file, settings.triage_rules_file
    _check_file(report, str(contracts), contracts.exists(), lambda: load_contracts(contracts))
    _check_file(report, str(triage), triage.exists(), lambda: load_triage_rules(triage))
    for check in extra:
        check(settings, report)
    return report
