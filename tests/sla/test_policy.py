"""The §5 target table, the clock rule, and what a contract may override."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from pydantic import ValidationError

from supportbot.contracts.tiers import (
    DEFAULT_TARGETS,
    SEVERITY_HELP,
    SEVERITY_NAMES,
    Coverage,
    Severity,
    SlaOverrides,
    Span,
    TargetClock,
    Tier,
    targets_for,
)
from supportbot.hours.calendar import BusinessCalendar, BusinessHours, WallClock

H = timedelta(hours=1)

# DESIGN.md §5, copied by hand: tier -> [(response, resolution) for Sev 1..4]
TABLE = {
    "premier": [("15m", "4h"), ("2h", "24h"), ("8h", "72h"), ("24h", "5bd")],
    "standard": [("1h", "8h"), ("4h", "48h"), ("12h", "5bd"), ("48h", "10bd")],
    "basic": [("4h", "24h"), ("12h", "72h"), ("24h", "10bd"), ("72h", "15bd")],
}


@pytest.mark.parametrize(
    ("tier", "severity", "response", "resolution"),
    [
        (tier, index + 1, response, resolution)
        for tier, row in TABLE.items()
        for index, (response, resolution) in enumerate(row)
    ],
)
def test_default_table_matches_design(tier, severity, response, resolution):
    targets = targets_for(tier, severity, "business-hours")
    assert str(targets.response.span) == response
    assert str(targets.resolution.span) == resolution
    assert DEFAULT_TARGETS[Tier(tier)][Severity(severity)] == (
        Span.parse(response),
        Span.parse(resolution),
    )
    wall = severity == 1 and tier in ("premier", "standard")
    expected = TargetClock.WALL if wall else TargetClock.BUSINESS
    assert targets.response.clock is expected and targets.resolution.clock is expected
    assert "default" in targets.response.source


@pytest.mark.parametrize("tier", list(Tier))
@pytest.mark.parametrize("severity", list(Severity))
def test_24x7_coverage_puts_every_target_on_the_wall_clock(tier, severity):
    targets = targets_for(tier, severity, "24x7")
    assert targets.response.clock is TargetClock.WALL
    assert targets.resolution.clock is TargetClock.WALL
    assert "24x7 coverage" in targets.resolution.clock_rule


def test_tier_parsing_is_case_insensitive_with_a_clear_error():
    assert Tier("Premier") is Tier.PREMIER
    assert Tier(" BASIC ") is Tier.BASIC
    with pytest.raises(ValueError, match="unknown tier 'gold': valid tiers are premier, standard"):
        Tier("gold")
    with pytest.raises(ValueError, match="unknown tier"):
        targets_for("platinum", 1, "24x7")


@pytest.mark.parametrize("text", [1, "1", "sev1", "SEV-1", "S1", "p1", "critical", "Critical"])
def test_severity_spellings(text):
    assert Severity(text) is Severity.CRITICAL
    assert Severity.parse(text) is Severity.CRITICAL


def test_unknown_severity_and_coverage_are_clear_errors():
    with pytest.raises(ValueError, match=r"unknown severity 5: use 1-4 \(1 Critical"):
        Severity(5)
    with pytest.raises(ValueError, match="unknown severity 'urgent'"):
        Severity("urgent")
    with pytest.raises(ValueError, match="use 24x7 or business-hours"):
        Coverage("weekdays")
    assert Coverage("24/7") is Coverage.TWENTY_FOUR_SEVEN
    assert Coverage("Business Hours") is Coverage.BUSINESS_HOURS


def test_severity_help_text():
    assert [SEVERITY_NAMES[s] for s in Severity] == ["Critical", "High", "Medium", "Low"]
    assert "no workaround" in SEVERITY_HELP[Severity.CRITICAL]
    assert all(SEVERITY_HELP[s] for s in Severity)
    assert Severity.HIGH.label == "Sev 2 (High)"


@pytest.mark.parametrize(
    ("text", "fixed", "business_days"),
    [
        ("15m", timedelta(minutes=15), 0),
        ("4h", 4 * H, 0),
        ("1h30m", timedelta(minutes=90), 0),
        ("2.5h", timedelta(minutes=150), 0),
        ("90 minutes", timedelta(minutes=90), 0),
        ("5bd", timedelta(0), 5),
        ("5 business days", timedelta(0), 5),
        ("0.5bd", timedelta(0), 0.5),
    ],
)
def test_span_parsing(text, fixed, business_days):
    span = Span.parse(text)
    assert (span.fixed, span.business_days) == (fixed, business_days)
    assert Span.parse(str(span)) == span


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0m", "is zero; a target must be positive"),
        ("0bd", "is zero"),
        ("-5m", "is negative"),
        ("soon", "cannot read target 'soon'"),
        ("5x", "unknown unit 'x'"),
        ("1d", "days are ambiguous"),
        ("", "cannot read target"),
    ],
)
def test_bad_spans(text, message):
    with pytest.raises(ValueError, match=message):
        Span.parse(text)


def test_business_days_resolve_against_the_calendar():
    five = Span.parse("5bd")
    nine_to_five = BusinessCalendar(BusinessHours(timezone="Europe/Dublin"))
    eight_to_eight = BusinessCalendar(
        BusinessHours(timezone="Europe/Dublin", start=time(8), end=time(20))
    )
    assert five.resolve(nine_to_five) == 40 * H
    assert five.resolve(eight_to_eight) == 60 * H
    assert five.resolve(WallClock()) == 120 * H
    assert Span.parse("1bd4h").resolve(nine_to_five) == 12 * H
    assert five.human() == "5 business days" and Span.parse("15m").human() == "15 min"


def test_overrides_defaults_and_normalised_thresholds():
    assert SlaOverrides().thresholds == [0.5, 0.75, 0.9]
    assert SlaOverrides(thresholds=[0.9, 0.5, 0.5]).thresholds == [0.5, 0.9]
    assert SlaOverrides(thresholds=[]).thresholds == []


@pytest.mark.parametrize("bad", [0, 1, 1.5, -0.1])
def test_thresholds_outside_zero_one_are_refused(bad):
    with pytest.raises(ValidationError, match=r"outside \(0, 1\)"):
        SlaOverrides(thresholds=[0.5, bad])


def test_override_targets_are_validated():
    with pytest.raises(ValidationError, match="is zero; a target must be positive"):
        SlaOverrides.model_validate({"targets": {"sev1": {"response": "0m"}}})
    with pytest.raises(ValidationError, match="is negative"):
        SlaOverrides.model_validate({"targets": {"sev1": {"response": "-4h"}}})
    with pytest.raises(ValidationError, match="needs a unit"):
        SlaOverrides.model_validate({"targets": {"sev1": {"response": 60}}})
    with pytest.raises(ValidationError, match="unknown severity 'sev9'"):
        SlaOverrides.model_validate({"targets": {"sev9": {"response": "1h"}}})
    with pytest.raises(ValidationError, match="Extra inputs"):
        SlaOverrides.model_validate({"targets": {"sev1": {"respond": "1h"}}})
    with pytest.raises(ValidationError, match="overridden twice"):
        SlaOverrides.model_validate({"targets": {"sev1": {}, 1: {}}})


def test_overrides_replace_only_what_they_name():
    overrides = SlaOverrides.model_validate(
        {"targets": {"critical": {"response": "30m"}, 4: {"resolution": "20bd"}}}
    )
    sev1 = targets_for("premier", 1, "business-hours", overrides)
    assert str(sev1.response.span) == "30m" and "contract override" in sev1.response.source
    assert str(sev1.resolution.span) == "4h" and "default" in sev1.resolution.source
    assert sev1.response.clock is TargetClock.WALL  # the clock rule still applies
    assert str(targets_for("basic", 4, "business-hours", overrides).resolution.span) == "20bd"
    assert targets_for("basic", 4, "24x7", overrides)["resolution"].clock is TargetClock.WALL


def test_overrides_round_trip_as_strings():
    overrides = SlaOverrides.model_validate(
        {"targets": {"sev2": {"response": "1bd"}}, "thresholds": [0.8]}
    )
    dumped = overrides.model_dump(mode="json")
    assert dumped == {
        "targets": {"2": {"response": "1bd", "resolution": None}},
        "thresholds": [0.8],
    }
    assert SlaOverrides.model_validate(dumped) == overrides
    assert targets_for("standard", 2, "business-hours", overrides).thresholds == (0.8,)
