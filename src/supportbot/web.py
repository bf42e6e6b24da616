"""The web composition root: Bolt (HTTP or Socket Mode), health and metrics on one server.

The sync Bolt ``App`` runs behind Flask in a threaded WSGI server (waitress): the simplest
stack in which no listener blocks another (DESIGN.md §8).
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from flask import Flask, Request, Response, request
from prometheus_client import CONTENT_TYPE_LATEST
from slack_bolt import App
from slack_bolt.adapter.flask import SlackRequestHandler
from slack_sdk.signature import SignatureVerifier

import handlers
from handlers._common import on_error
from handlers.http import alerts
from supportbot import health, jobs, metrics
from supportbot.clients.slack import LoggingWebClient
from supportbot.dashboard import views as dashboard
from supportbot.loopback import addressed_here, from_this_machine
from supportbot.prompt_ack import answer_on_ack
from supportbot.runtime import Runtime
from supportbot.settings import Settings

log = logging.getLogger(__name__)

# The largest body any route reads: Slack's and Twilio's requests are kilobytes, an alerts
# batch at most alerts.MAX_BODY, which answers its own 413 up to this size. Larger ones get a
# 413 from the headers alone (or once a chunked one grows past it), never read whole into
# memory for a signature check, nor spooled to disk: waitress's own limit is a gigabyte.
MAX_REQUEST_BODY = 2 * alerts.MAX_BODY

# How every waitress server of the app is made (cli.py, the demo, the tests' live server).
# Waitress deletes X-Forwarded-For and Forwarded from a peer it does not trust as a proxy
# before the app sees them; the app trusts none of them either, but it must see them to know
# that a request from 127.0.0.1 was relayed for someone else (loopback.from_this_machine).
# Bodies over MAX_REQUEST_BODY are refused by waitress itself.
WAITRESS_OPTIONS: dict[str, object] = {
    "clear_untrusted_proxy_headers": False,
    "max_request_body_size": MAX_REQUEST_BODY,
}


def build_bolt_app(rt: Runtime, signing_secret: str) -> App:
    jobs.check_registered()  # every job a request may owe can be dispatched
    rt.staff.load()  # who the staff are, before the first request is classified
    app = App(
        signing_secret=signing_secret,
        client=rt.slack,
        process_before_response=False,
        raise_error_for_unhandled_request=False,
        # Bolt's own auth.test at start raised a traceback while Slack was unreachable; the
        # start-up check (cli_commands/preflight) asks Slack itself and says what is wrong,
        # and Bolt asks again at the first request. In local mode the answer is the logging
        # client's own, and must be had now: Bolt's per-request client would ask Slack itself.
        token_verification_enabled=isinstance(rt.slack, LoggingWebClient),
    )
    handlers.register_all(app, rt)
    app.error(on_error)
    answer_on_ack(app)
    return app


def refused_envelope(payload: object) -> bool:
    """Socket Mode's counterpart of the check ``/slack/events`` makes before Bolt: a payload
    Bolt cannot read (it raises in its own middleware) is refused, counted and logged here,
    never handed to Bolt. True when refused."""
    problem = handlers.unreadable_payload(payload)
    if problem is not None:
        _refused_unreadable("a Socket Mode envelope", problem)
    return problem is not None


def _refused_unreadable(what: str, problem: str) -> None:
    """Counted and logged alike however it came (``/slack/events`` or Socket Mode)."""
    metrics.REQUEST_REFUSED.labels("slack_malformed").inc()
    log.warning("refused %s Bolt cannot read: %s", what, problem)


def build_flask_app(rt: Runtime, bolt: App) -> Flask:
    flask = Flask("supportbot")
    flask.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BODY  # under any server: 413, not read
    slack_handler = SlackRequestHandler(bolt)
    # The same check Bolt makes, made first: nothing unsigned is parsed at all.
    verifier = SignatureVerifier(bolt._signing_secret)

    @flask.post("/slack/events")
    def slack_events() -> Any:
        # slack_sdk's verifier turns a non-numeric timestamp into a traceback and a 500;
        # such a request is unsigned as far as anyone can tell: refuse it the same way.
        stamp = request.headers.get("X-Slack-Request-Timestamp", "")
        raw = request.get_data()
        if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 12) or not (
            verifier.is_valid_request(raw, dict(request.headers))
        ):
            response = Response("invalid request", status=401)
        elif problem := handlers.unreadable(raw, request.content_type):
            # Signed, but nothing Slack sends: Bolt would raise on it before any listener.
            _refused_unreadable("a signed Slack request", problem)
            return Response(f"malformed Slack request: {problem}", status=400)
        else:
            response = slack_handler.handle(request)
        if response.status_code == 401:
            metrics.REQUEST_REFUSED.labels("slack_signature").inc()
            log.warning(
                "refused a Slack request with a bad or stale signature from %s", request.remote_addr
            )
        return response

    handlers.register_http(flask, rt)
    dashboard.register(flask, rt)

    @flask.get("/healthz")
    def healthz() -> Any:
        found = health.report(rt)
        # Open to anyone (a load balancer's check needs no token), but only whoever may read
        # /metrics sees what is wrong with each part; the others see each part's state.
        detailed = metrics_refusal(rt.settings, request) is None
        # In the report's own order (status first), not jsonify's sorted one.
        body = json.dumps(found.as_dict(detailed=detailed)) + "\n"
        return Response(body, status=found.http_status, mimetype="application/json")

    @flask.get("/metrics")
    def prometheus() -> Response:
        refused = metrics_refusal(rt.settings, request)
        if refused is not None:
            reason, status, text = refused
            metrics.REQUEST_REFUSED.labels(reason).inc()
            log.warning("refused /metrics from %s: %s", request.remote_addr, text)
            headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
            return Response(text + "\n", status=status, mimetype="text/plain", headers=headers)
        # The content type as prometheus_client states it (its charset included): as a
        # mimetype, Flask added a second charset.
        return Response(metrics.exposition(), content_type=CONTENT_TYPE_LATEST)

    return flask


def metrics_refusal(settings: Settings, req: Request) -> tuple[str, int, str] | None:
    """Why ``/metrics`` refuses this request, as (metric reason, status, text); None serves it.

    With ``SUPPORTBOT_METRICS_TOKEN`` set, every request needs ``Authorization: Bearer
    <token>`` (compared in constant time). Without it, only this host may read the metrics:
    a request from 127.0.0.1 or ::1 that no proxy forwarded, addressed to this machine.
    """
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else ""
    if token:  # an empty SUPPORTBOT_METRICS_TOKEN= counts as unset, never as "any token"
        scheme, _, given = req.headers.get("Authorization", "").partition(" ")
        # Bytes: compare_digest refuses a non-ASCII str, and a header may hold anything.
        offered = given.strip().encode("utf-8", "surrogateescape")
        if scheme.lower() == "bearer" and hmac.compare_digest(offered, token.encode()):
            return None
        return "metrics_token", 401, "a valid Authorization: Bearer token is required"
    # Addressed to this machine by name too: a page of another site whose name points at
    # 127.0.0.1 (DNS rebinding) must not read the metrics through a browser here.
    if from_this_machine(req) and addressed_here(req):
        return None
    return (
        "metrics_not_local",
        403,
        "/metrics is served only to 127.0.0.1 and ::1 (addressed as 127.0.0.1, localhost or "
        "[::1]) unless SUPPORTBOT_METRICS_TOKEN is set",
    )
