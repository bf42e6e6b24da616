"""Pure units: acknowledgement codes, SMS reply parsing and the per-contact send throttle."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from supportbot.paging.codes import Reply, ack_code, parse_reply
from supportbot.paging.throttle import DEFAULT_LIMITS, Limits, next_allowed

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


# -- ack_code ---------------------------------------------------------------------------------


def test_episode_letters_run_a_to_z_then_aa() -> None:
    assert ack_code(1042, 0) == "1042A"
    assert ack_code(1042, 1) == "1042B"
    assert ack_code(1042, 25) == "1042Z"
    assert ack_code(1042, 26) == "1042AA"
    assert ack_code(1042, 51) == "1042ZZ"
    assert ack_code(1042, 52) == "1042AAA"
    assert ack_code(7, 0) == "7A"


def test_codes_of_one_incident_never_repeat() -> None:
    codes = [ack_code(1042, episode) for episode in range(200)]
    assert len(set(codes)) == len(codes)


@pytest.mark.parametrize("episode", [0, 1, 25, 26, 27, 51, 52, 77])
def test_every_code_written_in_a_page_parses_back(episode: int) -> None:
    code = ack_code(1042, episode)
    assert parse_reply(code) == Reply("code", code)
    assert parse_reply(f"ack {code.lower()}.") == Reply("code", code)


# -- parse_reply ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, code",
    [
        ("1042A", "1042A"),
        ("1042a", "1042A"),
        ("  1042A  ", "1042A"),
        ("1042A.", "1042A"),
        ("1042a!", "1042A"),
        ("ack 1042A", "1042A"),
        ("ACK 1042b", "1042B"),
        ("Ack   1042A", "1042A"),
        ("acknowledge 1042C!", "1042C"),
        ("Acknowledge 1042c.", "1042C"),
        ("01042A", "1042A"),  # a leading zero names the same incident
        ("7A", "7A"),
        ("1042AA", "1042AA"),  # the 27th episode
        ("1042aa", "1042AA"),
    ],
)
def test_codes_with_or_without_ack_prefix(text: str, code: str) -> None:
    assert parse_reply(text) == Reply("code", code)


@pytest.mark.parametrize(
    "text",
    [
        "ack",
        "ACK",
        "Ack.",
        "ack!",
        "acknowledge",
        "ok",
        "OK!",
        "okay",
        "yes",
        "Y",
        "1",
        "on it",
        "On  it.",
        "👍",
    ],
)
def test_bare_acknowledgements(text: str) -> None:
    assert parse_reply(text) == Reply("bare_ack")


@pytest.mark.parametrize(
    "text",
    [
        "I am out of office",
        "I am out of the office until Monday. For urgent matters call +353 1 555 0000.",
        "",
        "   ",
        "ack please",
        "not ok",
        "no",
        "1042",  # the incident without the episode letter
        "A1042",
        "1042AB",  # not a code any page carries
        "ack 1042A and 1043A",
    ],
)
def test_unrecognised_texts_are_never_guessed(text: str) -> None:
    assert parse_reply(text) == Reply("unrecognised")


@pytest.mark.parametrize("text", ["STOP", "stop.", "Unsubscribe", "START", "1042A STOP"])
def test_twilio_opt_out_words_are_never_taken_for_an_acknowledgement(text: str) -> None:
    assert parse_reply(text).kind not in ("code", "bare_ack")


def test_none_body_is_unrecognised() -> None:
    assert parse_reply(None) == Reply("unrecognised")  # type: ignore[arg-type]


# -- next_allowed -----------------------------------------------------------------------------


def test_empty_history_sends_now() -> None:
    assert next_allowed([], "sms", T0) == T0
    assert next_allowed([], "voice", T0) == T0


def test_min_gap_of_one_minute() -> None:
    assert next_allowed([at(-0.5)], "sms", T0) == at(0.5)
    assert next_allowed([at(-1)], "sms", T0) == T0
    assert next_allowed([at(-3)], "voice", T0) == T0
    # The gap counts from the latest send, whatever the order given.
    assert next_allowed([at(-0.25), at(-10), at(-5)], "sms", T0) == at(0.75)


def test_sixth_sms_in_fifteen_minutes_waits_for_the_oldest_to_leave() -> None:
    five = [at(0), at(1), at(2), at(3), at(4)]
    assert next_allowed(five[:4], "sms", at(5)) == at(5)  # the fifth still fits
    assert next_allowed(five, "sms", at(5)) == at(15)
    assert next_allowed(list(reversed(five)), "sms", at(5)) == at(15)
    assert next_allowed(five, "sms", at(14)) == at(15)
    # Once the oldest is exactly 15 minutes old it no longer counts.
    assert next_allowed(five, "sms", at(15)) == at(15)
    assert next_allowed(five, "sms", at(16)) == at(16)


def test_calls_are_capped_at_three_per_fifteen_minutes() -> None:
    three = [at(0), at(2), at(4)]
    assert next_allowed(three, "voice", at(6)) == at(15)
    assert next_allowed(three[:2], "voice", at(6)) == at(6)
    # The same three sends as SMS are well under the SMS cap.
    assert next_allowed(three, "sms", at(6)) == at(6)


def test_over_the_cap_waits_for_enough_to_leave() -> None:
    # Seven sends in the window (the cap was lowered, or sends raced): the sixth and seventh
    # oldest must stay, so the third oldest has to leave first.
    seven = [at(m) for m in (0, 1, 2, 3, 4, 5, 6)]
    assert next_allowed(seven, "sms", at(7)) == at(17)


def test_sends_outside_the_window_do_not_count() -> None:
    old = [at(-30), at(-25), at(-20), at(-16), at(-15.5)]
    assert next_allowed(old, "sms", T0) == T0
    assert next_allowed([*old, at(-2)], "sms", T0) == T0


def test_custom_limits() -> None:
    limits = Limits(min_gap=timedelta(seconds=10), sms_per_window=2, calls_per_window=1)
    assert next_allowed([at(0)], "sms", at(0), limits) == T0 + timedelta(seconds=10)
    assert next_allowed([at(0), at(1)], "sms", at(2), limits) == at(15)
    assert next_allowed([at(0)], "voice", at(2), limits) == at(15)
    assert DEFAULT_LIMITS.cap("sms") == 5 and DEFAULT_LIMITS.cap("voice") == 3


def _reference(sent: list[datetime], channel: str, now: datetime, limits: Limits) -> datetime:
    """The first whole second at or after ``now`` at which one more send keeps every rule."""
    candidate = now
    while True:
        gap_ok = not sent or candidate >= max(sent) + limits.min_gap
        in_window = sum(candidate - limits.window < s <= candidate for s in sent)
        if gap_ok and in_window < limits.cap(channel):
            return candidate
        candidate += timedelta(seconds=1)


@pytest.mark.parametrize("channel", ["sms", "voice"])
def test_next_allowed_matches_a_brute_force_reference(channel: str) -> None:
    rng = random.Random(20261124)
    for _ in range(300):
        now = T0 + timedelta(seconds=rng.randrange(0, 3600))
        count = rng.randrange(0, 9)
        # Earlier sends at whole seconds within the last 20 minutes (duplicates allowed).
        sent = [now - timedelta(seconds=rng.randrange(0, 1200)) for _ in range(count)]
        expected = _reference(sent, channel, now, DEFAULT_LIMITS)
        assert next_allowed(sent, channel, now) == expected, (sent, now)
