"""Logging set-up with a redaction filter, so secrets never reach a log line.

slack_sdk and twilio log request headers at DEBUG; the filter scrubs the configured secrets
and anything shaped like a Slack token from every record, whichever library wrote it.
"""

from __future__ import annotations

import logging
import re

from supportbot.settings import Settings

_TOKEN_SHAPES = re.compile(r"xox[abposr]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+")


class RedactingFilter(logging.Filter):
    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if len(s) >= 6]

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        return _TOKEN_SHAPES.sub("[redacted]", text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self.redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


def secrets_of(settings: Settings) -> list[str]:
    values = [
        settings.slack_bot_token,
        settings.slack_signing_secret,
        settings.slack_app_token,
        settings.twilio_auth_token,
        settings.twilio_alt_auth_token,
    ]
    return [v.get_secret_value() for v in values if v is not None]


def configure_logging(settings: Settings) -> RedactingFilter:
    redactor = RedactingFilter(secrets_of(settings))
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s",
    )
    for handler in logging.getLogger().handlers:
        handler.addFilter(redactor)
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        # The twilio library logs each request at INFO: eleven lines a page, with the account
        # SID in every URL and the paged person's number in a look for an earlier attempt.
        # Its warnings stay; at DEBUG, the operator asked for everything.
        logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
    return redactor
