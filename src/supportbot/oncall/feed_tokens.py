"""Tokens of the per-person calendar feed, ``GET /oncall.ics?token=…``.

A token is the HMAC-SHA-256 of the person's rotation key under a server secret, so it cannot
be guessed, is never written in the rotation files (which are in git), needs no table, and is
revoked for everyone at once by changing the secret. The secret is
``SUPPORTBOT_CALENDAR_SECRET``; without it, one is derived from the Slack signing secret (in
local mode, the random one kept in the data directory), so a fresh install works, and
rotating the signing secret also changes every feed URL.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable

from supportbot.settings import Settings, signing_secret

_DERIVE_LABEL = b"supportbot calendar feed v1"
_TOKEN_LABEL = b"oncall.ics\x00"


def feed_secret(settings: Settings) -> bytes:
    if settings.calendar_secret is not None:
        return settings.calendar_secret.get_secret_value().encode()
    # A separate key derived from the signing secret: a leaked feed token says nothing
    # about the secret that authenticates Slack's requests.
    return hmac.new(signing_secret(settings).encode(), _DERIVE_LABEL, hashlib.sha256).digest()


def token_for(secret: bytes, person_key: str) -> str:
    digest = hmac.new(secret, _TOKEN_LABEL + person_key.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def person_for_token(secret: bytes, people: Iterable[str], token: str) -> str | None:
    """The person whose token this is, compared in constant time; None for a forged one."""
    found = None
    for key in people:
        if hmac.compare_digest(token_for(secret, key).encode(), token.encode()):
            found = key
    return found


def feed_url(settings: Settings, person_key: str) -> str:
    """The URL to subscribe to; relative when ``SUPPORTBOT_PUBLIC_URL`` is not set."""
    path = f"/oncall.ics?token={token_for(feed_secret(settings), person_key)}"
    return (settings.public_url or "").rstrip("/") + path
