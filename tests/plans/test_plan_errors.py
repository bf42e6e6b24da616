"""Plans in ``customers.yaml``: every mistake is refused with its file, line and a fix.

Each broken copy of a one-customer contract differs in the plans block; the error must name
the line of the offending field and say what is wrong. The good copy loads.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from supportbot.contracts.customers import load_contracts
from supportbot.contracts.plans import OnExhausted, PlanKind
from supportbot.contracts.tiers import Span, TargetClock, targets_for
from supportbot.datafiles import DataFileError
from supportbot.plans.charging import hourly_rate
from tests.conftest import REPO

HEAD = """customers:
  - key: kmsi
    name: KMSI
    tier: Standard
    timezone: America/New_York
    business_hours: {}
    channels: [C0KMSI]
    contacts: [U0KMSIANN]
    plans:
"""
GOOD_PACK = """      - kind: incident_pack
        currency: USD
        rollover_cap: 15
        on_exhausted: hold
        waiver_reasons: [product defect]
        terms:
          - {start: 2026-01-01, end: 2026-12-31, incidents: 40, price: 8000.00}
          - {start: 2027-01-01, end: 2027-12-31, incidents: 40, price: "8000.00 USD"}
"""
HOURS = """      - kind: prepaid_hours
        currency: USD
        list_rate: 85.00
        discount: 10
        terms:
          - {start: 2026-01-01, end: 2026-12-31, hours: 260, price: 20000}
"""


def load(tmp_path: Path, plans: str) -> object:
    path = tmp_path / "customers.yaml"
    path.write_text(HEAD + plans)
    return load_contracts(path)


def refused(tmp_path: Path, plans: str) -> str:
    with pytest.raises(DataFileError) as caught:
        load(tmp_path, plans)
    return str(caught.value)


def test_the_good_plans_load_with_their_terms_and_policy(tmp_path: Path) -> None:
    contracts = load(tmp_path, GOOD_PACK + HOURS)
    [customer] = contracts.customers  # type: ignore[attr-defined]
    pack, hours = customer.plans
    assert (pack.kind, pack.key, pack.rollover_cap) == (PlanKind.INCIDENT_PACK, "incident_pack", 15)
    assert pack.on_exhausted is OnExhausted.HOLD
    assert [t.incidents for t in pack.terms] == [40, 40]
    assert pack.terms[1].price.amount == Decimal("8000.00")
    assert pack.next_term(pack.terms[0]) == pack.terms[1]
    assert hours.terms[0].hours == Decimal(260) and hours.discount == Decimal(10)


def test_the_shipped_contracts_carry_plans() -> None:
    contracts = load_contracts(REPO / "contracts" / "customers.yaml")
    kinds = {c.key: [p.kind.value for p in c.plans] for c in contracts.customers}
    assert kinds == {
        "acme": ["agreement", "prepaid_hours"],
        "globex": ["per_incident"],
        "initech": ["incident_pack"],
    }


# (what to replace in GOOD_PACK + HOURS, with what, the line it is on, what the error says)
BROKEN = {
    "overlapping terms": (
        "{start: 2027-01-01, end: 2027-12-31, incidents: 40",
        "{start: 2026-12-01, end: 2027-12-31, incidents: 40",
        17,
        "customers[0].plans[0].terms[1]: term 2026-12-01–2027-12-31 overlaps the term "
        "2026-01-01–2026-12-31",
    ),
    "rollover cap above the pack": (
        "rollover_cap: 15",
        "rollover_cap: 45",
        12,
        "customers[0].plans[0].rollover_cap: rollover cap 45 is above the 40 incidents bought "
        "for the term starting 2026-01-01",
    ),
    "currency mismatch in a price": (
        'price: "8000.00 USD"',
        'price: "8000.00 EUR"',
        17,
        "customers[0].plans[0].terms[1].price: currency mismatch: 8000.00 EUR in a plan "
        "billed in USD",
    ),
    "currency mismatch between plans": (
        "        currency: USD\n        list_rate",
        "        currency: EUR\n        list_rate",
        19,
        "customers[0].plans[1].currency: currency mismatch: this plan is in EUR, an earlier "
        "one in USD",
    ),
    "zero incidents": (
        "incidents: 40, price: 8000.00}",
        "incidents: 0, price: 8000.00}",
        16,
        "customers[0].plans[0].terms[0].incidents: incidents must be more than zero, got 0",
    ),
    "negative hours": (
        "hours: 260",
        "hours: -260",
        23,
        "customers[0].plans[1].terms[0].hours: hours must be more than zero, got -260",
    ),
    "negative price": (
        "price: 20000}",
        "price: -20000}",
        23,
        "customers[0].plans[1].terms[0].price: amount -20000 is negative",
    ),
    "zero rate": (
        "list_rate: 85.00",
        "list_rate: 0",
        20,
        "customers[0].plans[1].list_rate: list_rate must be more than zero, got 0",
    ),
    "unknown kind": (
        "kind: prepaid_hours",
        "kind: prepaid_days",
        18,
        "customers[0].plans[1].kind: unknown plan kind 'prepaid_days'; use one of agreement",
    ),
    "unknown policy": (
        "on_exhausted: hold",
        "on_exhausted: panic",
        13,
        "customers[0].plans[0].on_exhausted: Input should be 'warn', 'bill' or 'hold'",
    ),
    "bill without a rate": (
        "on_exhausted: hold",
        "on_exhausted: bill",
        13,
        "customers[0].plans[0].on_exhausted: `on_exhausted: bill` needs an overage_rate",
    ),
    "a field of another kind": (
        "rollover_cap: 15",
        "rollover_cap: 15\n        second_charge: true",
        13,
        "customers[0].plans[0].second_charge: `second_charge` does not apply to an",
    ),
    "hours in a pack term": (
        "incidents: 40, price: 8000.00}",
        "incidents: 40, hours: 3, price: 8000.00}",
        16,
        "customers[0].plans[0].terms[0].hours: a incident_pack term has no `hours`",
    ),
    "a term that ends before it starts": (
        "{start: 2026-01-01, end: 2026-12-31, hours",
        "{start: 2026-01-01, end: 2025-12-31, hours",
        23,
        "customers[0].plans[1].terms[0].end: the term ends (2025-12-31) before it starts",
    ),
    "a price without a currency": (
        "        currency: USD\n        list_rate",
        "        list_rate",
        18,
        "customers[0].plans[1]: a priced prepaid_hours plan needs a `currency`",
    ),
    "a bad currency code": (
        "        currency: USD\n        rollover",
        "        currency: dollars\n        rollover",
        11,
        "customers[0].plans[0].currency: currency 'dollars' is not an ISO 4217 code",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_plan_is_refused_with_its_line(tmp_path: Path, case: str) -> None:
    good, bad, line, said = BROKEN[case]
    text = GOOD_PACK + HOURS
    assert text.count(good) == 1, case
    message = refused(tmp_path, text.replace(good, bad))
    path = tmp_path / "customers.yaml"
    assert f"{path}:{line}: {said}" in message.replace("a incident_pack plan", "an"), message


def test_two_packs_whose_terms_overlap_are_refused_at_the_second(tmp_path: Path) -> None:
    second = GOOD_PACK.replace("incident_pack\n", "incident_pack\n        key: extra\n")
    message = refused(tmp_path, GOOD_PACK + second)
    assert f"{tmp_path / 'customers.yaml'}:25: customers[0].plans[1].terms[0]: term " in message
    assert "overlaps the term 2026-01-01–2026-12-31" in message


def test_the_kmsi_standard_and_premium_plans_map_onto_the_same_machinery() -> None:
    contracts = load_contracts(REPO / "contracts" / "examples" / "kmsi.yaml")
    standard, premium = contracts.customers
    for severity in (1, 2, 3, 4):
        std = targets_for(standard.tier, severity, standard.coverage, standard.sla).response
        assert (std.span, std.clock) == (Span.parse("1bd"), TargetClock.BUSINESS)
        pre = targets_for(premium.tier, severity, premium.coverage, premium.sla).response
        assert (pre.span, pre.clock) == (Span.parse("4h"), TargetClock.WALL)
    [hours] = [p for p in standard.plans if p.kind is PlanKind.PREPAID_HOURS]
    assert hours.terms[0].hours == 260 and hours.list_rate is not None
    assert hourly_rate(hours.terms[0].price.amount, hours.terms[0].hours) == Decimal("76.92")
