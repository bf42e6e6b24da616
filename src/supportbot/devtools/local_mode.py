"""What the product does without credentials: say what is missing, then run anyway."""

from __future__ import annotations

from supportbot.settings import Settings


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
