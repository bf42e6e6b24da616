"""Configuration from the environment and ``.env``, with the ecosystem's own names.

Secrets are ``SecretStr`` so that a settings object printed into a log shows ``**********``.
"""

from __future__ import annotations

import logging
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_TWILIO_API_URL = "https://api.twilio.com"


def _env(name: str) -> AliasChoices:
    return AliasChoices(name)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SUPPORTBOT_", env_file=".env", extra="ignore", populate_by_name=True
    )

    slack_bot_token: SecretStr | None = Field(None, validation_alias=_env("SLACK_BOT_TOKEN"))
    slack_signing_secret: SecretStr | None = Field(
        None, validation_alias=_env("SLACK_SIGNING_SECRET")
    )
    slack_app_token: SecretStr | None = Field(None, validation_alias=_env("SLACK_APP_TOKEN"))
    slack_api_url: str = Field(DEFAULT_SLACK_API_URL, validation_alias=_env("SLACK_API_URL"))
    twilio_account_sid: str | None = Field(None, validation_alias=_env("TWILIO_ACCOUNT_SID"))
    twilio_auth_token: SecretStr | None = Field(None, validation_alias=_env("TWILIO_AUTH_TOKEN"))
    twilio_from_number: str | None = Field(None, validation_alias=_env("TWILIO_FROM_NUMBER"))
    twilio_api_url: str = Field(DEFAULT_TWILIO_API_URL, validation_alias=_env("TWILIO_API_URL"))
    redis_url: str | None = Field(None, validation_alias=_env("REDIS_URL"))
    database_url: str | None = Field(None, validation_alias=_env("DATABASE_URL"))
    port: int = Field(3000, validation_alias=_env("PORT"))
    public_url: str | None = Field(None, validation_alias=_env("SUPPORTBOT_PUBLIC_URL"))
    rotations_dir: Path = Field(
        Path("rotations"), validation_alias=_env("SUPPORTBOT_ROTATIONS_DIR")
    )

    # Settings of our own, all under the SUPPORTBOT_ prefix.
    triage_channel: str | None = None
    # Narrows staff to the members of this Slack user group (an id like S0123ABCD); unset,
    # every member of the app's own workspace is staff (README, "Who is staff").
    staff_usergroup: str | None = None
    oncall_channel: str | None = None
    # The rota talking to people (README, "The rota talks to people"): shift reminders, weekly
    # summaries and change notices by DM, and the Slack user groups (Slack's paid plans).
    rota_dms: bool = True
    rota_usergroups: bool = True
    # The monthly report per customer (triage review), the monthly usage summary to customers
    # with plans and the weekly digest (on-call channel).
    scheduled_reports: bool = True
    # Sign in with Slack (OpenID Connect) for GET /dashboard; the authorize page is Slack's.
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    slack_oidc_authorize_url: str = "https://slack.com/openid/connect/authorize"
    # Signs the dashboard's session cookie; unset, derived from SLACK_SIGNING_SECRET.
    dashboard_secret: SecretStr | None = None
    contracts_file: Path = Path("contracts/customers.yaml")
    triage_rules_file: Path = Path("contracts/triage.yaml")
    # Monitoring integrations (POST /alerts/<key>); a missing file means none.
    integrations_file: Path = Path("contracts/integrations.yaml")
    data_dir: Path = Path("var")
    twilio_alt_auth_token: SecretStr | None = None
    # HMAC key of the /oncall.ics feed tokens; change it to revoke every feed URL at once.
    calendar_secret: SecretStr | None = None
    log_level: str = "INFO"
    queue_name: str = "supportbot"
    # Refused out of range at start: a negative interval made the worker spin at full CPU,
    # and no SMS (or call) allowed per 15 minutes would hold every page back.
    reconcile_interval_seconds: int = Field(15, gt=0)
    # The worker's niceness (Linux CPU priority, 0-19): its cards and reminders yield the CPU
    # to the web's answers, which Slack waits for, when both want it (docs/deploy.md).
    worker_nice: int = Field(10, ge=0, le=19)
    # How old the last look at a data file may be before a use looks again (livefiles).
    data_files_recheck_seconds: float = Field(1.0, ge=0, le=3600)
    # Page throttles per contact method (a phone number's SMS, or its calls).
    page_min_gap_seconds: int = Field(60, ge=0)
    page_sms_per_15min: int = Field(5, ge=1)
    page_calls_per_15min: int = Field(3, ge=1)
    # The address `supportbot web` listens on; unset, 127.0.0.1 in local mode (no Slack
    # credentials, no public URL), else 0.0.0.0 (devtools.local_mode.bind_address).
    bind: str | None = None
    # Bearer token of GET /metrics; unset, /metrics answers only 127.0.0.1 and ::1 (README).
    metrics_token: SecretStr | None = None

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        # logging's own error came as a traceback at start, after the settings were "valid".
        if value.upper() not in logging.getLevelNamesMapping():
            raise ValueError("use DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _slack_url_slash(cls, value: str) -> str:
        # slack_sdk joins base_url and the method name by plain concatenation.
        return value if value.endswith("/") else value + "/"

    @property
    def slack_enabled(self) -> bool:
        return self.slack_bot_token is not None and self.slack_signing_secret is not None

    @property
    def local_mode(self) -> bool:
        """No Slack credential and no public URL: nothing outside this machine is meant to
        call in (``supportbot web`` binds 127.0.0.1; the dashboard may open to this machine).
        An empty value set in the environment counts as set: never local by accident."""
        credentials = (self.slack_bot_token, self.slack_signing_secret, self.slack_app_token)
        return all(value is None for value in credentials) and not self.public_url

    @property
    def sign_in_configured(self) -> bool:
        """Sign in with Slack (OpenID Connect) has both of its credentials."""
        return bool(self.slack_client_id and self.slack_client_secret)

    @property
    def twilio_enabled(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token and self.twilio_from_number)

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            url = self.database_url
            # Heroku-style URLs name the scheme "postgres"; SQLAlchemy wants a driver.
            for prefix in ("postgres://", "postgresql://"):
                if url.startswith(prefix):
                    return "postgresql+psycopg://" + url[len(prefix) :]
            return url
        return f"sqlite:///{(self.data_dir / 'supportbot.sqlite3').resolve()}"


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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
