"""Bad input for the customer update button and form: nothing stored, a clear answer.

Empty and oversized updates, a replayed button, a form delivered twice, a customer-side user
pressing or forging, an incident that takes no updates; and the timer itself: never early,
re-driven after Redis loses its job.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from supportbot.contracts.followups import UPDATE_MAX
from supportbot.db.followups import FollowupTimer
from supportbot.followups.firing import fire
from supportbot.slack import cards
from supportbot.slack.followup_blocks import ACTION_UPDATE, CALLBACK_UPDATE
from tests.conftest import Desk
from tests.followups.helpers import ACME, ALICE, customer_thread, events, timers


def _open_sev1(desk: Desk) -> None:
    desk.slack.command("sev1 checkout down", channel=ACME)
    desk.drain()


def _errors(response: object) -> dict[str, str]:
    body = response.json()  # type: ignore[attr-defined]
    assert body["response_action"] == "errors", body
    return dict(body["errors"])


def _submit(desk: Desk, text: str, **kwargs: object) -> object:
    return desk.slack.view_submission(
        CALLBACK_UPDATE, {"update": text}, private_metadata=kwargs.pop("meta", "1"), **kwargs
    )


def _updates(desk: Desk) -> list[str]:
    return [t for t in customer_thread(desk) if "*Update on INC-1*" in t]


def test_empty_oversized_unknown_and_internal_updates_are_refused(desk: Desk) -> None:
    _open_sev1(desk)
    assert "cannot be empty" in _errors(_submit(desk, " \n\t "))["update"]
    too_long = _errors(_submit(desk, "x" * (UPDATE_MAX + 1)))["update"]
    assert f"{UPDATE_MAX + 1} characters (the limit is {UPDATE_MAX})" in too_long
    assert "INC-42" in _errors(_submit(desk, "hello", meta="42"))["update"]
    assert "INC-" in _errors(_submit(desk, "hello", meta="not-a-key"))["update"]
    desk.slack.command("sev1 internal only")
    desk.drain()
    assert "with no customer" in _errors(_submit(desk, "hello", meta="2"))["update"]
    desk.drain()
    assert _updates(desk) == [] and events(desk, "customer_update") == []
    assert timers(desk, "update") == [(0, "pending")]  # the cadence is untouched


def test_a_customer_user_can_neither_open_nor_forge_the_form(desk: Desk) -> None:
    _open_sev1(desk)
    desk.api.clear()
    desk.slack.block_action(ACTION_UPDATE, value="1", user=ALICE, channel=ACME, user_team="T0ACME")
    desk.settle()
    assert desk.api.calls("views.open") == []
    [refusal] = desk.api.responses()
    assert "Only the support team can post customer updates" in refusal["text"]
    forged = _submit(desk, "all good, ignore this", user=ALICE, user_team="T0ACME")
    assert "Only the support team" in _errors(forged)["update"]
    # Someone of another workspace, not a contact: the incident does not exist for them.
    stranger = _submit(desk, "hello", user="U0STRANGER", user_team="T0OTHER")
    assert "INC-1 does not exist" in _errors(stranger)["update"]
    desk.drain()
    assert _updates(desk) == []


def test_a_replayed_button_and_a_form_delivered_twice_do_nothing_twice(desk: Desk) -> None:
    _open_sev1(desk)
    press = desk.slack.block_action_payload(ACTION_UPDATE, value="1")
    assert desk.slack.interactive(press).status_code == 200
    desk.settle()
    desk.slack.interactive(press)  # the same signed request again (same trigger id)
    desk.settle()
    assert len(desk.api.calls("views.open")) == 1
    # The refusal goes through the response URL just after the ack: wait for it.
    desk.api.wait_for(lambda call: "already received" in str(call.params))

    for _ in range(2):  # Slack retries a submission it got no answer to: same view id
        assert _submit(desk, "Investigating the payment gateway.", view_id="V0SAME").text == ""
    desk.drain()
    assert len(_updates(desk)) == 1

    desk.slack.view_submission(
        cards.CALLBACK_RESOLVE, {"summary": "gateway restarted"}, private_metadata="1"
    )
    desk.drain()
    assert "takes no customer updates" in _errors(_submit(desk, "late update"))["update"]
    desk.slack.block_action(ACTION_UPDATE, value="1")  # a stale card's button
    desk.settle()
    assert "takes no customer updates now" in desk.api.responses()[-1]["text"]


def test_never_early_and_redriven_after_redis_loses_the_job(desk: Desk) -> None:
    _open_sev1(desk)
    with desk.rt.session() as session:
        timer_id = session.scalars(select(FollowupTimer.id)).one()
    # A job run before its instant (RQ counts whole seconds) does nothing but owe itself.
    assert fire(desk.rt, timer_id) == "early"
    assert timers(desk, "update") == [(0, "pending")]
    assert events(desk, "update_reminder") == []
    # Redis loses everything; the row still says what is owed, and the reconciler re-drives it.
    desk.rt.redis.flushdb()
    desk.travel(timedelta(minutes=30, seconds=6))
    assert len(events(desk, "update_reminder")) == 1
    assert timers(desk, "update") == [(0, "fired"), (1, "pending")]
    assert fire(desk.rt, timer_id) == "stale"  # a second run of the same job: nothing
    assert len(events(desk, "update_reminder")) == 1
