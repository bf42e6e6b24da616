"""Point the real ``twilio`` client at a configurable base URL (``TWILIO_API_URL``).

The twilio library builds absolute URLs on ``*.twilio.com`` and its ``edge``/``region`` options
only change host names under twilio.com, so reaching a local stand-in or a proxy takes an HTTP
client that rewrites scheme and host on every request while keeping path and query.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import SecretStr
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

DEFAULT_TWILIO_API_URL = "https://api.twilio.com"


class RedirectingTwilioHttpClient(TwilioHttpClient):
    """A ``TwilioHttpClient`` that sends every request to ``base_url`` instead of twilio.com."""

    def __init__(self, base_url: str, *, timeout: float | None = None, **kwargs: Any) -> None:
        super().__init__(timeout=timeout, **kwargs)
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(
                f"TWILIO_API_URL must be an absolute http(s) URL such as "
                f"'http://127.0.0.1:8081', got {base_url!r}"
            )
        self.base_url = base_url
        self._scheme, self._netloc = parts.scheme, parts.netloc
        self._prefix = parts.path.rstrip("/")

    def rewrite(self, url: str) -> str:
        """Swap scheme and host for the base URL's (prefixing its path, if any)."""
        parts = urlsplit(url)
        path = self._prefix + parts.path
        return urlunsplit((self._scheme, self._netloc, path, parts.query, parts.fragment))

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        return super().request(
            method,
            self.rewrite(url),
            params=params,
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout,
            allow_redirects=allow_redirects,
        )


def make_twilio_client(
    account_sid: str,
    auth_token: str | SecretStr,
    api_url: str = DEFAULT_TWILIO_API_URL,
    timeout: float = 10.0,
) -> Client:
    """A ``twilio.rest.Client`` with a timeout, redirected unless ``api_url`` is Twilio's own."""
    token = auth_token.get_secret_value() if isinstance(auth_token, SecretStr) else auth_token
    if api_url.rstrip("/") == DEFAULT_TWILIO_API_URL:
        http_client: TwilioHttpClient = TwilioHttpClient(timeout=timeout)
    else:
        http_client = RedirectingTwilioHttpClient(api_url, timeout=timeout)
    return Client(account_sid, token, http_client=http_client)
