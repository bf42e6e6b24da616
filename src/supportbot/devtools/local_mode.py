"""What the product does without credentials: say what is missing, then run anyway."""

from __future__ import annotations

from supportbot.settings import Settings

LOOPBACK = "127.0.0.1"
ALL_INTERFACES = "0.0.0.0"  # the default once Slack or Twilio is meant to call in


def missing_credentials(settings: Settings) -> list[str]:
    lines = []
    if not settings.slack_enabled:
        lines.append(
            "Slack credentials missing (SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET): running in local "
            "mode; outgoing Slack messages are written to the log. Create the app from "
            "slack-app-manifest.yaml and put both values in .env (README, 'Install the Slack app')."
        )
    if not settings.twilio_enabled:
        lines.append(
            "Twilio credentials missing (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, "
            "TWILIO_FROM_NUMBER): pages are recorded and logged, not sent."
        )
    return lines


def is_local(settings: Settings) -> bool:
    """Local mode for the network: no Slack credential and no public URL, so nothing outside
    this machine is meant to call in (decided by the settings: ``Settings.local_mode``)."""
    return settings.local_mode


def bind_address(settings: Settings, override: str | None = None) -> str:
    """Where ``supportbot web`` listens: ``--host``, else ``SUPPORTBOT_BIND``, else loopback in
    local mode and every interface otherwise."""
    if override:
        return override
    if settings.bind:
        return settings.bind
    return LOOPBACK if is_local(settings) else ALL_INTERFACES
