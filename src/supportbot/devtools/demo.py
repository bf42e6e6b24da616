"""``supportbot demo``: scripted incidents through the real stack, printed as they happen.

The web app serves signed Slack and Twilio requests over HTTP, the RQ worker runs the queued
jobs on an embedded Redis, and SQLite keeps the rows. Slack and Twilio are in local mode
(log only), so every message that would have been posted or texted is printed instead, and
time is compressed by travelling the clock.
"""

from __future__ import annotations

import json
import logging
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import requests
from flask import request
from rq import SimpleWorker
from twilio.request_validator import RequestValidator
from waitress.server import create_server

from supportbot.clients.pager import DryRunSender
from supportbot.clients.slack import LOCAL_TEAM_ID, LoggingWebClient
from supportbot.clock import TravelClock
from supportbot.db.migrate import upgrade
from supportbot.devtools.demo_script import script
from supportbot.devtools.embedded_redis import EmbeddedRedis
from supportbot.devtools.listener_executor import TrackingExecutor
from supportbot.devtools.slack_simulator import SlackInbound
from supportbot.reconciler import reconcile_once
from supportbot.runtime import Runtime, build_runtime, set_runtime
from supportbot.settings import Settings, signing_secret
from supportbot.web import WAITRESS_OPTIONS, build_bolt_app, build_flask_app

TEAM = LOCAL_TEAM_ID
DEMO_TWILIO_TOKEN = "demo-twilio-auth-token"  # signs the demo's inbound SMS; nothing is sent
# Tuesday 24 November 2026, 13:40 in Dublin: EMEA holds the pager, Americas takes it at 14:00.
DEMO_START = datetime(2026, 11, 24, 13, 40, tzinfo=UTC)


@contextmanager
def _served(app: Any) -> Iterator[str]:
    server = create_server(app, host="127.0.0.1", port=0, threads=4, **WAITRESS_OPTIONS)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"  # type: ignore[union-attr]
    finally:
        server.close()


class Demo:
    """One demo run; ``step`` sends a request, runs the worker and prints what went out."""

    def __init__(
        self,
        rt: Runtime,
        slack: LoggingWebClient,
        pager: DryRunSender,
        inbound: SlackInbound,
        url: str,
        out: Callable[[str], None],
        listeners: TrackingExecutor,
    ) -> None:
        self.rt, self.slack, self.pager, self.inbound = rt, slack, pager, inbound
        self.listeners = listeners
        self.url, self.out = url, out
        self._slack_seen = self._pages_seen = 0

    @property
    def clock(self) -> TravelClock:
        assert isinstance(self.rt.clock, TravelClock)
        return self.rt.clock

    def say(self, text: str) -> None:
        local = self.clock.now().astimezone(ZoneInfo("Europe/Dublin")).strftime("%a %H:%M")
        self.out(f"\n▶ [{local} Dublin] {text}")

    def answer(self, response: Any) -> None:
        body = response.text.strip()
        if body.startswith("{"):
            body = json.loads(body).get("text", body)
        elif body.startswith("<?xml"):
            for tag in ("Message", "Say"):
                if f"<{tag}>" in body:
                    body = f"({tag.lower()}) " + body.split(f"<{tag}>")[1].split(f"</{tag}>")[0]
        self.out(f"  HTTP {response.status_code} {body}".rstrip())

    def run_worker(self) -> None:
        self.listeners.wait_idle()
        set_runtime(self.rt)
        for _ in range(20):
            self.rt.dispatcher.flush()
            if not any(queue.count for queue in self.rt.queues):
                break
            SimpleWorker(self.rt.queues, connection=self.rt.redis).work(
                burst=True, logging_level="WARNING"
            )
        for method, params in self.slack.sent[self._slack_seen :]:
            if method != "auth.test":
                self.out("  " + describe(method, params))
        self._slack_seen = len(self.slack.sent)
        for channel, to, body in self.pager.sent[self._pages_seen :]:
            what = f"SMS: {body}" if channel == "sms" else "voice call"
            self.out(f"  Twilio (dry run) {channel} → {to}: {what}")
        self._pages_seen = len(self.pager.sent)

    def step(self, text: str, request: Callable[[], Any] | None = None) -> Any:
        self.say(text)
        response = request() if request else None
        if response is not None:
            self.answer(response)
        self.run_worker()
        return response

    def travel(self, delta: timedelta, text: str) -> None:
        """Compress time: move the clock, let the reconciler find what came due, run it."""
        self.clock.advance(delta)
        self.say(text)
        self.rt.dispatcher.flush()
        reconcile_once(self.rt)
        self.run_worker()

    def sms(self, from_number: str, body: str) -> requests.Response:
        """An inbound SMS, signed as Twilio signs it."""
        form = {"From": from_number, "To": "+15005550006", "Body": body, "MessageSid": "SMdemo"}
        return self._twilio("/twilio/sms", form)

    def keypress(self, page_id: int, digits: str) -> requests.Response:
        """A key pressed on a page call, as Twilio posts it to the <Gather> action."""
        form = {"CallSid": "CAdemo", "Digits": digits}
        return self._twilio(f"/twilio/voice/gather?page={page_id}", form)

    def _twilio(self, path: str, form: dict[str, str]) -> requests.Response:
        url = f"{self.url}{path}"
        form = {**form, "AccountSid": "ACdemo"}
        signature = RequestValidator(DEMO_TWILIO_TOKEN).compute_signature(url, form)
        return requests.post(url, data=form, headers={"X-Twilio-Signature": signature}, timeout=10)


def describe(method: str, params: dict[str, Any]) -> str:
    where = params.get("channel") or params.get("user") or ""
    thread = " (thread)" if params.get("thread_ts") else ""
    text = str(params.get("text") or "")
    if method == "views.open":
        view = params.get("view") or {}
        title = (view.get("title") or {}).get("text", "")
        return f"Slack {method}: modal '{title}'"
    return f"Slack {method} → {where}{thread}: {text}"


def _ephemeral(out: Callable[[str], None]) -> str:
    """Stands in for Slack's response_url: what the user alone would have seen."""
    out(f"  Slack response_url (only the user sees it): {request.get_json().get('text')}")
    return ""


def run_demo(out: Callable[[str], None] = print, repo: Path | None = None) -> int:
    # The story is told by what goes out; the reconciler's routine warnings (it finds work
    # that came due while the clock jumped) would only interrupt it. Errors still show. The
    # levels are put back after: a process that runs the demo and goes on (a test run) must
    # not lose supportbot's warnings for the rest of its life.
    root, ours = logging.getLogger(), logging.getLogger("supportbot")
    levels = root.level, ours.level
    root.setLevel(logging.WARNING)
    ours.setLevel(logging.ERROR)
    try:
        return _run_demo(out, repo)
    finally:
        root.setLevel(levels[0])
        ours.setLevel(levels[1])


def _run_demo(out: Callable[[str], None], repo: Path | None) -> int:
    base = repo or Path.cwd()
    with tempfile.TemporaryDirectory(prefix="supportbot-demo-") as tmp:
        data = Path(tmp)
        redis = EmbeddedRedis(data / "redis")
        try:
            settings = Settings(  # type: ignore[call-arg]
                _env_file=None,
                redis_url=redis.start(),
                data_dir=data,
                triage_channel="C0TRIAGE",
                oncall_channel="C0ONCALL",
                database_url=f"sqlite:///{data / 'demo.sqlite3'}",
                contracts_file=base / "contracts/customers.yaml",
                triage_rules_file=base / "contracts/triage.yaml",
                rotations_dir=base / "rotations",
                twilio_auth_token=DEMO_TWILIO_TOKEN,
                rota_usergroups=False,  # a user group sync is a page of calls with no text
            )
            slack, pager = LoggingWebClient(record=True), DryRunSender(record=True)
            rt = build_runtime(
                settings, clock=TravelClock(DEMO_START, ticking=True), slack=slack, pager=pager
            )
            upgrade(rt.engine)
            bolt = build_bolt_app(rt, signing_secret(settings))
            listeners = TrackingExecutor(max_workers=4)
            bolt.listener_runner.listener_executor = listeners
            flask = build_flask_app(rt, bolt)
            flask.add_url_rule(
                "/demo/response",
                "demo_response",
                methods=["POST"],
                view_func=lambda: _ephemeral(out),
            )
            with _served(flask) as url:
                rt.settings = rt.settings.model_copy(update={"public_url": url})
                inbound = SlackInbound(
                    url + "/slack/events",
                    signing_secret(settings),
                    lambda: url + "/demo/response",
                    team_id=TEAM,
                )
                out(f"supportbot demo: web on {url}, embedded Redis, SQLite in {tmp}")
                script(Demo(rt, slack, pager, inbound, url, out, listeners))
            out("\nDone. Run `supportbot run` to start the service for real.")
        finally:
            set_runtime(None)
            redis.stop()
    return 0
