"""``GET /oncall.ics``: a person's shifts as real iCalendar, behind an unguessable token."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from icalendar import Calendar

from supportbot.oncall import lookup, person_shifts
from supportbot.oncall.feed_tokens import feed_secret, feed_url, person_for_token, token_for
from supportbot.settings import Settings
from tests.conftest import Desk
from tests.oncall.conftest import BRAM, TUESDAY_10_DUBLIN, mention


def get(desk: Desk, query: str) -> requests.Response:
    return desk.slack.session.get(f"{desk.url}/oncall.ics{query}", timeout=10)


def events(body: bytes) -> list[tuple[datetime, datetime, str]]:
    calendar = Calendar.from_ical(body)
    return sorted(
        (event.decoded("dtstart"), event.decoded("dtend"), str(event.get("summary")))
        for event in calendar.walk("VEVENT")
    )


def test_feed_is_the_persons_shifts_for_7_days_back_and_90_ahead(desk: Desk) -> None:
    desk.rt.clock.set(TUESDAY_10_DUBLIN)  # type: ignore[attr-defined]
    token = token_for(feed_secret(desk.rt.settings), "chloe")
    response = get(desk, f"?token={token}")

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    assert str(calendar.get("x-wr-calname")) == "On call: Chloé Martin"
    found = lookup.resolver(desk.rt)
    assert found is not None
    day = datetime(2026, 3, 10, tzinfo=UTC)
    expected = person_shifts(found, "chloe", day - timedelta(days=7), day + timedelta(days=91))
    got = events(response.content)
    assert [(start, end) for start, end, _ in got] == [(s.start, s.end) for s in expected]
    assert len(got) > 20
    # Today: L1 primary in EMEA from 08:00 until Americas takes over at 13:00 UTC.
    assert (
        datetime(2026, 3, 10, 8, tzinfo=UTC),
        datetime(2026, 3, 10, 13, tzinfo=UTC),
        "On call L1 primary · EMEA",
    ) in got
    assert min(start for start, _, _ in got) >= day - timedelta(days=7)
    assert max(end for _, end, _ in got) <= day + timedelta(days=91)


def test_an_override_shows_in_the_feed(desk: Desk) -> None:
    desk.rt.clock.set(TUESDAY_10_DUBLIN)  # type: ignore[attr-defined]
    desk.slack.command(f"override {mention(BRAM)} 2h L3", command="/oncall")
    token = token_for(feed_secret(desk.rt.settings), "bram")

    got = events(get(desk, f"?token={token}").content)
    overrides = [e for e in got if e[0].date() == TUESDAY_10_DUBLIN.date() and "L3" in e[2]]
    assert len(overrides) == 1
    start, end, summary = overrides[0]
    assert end - start == timedelta(hours=2) and summary == "On call L3 primary · EMEA"


def test_missing_token_is_400_and_a_forged_one_404_without_detail(desk: Desk) -> None:
    assert get(desk, "").status_code == 400
    assert get(desk, "?token=").status_code == 400
    for forged in ("chloe", "x" * 43, token_for(b"another secret", "chloe")):
        response = get(desk, f"?token={forged}")
        assert response.status_code == 404
        assert response.text == "not found\n"


def test_tokens_are_per_person_per_secret_and_round_trip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = b"s3cret"
    people = ["ana", "ben", "chloe"]
    tokens = {token_for(secret, key) for key in people}
    assert len(tokens) == 3 and all(len(t) == 43 for t in tokens)
    assert person_for_token(secret, people, token_for(secret, "ben")) == "ben"
    assert person_for_token(b"rotated", people, token_for(secret, "ben")) is None

    # An explicit secret wins; without one it derives from the signing secret, and in local
    # mode from a random one kept in the data directory (stable across restarts).
    local = Settings(_env_file=None, data_dir=tmp_path / "var")  # type: ignore[call-arg]
    first = feed_url(local, "ana")
    assert first.startswith("/oncall.ics?token=") and feed_url(local, "ana") == first
    signed = Settings(_env_file=None, slack_signing_secret="abc", data_dir=tmp_path)  # type: ignore[call-arg,arg-type]
    assert feed_secret(signed) != b"abc"  # a derived key, not the signing secret itself
    monkeypatch.setenv("SUPPORTBOT_CALENDAR_SECRET", "rotate-me")
    monkeypatch.setenv("SUPPORTBOT_PUBLIC_URL", "https://desk.example.com/")
    explicit = Settings(_env_file=None, slack_signing_secret="abc", data_dir=tmp_path)  # type: ignore[call-arg,arg-type]
    assert "rotate-me" not in repr(explicit)  # a SecretStr
    assert feed_secret(explicit) == b"rotate-me"
    assert feed_url(explicit, "ana") != feed_url(signed, "ana")
    assert feed_url(explicit, "ana").startswith("https://desk.example.com/oncall.ics?token=")
