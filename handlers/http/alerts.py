"""``POST /alerts/<integration>``: alerts from Alertmanager, Grafana or a generic sender.

Fail closed, and answer fast:

- 401 for a missing or wrong token and for an integration that does not exist, with the same
  body, so a caller without a token learns nothing about which integrations exist. The token
  comes as ``Authorization: Bearer …`` or, for senders that cannot set headers, ``?token=``.
- 413 for a body over :data:`MAX_BODY`; 400 for a body that is not JSON, not the
  integration's format, or dated in the future, saying what and where. Nothing is stored.
- 200 once the alerts are committed; the Slack and paging work is queued after the commit.
- 503 only when the database could not store them: Alertmanager retries 5xx, never 4xx.
"""

from __future__ import annotations

import json
import logging

from flask import Flask, Response, request
from sqlalchemy.exc import SQLAlchemyError

from supportbot import metrics
from supportbot.alerts import payloads, registry, service
from supportbot.alerts.integrations import Integration
from supportbot.runtime import Runtime

log = logging.getLogger(__name__)

# Alertmanager never retries a 4xx: a body refused as too large loses its group's incident.
# 1,000 alerts of a few hundred bytes of labels and annotations each come to about 1 MB,
# with long summaries more: four times that leaves room and still bounds a request.
MAX_BODY = 4 * 1024 * 1024
_NOBODY = "0" * 64  # compared against when the integration is unknown: the same work


def _json(body: dict[str, object], status: int, **headers: str) -> Response:
    return Response(json.dumps(body) + "\n", status=status, mimetype="application/json",
                    headers=headers)  # fmt: skip


def _token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.args.get("token", "")


def _authenticated(rt: Runtime, name: str) -> Integration | None:
    found = registry.find(rt, name)
    token = _token()
    stand_in = found or Integration(key="unknown", name="-", format="generic",
                                    token_sha256=_NOBODY)  # fmt: skip
    ok = bool(token) and stand_in.accepts(token, rt.now()) and found is not None
    return found if ok else None


def _body() -> bytes | None:
    """The body, or None when it is over the limit (declared, or found while reading)."""
    if (request.content_length or 0) > MAX_BODY:
        return None
    data = request.stream.read(MAX_BODY + 1)
    return None if len(data) > MAX_BODY else data


def register(flask: Flask, rt: Runtime) -> None:
    @flask.post("/alerts/<name>")
    def alerts(name: str) -> Response:
        integration = _authenticated(rt, name)
        if integration is None:
            metrics.REQUEST_REFUSED.labels("alerts_token").inc()
            log.warning("refused alerts for %r from %s: bad or missing token", name[:64],
                        request.remote_addr)  # fmt: skip
            return _json({"error": "unauthorized"}, 401, **{"WWW-Authenticate": "Bearer"})
        body = _body()
        if body is None:
            metrics.REQUEST_REFUSED.labels("alerts_too_large").inc()
            return _json({"error": f"body over {MAX_BODY} bytes; send fewer alerts per request "
                          "(Alertmanager: max_alerts)"}, 413)  # fmt: skip
        try:
            batch = payloads.parse(integration.format, json.loads(body), rt.now())
        except (ValueError, RecursionError) as exc:  # bad JSON, too deep, or PayloadError
            metrics.REQUEST_REFUSED.labels("alerts_payload").inc()
            what = str(exc) if isinstance(exc, payloads.PayloadError) else f"not JSON: {exc}"
            return _json({"error": f"{integration.format} payload refused: {what}"}, 400)
        try:
            outcome = service.receive(rt, integration, batch)
        except SQLAlchemyError:
            log.exception("alerts for %s could not be stored; the sender will retry", name)
            return _json({"error": "could not store the alerts; retry"}, 503)
        return _json(
            {"status": "stored", "alerts": outcome.stored, "action": outcome.action,
             "incident": outcome.incident, "maintenance": outcome.maintenance}, 200,
        )  # fmt: skip
