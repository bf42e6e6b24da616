"""Every secret setting is scrubbed from every log line, tracebacks included: the Slack and
Twilio credentials, the dashboard's sign-in and session secrets, the calendar and metrics
tokens, and the passwords in REDIS_URL and DATABASE_URL (as written and percent-decoded)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from supportbot.logs import RedactingFilter, secrets_of
from tests.conftest import make_settings

CANARIES = {
    "slack_client_secret": "CANARY-client-secret-1",
    "dashboard_secret": "CANARY-dashboard-secret-2",
    "calendar_secret": "CANARY-calendar-secret-3",
    "metrics_token": "CANARY-metrics-token-4",
    "twilio_alt_auth_token": "CANARY-alt-token-5",
}
REDIS_PASSWORD = "CANARY-redis-pw-6"
DATABASE_PASSWORD = "CANARY db/pw 7"  # written percent-encoded in the URL


@pytest.fixture
def logged(tmp_path: Path) -> Iterator[tuple[logging.Logger, io.StringIO]]:
    settings = make_settings(
        tmp_path,
        f"redis://:{REDIS_PASSWORD}@127.0.0.1:6379/0",
        "postgresql://ops:CANARY%20db%2Fpw%207@127.0.0.1:5432/test",
        "http://127.0.0.1:9/api/",
        **CANARIES,
    )
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(RedactingFilter(secrets_of(settings)))
    logger = logging.getLogger("tests.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    yield logger, out
    logger.removeHandler(handler)


ALL = [*CANARIES.values(), REDIS_PASSWORD, DATABASE_PASSWORD, "CANARY%20db%2Fpw%207"]


@pytest.mark.parametrize("secret", ALL)
def test_a_secret_in_a_message_is_redacted(
    logged: tuple[logging.Logger, io.StringIO], secret: str
) -> None:
    logger, out = logged
    logger.warning("calling with %s and more", secret)
    assert secret not in out.getvalue() and "[redacted]" in out.getvalue()


@pytest.mark.parametrize("secret", ALL)
def test_a_secret_in_an_exceptions_traceback_is_redacted(
    logged: tuple[logging.Logger, io.StringIO], secret: str
) -> None:
    """The message says nothing secret; the exception's own text does (a driver quoting
    the URL it was given): the traceback is scrubbed as the message is."""
    logger, out = logged
    try:
        raise ConnectionError(f"cannot connect with {secret}")
    except ConnectionError:
        logger.exception("the database is unreachable")
    text = out.getvalue()
    assert "ConnectionError: cannot connect with [redacted]" in text, text
    assert secret not in text


def test_the_pieces_of_a_password_that_breaks_its_url_are_redacted(tmp_path: Path) -> None:
    """An unencoded "[" makes REDIS_URL unparseable (ValueError: Invalid IPv6 URL), and its
    password was then left out of the secrets: a driver's or parser's message quoting a
    piece of it (as a host or a path) reached the log as written."""
    url = "redis://:CANARY[pw/half-two@127.0.0.1:6379/0"
    settings = make_settings(tmp_path, url, None, "http://127.0.0.1:9/api/")
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(RedactingFilter(secrets_of(settings)))
    logger = logging.getLogger("tests.redaction.pieces")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.error("cannot connect to host %s, path %s", "CANARY[pw", "/half-two@127.0.0.1")
    finally:
        logger.removeHandler(handler)
    text = out.getvalue()
    assert "CANARY" not in text and "half-two" not in text, text
