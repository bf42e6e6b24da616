"""``GET /oncall.ics?token=…``: one person's on-call shifts as an iCalendar feed.

The token names the person (see :mod:`supportbot.oncall.feed_tokens`); a missing one is a 400,
a forged or stale one a bare 404 that says nothing about which people exist. The window is
whole UTC days, 7 back and 90 ahead, so a calendar client polling within a day gets the same
events (and the same clipped first event) every time.
"""

from __future__ import annotations

from datetime import UTC, timedelta

from flask import Flask, Response, request

from supportbot.oncall import build_ics, lookup
from supportbot.oncall.feed_tokens import feed_secret, person_for_token
from supportbot.runtime import Runtime

PAST = timedelta(days=7)
AHEAD = timedelta(days=90)


def _plain(status: int, text: str) -> Response:
    return Response(text + "\n", status=status, mimetype="text/plain")


def register(flask: Flask, rt: Runtime) -> None:
    @flask.get("/oncall.ics")
    def oncall_ics() -> Response:
        token = request.args.get("token", "").strip()
        if not token:
            return _plain(400, "missing token: use the link that /oncall calendar gives you")
        found = lookup.resolver(rt)
        if found is None:
            return _plain(503, "the on-call rotation is unavailable; try again later")
        person = person_for_token(feed_secret(rt.settings), found.rotation.people, token)
        if person is None:
            return _plain(404, "not found")
        today = rt.now().astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        start, end = today - PAST, today + AHEAD + timedelta(days=1)
        with rt.session() as session:
            overrides = lookup.overrides_between(session, start, end, found.rotation.people)
        body = build_ics(found, person, start, end, overrides=overrides, stamp=today)
        return Response(
            body,
            mimetype="text/calendar",
            headers={
                "Cache-Control": "private, max-age=300",
                "Content-Disposition": 'inline; filename="oncall.ics"',
            },
        )
