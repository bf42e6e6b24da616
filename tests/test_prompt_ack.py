"""The web answers Slack as soon as a listener acknowledges, never at Bolt's 10 ms poll.

A real Bolt app dispatches signed requests; Bolt's runner module is given a ``time`` whose
``sleep`` is counted, so a test can tell an answer woken by the ack from one found by the
poll. The same app with Bolt's own runner is the control: it does poll.
"""

from __future__ import annotations

import threading
import time
import types
from collections.abc import Callable, Iterator
from urllib.parse import urlencode

import pytest
from slack_bolt import Ack, App, BoltRequest, BoltResponse
from slack_bolt.listener import thread_runner
from slack_sdk.signature import SignatureVerifier

from supportbot.clients.slack import LoggingWebClient
from supportbot.prompt_ack import PromptListenerRunner, acks_last, answer_on_ack
from tests.conftest import Desk

SECRET = "prompt-ack-secret"


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """Every ``time.sleep`` Bolt's listener runner makes, by length."""
    made: list[float] = []

    def sleep(seconds: float) -> None:
        made.append(seconds)
        time.sleep(seconds)

    counted = types.SimpleNamespace(time=time.time, sleep=sleep)
    monkeypatch.setattr(thread_runner, "time", counted)
    yield made


def signed_command(text: str) -> BoltRequest:
    body = urlencode(
        {
            "command": "/incident",
            "text": text,
            "team_id": "T0TEAM0001",
            "user_id": "U0STAFF001",
            "channel_id": "C0TRIAGE01",
            "trigger_id": f"trigger.{text}",
            "response_url": "http://127.0.0.1:9/response",
        }
    )
    stamp = str(int(time.time()))
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=stamp, body=body)
    headers = {
        "content-type": ["application/x-www-form-urlencoded"],
        "x-slack-request-timestamp": [stamp],
        "x-slack-signature": [signature or ""],
    }
    return BoltRequest(body=body, headers=headers)


def bolt_app(listener: Callable[..., None], *, prompt: bool) -> App:
    app = App(
        signing_secret=SECRET,
        client=LoggingWebClient(),
        process_before_response=False,  # the web's setting (supportbot.web)
    )
    app.command("/incident")(listener)
    if prompt:
        answer_on_ack(app)
    return app


def test_answer_leaves_at_the_ack_while_the_listener_goes_on(sleeps: list[float]) -> None:
    go_on, finished = threading.Event(), threading.Event()

    def listener(ack: Ack) -> None:
        time.sleep(0.05)  # the work before the ack (committing the incident)
        ack("opened INC-1")
        go_on.wait(10)  # the work after the ack
        finished.set()

    app = bolt_app(listener, prompt=True)
    assert isinstance(app.listener_runner, PromptListenerRunner)
    response = app.dispatch(signed_command("answer"))
    assert (response.status, response.body) == (200, "opened INC-1")
    assert not finished.is_set()  # answered before the listener's end, as Bolt does
    assert sleeps == []  # woken by the ack: no poll at all
    go_on.set()
    assert finished.wait(5)


def test_bolts_own_runner_polls_for_the_same_listener(sleeps: list[float]) -> None:
    """The control: without the prompt runner the same listener's answer is found by the
    10 ms poll (so the counter above could have seen sleeps)."""

    def listener(ack: Ack) -> None:
        time.sleep(0.05)
        ack("opened INC-1")

    response = bolt_app(listener, prompt=False).dispatch(signed_command("control"))
    assert response.status == 200
    assert sleeps and set(sleeps) == {0.01}


def test_a_listener_that_fails_before_its_ack_answers_500_at_once(sleeps: list[float]) -> None:
    def listener(ack: Ack) -> None:
        raise RuntimeError("the database is gone")

    response = bolt_app(listener, prompt=True).dispatch(signed_command("fails"))
    assert response.status == 500
    assert sleeps == []  # not after Bolt's 3 s ack timeout, nor a poll


def test_a_listener_that_never_acks_still_ends_in_bolts_timeout(sleeps: list[float]) -> None:
    """Bolt's own rule is kept: no ack within the listener's ack timeout, no answer."""

    def listener(ack: Ack) -> None:
        return None

    app = bolt_app(listener, prompt=True)
    for registered in app._listeners:
        registered.ack_timeout = 1  # Bolt's default is 3 s; the rule is the same
    started = time.monotonic()
    response = app.dispatch(signed_command("silent"))
    assert response.status == 404  # Bolt: no listener answered
    assert time.monotonic() - started >= 1
    assert sleeps  # Bolt's loop waited out the timeout itself


def test_requests_in_parallel_each_get_their_own_answer(sleeps: list[float]) -> None:
    """The ack handed from the runner to the executor is per request thread."""
    release = threading.Event()

    def listener(ack: Ack, command: dict[str, str]) -> None:
        ack(f"answer to {command['text']}")
        release.wait(10)

    app = bolt_app(listener, prompt=True)
    answers: dict[str, BoltResponse] = {}

    def send(text: str) -> None:
        answers[text] = app.dispatch(signed_command(text))

    threads = [threading.Thread(target=send, args=(f"r{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    release.set()
    assert {text: (r.status, r.body) for text, r in answers.items()} == {
        f"r{i}": (200, f"answer to r{i}") for i in range(4)
    }
    assert sleeps == []


def test_a_listener_that_acks_last_runs_on_the_request_thread(sleeps: list[float]) -> None:
    """No work follows its ack, so no other thread is woken for it: the thread that
    dispatched the request runs it, and its answer is the ack's, unpolled."""
    ran_on: list[int] = []

    @acks_last
    def listener(ack: Ack, command: dict[str, str]) -> None:
        ran_on.append(threading.get_ident())
        ack(f"opened for {command['text']}")

    app = bolt_app(listener, prompt=True)
    response = app.dispatch(signed_command("inline"))
    assert (response.status, response.body) == (200, "opened for inline")
    assert ran_on == [threading.get_ident()]
    assert sleeps == []


def test_an_unmarked_listener_still_runs_on_bolts_executor(sleeps: list[float]) -> None:
    ran_on: list[int] = []

    def listener(ack: Ack) -> None:
        ran_on.append(threading.get_ident())
        ack("done")

    assert bolt_app(listener, prompt=True).dispatch(signed_command("pooled")).status == 200
    assert ran_on and ran_on != [threading.get_ident()]


def test_a_listener_that_acks_last_and_fails_answers_500(sleeps: list[float]) -> None:
    """Bolt's own error handling, on the request thread: a 500, never a hang or a 200."""

    @acks_last
    def listener(ack: Ack) -> None:
        raise RuntimeError("the database is gone")

    response = bolt_app(listener, prompt=True).dispatch(signed_command("inline fails"))
    assert response.status == 500
    assert sleeps == []


def test_the_web_answers_an_incident_without_polling(desk: Desk, sleeps: list[float]) -> None:
    """The product's own app (built as `supportbot web` builds it) uses the prompt runner."""
    response = desk.slack.command("sev3 checkout is slow")
    assert response.status_code == 200, response.text
    assert "INC-1" in response.text
    assert sleeps == []
