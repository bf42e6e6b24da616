"""Sending an SMS or placing a call: through Twilio, or recorded only (dry run).

Without Twilio credentials the product still runs; every page is logged and shown in Slack
as "dry run" instead of sent, so a fresh machine can see the whole flow.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from twilio.base.exceptions import TwilioException, TwilioRestException

from supportbot.clients.twilio_http import make_twilio_client
from supportbot.settings import Settings

log = logging.getLogger(__name__)


class PermanentSendError(Exception):
    """Twilio refused the message for good (bad number, blocked): retrying cannot help."""


class TransientSendError(Exception):
    """Rate limited, Twilio down or a timeout: retry with backoff, or after ``retry_after``
    seconds when Twilio said so (``Retry-After`` on a 429 or 503)."""

    def __init__(
        self, message: str, retry_after: float | None = None, *, maybe_sent: bool = False
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        # No answer (a timeout, a dropped connection): Twilio may have taken it all the same.
        self.maybe_sent = maybe_sent


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` in seconds (HTTP also allows a date, which Twilio does not send)."""
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    return seconds if seconds is not None and seconds >= 0 else None


class _RetryAfterRecorder:
    """Wraps the twilio HTTP client to keep, per thread, the last response's ``Retry-After``:
    ``TwilioRestException`` carries the status and code but drops the headers."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._local = threading.local()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def request(self, *args: Any, **kwargs: Any) -> Any:
        self._local.retry_after = None
        response = self._inner.request(*args, **kwargs)
        headers = response.headers or {}
        self._local.retry_after = retry_after_seconds(headers.get("Retry-After"))
        return response

    def last_retry_after(self) -> float | None:
        return getattr(self._local, "retry_after", None)


@dataclass(frozen=True)
class Callbacks:
    status_url: str | None
    voice_url: str | None = None


class Sender(Protocol):
    dry_run: bool

    def send_sms(self, to: str, body: str, callbacks: Callbacks) -> str: ...

    def place_call(self, to: str, callbacks: Callbacks) -> str: ...

    def find_earlier(
        self,
        channel: str,
        to: str,
        since: datetime,
        until: datetime | None,
        bodies: Sequence[str],
        known: Collection[str],
    ) -> str | None: ...


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=UTC)


# How far Twilio's clock may be from ours when looking for an earlier attempt.
CLOCK_SKEW = timedelta(seconds=5)
OPTED_OUT = 21610  # Twilio: "Attempt to send to unsubscribed recipient" (the number texted STOP)
LOOKUP_LIMIT = 50  # newest first: the person's latest messages or calls


class TwilioSender:
    dry_run = False

    def __init__(self, settings: Settings, *, timeout: float = 10.0) -> None:
        assert settings.twilio_account_sid and settings.twilio_auth_token
        self.client = make_twilio_client(
            settings.twilio_account_sid,
            settings.twilio_auth_token,
            settings.twilio_api_url,
            timeout=timeout,
        )
        self._http = _RetryAfterRecorder(self.client.http_client)
        self.client.http_client = self._http
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

    def find_earlier(
        self,
        channel: str,
        to: str,
        since: datetime,
        until: datetime | None,
        bodies: Sequence[str],
        known: Collection[str],
    ) -> str | None:
        """The sid of a message or call an earlier attempt got to Twilio, if any.

        A worker killed between Twilio's answer and the commit leaves no sid behind. Twilio's
        list (filtered by ``To``, newest first) is asked for a message created since
        ``since`` whose body carries every text of this attempt (the ack codes make it
        unique), or a call to the number created between ``since`` and ``until`` (the dead
        attempt's claim and deadline: a call carries no text, so only that window tells it
        from another worker's call in flight now), not already recorded for another page
        (``known``). Twilio's ``DateSent`` and ``StartTime`` stay empty while a message is
        queued or a call rings, so the creation time is compared here.
        """
        low = _aware(since) - CLOCK_SKEW
        high = _aware(until) + CLOCK_SKEW if until is not None else None

        def fresh(sid: str, created: datetime | None) -> bool:
            if sid in known or created is None or created < low:
                return False
            return high is None or created <= high

        def look() -> str | None:
            if channel == "sms":
                for m in self.client.messages.list(to=to, limit=LOOKUP_LIMIT):
                    body = m.body or ""
                    if fresh(str(m.sid), m.date_created) and all(b in body for b in bodies):
                        return str(m.sid)
                return None
            if high is None:
                return None  # a call without its attempt's window cannot be told apart
            for c in self.client.calls.list(to=to, limit=LOOKUP_LIMIT):
                if fresh(str(c.sid), c.date_created):
                    return str(c.sid)
            return None

        return self._twilio(look)

    def _call(self, create: Callable[[], Any]) -> str:
        return str(self._twilio(lambda: create().sid))

    def _twilio(self, request: Callable[[], Any]) -> Any:
        try:
            return request()
        except TwilioRestException as exc:
            if exc.status == 429 or exc.status >= 500:
                wait = self._http.last_retry_after()
                raise TransientSendError(f"Twilio {exc.status} (code {exc.code})", wait) from exc
            if exc.code == OPTED_OUT:
                raise PermanentSendError(
                    "Twilio refused: the number opted out of SMS (it texted STOP); SMS pages "
                    f"fail until it texts START to {self.from_number} (code {exc.code})"
                ) from exc
            raise PermanentSendError(f"Twilio refused: {exc.msg} (code {exc.code})") from exc
        except TwilioException as exc:  # a list page Twilio would not serve
            response = exc.args[1] if len(exc.args) > 1 else None
            status = int(getattr(response, "status_code", 500))
            if status == 429 or status >= 500:
                wait = self._http.last_retry_after()
                raise TransientSendError(f"Twilio {status} on a list", wait) from exc
            raise PermanentSendError(f"Twilio refused a list: {status}") from exc
        except OSError as exc:  # timeouts and refused connections from requests
            raise TransientSendError(
                f"Twilio unreachable: {type(exc).__name__}", maybe_sent=True
            ) from exc


class DryRunSender:
    """Records instead of sending; the sid says so wherever it is shown."""

    dry_run = True

    def __init__(self, *, record: bool = False) -> None:
        """``record``: keep every page in :attr:`sent` (the demo shows them); off for a
        service running without Twilio, which would otherwise hold every page forever."""
        self._ids = itertools.count(1)
        self._record = record
        self.sent: list[tuple[str, str, str]] = []

    def send_sms(self, to: str, body: str, callbacks: Callbacks) -> str:
        if self._record:
            self.sent.append(("sms", to, body))
        log.info("dry run, SMS not sent to %s: %s", to, body)
        return f"DRYRUN-SM{next(self._ids):06d}"

    def place_call(self, to: str, callbacks: Callbacks) -> str:
        if self._record:
            self.sent.append(("voice", to, ""))
        log.info("dry run, call not placed to %s", to)
        return f"DRYRUN-CA{next(self._ids):06d}"

    def find_earlier(
        self,
        channel: str,
        to: str,
        since: datetime,
        until: datetime | None,
        bodies: Sequence[str],
        known: Collection[str],
    ) -> str | None:
        return None  # nothing left this process


def make_sender(settings: Settings) -> Sender:
    return TwilioSender(settings) if settings.twilio_enabled else DryRunSender()
