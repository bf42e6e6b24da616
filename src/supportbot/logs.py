"""Logging set-up with a redaction filter, so secrets never reach a log line.

slack_sdk and twilio log request headers at DEBUG; the filter scrubs the configured secrets
and anything shaped like a Slack token from every record, whichever library wrote it.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote, urlsplit

from pydantic import SecretStr

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
        # A traceback is formatted after the filters ran, from exc_info: formatted here
        # instead (the formatter keeps exc_text), so an exception's text is scrubbed too.
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def secrets_of(settings: Settings) -> list[str]:
    """Every secret setting (each ``SecretStr``) and the passwords in REDIS_URL and
    DATABASE_URL, as written and percent-decoded."""
    found = [
        value.get_secret_value()
        for name in type(settings).model_fields
        if isinstance(value := getattr(settings, name), SecretStr)
    ]
    for url in (settings.redis_url, settings.database_url):
        try:
            password = urlsplit(url or "").password
        except ValueError:  # a URL that does not parse: every piece of what it says
            found += credential_pieces(url or "")  # before "@" is kept out of the log
            continue
        if password:
            found += [password, unquote(password)]
    return found


_URL_DELIMITERS = re.compile(r"[:/?#@\[\]]")


def credential_pieces(url: str) -> list[str]:
    """Every piece (three characters or more) of the user and password written in ``url``.

    A password holding "/", "?", "#" or "@" unencoded cuts the URL in the wrong place, and a
    parser's or driver's message then quotes a piece of it as a port, a host or a path; so
    each piece between delimiters counts as secret, longest first."""
    rest = url.split("://", 1)[1] if "://" in url else url.partition(":")[2]
    userinfo = rest.rpartition("@")[0]
    pieces = {p for p in _URL_DELIMITERS.split(userinfo) if len(p) >= 3}
    return sorted(pieces, key=len, reverse=True)


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
