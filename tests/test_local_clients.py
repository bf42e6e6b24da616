"""Local mode's Slack client and the dry-run pager: they log what they would send, and keep
it only when asked to (the demo shows it); a service left running in local mode or without
Twilio must not hold every card and page it ever made."""

from __future__ import annotations

import logging

import pytest

from supportbot.clients.pager import Callbacks, DryRunSender
from supportbot.clients.slack import LoggingWebClient

CARD = [{"type": "section", "text": {"type": "mrkdwn", "text": "*INC-1* checkout down"}}]


def test_local_slack_logs_each_call_and_keeps_none(caplog: pytest.LogCaptureFixture) -> None:
    client = LoggingWebClient()
    with caplog.at_level(logging.INFO, logger="supportbot.slack.outbound"):
        answers = [
            client.chat_postMessage(channel="C0TRIAGE", text=f"card {n}", blocks=CARD)
            for n in range(500)
        ]
    assert client.sent == []
    assert len({a["ts"] for a in answers}) == 500 and {a["channel"] for a in answers} == {
        "C0TRIAGE"
    }
    logged = [r.getMessage() for r in caplog.records if "not sent" in r.getMessage()]
    assert len(logged) == 500 and "chat.postMessage" in logged[-1] and "card 499" in logged[-1]


def test_local_slack_records_when_asked() -> None:
    client = LoggingWebClient(record=True)
    client.chat_postMessage(channel="C0TRIAGE", text="card", blocks=CARD)
    client.chat_update(channel="C0TRIAGE", ts="1.000001", text="card, updated")
    assert [(method, params["text"]) for method, params in client.sent] == [
        ("chat.postMessage", "card"),
        ("chat.update", "card, updated"),
    ]


def test_local_slack_still_answers_with_logging_off(caplog: pytest.LogCaptureFixture) -> None:
    client = LoggingWebClient()
    with caplog.at_level(logging.ERROR, logger="supportbot.slack.outbound"):
        answer = client.chat_postMessage(channel="C0TRIAGE", text="card", blocks=CARD)
    assert answer["ok"] and answer["ts"]
    assert not [r for r in caplog.records if "not sent" in r.getMessage()]


@pytest.mark.parametrize("record", [False, True])
def test_dry_run_pager_records_only_when_asked(record: bool) -> None:
    pager = DryRunSender(record=record)
    callbacks = Callbacks(status_url=None)
    sms = pager.send_sms("+353855550401", "INC-1 Sev1: code 1A", callbacks)
    call = pager.place_call("+353855550401", callbacks)
    assert sms.startswith("DRYRUN-SM") and call.startswith("DRYRUN-CA") and sms[9:] != call[9:]
    expected = [("sms", "+353855550401", "INC-1 Sev1: code 1A"), ("voice", "+353855550401", "")]
    assert pager.sent == (expected if record else [])
