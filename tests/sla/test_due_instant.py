"""The exact due instant: an answer at the due instant, to the microsecond, meets the target;
one a microsecond later is late. The clock's state, the breach job (whichever of it and the
acknowledgement runs first) and ``/sla`` all judge it the same way (the reports and credits:
tests/reports/test_due_instant.py).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from supportbot.clock import TravelClock
from supportbot.contracts.customers import load_contracts
from supportbot.db.models import SlaClock
from supportbot.sla import firing
from supportbot.sla.plan import BREACH, Facts, plan
from supportbot.sla.tracking import contract_of
from supportbot.slack import cards
from tests.conftest import REPO, Desk
from tests.sla.test_never_early import breach_timer, texts
from tests.support.records import ACME_CHANNEL, answer, incident

OPENED = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # a Tuesday, EMEA on shift
DUE = OPENED + timedelta(hours=2)  # Acme: Premier, 24x7, Sev2 response 2 h
AFTER = DUE + timedelta(microseconds=1)


@pytest.fixture
def clock() -> TravelClock:
    return TravelClock(OPENED)  # still: it moves only when the test says so


# -- the clock's state (pure) ------------------------------------------------------------------
def _response(first_response: datetime | None, now: datetime) -> tuple[str, dict[int, datetime]]:
    acme = load_contracts(REPO / "contracts" / "customers.yaml").by_key("acme")
    facts = Facts(OPENED, 2, "L1", True, first_response, None)
    wanted = plan(facts, contract_of(acme), now)
    clock = next(c for c in wanted.clocks if c.kind == "response")
    assert clock.due == DUE
    return clock.state, {pct: at for (kind, pct), at in wanted.timers.items() if kind == "response"}


@pytest.mark.parametrize(("answered", "state"), [(DUE, "met"), (AFTER, "breached")])
def test_a_clock_stopped_at_its_due_instant_is_met(answered: datetime, state: str) -> None:
    assert _response(answered, answered + timedelta(hours=1))[0] == state


@pytest.mark.parametrize(("now", "state"), [(DUE, "running"), (AFTER, "breached")])
def test_a_running_clock_is_breached_only_after_its_due_instant(now: datetime, state: str) -> None:
    running, timers = _response(None, now)
    assert running == state
    # The breach is owed at the first late instant, not at the due instant itself.
    assert timers[BREACH] == AFTER


# -- the breach job and the acknowledgement, in either order -----------------------------------
def _open(desk: Desk) -> None:
    assert desk.slack.command("sev2 payments API slow", channel=ACME_CHANNEL).status_code == 200
    desk.drain()


def _response_row(desk: Desk) -> SlaClock:
    with desk.rt.session() as session:
        found = session.scalar(select(SlaClock).where(SlaClock.kind == "response"))
        assert found is not None
        return found


def _breached_or_escalated(desk: Desk) -> list[str]:
    return [t for t in texts(desk.rt) if "breached its response" in t or "escalated to" in t]


def _sla_response_line(desk: Desk) -> str:
    text = answer(desk.slack.command("INC-1", command="/sla"))
    return next(line for line in text.splitlines() if line.startswith("• Response"))


def _ack_at(desk: Desk, at: datetime) -> None:
    assert isinstance(desk.rt.clock, TravelClock)
    desk.rt.clock.set(at)
    desk.slack.block_action(cards.ACTION_ACK, value="1")
    desk.drain()
    assert incident(desk.rt, 1).first_response_at == at


def test_an_ack_at_the_due_instant_is_met_and_the_breach_job_then_does_nothing(
    desk: Desk,
) -> None:
    _open(desk)
    _ack_at(desk, DUE)
    assert firing.fire(desk.rt, breach_timer(desk.rt).id) == "stale"
    desk.travel(timedelta(minutes=5))

    row = _response_row(desk)
    assert (row.state, row.breached_at) == ("met", None)
    assert not _breached_or_escalated(desk)
    assert incident(desk.rt, 1).level == "L1"
    assert _sla_response_line(desk).startswith("• Response: *met* at")


def test_the_breach_job_first_at_the_due_instant_then_an_ack_at_that_instant_is_met(
    desk: Desk,
) -> None:
    _open(desk)
    assert isinstance(desk.rt.clock, TravelClock)
    desk.rt.clock.set(DUE)
    assert firing.fire(desk.rt, breach_timer(desk.rt).id) != "breached"
    assert not _breached_or_escalated(desk)
    # Nothing is late yet: /sla still reads running, with no time left.
    assert _sla_response_line(desk).startswith("• Response: *running*, due ")
    assert _sla_response_line(desk).endswith(", 0m left.")

    _ack_at(desk, DUE)
    desk.travel(timedelta(minutes=5))

    row = _response_row(desk)
    assert (row.state, row.breached_at) == ("met", None)
    assert breach_timer(desk.rt).state == "cancelled"
    assert not _breached_or_escalated(desk)
    assert incident(desk.rt, 1).level == "L1"
    assert _sla_response_line(desk).startswith("• Response: *met* at")


def test_a_microsecond_after_the_due_instant_the_breach_job_breaches(desk: Desk) -> None:
    _open(desk)
    assert isinstance(desk.rt.clock, TravelClock)
    desk.rt.clock.set(AFTER)
    assert firing.fire(desk.rt, breach_timer(desk.rt).id) == "breached"

    row = _response_row(desk)
    assert (row.state, row.breached_at) == ("breached", AFTER)
    assert len([t for t in texts(desk.rt) if "breached its response target" in t]) == 1
    assert incident(desk.rt, 1).level == "L2"
    assert _sla_response_line(desk).startswith("• Response: *breached*")


def test_an_ack_a_microsecond_after_the_due_instant_is_breached(desk: Desk) -> None:
    _open(desk)
    _ack_at(desk, AFTER)  # before the breach job ran: the breach is still owed
    desk.travel(timedelta(minutes=1))

    row = _response_row(desk)
    assert row.state == "breached" and row.stopped_at == AFTER
    assert [t for t in texts(desk.rt) if "breached its response target" in t]
    assert _sla_response_line(desk).startswith("• Response: *breached*")
