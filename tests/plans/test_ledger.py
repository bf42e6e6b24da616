"""The ledger: a request turned over is charged once, balances are derived, and 50 time
logs and charges on one incident from two processes at once add up exactly."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from decimal import Decimal

from sqlalchemy import func, select

from supportbot.db.ledger import LedgerEntry
from supportbot.db.models import KeyValue
from supportbot.plans import ledger
from supportbot.settings import Settings
from tests.conftest import REPO, Desk
from tests.plans.conftest import INITECH_CHANNEL, INITECH_PETER
from tests.support.records import ACME_CHANNEL, GLOBEX_CHANNEL, GLOBEX_HANS, answer


def entries(desk: Desk) -> list[tuple[str, str, int, int, Decimal | None]]:
    with desk.rt.session() as session:
        rows = session.scalars(select(LedgerEntry).order_by(LedgerEntry.id))
        return [(e.customer, e.kind, e.incident_id or 0, e.quantity, e.amount) for e in rows]


def pack_text(desk: Desk) -> str:
    customer = desk.rt.contracts.by_key("initech")
    assert customer is not None
    with desk.rt.session() as session:
        [balance] = ledger.balances(session, customer, desk.rt.now())
        return balance.text()


def test_a_request_turned_over_is_charged_one_incident_once(desk: Desk) -> None:
    said = answer(desk.slack.command("sev3 reports are empty", channel=INITECH_CHANNEL,
                                     user=INITECH_PETER))  # fmt: skip
    assert "Opened *INC-1* for Initech" in said
    desk.slack.command("sev3 invoices are late", channel=GLOBEX_CHANNEL, user=GLOBEX_HANS)
    desk.slack.command("sev3 the export is slow", channel=ACME_CHANNEL)  # agreement: nothing

    assert entries(desk) == [
        ("initech", "charge", 1, 1, None),  # a pack: paid in advance
        ("globex", "charge", 2, 1, Decimal("150.00")),  # per incident: billed as it goes
    ]
    assert pack_text(desk) == "Pack: 9 of 10 left"


def test_fifty_parallel_logs_and_charges_from_two_processes_add_up_exactly(
    desk: Desk, settings: Settings
) -> None:
    desk.slack.command("sev3 the ledger under load", channel=GLOBEX_CHANNEL, user=GLOBEX_HANS)
    base = dict(
        tmp=str(settings.data_dir.parent), redis=settings.redis_url, slack=settings.slack_api_url,
        db=str(desk.rt.engine.url.render_as_string(hide_password=False)),
        contract=str(settings.contracts_file), incident=1, count=25, start_at=time.time() + 3,
    )  # fmt: skip
    script = [sys.executable, "-m", "tests.plans.parallel_logs"]
    procs = [
        subprocess.Popen([*script, json.dumps({**base, "person": who})], cwd=REPO)
        for who in ("U0STAFF001", "U0STAFF002")
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]

    with desk.rt.session() as session:
        by_kind = dict(
            session.execute(select(LedgerEntry.kind, func.count()).group_by(LedgerEntry.kind)).all()
        )
        minutes = session.scalar(select(func.sum(LedgerEntry.minutes)))
        units = session.scalar(select(func.sum(LedgerEntry.quantity)))
        amount = session.scalar(select(func.sum(LedgerEntry.amount)))
    # Each process: 13 logs of 10 min and 12 appointments of 70 min (3 incidents each).
    assert by_kind == {"time": 26, "appointment": 24, "charge": 9}
    assert minutes == 26 * 10 + 24 * 70
    # 260 min of time at one charge per started 30 min is 9 charges (the turnover's is the
    # first); 24 appointments of 3 incidents: 81 incidents at 150.00.
    assert units == 9 + 24 * 3
    assert Decimal(amount) == Decimal("12150.00")


def test_two_processes_spending_one_pack_on_two_incidents_never_overspend_it(
    desk: Desk, settings: Settings
) -> None:
    for _ in range(2):
        desk.slack.command("sev3 on-site", channel=INITECH_CHANNEL, user=INITECH_PETER)
    base = dict(
        tmp=str(settings.data_dir.parent), redis=settings.redis_url, slack=settings.slack_api_url,
        db=str(desk.rt.engine.url.render_as_string(hide_password=False)),
        contract=str(settings.contracts_file), count=6, start_at=time.time() + 3,
        appointments_only=True,
    )  # fmt: skip
    script = [sys.executable, "-m", "tests.plans.parallel_logs"]
    procs = [
        subprocess.Popen(
            [*script, json.dumps({**base, "person": who, "incident": number})], cwd=REPO
        )  # fmt: skip
        for number, who in ((1, "U0STAFF001"), (2, "U0STAFF002"))
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]

    with desk.rt.session() as session:
        by_kind = dict(
            session.execute(
                select(LedgerEntry.kind, func.sum(LedgerEntry.quantity)).group_by(LedgerEntry.kind)
            ).all()
        )
        notices = session.scalars(
            select(KeyValue.key).where(KeyValue.key.like("plan-notice:%")).order_by(KeyValue.key)
        ).all()
    # 2 turnovers and 12 appointments of 3: 38 incidents asked of a pack of 10. Exactly the
    # pack is spent and the rest is overage, however the two processes interleaved.
    assert by_kind == {"charge": 2, "appointment": 8, "overage": 28}
    assert notices == [
        "plan-notice:initech:incident_pack:2026-01-01:80",
        "plan-notice:initech:incident_pack:2026-01-01:exhausted",
    ]
