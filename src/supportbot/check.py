"""``supportbot check``: every configuration and data-file problem, named, in one pass."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlparse

from redis.exceptions import RedisError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from supportbot.clients import redis_conn
from supportbot.contracts.customers import load_contracts
from supportbot.contracts.triage import load_triage_rules
from supportbot.datafiles import DataFileError
from supportbot.db.engine import make_engine, ping
from supportbot.db.migrate import unknown_schema
from supportbot.logs import credential_pieces
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


# Public and private channels have ids C…; older private channels G…. D… is a DM, U… a user.
_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{6,}$")
_BOT_FIX = "the Bot User OAuth Token (xoxb-…, on the app's OAuth & Permissions page)"
_APP_FIX = "an app-level token (xapp-…, Basic Information → App-Level Tokens, connections:write)"


def bot_token_problem(token: str) -> str | None:
    """What is wrong with the shape of SLACK_BOT_TOKEN, or None for a bot token."""
    if token.startswith("xoxb-"):
        return None
    if token.startswith("xapp-"):
        return (
            "SLACK_BOT_TOKEN holds an app-level token (xapp-…): move it to SLACK_APP_TOKEN and "
            f"set SLACK_BOT_TOKEN to {_BOT_FIX}"
        )
    if token.startswith("xoxp-"):
        return f"SLACK_BOT_TOKEN holds a user token (xoxp-…): set it to {_BOT_FIX}"
    return f"SLACK_BOT_TOKEN does not look like a bot token (xoxb-…): set it to {_BOT_FIX}"


def app_token_problem(token: str) -> str | None:
    """What is wrong with the shape of SLACK_APP_TOKEN, or None for an app-level token."""
    if token.startswith("xapp-"):
        return None
    if token.startswith("xoxb-"):
        return (
            "SLACK_APP_TOKEN holds a bot token (xoxb-…): that belongs in SLACK_BOT_TOKEN; set "
            f"SLACK_APP_TOKEN to {_APP_FIX}, or unset it to serve Slack over HTTP only"
        )
    return f"SLACK_APP_TOKEN does not look like an app-level token: set it to {_APP_FIX}"


def channel_id_problem(name: str, value: str) -> str | None:
    """SUPPORTBOT_*_CHANNEL must be a channel id: names change and are ambiguous."""
    if _CHANNEL_ID.match(value):
        return None
    how = "the channel's id (C…: in Slack, open the channel's details; it is at the bottom)"
    if value.startswith("#") or value != value.upper():
        return f"{name}={value!r} is a channel name, not an id: set it to {how}"
    if value[:1] in ("D", "U", "W"):
        return f"{name}={value!r} is a direct message or a user, not a channel: set it to {how}"
    return f"{name}={value!r} is not a channel id: set it to {how}"


_ENCODE_HINT = "percent-encode / ? # @ in a password: %2F %3F %23 %40"


def without_credentials(text: str, url: str) -> str:
    """``text`` (a parser's or a driver's message about ``url``) with no piece of the user
    and password written in ``url`` (:func:`~supportbot.logs.credential_pieces`)."""
    for piece in credential_pieces(url):
        text = text.replace(piece, "***")
    return text


def _detail(exc: Exception, url: str) -> str:
    """The error's text for a message about ``url``, never with its credentials."""
    text = str(exc)
    clean = without_credentials(text, url)
    return clean if clean == text else f"{clean}; {_ENCODE_HINT}"


def database_url_problem(settings: Settings) -> str | None:
    """An unparseable DATABASE_URL, or one whose driver is not installed; never echoes it
    (it may hold a password)."""
    try:
        make_url(settings.sqlalchemy_url).get_dialect().import_dbapi()
    except (SQLAlchemyError, ValueError, ImportError) as exc:
        return (
            f"DATABASE_URL is not a database URL this install can use "
            f"({_detail(exc, settings.sqlalchemy_url)}): write "
            "postgresql://user:password@host:5432/dbname, or unset it for SQLite"
        )
    return None


def redis_url_problem(url: str) -> str | None:
    try:
        redis_conn.check_url(url)
    except ValueError as exc:
        return (
            f"REDIS_URL is not a Redis URL ({_detail(exc, url)}): write redis://host:6379/0, or "
            f"{redis_conn.EXAMPLE} for a Sentinel group"
        )
    return None


def _check_slack_shapes(settings: Settings, report: Report) -> None:
    checks = (
        (settings.slack_bot_token, bot_token_problem),
        (settings.slack_app_token, app_token_problem),
    )
    for secret, problem_of in checks:
        problem = problem_of(secret.get_secret_value()) if secret else None
        if problem:
            report.problems.append(problem)
    channels = (
        ("SUPPORTBOT_TRIAGE_CHANNEL", settings.triage_channel),
        ("SUPPORTBOT_ONCALL_CHANNEL", settings.oncall_channel),
    )
    for name, value in channels:
        problem = channel_id_problem(name, value) if value else None
        if problem:
            report.problems.append(problem)


LOCAL_MODE_NOTE = (
    "local mode: SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are not set, so Slack messages are "
    "written to the log, not sent, and the web app listens on this machine only; set both to "
    "connect Slack (README, 'Install the Slack app')"
)
NO_TRIAGE_CHANNEL_NOTE = (
    "SUPPORTBOT_TRIAGE_CHANNEL is not set: incident cards are not drawn (in local mode any "
    "id, such as C0LOCAL, writes them to the log)"
)


def _check_slack_missing(settings: Settings, report: Report) -> None:
    """Slack's credentials and triage channel. In local mode (no Slack credential, no public
    URL) ``supportbot run`` runs without them, as the README's first run does: notes, so
    the check passes there too. Otherwise Slack is meant to call in and they are needed."""
    if settings.local_mode:
        report.notes.append(LOCAL_MODE_NOTE)
        if not settings.triage_channel:
            report.notes.append(NO_TRIAGE_CHANNEL_NOTE)
        return
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


def _check_settings(settings: Settings, report: Report) -> None:
    _check_slack_missing(settings, report)
    _check_slack_shapes(settings, report)
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
    elif problem := redis_url_problem(settings.redis_url):
        report.problems.append(problem)
    else:
        try:
            redis_conn.connect(settings.redis_url, socket_connect_timeout=3).ping()
        except (RedisError, ValueError) as exc:
            reason = _detail(exc, settings.redis_url)
            report.problems.append(f"Redis at REDIS_URL is unreachable: {reason}")
    if problem := database_url_problem(settings):
        report.problems.append(problem)
        return
    try:
        engine = make_engine(settings.sqlalchemy_url)
        ping(engine)
        if newer := unknown_schema(engine):
            report.problems.append(f"database at DATABASE_URL: {newer}")
        engine.dispose()
    except (SQLAlchemyError, ValueError) as exc:
        reason = _detail(exc, settings.sqlalchemy_url).splitlines()[0]
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
