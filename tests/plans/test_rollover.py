"""A pack customer opens requests across a term end: exactly the cap rolls over, the rest
expires, once, at midnight in the customer's zone (Singapore), whoever runs the job."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from supportbot.contracts.customers import load_contracts
from supportbot.db.ledger import LedgerEntry
from supportbot.db.models import Incident
from supportbot.incidents.lifecycle import ACTIVE, Status
from supportbot.plans import rollover
from supportbot.plans.balance import Balance, Usage
from supportbot.plans.cards import FINISHED
from tests.conftest import Desk
from tests.plans.conftest import INITECH_CHANNEL, INITECH_PETER
from tests.standins import block_text
from tests.support.records import answer, dump

HOURS = """customers:
  - key: kmsi
    name: KMSI
    tier: Standard
    timezone: America/New_York
    business_hours: {}
    channels: [C0KMSI]
    plans:
      - kind: prepaid_hours
        currency: USD
        rollover_cap: 20
        terms:
          - {start: 2026-01-01, end: 2026-12-31, hours: 260, price: 20000.00}
          - {start: 2027-01-01, end: 2027-12-31, hours: 260, price: 20000.00}
"""


def say(desk: Desk, text: str) -> str:
    return answer(desk.slack.command(text, channel=INITECH_CHANNEL, user=INITECH_PETER))


def term_entries(desk: Desk) -> list[tuple[str, str | None, int]]:
    with desk.rt.session() as session:
        rows = session.scalars(
            select(LedgerEntry).where(LedgerEntry.incident_id.is_(None)).order_by(LedgerEntry.id)
        )
        return [(e.kind, e.term, e.quantity) for e in rows]


def test_a_pack_across_its_term_end(desk: Desk) -> None:
    assert say(desk, "sev3 printers offline").endswith("Pack: 9 of 10 left")  # 30 Dec, 23:00
    assert say(desk, "sev3 scanner offline").endswith("Pack: 8 of 10 left")

    # 31 Dec 23:59 in Singapore (15:59 UTC): still 2026, and nothing has rolled over.
    desk.travel(datetime(2026, 12, 31, 15, 59, tzinfo=UTC) - desk.rt.now())
    assert say(desk, "sev3 badge reader offline").endswith("Pack: 7 of 10 left")
    assert term_entries(desk) == []
    assert rollover.redrive(desk.rt) == 0  # never early

    # Midnight in Singapore: 7 unused, the cap is 3; 3 roll into 2027 and 4 expire.
    desk.travel(datetime(2026, 12, 31, 16, 0, 30, tzinfo=UTC) - desk.rt.now())
    assert term_entries(desk) == [
        ("rollover_out", "2026-01-01", 3),
        ("expiry", "2026-01-01", 4),
        ("rollover_in", "2027-01-01", -3),
    ]
    said = say(desk, "sev3 new year, new printer")
    assert said.endswith("Pack: 12 of 13 left, 3 rolled over from 2026")

    # Once: the reconciler and a re-run job find the term closed and change nothing.
    before = dump(desk.rt)["ledger_entries"]
    desk.travel(datetime(2027, 1, 2, tzinfo=UTC) - desk.rt.now())
    assert rollover.term_end("initech", "incident_pack") == 0
    assert rollover.redrive(desk.rt) == 0
    assert dump(desk.rt)["ledger_entries"] == before


def test_terms_that_ended_while_nothing_ran_close_oldest_first(desk: Desk) -> None:
    say(desk, "sev3 printers offline")  # 9 of 10 left in 2026
    desk.rt.clock.set(datetime(2028, 1, 1, tzinfo=UTC))  # type: ignore[attr-defined]
    assert rollover.term_end("initech", "incident_pack") == 2
    # 2026: 9 left, 3 roll into 2027; 2027: 13 left, no next term, all 13 expire.
    assert term_entries(desk) == [
        ("rollover_out", "2026-01-01", 3),
        ("expiry", "2026-01-01", 6),
        ("rollover_in", "2027-01-01", -3),
        ("rollover_out", "2027-01-01", 0),
        ("expiry", "2027-01-01", 13),
    ]
    assert rollover.term_end("initech", "incident_pack") == 0


def test_hours_rolled_over_show_in_the_balance_as_a_packs_do(tmp_path: Path) -> None:
    """The hours line left the rollover out ("Hours: 280 h of 280 h left")."""
    (tmp_path / "customers.yaml").write_text(HOURS)
    [kmsi] = load_contracts(tmp_path / "customers.yaml").customers
    [hours] = kmsi.plans
    balance = Balance(kmsi, hours, hours.terms[1], Usage(used=90, rolled_in=20 * 60), "2026")
    assert balance.text() == "Hours: 278.5 h of 280 h left, 20 h rolled over from 2026"


def _cards(desk: Desk, incident_id: int) -> list[str]:
    """The incident's triage card and its card in the customer's channel, as they read now."""
    with desk.rt.session() as session:
        incident = session.get_one(Incident, incident_id)
        places = [(incident.card_channel, incident.card_ts)]
        places.append((incident.customer_channel, incident.customer_card_ts))
    shown = []
    for channel, ts in places:
        assert channel and ts, places
        message = desk.api.message(channel, ts)
        assert message is not None
        shown.append(block_text(message.get("blocks")))
    return shown


def test_the_open_cards_show_the_new_terms_balance_once_the_term_ends(desk: Desk) -> None:
    """The cards of Initech's open incidents kept the closed term's `Pack: 8 of 10 left`
    until their next change: the term's end changed every open card's balance."""
    say(desk, "sev3 printers offline")
    say(desk, "sev3 scanner offline")
    desk.drain()
    assert all("Pack: 8 of 10 left" in card for card in _cards(desk, 1) + _cards(desk, 2))

    desk.travel(datetime(2026, 12, 31, 16, 0, 30, tzinfo=UTC) - desk.rt.now())  # midnight
    assert term_entries(desk)[0] == ("rollover_out", "2026-01-01", 3)
    for card in _cards(desk, 1) + _cards(desk, 2):
        assert "Pack: 13 of 13 left, 3 rolled over from 2026" in card, card


def test_the_finished_statuses_are_the_complement_of_the_active_ones() -> None:
    """plans sits below incidents, so it names the finished statuses itself."""
    assert set(FINISHED) == {s.value for s in Status} - {s.value for s in ACTIVE}
