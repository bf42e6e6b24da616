"""A contract with every kind of plan, and the desk running on it at a chosen instant.

``initech`` holds an incident pack of 10 a year (3 roll over) whose exhaustion policy a test
may choose; ``globex`` pays per incident (a second charge every 30 started minutes);
``acme`` has an agreement and 10 prepaid hours; ``umbrella`` pays per agent-minute and has
no deposit on file; ``hooli`` has no plans (an implicit agreement, as before plans existed);
``wonka`` has prepaid hours and nothing else; ``soylent`` has a pack for its incidents and
per-minute support for the time worked, each with its own waiver reasons.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from redis import Redis

from supportbot.clock import TravelClock
from supportbot.settings import Settings
from tests.conftest import make_settings
from tests.standins import SlackStandin

UMBRELLA_CHANNEL = "C0UMBRELLA"
UMBRELLA_JO = "U0UMBRELLAJO"
HOOLI_CHANNEL = "C0HOOLI"
HOOLI_GAVIN = "U0HOOLIGAVIN"
WONKA_CHANNEL = "C0WONKA"
WONKA_WILLY = "U0WONKAWILLY"
SOYLENT_CHANNEL = "C0SOYLENT"
SOYLENT_SOL = "U0SOYLENTSOL"
INITECH_CHANNEL = "C0INITECH"
INITECH_PETER = "U0INITECHPETER"
START = datetime(2026, 12, 30, 15, 0, tzinfo=UTC)  # 23:00 in Singapore, a day before term end

CONTRACT = """customers:
  - key: acme
    name: Acme Corp
    tier: Premier
    coverage: 24x7
    timezone: America/New_York
    business_hours: {}
    channels: [C0ACMESHARED]
    contacts: [U0ACMEALICE, U0ACMEBOB]
    plans:
      - kind: agreement
      - kind: prepaid_hours
        currency: USD
        round_to: 15m
        on_exhausted: warn
        terms:
          - {start: 2026-01-01, end: 2027-12-31, hours: 10, price: 850.00}
  - key: globex
    name: Globex GmbH
    tier: Standard
    timezone: Europe/Berlin
    business_hours: {}
    channels: [C0GLOBEX]
    contacts: [U0GLOBEXHANS]
    plans:
      - kind: per_incident
        currency: EUR
        price: 150.00
        span: 30m
        second_charge: true
        waiver_reasons: [product defect, documentation error]
  - key: initech
    name: Initech
    tier: Basic
    timezone: Asia/Singapore
    business_hours: {}
    channels: [C0INITECH]
    contacts: [U0INITECHPETER]
    plans:
      - kind: incident_pack
        currency: SGD
        rollover_cap: 3
        on_exhausted: POLICY
        overage_rate: 200.00
        waiver_reasons: [product defect, planned maintenance]
        terms:
          - {start: 2026-01-01, end: 2026-12-31, incidents: 10, price: 2000.00}
          - {start: 2027-01-01, end: 2027-12-31, incidents: 10, price: 2000.00}
  - key: umbrella
    name: Umbrella
    tier: Standard
    timezone: Europe/London
    business_hours: {}
    channels: [C0UMBRELLA]
    contacts: [U0UMBRELLAJO]
    plans:
      - kind: per_minute
        currency: USD
        price: 2.50
        deposit_required: true
  - key: hooli
    name: Hooli
    tier: Standard
    timezone: Europe/London
    business_hours: {}
    channels: [C0HOOLI]
    contacts: [U0HOOLIGAVIN]
  - key: wonka
    name: Wonka
    tier: Basic
    timezone: America/New_York
    business_hours: {}
    channels: [C0WONKA]
    contacts: [U0WONKAWILLY]
    plans:
      - kind: prepaid_hours
        currency: USD
        round_to: 15m
        terms:
          - {start: 2026-01-01, end: 2027-12-31, hours: 20, price: 1700.00}
  - key: soylent
    name: Soylent
    tier: Standard
    timezone: Europe/Paris
    business_hours: {}
    channels: [C0SOYLENT]
    contacts: [U0SOYLENTSOL]
    plans:
      - kind: incident_pack
        currency: EUR
        waiver_reasons: [product defect]
        terms:
          - {start: 2026-01-01, end: 2027-12-31, incidents: 10, price: 1000.00}
      - kind: per_minute
        currency: EUR
        price: 2.00
        deposit: 500.00
        waiver_reasons: [dropped call]
"""


def write_contract(path: Path, policy: str = "warn") -> Path:
    path.write_text(CONTRACT.replace("POLICY", policy))
    return path


@pytest.fixture
def policy() -> str:
    return "warn"


@pytest.fixture
def clock() -> TravelClock:
    return TravelClock(START, ticking=True)


@pytest.fixture
def settings(
    tmp_path: Path,
    redis: Redis,
    redis_url: str,
    database_url: str,
    slack_api: SlackStandin,
    policy: str,
) -> Iterator[Settings]:
    contract = write_contract(tmp_path / "customers.yaml", policy)
    yield make_settings(
        tmp_path, redis_url, database_url, slack_api.api_url, contracts_file=contract
    )
