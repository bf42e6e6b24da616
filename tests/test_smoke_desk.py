from tests.conftest import Desk


def test_sev2_command_opens_incident_and_posts_card(desk: Desk) -> None:
    response = desk.slack.command("sev2 checkout is slow")
    assert response.status_code == 200, response.text
    assert "INC-1" in response.text
    desk.drain()
    posted = desk.api.messages(channel="C0TRIAGE01")
    assert posted, desk.api.calls()
