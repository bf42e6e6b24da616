"""``supportbot check`` says when the ledger holds charges under a term the contracts file
no longer has: a term's start moved after charges were made (the ledger names a term by its
start) read as if nothing had been used."""

from __future__ import annotations

from supportbot.check import Report
from supportbot.plans.check import check_ledger_terms
from tests.conftest import Desk
from tests.plans.conftest import INITECH_CHANNEL, INITECH_PETER

TERM = "{start: 2026-01-01, end: 2026-12-31, incidents: 10, price: 2000.00}"


def _checked(desk: Desk) -> Report:
    report = Report()
    check_ledger_terms(desk.rt.settings, report)
    return report


def test_a_term_whose_start_moved_after_charges_is_a_problem(desk: Desk) -> None:
    desk.slack.command("sev3 printer jam", channel=INITECH_CHANNEL, user=INITECH_PETER)
    desk.drain()
    assert _checked(desk).problems == []  # charged under the term the file has

    path = desk.rt.settings.contracts_file
    text = path.read_text()
    assert TERM in text
    path.write_text(text.replace(TERM, TERM.replace("2026-01-01", "2026-02-01")))

    [problem] = _checked(desk).problems
    assert "customer initech plan incident_pack" in problem
    assert "under the term starting 2026-01-01, which the file no longer has" in problem
    assert "Put the start back to 2026-01-01" in problem


def test_a_customer_removed_from_the_file_is_not_a_problem(desk: Desk) -> None:
    desk.slack.command("sev3 printer jam", channel=INITECH_CHANNEL, user=INITECH_PETER)
    desk.drain()
    path = desk.rt.settings.contracts_file
    text = path.read_text()
    start = text.index("  - key: initech")
    end = text.index("  - key: ", start + 1)
    path.write_text(text[:start] + text[end:])
    assert _checked(desk).problems == []
