"""The cards drawn as plain dicts (issue 9, P1) are byte for byte what slack_sdk's models drew.

Incidents in many states (internal and customer, every status and level, SLA clocks in each
state, an acknowledgement being watched or released, held pages, alerts, a customer update
due, an RCA due or approved, a forecast, plans with task estimates, a long title, text to make
inert) are drawn both ways at one instant; the JSON of each card, keys in the order sent to
Slack, must be the same. Direct messages with a button too.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from slack_sdk.models.blocks import (
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    Option,
    PlainTextObject,
    SectionBlock,
)
from sqlalchemy import select

from supportbot.clock import TravelClock
from supportbot.db.attention import AckWatch, DeferredPage
from supportbot.db.followups import FollowupTimer, RootCause
from supportbot.db.ledger import LedgerEntry, TaskEstimate
from supportbot.db.models import (
    Alert,
    AlertGroup,
    Incident,
    Notification,
    SlaClock,
    TimelineEvent,
)
from supportbot.desk import actions, intake
from supportbot.incidents.access import Actor
from supportbot.runtime import Runtime
from supportbot.slack import drawing, kit
from supportbot.slack.followup_blocks import ACTION_RCA, ACTION_UPDATE, note_blocks
from tests.cards import reference_cards, reference_sections

AT = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # a Tuesday: business hours in Europe and the US
STAFF = Actor.staff_member("U0AMER0001")


@pytest.fixture
def clock() -> TravelClock:
    return TravelClock(AT)  # still: both drawings see the same instant


def _open(rt: Runtime, customer: str | None, severity: int, **extra: Any) -> int:
    found = rt.contracts.by_key(customer) if customer else None
    title = extra.pop("title", f"{customer or 'internal'} sev{severity}")
    opened = intake.open_incident(rt, title=title, severity=severity, reporter="U0AMER0002",
                                  customer=found, **extra)  # fmt: skip
    return opened.id


def _alter(rt: Runtime, incident_id: int, *rows: Any, **fields: Any) -> None:
    with rt.session() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        for name, value in fields.items():
            setattr(incident, name, value)
        session.add_all(rows)
        session.commit()


def _clocks(rt: Runtime, incident_id: int) -> None:
    """Every clock state the card words differently."""
    states = [("running", AT - timedelta(minutes=5), None), ("paused", AT + timedelta(hours=2),
              None), ("breached", AT - timedelta(hours=1), None), ("breached", AT - timedelta(
              hours=3), AT - timedelta(hours=2)), ("met", AT + timedelta(hours=1), AT),
              ("running", None, None)]  # fmt: skip
    rows = [SlaClock(incident_id=incident_id, kind=f"response{i}", target_seconds=3600,
                     basis="test", due_at=due, state=state, stopped_at=stopped)
            for i, (state, due, stopped) in enumerate(states)]  # fmt: skip
    _alter(rt, incident_id, *rows)


def _alerts(rt: Runtime, incident_id: int, firing: int, resolved: int) -> None:
    group = AlertGroup(integration="am", key_sha256=f"{incident_id:064d}", group_key="g",
                       incident_id=incident_id, created_at=AT, updated_at=AT)  # fmt: skip
    _alter(rt, incident_id, group)
    rows = [
        Alert(group_id=group.id, fingerprint=f"f{i}", incident_id=incident_id,
              status="firing" if i < firing else "resolved", severity=1 + i % 3,
              summary=f"disk <full> & {i}", labels="{}", annotations="{}",
              generator_url="https://prom.example/graph" if i % 2 else None,
              runbook_url="https://runbooks.example/disk" if i % 3 else None,
              starts_at=AT, first_seen_at=AT, changed_at=AT)
        for i in range(firing + resolved)
    ]  # fmt: skip
    _alter(rt, incident_id, *rows)


def _incidents(rt: Runtime) -> list[int]:
    made = [_open(rt, None, 3), _open(rt, None, 4, description="a *bold* <@U1> & <!here>")]
    plain = _open(rt, "acme", 2, title="x & " * 37, description="d" * 2990)
    acked = _open(rt, "globex", 1)
    actions.acknowledge(rt, acked, STAFF)
    released = _open(rt, "acme", 2)
    actions.acknowledge(rt, released, STAFF)
    _alter(rt, released, status="open")
    with rt.session() as session:
        watch = session.scalar(select(AckWatch).where(AckWatch.incident_id == released))
        assert watch is not None
        watch.state, watch.reason = "released", "no progress for 30 minutes"
        session.commit()
    waiting = _open(rt, "initech", 2)
    actions.wait_on_customer(rt, waiting, STAFF)
    top = _open(rt, "acme", 4)
    for _ in range(3):
        actions.escalate(rt, top, STAFF)
    resolved = _open(rt, "globex", 2)
    actions.resolve(rt, resolved, STAFF, "fixed by <@U0AMER0001> & a restart")
    approved = _open(rt, "acme", 1)
    actions.resolve(rt, approved, STAFF, "rolled back")
    made += [plain, acked, released, waiting, top, resolved, approved]
    _alter(rt, plain, suggested_severity=1, assignee="U0AMER0003")
    _clocks(rt, plain)
    _alerts(rt, plain, firing=7, resolved=2)
    _alerts(rt, waiting, firing=0, resolved=3)
    _alter(rt, acked, FollowupTimer(incident_id=acked, kind="update", seq=1,
                                    due_at=AT + timedelta(minutes=30)),
           TimelineEvent(incident_id=acked, at=AT, actor="supportbot", kind="forecast:L1",
                         text="Resolution may breach in *40 min*"),
           DeferredPage(incident_id=acked, target="person:ana:sms", due_at=AT, reason="quiet",
                        state="pending", created_by="supportbot", created_at=AT),
           DeferredPage(incident_id=acked, target="level:L2", due_at=AT, reason="awake",
                        state="redirected", created_by="supportbot", created_at=AT))  # fmt: skip
    _alter(rt, top, TimelineEvent(incident_id=top, at=AT, actor="supportbot",
                                  kind="forecast:L2", text="stale forecast"))  # fmt: skip
    with rt.session() as session:  # resolving a Sev1/Sev2 with a customer owes an RCA
        rca = session.scalar(select(RootCause).where(RootCause.incident_id == approved))
        assert rca is not None
        rca.state, rca.approved_by, rca.approved_at = "approved", "U0AMER0004", AT
        session.commit()
    task = TaskEstimate(incident_id=waiting, customer="initech", minutes=150, note="upgrade",
                        requested_by="U0AMER0001", requested_at=AT)  # fmt: skip
    _alter(rt, waiting, task)
    _alter(rt, waiting, TaskEstimate(incident_id=waiting, customer="initech", minutes=30,
                                     state="approved", decided_by="U0CUST01", requested_by="x",
                                     requested_at=AT),
           LedgerEntry(customer="initech", plan="prepaid", incident_id=waiting, task_id=task.id,
                       person="ana", at=AT, kind="use", unit="minute", quantity=45))  # fmt: skip
    return made


def _json(payload: Any) -> str:
    return json.dumps(payload, ensure_ascii=False)  # as sent: keys in the order drawn


def test_cards_drawn_as_dicts_are_what_the_models_drew(rt: Runtime) -> None:
    ids = _incidents(rt)
    drawn = []
    with rt.session() as session:
        for incident_id in ids:
            incident = session.get(Incident, incident_id)
            assert incident is not None
            new, old = drawing.internal_payload, reference_cards.internal_payload
            pairs = [(new(rt, session, incident), old(rt, session, incident))]
            if incident.customer:
                new, old = drawing.customer_payload, reference_cards.customer_payload
                pairs.append((new(rt, session, incident), old(rt, session, incident)))
            for ours, theirs in pairs:
                assert _json(ours) == _json(theirs), f"INC-{incident_id}"
                drawn.append(_json(ours))
    every = "\n".join(drawn)
    # The range is what it claims: each section and element the cards can carry was drawn.
    for shown in ("option_groups", '"confirm"', "Triage suggests", "overdue by", "paused",
                  ":rewind: Un-acknowledged", "Ack by", ":zzz:", "*Alerts*: 7 firing",
                  "Every alert has resolved", "Next update by", "Customer update",
                  "*RCA* due", "*RCA* approved", "Escalate now (forecast)", "stale forecast",
                  ":receipt:", "Estimate 2.5 h", "Log time", "Waiting on customer",
                  ":white_check_mark: Resolved", "&lt;!here&gt;", "No contract SLA"):  # fmt: skip
        assert shown in every, shown


def test_direct_message_buttons_are_what_the_models_drew(rt: Runtime) -> None:
    incident_id = _open(rt, "acme", 2)
    notes = [Notification(id=n, incident_id=incident_id, recipient="U0AMER0001", kind="k",
                          text=text, created_at=AT, button=button)
             for n, (text, button) in enumerate([("update due", ACTION_UPDATE), ("r" * 3000,
             ACTION_RCA), ("no button", None), ("unknown", "other")], start=1)]  # fmt: skip
    drawn = [note_blocks(note) for note in notes]
    assert [_json(d) for d in drawn] == [_json(reference_sections.note_blocks(n)) for n in notes]
    assert drawn[0] is not None and drawn[2] is None and drawn[3] is None


@pytest.mark.parametrize(
    ("ours", "model"),
    [
        (kit.section(""), SectionBlock(text=MarkdownTextObject(text=""))),
        (kit.context([""]), ContextBlock(elements=[MarkdownTextObject(text="")])),
        (kit.button("", action_id="a", value="v"), ButtonElement(text="", action_id="a",
                                                                 value="v")),
        (kit.option("v", "t", ""), Option(value="v", text="t", description="")),
        (kit.header(""), HeaderBlock(text=PlainTextObject(text=""))),
    ],
)  # fmt: skip
def test_empty_fields_are_left_out_as_the_models_leave_them(ours: Any, model: Any) -> None:
    assert _json(ours) == _json(model.to_dict())
