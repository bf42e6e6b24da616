"""``supportbot demo``: a scripted incident through the real stack, printed as it happens.

The web app serves signed Slack requests over HTTP, the RQ worker runs the queued jobs on an
embedded Redis, and SQLite keeps the rows; Slack itself is the local-mode client, so every
message that would have been posted is printed instead.
"""

from __future__ import annotations

import json
import logging
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import request
from rq import SimpleWorker
from waitress.server import create_server

from supportbot.clock import Clock, SystemClock
from supportbot.db.migrate import upgrade
from supportbot.embedded_redis import EmbeddedRedis
from supportbot.local_mode import signing_secret
from supportbot.runtime import Runtime, build_runtime, set_runtime
from supportbot.settings import Settings
from supportbot.slack import cards
from supportbot.slack.client import LoggingWebClient
from supportbot.slack.simulator import SlackInbound
from supportbot.web import build_bolt_app, build_flask_app

TEAM = "T0LOCAL"
ENGINEER = "U0ENGINEER"
ACME_CONTACT = "U0ACMEALICE"
ACME_OTHER = "U0ACMEEVE"
ACME_CHANNEL = "C0ACMESHARED"
TRIAGE = "C0TRIAGE"


@contextmanager
def _served(app: Any) -> Iterator[str]:
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"  # type: ignore[union-attr]
    finally:
        server.close()


class Demo:
    """One demo run; ``say`` narrates, ``step`` runs the worker and prints what Slack got."""

    def __init__(self, rt: Runtime, slack: LoggingWebClient, inbound: SlackInbound,
                 out: Callable[[str], None]) -> None:
        self.rt, self.slack, self.inbound, self.out = rt, slack, inbound, out
        self._seen = 0

    def say(self, text: str) -> None:
        self.out(f"\n▶ {text}")

    def answer(self, response: Any) -> None:
        body = response.text.strip()
        if body:
            try:
                body = json.loads(body).get("text", body)
            except ValueError:
                pass
        self.out(f"  HTTP {response.status_code} {body}".rstrip())

    def run_worker(self) -> None:
        set_runtime(self.rt)
        self.rt.dispatcher.flush()
        SimpleWorker(self.rt.queues, connection=self.rt.redis).work(

            burst=True, logging_level="WARNING")
        for method, params in self.slack.sent[self._seen:]:
            if method != "auth.test":
                self.out("  " + describe(method, params))
        self._seen = len(self.slack.sent)

    def step(self, text: str, request: Callable[[], Any] | None = None) -> Any:
        self.say(text)
        response = request() if request else None
        if response is not None:
            self.answer(response)
        self.run_worker()
        return response


def describe(method: str, params: dict[str, Any]) -> str:
    where = params.get("channel") or params.get("user") or ""
    thread = " (thread)" if params.get("thread_ts") else ""
    text = str(params.get("text") or "")
    if method == "views.open":
        view = params.get("view") or {}
        title = (view.get("title") or {}).get("text", "")
        return f"Slack {method}: modal '{title}'"
    return f"Slack {method} → {where}{thread}: {text}"


def script(demo: Demo) -> None:
    s = demo.inbound
    demo.step("An engineer types `/incident sev2 Checkout latency above 5 s` in #triage",
              lambda: s.command("sev2 Checkout latency above 5 s", user=ENGINEER,
                                channel=TRIAGE))
    demo.step("They press Acknowledge on the card",
              lambda: s.block_action(cards.ACTION_ACK, value="1", user=ENGINEER,
                                     channel=TRIAGE))
    site_down = dict(text="Our site is down, nobody can log in", user=ACME_CONTACT,
                     channel=ACME_CHANNEL, user_team="T0ACME", ts="1763700000.000100",
                     event_id="EvDEMOSITEDOWN")
    demo.step("Acme's designated contact writes in their shared channel: "
              "'Our site is down, nobody can log in'", lambda: s.message(**site_down))
    demo.step("Slack delivers that event a second time (a retry): nothing new opens",
              lambda: s.message(**site_down, retry_num=1))
    demo.step("Someone else at Acme, not a designated contact, posts in the channel",
              lambda: s.message("Is anyone looking at this?", user=ACME_OTHER,
                                channel=ACME_CHANNEL, user_team="T0ACME"))
    demo.step("The engineer adds an internal note (never shown to the customer)",
              lambda: s.command("note INC-2 DB primary failed over; replica lagging",
                                user=ENGINEER, channel=TRIAGE))
    demo.step("…and replies to the customer",
              lambda: s.command("reply INC-2 We are on it; logins are failing over now.",
                                user=ENGINEER, channel=TRIAGE))
    demo.step("A customer presses Escalate (staff only): refused with an explanation",
              lambda: s.block_action(cards.ACTION_ESCALATE, value="2", user=ACME_CONTACT,
                                     channel=ACME_CHANNEL, user_team="T0ACME"))
    demo.step("The engineer resolves INC-2 from the resolve form",
              lambda: s.view_submission(cards.CALLBACK_RESOLVE,
                                        {"summary": "Failed over to the new primary."},
                                        user=ENGINEER, private_metadata="2"))


def _ephemeral(out: Callable[[str], None]) -> str:
    """Stands in for Slack's response_url: what the user alone would have seen."""
    out(f"  Slack response_url (only the user sees it): {request.get_json().get('text')}")
    return ""


def run_demo(out: Callable[[str], None] = print, clock: Clock | None = None) -> int:
    logging.getLogger().setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="supportbot-demo-") as tmp:
        data = Path(tmp)
        redis = EmbeddedRedis(data / "redis")
        try:
            settings = Settings(  # type: ignore[call-arg]
                _env_file=None, redis_url=redis.start(), data_dir=data, triage_channel=TRIAGE,
                database_url=f"sqlite:///{data / 'demo.sqlite3'}",
            )
            slack = LoggingWebClient()
            rt = build_runtime(settings, clock=clock or SystemClock(), slack=slack)
            upgrade(rt.engine)
            bolt = build_bolt_app(rt, signing_secret(settings))
            flask = build_flask_app(rt, bolt)
            flask.add_url_rule("/demo/response", "demo_response", methods=["POST"],
                               view_func=lambda: _ephemeral(out))
            with _served(flask) as url:
                inbound = SlackInbound(url + "/slack/events", signing_secret(settings),
                                       lambda: url + "/demo/response", team_id=TEAM)
                out("supportbot demo: web on " + url + ", embedded Redis, SQLite in " + tmp)
                script(Demo(rt, slack, inbound, out))
            out("\nDone. Run `supportbot run` to start the service for real.")
        finally:
            set_runtime(None)
            redis.stop()
    return 0
