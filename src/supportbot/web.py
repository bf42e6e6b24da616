"""The web composition root: Bolt (HTTP or Socket Mode), health and metrics on one server.

The sync Bolt ``App`` runs behind Flask in a threaded WSGI server (waitress): the simplest
stack in which no listener blocks another (DESIGN.md §8).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Flask, Response, request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from slack_bolt import App
from slack_bolt.adapter.flask import SlackRequestHandler

import handlers
from supportbot import health, jobs, metrics
from supportbot.runtime import Runtime

log = logging.getLogger(__name__)


def build_bolt_app(rt: Runtime, signing_secret: str) -> App:
    jobs.check_registered()  # every job a request may owe can be dispatched
    rt.staff.load()  # who the staff are, before the first request is classified
    app = App(
        signing_secret=signing_secret,
        client=rt.slack,
        process_before_response=False,
        raise_error_for_unhandled_request=False,
    )
    handlers.register_all(app, rt)
    return app


def build_flask_app(rt: Runtime, bolt: App) -> Flask:
    flask = Flask("supportbot")
    slack_handler = SlackRequestHandler(bolt)

    @flask.post("/slack/events")
    def slack_events() -> Any:
        response = slack_handler.handle(request)
        if response.status_code == 401:
            metrics.REQUEST_REFUSED.labels("slack_signature").inc()
            log.warning(
                "refused a Slack request with a bad or stale signature from %s", request.remote_addr
            )
        return response

    handlers.register_http(flask, rt)

    @flask.get("/healthz")
    def healthz() -> Any:
        found = health.report(rt)
        # In the report's own order (status first), not jsonify's sorted one.
        body = json.dumps(found.as_dict()) + "\n"
        return Response(body, status=found.http_status, mimetype="application/json")

    @flask.get("/metrics")
    def prometheus() -> Response:
        return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST)

    return flask
