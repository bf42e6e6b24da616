"""Pure units of the incident domain: no database, no Redis, no HTTP."""

from __future__ import annotations

import pytest

from supportbot.contracts.customers import load_contracts
from supportbot.contracts.triage import TriageRule, TriageRules, suggest
from supportbot.incidents.access import identify
from supportbot.incidents.commands import (
    MAX_COMMAND_TEXT,
    CommandError,
    ParsedCommand,
    parse_incident_command,
)
from supportbot.incidents.lifecycle import (
    LEVELS,
    Status,
    TransitionError,
    check_transition,
    next_level,
    parse_severity,
    title_from_text,
)
from supportbot.staff import StaffDirectory
from tests.conftest import REPO

HOME = "T0HOME0001"
# The repository's own contracts file: acme (C0ACMESHARED; U0ACMEALICE, U0ACMEBOB) and
# globex (C0GLOBEX; U0GLOBEXHANS) among others.
CONTRACTS = load_contracts(REPO / "contracts" / "customers.yaml")


# -- parse_incident_command ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("", ParsedCommand("modal")),
        ("   \n ", ParsedCommand("modal")),
        ("help", ParsedCommand("help")),
        ("HELP", ParsedCommand("help")),
        ("--help", ParsedCommand("help")),
        ("list", ParsedCommand("list")),
        ("sev1 site down", ParsedCommand("open", severity=1, summary="site down")),
        ("SEV2   checkout   slow ", ParsedCommand("open", severity=2, summary="checkout slow")),
        ("s3 x", ParsedCommand("open", severity=3, summary="x")),
        (
            "p4 typo on pricing page",
            ParsedCommand("open", severity=4, summary="typo on pricing page"),
        ),
        ("2 two", ParsedCommand("open", severity=2, summary="two")),
        ("sev1\tsite\tdown", ParsedCommand("open", severity=1, summary="site down")),
        (
            "sev1\nsite down\nsince 9",
            ParsedCommand("open", severity=1, summary="site down since 9"),
        ),
        (
            "sev2 customer:acme payments",
            ParsedCommand("open", severity=2, summary="payments", customer="acme"),
        ),
        (
            "sev2 payments customer:acme failing",
            ParsedCommand("open", severity=2, summary="payments failing", customer="acme"),
        ),
        ("note INC-4 checked logs", ParsedCommand("note", key="INC-4", summary="checked logs")),
        ("reply 4 on it", ParsedCommand("reply", key="4", summary="on it")),
        (
            "reply\tINC-4\tline one\nline two",
            ParsedCommand("reply", key="INC-4", summary="line one\nline two"),
        ),
    ],
)
def test_parse_incident_command_understands(text: str, parsed: ParsedCommand) -> None:
    assert parse_incident_command(text) == parsed


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("sev0 x", "I don't know `sev0`"),
        ("sev5 x", "I don't know `sev5`"),
        ("severity1 x", "I don't know `severity1`"),
        ("critical site down", "I don't know `critical`"),
        ("customer:acme sev1 x", "I don't know `customer:acme`"),
        ("INC-4 note", "I don't know `INC-4`"),
        ("sev1", "`/incident sev1` needs a summary"),
        ("sev1    ", "`/incident sev1` needs a summary"),
        ("sev1 customer:acme", "`/incident sev1` needs a summary"),
        ("note", "`/incident note` needs an incident id and text"),
        ("note INC-4", "`/incident note` needs an incident id and text"),
        ("reply INC-4   ", "`/incident reply` needs an incident id and text"),
        ("x" * (MAX_COMMAND_TEXT + 1), f"keep commands under {MAX_COMMAND_TEXT}"),
        ("sev1 " + "y" * MAX_COMMAND_TEXT, f"keep commands under {MAX_COMMAND_TEXT}"),
    ],
)
def test_parse_incident_command_refuses_with_a_reason(text: str, says: str) -> None:
    with pytest.raises(CommandError) as caught:
        parse_incident_command(text)
    assert says in str(caught.value)


def test_an_unknown_word_shows_the_usage() -> None:
    with pytest.raises(CommandError) as caught:
        parse_incident_command("open site down")
    assert "Usage:" in str(caught.value) and "`/incident sev1 <summary>`" in str(caught.value)


def test_a_command_at_the_limit_is_accepted() -> None:
    text = "sev2 " + "z" * (MAX_COMMAND_TEXT - 5)
    assert parse_incident_command(text).severity == 2


# -- lifecycle ----------------------------------------------------------------------------------
ALLOWED = {
    ("open", "acknowledged"),
    ("open", "investigating"),
    ("open", "waiting_on_customer"),
    ("open", "resolved"),
    ("acknowledged", "investigating"),
    ("acknowledged", "waiting_on_customer"),
    ("acknowledged", "resolved"),
    ("investigating", "waiting_on_customer"),
    ("investigating", "resolved"),
    ("waiting_on_customer", "investigating"),
    ("waiting_on_customer", "resolved"),
    ("resolved", "closed"),
    ("resolved", "investigating"),
    ("resolved", "open"),  # an alert firing again in its hold-down, nobody had answered
    ("acknowledged", "open"),  # an acknowledgement expired without progress (issue 13)
    ("investigating", "open"),
}


@pytest.mark.parametrize("current", [s.value for s in Status])
@pytest.mark.parametrize("target", list(Status))
def test_check_transition_allows_exactly_the_lifecycle(current: str, target: Status) -> None:
    if (current, target.value) in ALLOWED:
        check_transition(current, target)
    else:
        with pytest.raises(TransitionError, match="cannot move from"):
            check_transition(current, target)


def test_a_refused_transition_reads_plainly() -> None:
    with pytest.raises(TransitionError) as caught:
        check_transition("closed", Status.INVESTIGATING)
    assert str(caught.value) == "cannot move from closed to investigating"


def test_an_unknown_stored_status_is_an_error_not_a_pass() -> None:
    with pytest.raises(ValueError):
        check_transition("paused", Status.RESOLVED)


def test_next_level_climbs_l1_l2_l3_management_then_refuses() -> None:
    assert [next_level(level) for level in LEVELS[:-1]] == ["L2", "L3", "MGMT"]
    with pytest.raises(TransitionError, match="already at management"):
        next_level("MGMT")
    with pytest.raises(ValueError):
        next_level("L9")


@pytest.mark.parametrize(
    ("text", "severity"),
    [
        ("sev1", 1),
        ("SEV4", 4),
        ("Sev2", 2),
        ("s3", 3),
        ("P1", 1),
        ("2", 2),
        (" sev3 ", 3),
    ],
)
def test_parse_severity_accepts(text: str, severity: int) -> None:
    assert parse_severity(text) == severity


@pytest.mark.parametrize(
    "text", ["sev0", "sev5", "sev", "", "sev 1", "sev12", "high", "1.0", "sev-1", "٣"]
)
def test_parse_severity_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="is not a severity"):
        parse_severity(text)


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("Site down\nsince 9", "Site down"),
        ("\n   \n  Site   down  \n", "Site down"),
        ("", "Support request"),
        (" \n\t\n", "Support request"),
        ("x" * 500, "x" * 150),
    ],
)
def test_title_from_text_takes_the_first_non_blank_line(text: str, title: str) -> None:
    assert title_from_text(text) == title


# -- triage -------------------------------------------------------------------------------------
RULES = TriageRules(
    rules=(
        TriageRule(severity=4, keywords=("question", "how do i")),
        TriageRule(severity=2, keywords=("degraded",), reason="major function impaired"),
        TriageRule(severity=1, regex=r"\b(prod|production)\b.*\bdown\b"),
        TriageRule(severity=1, keywords=("Site Down",)),
    )
)


def test_suggest_returns_nothing_when_no_rule_matches() -> None:
    assert suggest(RULES, "the logo is slightly off-centre") is None


def test_suggest_matches_keywords_case_insensitively_with_the_rule_reason() -> None:
    hint = suggest(RULES, "Checkout is DEGRADED in eu-west")
    assert hint is not None and (hint.severity, hint.because) == (2, "major function impaired")


def test_the_most_severe_matching_rule_wins_whatever_the_order() -> None:
    text = "Question: is the site down for everyone? performance is degraded"
    hint = suggest(RULES, text)
    assert hint is not None and hint.severity == 1
    reversed_rules = TriageRules(rules=tuple(reversed(RULES.rules)))
    assert suggest(reversed_rules, text).severity == 1  # type: ignore[union-attr]


def test_a_regex_rule_matches_across_words_and_names_itself() -> None:
    hint = suggest(RULES, "our Production cluster went down at 3am")
    assert hint is not None and hint.severity == 1
    assert hint.because == r"matched /\b(prod|production)\b.*\bdown\b/"
    assert suggest(RULES, "the product page is down-weighted") is None  # word boundaries


def test_a_rule_needs_a_matcher_and_a_regex_must_compile() -> None:
    with pytest.raises(ValueError, match="needs `keywords` or `regex`"):
        TriageRule(severity=2)
    with pytest.raises(ValueError, match="regex does not compile"):
        TriageRule(severity=2, regex="(unclosed")
    with pytest.raises(ValueError):
        TriageRule(severity=5, keywords=("x",))


# -- identify -----------------------------------------------------------------------------------
STAFF = StaffDirectory.known(HOME)


def test_a_designated_contact_is_their_customer_anywhere() -> None:
    for channel in ("C0ACMESHARED", "C0GLOBEX", "C0TRIAGE01", None):
        for team in ("T0ACMEORG", HOME, None):
            who = identify(CONTRACTS, STAFF, "U0ACMEALICE", channel_id=channel, user_team=team)
            assert (who.customer, who.designated, who.is_staff) == ("acme", True, False)


def test_a_workspace_member_is_staff_in_any_channel() -> None:
    for channel in ("C0ACMESHARED", "C0TRIAGE01", None):
        who = identify(CONTRACTS, STAFF, "U0STAFF001", channel_id=channel, user_team=HOME)
        assert who.is_staff and not who.designated and who.customer is None


def test_an_outsider_in_a_shared_channel_belongs_to_its_customer_undesignated() -> None:
    who = identify(CONTRACTS, STAFF, "U0CAROL", channel_id="C0GLOBEX", user_team="T0GLOBEXORG")
    assert (who.customer, who.designated, who.is_staff) == ("globex", False, False)


def test_an_outsider_is_never_staff_even_without_a_known_channel() -> None:
    for channel in ("C0UNLINKED", None):
        who = identify(CONTRACTS, STAFF, "U0STRANGER", channel_id=channel, user_team="T0ELSE")
        assert not who.is_staff and not who.designated
        assert who.customer is None


def test_without_team_information_nobody_is_staff() -> None:
    assert identify(CONTRACTS, STAFF, "U0GLOBEXHANS", user_team=None).customer == "globex"
    for team in (None, ""):
        who = identify(CONTRACTS, STAFF, "U0SOMEONE", channel_id="C0ACMESHARED", user_team=team)
        assert not who.is_staff and who.customer == "acme" and not who.designated


def test_with_no_home_team_known_nobody_is_staff() -> None:
    unknown = StaffDirectory(None, usergroup=None)
    who = identify(CONTRACTS, unknown, "U0STAFF001", user_team=HOME)
    assert not who.is_staff
    assert unknown.status().startswith("down")


def test_a_staff_user_group_narrows_staff_to_its_members() -> None:
    group = StaffDirectory.known(HOME, usergroup="S0STAFF", members=frozenset({"U0STAFF001"}))
    assert identify(CONTRACTS, group, "U0STAFF001", user_team=HOME).is_staff
    assert not identify(CONTRACTS, group, "U0INTERN01", user_team=HOME).is_staff
    # A member of the group who writes from another team is still not staff.
    assert not identify(CONTRACTS, group, "U0STAFF001", user_team="T0ELSE").is_staff


def test_the_contracts_staff_list_narrows_staff_too() -> None:
    listed = CONTRACTS.model_copy(update={"staff": ("U0STAFF001",)})
    assert identify(listed, STAFF, "U0STAFF001", user_team=HOME).is_staff
    assert not identify(listed, STAFF, "U0INTERN01", user_team=HOME).is_staff
    group = StaffDirectory.known(HOME, usergroup="S0STAFF", members=frozenset({"U0ONCALL1"}))
    # With both, being in either is enough.
    assert identify(listed, group, "U0ONCALL1", user_team=HOME).is_staff
    assert identify(listed, group, "U0STAFF001", user_team=HOME).is_staff
    assert not identify(listed, group, "U0INTERN01", user_team=HOME).is_staff
