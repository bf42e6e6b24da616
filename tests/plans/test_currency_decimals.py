"""Amounts in their currency's own decimals (ISO 4217's minor unit), everywhere they show.

Sakura KK pays 15,000 yen an incident and Gulf Trading 0.125 Kuwaiti dinar an agent-minute.
Before, both were rounded to the cent and shown with two decimals: `15000.00 JPY` on the
card, in `/sla` and in the usage report, and a dinar charge of 0.125 × 7 = 0.875 KWD stored
and shown as `0.88`. Now the yen has no decimals and the dinar three, on the cards, in
`/sla`, the usage report (table, CSV, JSON) and the SLA credits.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from csv import DictReader
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy import select

from supportbot.cli_commands.usage import render
from supportbot.clock import TravelClock
from supportbot.contracts.credit_terms import CreditTerms, ResponseCredit
from supportbot.contracts.currency import amount_text, decimals, rounded
from supportbot.db.ledger import LedgerEntry
from supportbot.db.models import Incident
from supportbot.desk import work
from supportbot.incidents.access import Actor
from supportbot.plans.charging import money
from supportbot.plans.usage import customer_text, summarise
from supportbot.reports.credits import credits, percent_of
from supportbot.reports.records import IncidentRecord, parse_month
from supportbot.settings import Settings
from tests.conftest import Desk, make_settings
from tests.standins import SlackStandin, block_text
from tests.support.records import answer
from tests.support.slack_requests import STAFF

CONTRACT = """customers:
  - key: sakura
    name: Sakura KK
    tier: Standard
    timezone: Asia/Tokyo
    business_hours: {}
    channels: [C0SAKURA]
    plans:
      - kind: per_incident
        currency: JPY
        price: 15000
  - key: gulf
    name: Gulf Trading
    tier: Standard
    timezone: Asia/Kuwait
    business_hours: {}
    channels: [C0GULF]
    plans:
      - kind: per_minute
        currency: KWD
        price: 0.125
"""


@pytest.fixture
def clock() -> TravelClock:
    return TravelClock(datetime(2026, 12, 7, 1, 0, tzinfo=UTC))


@pytest.fixture
def settings(
    tmp_path: Path, redis: Redis, redis_url: str, database_url: str, slack_api: SlackStandin
) -> Iterator[Settings]:
    contract = tmp_path / "customers.yaml"
    contract.write_text(CONTRACT)
    yield make_settings(
        tmp_path, redis_url, database_url, slack_api.api_url, contracts_file=contract
    )


def test_the_rule_zero_two_and_three_decimals() -> None:
    assert (decimals("JPY"), decimals("krw"), decimals("USD"), decimals("KWD")) == (0, 0, 2, 3)
    assert amount_text(Decimal("1234.5"), "JPY", grouped=True) == "1,235"  # half up
    assert amount_text(Decimal("1234.5"), "EUR") == "1234.50"
    assert amount_text(Decimal("12.3455"), "KWD") == "12.346"
    assert str(rounded(Decimal("0.875"), "KWD")) == "0.875"
    assert str(money(7, Decimal("0.125"), "KWD")) == "0.875"  # not 0.88
    assert str(money(3, Decimal("333.5"), "JPY")) == "1001"  # 1000.5: half up
    assert str(percent_of(Decimal("99999"), Decimal("10"), "JPY")) == "10000"  # 9999.9


def test_credits_in_yen_have_no_decimals() -> None:
    terms = CreditTerms(
        currency="JPY",
        response=(ResponseCredit(severity=1, within=timedelta(hours=1), amount=Decimal(50000)),),
    )
    opened = datetime(2026, 3, 10, 5, tzinfo=UTC)
    row = IncidentRecord(
        key="INC-1", customer="sakura", tier="Standard", zone="Asia/Tokyo", severity=1,
        opened_at=opened, first_response_at=opened + timedelta(minutes=61),
    )  # fmt: skip
    found = credits([row], parse_month("2026-03"), opened + timedelta(days=30), "sakura",
                    lambda _key: terms)  # fmt: skip
    [line] = found.lines
    assert (str(line.amount), str(found.total)) == ("50000", "50000")


def _cards(desk: Desk, incident_id: int) -> list[str]:
    with desk.rt.session() as session:
        incident = session.get_one(Incident, incident_id)
        places = [(incident.card_channel, incident.card_ts)]
        places.append((incident.customer_channel, incident.customer_card_ts))
    return [block_text(desk.api.message(c, t)["blocks"]) for c, t in places]  # type: ignore[index,arg-type]


def test_yen_and_dinar_on_the_cards_in_sla_and_in_the_usage_report(desk: Desk) -> None:
    said = answer(desk.slack.command("sev3 the printer is offline customer:sakura"))
    assert said.endswith("(15000 JPY)"), said
    assert "Opened *INC-2*" in answer(desk.slack.command("sev3 export fails customer:gulf"))
    work.log_time(desk.rt, 2, Actor.staff_member(STAFF), 7)
    desk.drain()
    assert any("(15000 JPY)" in card for card in _cards(desk, 1)), _cards(desk, 1)
    assert any("(0.875 KWD)" in card for card in _cards(desk, 2)), _cards(desk, 2)
    assert "(15000 JPY)" in answer(desk.slack.command("INC-1", command="/sla"))
    assert "(0.875 KWD)" in answer(desk.slack.command("INC-2", command="/sla"))
    with desk.rt.session() as session:
        stored = session.scalars(select(LedgerEntry.amount).where(LedgerEntry.incident_id == 2))
        assert list(stored) == [Decimal("0.875")]  # three decimals kept
        summaries = [summarise(session, c, date(2026, 12, 1)) for c in desk.rt.contracts.customers]
    assert "15000 JPY" in customer_text(summaries[0]) and "15000.00" not in customer_text(
        summaries[0]
    )
    assert "0.875 KWD" in customer_text(summaries[1])
    data = json.loads(render(summaries, "2026-12", "json"))
    assert [t["amount"] for t in data["totals"]] == ["15000", "0.875"]
    assert [line["amount"] for line in data["lines"]] == ["15000", "0.875"]
    full = render(summaries, "2026-12", "csv")
    # The CSV's own definition of `amount` says so too; it said "rounded to the cent".
    assert "rounded half up to the currency's unit" in full and "to the cent" not in full
    csv = "".join(row for row in StringIO(full) if not row.startswith("#"))
    rows = list(DictReader(StringIO(csv)))
    assert [r["amount"] for r in rows] == ["15000", "0.875", "15000", "0.875"]
    table = render(summaries, "2026-12", "table")
    assert "15000" in table and "15000.00" not in table and "0.875" in table
