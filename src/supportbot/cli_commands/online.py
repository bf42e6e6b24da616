"""``supportbot check --online``: ask Slack and Twilio whether the configuration works.

The offline checks read settings and files; these make the calls the product will make, with
its own credentials: Slack's ``auth.test`` (bot token), ``apps.connections.open`` (app token,
Socket Mode), ``conversations.info`` for the triage and on-call channels (they exist, and the
bot is in them), and Twilio's account fetch. Each problem is one line naming the setting and
the fix. The same token verdicts stop ``run``, ``web`` and ``worker`` at start
(:mod:`supportbot.cli_commands.preflight`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from twilio.base.exceptions import TwilioRestException

from supportbot.check import Report, app_token_problem, bot_token_problem, channel_id_problem
from supportbot.clients.twilio_http import make_twilio_client
from supportbot.settings import DEFAULT_SLACK_API_URL, DEFAULT_TWILIO_API_URL, Settings

TIMEOUT = 10

# Slack's answers that mean "this token will never work", as opposed to "Slack is down".
REJECTED = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "token_expired",
        "account_inactive",
        "not_allowed_token_type",
        "team_access_not_granted",
        "ekm_access_denied",
    }
)


@dataclass(frozen=True)
class SlackVerdict:
    """The outcome of one call with one token: ``data`` on success, else ``problem``, and
    ``rejected`` when Slack refused the token itself (not a network failure)."""

    data: dict[str, Any] | None = None
    problem: str | None = None
    rejected: bool = False


def _client(token: str, settings: Settings) -> WebClient:
    # No retry handlers: an operator waiting on `check` wants the first answer.
    return WebClient(token=token, base_url=settings.slack_api_url, timeout=TIMEOUT)


def _slack_call(
    client: WebClient, method: str, setting: str, fix: str, **params: Any
) -> SlackVerdict:
    try:
        response = client.api_call(method, params=params)
    except SlackApiError as exc:
        error = str(exc.response.get("error") or exc.response.status_code)
        if error in REJECTED:
            return SlackVerdict(
                problem=f"{setting} was rejected by Slack ({error}): {fix}", rejected=True
            )
        return SlackVerdict(problem=f"{setting}: Slack answered {method} with {error}")
    except (SlackClientError, OSError, ValueError) as exc:
        where = "SLACK_API_URL" if client.base_url != DEFAULT_SLACK_API_URL else "slack.com"
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return SlackVerdict(
            problem=f"Slack is unreachable at {where} ({reason}): {setting} could not be checked; "
            "check the network (or SLACK_API_URL)"
        )
    return SlackVerdict(data=dict(response.data) if isinstance(response.data, dict) else {})


def verify_bot_token(settings: Settings) -> SlackVerdict:
    """``auth.test`` with SLACK_BOT_TOKEN (which must be set)."""
    assert settings.slack_bot_token is not None
    token = settings.slack_bot_token.get_secret_value()
    if problem := bot_token_problem(token):
        return SlackVerdict(problem=problem, rejected=True)
    fix = (
        "copy the Bot User OAuth Token (xoxb-…) from the app's OAuth & Permissions page "
        "(reinstall the app if it was revoked)"
    )
    return _slack_call(_client(token, settings), "auth.test", "SLACK_BOT_TOKEN", fix)


def verify_app_token(settings: Settings) -> SlackVerdict:
    """``apps.connections.open`` with SLACK_APP_TOKEN (which must be set): the call Socket
    Mode starts with. The URL it answers is never connected to, so nothing is opened."""
    assert settings.slack_app_token is not None
    token = settings.slack_app_token.get_secret_value()
    if problem := app_token_problem(token):
        return SlackVerdict(problem=problem, rejected=True)
    fix = (
        "create an app-level token with connections:write (Basic Information → App-Level "
        "Tokens), or unset SLACK_APP_TOKEN to serve Slack over HTTP only"
    )
    return _slack_call(_client(token, settings), "apps.connections.open", "SLACK_APP_TOKEN", fix)


def _check_channel(client: WebClient, setting: str, channel: str, bot: str, report: Report) -> None:
    invite = f"invite the bot: type /invite @{bot} in that channel"
    fix = "reinstall the app from slack-app-manifest.yaml (it asks for channels:read, groups:read)"
    verdict = _slack_call(client, "conversations.info", setting, fix, channel=channel)
    if verdict.problem:
        if "channel_not_found" in verdict.problem:
            report.problems.append(
                f"{setting}={channel}: no such channel, or a private one the bot is not in; "
                f"set it to an existing channel's id and {invite}"
            )
        elif "missing_scope" in verdict.problem:
            report.problems.append(f"{setting}: cannot look the channel up (missing_scope): {fix}")
        else:
            report.problems.append(verdict.problem)
        return
    info = (verdict.data or {}).get("channel") or {}
    name = f"#{info.get('name', channel)}"
    if info.get("is_archived"):
        report.problems.append(
            f"{setting}={channel} ({name}) is archived: unarchive it or set another channel's id"
        )
    elif not info.get("is_member"):
        report.problems.append(
            f"{setting}={channel} ({name}): the bot is not a member, so it can neither post nor "
            f"read threads there; {invite}"
        )
    else:
        report.notes.append(f"{setting}={channel} is {name}, and the bot is in it")


def _slack_url_ok(settings: Settings) -> bool:
    return urlparse(settings.slack_api_url).scheme in ("http", "https")  # else named offline


def check_slack(settings: Settings, report: Report) -> None:
    """Tokens with the wrong shape are named by the offline checks and not sent."""
    bot, app = settings.slack_bot_token, settings.slack_app_token
    if not _slack_url_ok(settings):
        return
    if bot is not None and not bot_token_problem(bot.get_secret_value()):
        verdict = verify_bot_token(settings)
        if verdict.problem:
            report.problems.append(verdict.problem)
        else:
            auth = verdict.data or {}
            name = str(auth.get("user") or "supportbot")
            report.notes.append(
                f"Slack: SLACK_BOT_TOKEN is @{name} ({auth.get('user_id')}) in workspace "
                f"{auth.get('team')} ({auth.get('team_id')})"
            )
            client = _client(bot.get_secret_value(), settings)
            for setting, channel in (
                ("SUPPORTBOT_TRIAGE_CHANNEL", settings.triage_channel),
                ("SUPPORTBOT_ONCALL_CHANNEL", settings.oncall_channel),
            ):
                if channel and not channel_id_problem(setting, channel):
                    _check_channel(client, setting, channel, name, report)
    if app is not None and not app_token_problem(app.get_secret_value()):
        verdict = verify_app_token(settings)
        if verdict.problem:
            report.problems.append(verdict.problem)
        else:
            report.notes.append("Slack: SLACK_APP_TOKEN opens Socket Mode connections")


def check_twilio(settings: Settings, report: Report) -> None:
    sid, token = settings.twilio_account_sid, settings.twilio_auth_token
    if not (sid and token):
        return
    try:
        account = make_twilio_client(sid, token, settings.twilio_api_url, timeout=TIMEOUT)
        found = account.api.v2010.accounts(sid).fetch()
    except TwilioRestException as exc:
        if exc.status == 401:
            report.problems.append(
                f"TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN were rejected by Twilio (401, code "
                f"{exc.code}): copy both from the Twilio console's Account Info"
            )
        else:
            report.problems.append(
                f"TWILIO_ACCOUNT_SID={sid}: Twilio answered the account fetch with {exc.status} "
                f"(code {exc.code}): {exc.msg}"
            )
        return
    except (OSError, ValueError) as exc:  # requests' errors are OSErrors; a bad URL a ValueError
        where = "TWILIO_API_URL" if settings.twilio_api_url != DEFAULT_TWILIO_API_URL else "Twilio"
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        report.problems.append(
            f"Twilio is unreachable at {where} ({reason}): TWILIO_ACCOUNT_SID could not be "
            "checked; check the network (or TWILIO_API_URL)"
        )
        return
    if found.status != "active":
        report.problems.append(
            f"TWILIO_ACCOUNT_SID={sid}: the Twilio account is {found.status}, so no page can be "
            "sent; reactivate it in the Twilio console"
        )
    else:
        report.notes.append(f"Twilio: account {found.friendly_name!r} ({sid}) is active")


def has_credentials(settings: Settings) -> bool:
    """`check` goes online by default when there is something to check online."""
    secrets = (settings.slack_bot_token, settings.slack_app_token, settings.twilio_auth_token)
    return any(value is not None for value in secrets)


def check_online(settings: Settings, report: Report) -> None:
    check_slack(settings, report)
    check_twilio(settings, report)
    if not has_credentials(settings):
        report.notes.append("online: no Slack or Twilio credentials to try")
