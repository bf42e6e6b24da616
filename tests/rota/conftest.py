"""The rota-people scenarios run on the on-call desk (on-call channel, public URL), with the
rota's DMs and user groups turned on (tests/conftest.py turns them off for everything else)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from redis import Redis

from supportbot.settings import Settings
from tests.conftest import REPO, make_settings
from tests.oncall.conftest import ONCALL, PUBLIC_URL
from tests.standins import SlackStandin


@pytest.fixture
def settings(
    tmp_path: Path, redis: Redis, redis_url: str, database_url: str, slack_api: SlackStandin
) -> Settings:
    rotations = tmp_path / "rotations"  # a copy the tests may edit, as people do
    shutil.copytree(REPO / "rotations", rotations)
    return make_settings(
        tmp_path, redis_url, database_url, slack_api.api_url, rotations_dir=rotations,
        oncall_channel=ONCALL, public_url=PUBLIC_URL, rota_dms=True, rota_usergroups=True,
    )  # fmt: skip
