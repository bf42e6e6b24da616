"""What the product does without credentials: say what is missing, then run anyway."""

from __future__ import annotations

import secrets
from pathlib import Path

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


def signing_secret(settings: Settings) -> str:
    """The real secret, or in local mode one kept in the data dir so the demo can sign."""
    if settings.slack_signing_secret is not None:
        return settings.slack_signing_secret.get_secret_value()
    path = Path(settings.data_dir) / "local-signing-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(16))
        path.chmod(0o600)
    return path.read_text().strip()
