"""Fixtures for the on-call surface: the desk with an on-call channel and a public URL,
fixed instants in the example rotation, and helpers to read what was announced."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from redis import Redis
from sqlalchemy import select

from supportbot.db.models import OncallOverride, OncallPost
from supportbot.runtime import Runtime
from supportbot.settings import Settings
from tests.conftest import make_settings
from tests.standins import SlackStandin

ONCALL = "C0ONCALL01"
PUBLIC_URL = "https://desk.example.com"

# In the example rotation (rotations/follow-the-sun.yaml), 2026-03-10 is a Tuesday: EMEA
# holds every pager from 08:00 Dublin (= UTC in March) until Americas starts at 13:00 UTC.
TUESDAY_10_DUBLIN = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
# Saturday: no region on shift, the "Global weekend" fallback roster holds the pagers.
SATURDAY_NOON = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)

# Slack ids from the example rotation.
AOIFE, BRAM, CHLOE = "U0EMEA0001", "U0EMEA0002", "U0EMEA0003"
ELENA = "U0EMEA0005"
CARLA = "U0AMER0003"


@pytest.fixture
def settings(
    tmp_path: Path, redis: Redis, redis_url: str, database_url: str, slack_api: SlackStandin
) -> Settings:
    return make_settings(
        tmp_path,
        redis_url,
        database_url,
        slack_api.api_url,
        oncall_channel=ONCALL,
        public_url=PUBLIC_URL,
    )


def oncall_posts(api: SlackStandin) -> list[str]:
    """Texts posted in the on-call channel, oldest first."""
    return [
        m["text"] for m in api.messages(channel=ONCALL) if m.get("method") == "chat.postMessage"
    ]


def override_rows(rt: Runtime) -> list[OncallOverride]:
    with rt.session() as session:
        return list(session.scalars(select(OncallOverride).order_by(OncallOverride.id)))


def post_rows(rt: Runtime) -> list[OncallPost]:
    with rt.session() as session:
        return list(session.scalars(select(OncallPost).order_by(OncallPost.id)))


def mention(slack_id: str, name: str = "someone") -> str:
    """A user as Slack sends it in an escaped slash command's text."""
    return f"<@{slack_id}|{name}>"


def blocks_text(response: Any) -> str:
    blocks = response.json().get("blocks") or []
    parts = []
    for block in blocks:
        text = block.get("text")
        if isinstance(text, dict):
            parts.append(text.get("text", ""))
        for element in block.get("elements", []):
            parts.append(element.get("text", ""))
    return "\n".join(parts)
