"""Sending an SMS or placing a call: through Twilio, or recorded only (dry run).

Without Twilio credentials the product still runs; every page is logged and shown in Slack
as "dry run" instead of sent, so a fresh machine can see the whole flow.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass
from typing import Protocol

from twilio.base.exceptions import TwilioRestException

from supportbot.clients.twilio_http import make_twilio_client
from supportbot.settings import Settings

log = logging.getLogger(__name__)


class PermanentSendError(Exception):
    """Twilio refused the message for good (bad number, blocked): retrying cannot help."""


class TransientSendError(Exception):
    """Rate limited, Twilio down or a timeout: retry with backoff."""


@dataclass(frozen=True)
class Callbacks:
    status_url: str | None
    voice_url: str | None = None


class Sender(Protocol):
    dry_run: bool

    def send_sms(self, to: str, body: str, callbacks: Callbacks) -> str: ...

    def place_call(self, to: str, callbacks: Callbacks) -> str: ...


class TwilioSender:
    dry_run = False

    def __init__(self, settings: Settings) -> None:
        assert settings.twilio_account_sid and settings.twilio_auth_token
        self.client = make_twilio_client(
            settings.twilio_account_sid, settings.twilio_auth_token, settings.twilio_api_url
        )
        self.from_number = str(settings.twilio_from_number)

    def send_sms(self, to: str, body: str, callbacks: Callbacks) -> str:
        return self._call(
            lambda: self.client.messages.create(
                to=to, from_=self.from_number, body=body, status_callback=callbacks.status_url
            )
        )

    def place_call(self, to: str, callbacks: Callbacks) -> str:
        return self._call(
            lambda: self.client.calls.create(
                to=to,
                from_=self.from_number,
                url=callbacks.voice_url,
                status_callback=callbacks.status_url,
                status_callback_event=["completed"] if callbacks.status_url else None,
            )
        )

    @staticmethod
    def _call(create) -> str:  # type: ignore[no-untyped-def]
        try:
            return str(create().sid)
        except TwilioRestException as exc:
            if exc.status == 429 or exc.status >= 500:
                raise TransientSendError(f"Twilio {exc.status} (code {exc.code})") from exc
            raise PermanentSendError(f"Twilio refused: {exc.msg} (code {exc.code})") from exc
        except OSError as exc:  # timeouts and refused connections from requests
            raise TransientSendError(f"Twilio unreachable: {type(exc).__name__}") from exc


class DryRunSender:
    """Records instead of sending; the sid says so wherever it is shown."""

    dry_run = True

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self.sent: list[tuple[str, str, str]] = []

    def send_sms(self, to: str, body: str, callbacks: Callbacks) -> str:
        self.sent.append(("sms", to, body))
        log.info("dry run, SMS not sent to %s: %s", to, body)
        return f"DRYRUN-SM{next(self._ids):06d}"

    def place_call(self, to: str, callbacks: Callbacks) -> str:
        self.sent.append(("voice", to, ""))
        log.info("dry run, call not placed to %s", to)
        return f"DRYRUN-CA{next(self._ids):06d}"


def make_sender(settings: Settings) -> Sender:
    return TwilioSender(settings) if settings.twilio_enabled else DryRunSender()
