"""Who Slack says the staff are: the home team, narrowed by SUPPORTBOT_STAFF_USERGROUP, and
nobody at all while ``auth.test`` cannot be asked (``/healthz`` says so; paging runs on)."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from redis import Redis

from supportbot.db.migrate import upgrade
from supportbot.db.reporting import CsatSurvey
from supportbot.desk import actions
from supportbot.incidents.access import Actor, Role, identify
from supportbot.runtime import build_runtime
from supportbot.settings import Settings
from supportbot.slack import cards
from supportbot.web import build_bolt_app, build_flask_app
from tests.conftest import SIGNING_SECRET, Desk, make_settings
from tests.standins import SlackStandin
from tests.support.live import serve
from tests.support.records import (
    ACME_ALICE,
    ACME_CHANNEL,
    ACME_TEAM,
    answer,
    dump,
    ephemerals,
    incident,
)
from tests.support.slack_requests import STAFF, TEAM_ID, SlackInbound

STAFF_GROUP = "S0STAFF01"
OUTSIDER = "U0STAFF002"  # a member of the home team, not of the staff group
NOT_FOR_YOU = ":no_entry: `/oncall` is for the support team."


@pytest.fixture
def settings(
    tmp_path: Path, redis: Redis, redis_url: str, database_url: str, slack_api: SlackStandin
) -> Settings:
    """The desk of this module narrows staff to one Slack user group, with STAFF in it."""
    slack_api.usergroups = {STAFF_GROUP: [STAFF, "U0STAFF003"]}
    return make_settings(
        tmp_path, redis_url, database_url, slack_api.api_url, staff_usergroup=STAFF_GROUP
    )


def test_the_group_is_asked_once_at_start(desk: Desk) -> None:
    [asked] = desk.api.calls("usergroups.users.list")
    assert asked.params["usergroup"] == STAFF_GROUP
    assert desk.rt.staff.group_members == {STAFF, "U0STAFF003"}


@pytest.mark.parametrize("user", [STAFF, OUTSIDER])
def test_only_members_of_the_staff_group_are_staff(desk: Desk, user: str) -> None:
    desk.slack.command("sev2 checkout is slow")  # opened by STAFF: a member is served
    desk.drain()
    desk.api.clear()
    before = dump(desk.rt, receipts=False)

    board = answer(desk.slack.command("", command="/oncall", user=user, user_team=TEAM_ID))
    desk.slack.block_action(cards.ACTION_ACK, value="1", user=user, user_team=TEAM_ID)
    desk.drain()

    refusals = [r["text"] for r in desk.api.responses()]
    if user == STAFF:
        assert board.startswith("On call at") and refusals == []
        assert (incident(desk.rt, 1).status, incident(desk.rt, 1).assignee) == (
            "acknowledged",
            STAFF,
        )
    else:  # of the home team, but not staff: a customer of no organisation
        assert board == NOT_FOR_YOU
        assert refusals == [":no_entry: INC-1 does not exist"]
        assert dump(desk.rt, receipts=False) == before
        assert [c.method for c in desk.api.calls() if c.method != "response_url"] == []


def _paging_parts(health: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in health.items() if k not in ("status", "staff", "slack", "degraded")}


def test_healthz_says_staff_are_unknown_while_auth_test_fails(
    tmp_path: Path, redis: Redis, redis_url: str, database_url: str, slack_api: SlackStandin
) -> None:
    # The staff directory asks first and fails; Bolt's own token check just after succeeds.
    slack_api.inject("auth.test", "invalid_auth")
    rt = build_runtime(make_settings(tmp_path, redis_url, database_url, slack_api.api_url))
    upgrade(rt.engine)
    try:
        with serve(build_flask_app(rt, build_bolt_app(rt, SIGNING_SECRET))) as url:
            slack = SlackInbound(
                url + "/slack/events", SIGNING_SECRET, slack_api.response_url, team_id=TEAM_ID
            )
            broken = requests.get(url + "/healthz", timeout=10)
            # Fail closed: not even a member of the home team is staff now.
            refused = answer(slack.command("", command="/oncall", user=STAFF))
            rt.staff.load()  # what the background refresh does once Slack answers again
            healed = requests.get(url + "/healthz", timeout=10)
            served = answer(slack.command("", command="/oncall", user=STAFF))

            body = broken.json()
            assert body["staff"].startswith("down: home team unknown (SlackApiError: ")
            assert "invalid_auth" in body["staff"] and healed.json()["staff"] == "ok"
            assert (refused, served[:10]) == (NOT_FOR_YOU, "On call at")
            # Who the staff are is the desk's business: the parts paging needs still report,
            # exactly as once the staff are known again, and none is down for it.
            assert (body["database"], body["redis"]) == ("ok", "ok")
            assert "staff" not in body.get("down", [])
            assert broken.status_code == healed.status_code
            assert _paging_parts(body) == _paging_parts(healed.json())
            slack.session.close()
    finally:
        rt.engine.dispose()


def test_a_home_member_outside_the_staff_group_is_not_of_the_customer_either(
    desk: Desk,
) -> None:
    """In a customer's shared channel, one of our own who is not staff is not counted as one
    of the customer's people: they cannot rate the request for the customer."""

    who = identify(desk.rt.contracts, desk.rt.staff, OUTSIDER, user_team=TEAM_ID,
                   channel_id=ACME_CHANNEL)  # fmt: skip
    assert who == Actor(OUTSIDER, Role.CUSTOMER, None)
    desk.slack.command("sev3 exports are slow", user=ACME_ALICE, user_team=ACME_TEAM,
                       channel=ACME_CHANNEL)  # fmt: skip
    desk.drain()
    actions.acknowledge(desk.rt, 1, Actor.staff_member(STAFF))
    actions.resolve(desk.rt, 1, Actor.staff_member(STAFF), "index rebuilt")
    desk.drain()

    desk.slack.block_action("csat_rate_5", value="1:5", user=OUTSIDER, user_team=TEAM_ID,
                            channel=ACME_CHANNEL)  # fmt: skip
    desk.drain()
    assert ephemerals(desk.api)[-1].startswith(":no_entry: Only the customer can rate")
    with desk.rt.session() as session:
        assert session.query(CsatSurvey).one().score is None
