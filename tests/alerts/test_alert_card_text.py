"""The card's alerts section with what monitoring sent at its worst: summaries full of ``<``
and ``&`` (each ``<`` is four characters once escaped) and runbook links near their
2,000-character limit. The section stays within Slack's 3,000 characters, wherever the
limit falls: it never shows a cut entity (``&l``) or a cut ``<url|label>`` link."""

from __future__ import annotations

import re
from typing import Any

import pytest

from supportbot.alerts.rules import safe_url
from tests.alerts.conftest import TRIAGE, Monitor, am_alert, am_payload

SECTION_MAX = 3000  # Slack refuses a section whose text is longer (invalid_blocks)


def alerts_section(monitor: Monitor) -> str:
    card_ts = monitor.incident().card_ts
    assert card_ts, "the card was never posted"
    versions = [m for m in monitor.pager.desk.api.messages(channel=TRIAGE)
                if m["ts"] == card_ts and not m.get("thread_ts")]  # fmt: skip
    texts = [b["text"]["text"] for b in versions[-1]["blocks"]
             if b["type"] == "section" and "text" in b]  # fmt: skip
    return next(t for t in texts if t.startswith("*Alerts*"))


def noisy(n: int, runbook_length: int) -> dict[str, Any]:
    runbook = f"https://runbooks.example/{n}/" + "r" * runbook_length
    return am_alert(f"n{n}", summary="<&" * 200, runbook_url=runbook[:2000])


@pytest.mark.parametrize("shift", range(5))  # "&lt;&" repeats every 5: each place the limit falls
def test_alert_summaries_full_of_lt_and_amp_stay_whole_within_the_section_limit(
    monitor: Monitor, shift: int
) -> None:
    alerts = [noisy(0, 1900 + shift), *(noisy(n, 1950) for n in range(1, 6))]
    assert monitor.fire("prometheus", am_payload(alerts))["action"] == "opened"

    text = alerts_section(monitor)
    assert len(text) <= SECTION_MAX
    assert text.startswith("*Alerts*: 6 firing, 0 resolved")
    rest = text.replace("&lt;", "").replace("&gt;", "")
    assert "&l" not in rest and "&g" not in rest, text[-200:]  # no entity cut short
    links = re.findall(r"<[^<>]*>?", text)  # every link whole, none cut open
    assert links and all(re.fullmatch(r"<https?://[^\s<>|]+\|(source|runbook)>", x)
                         for x in links), [x[-40:] for x in links]  # fmt: skip
    rows = [line for line in text.split("\n") if line.startswith("• Sev1 ")]
    assert len(rows) == 5, text[-300:]  # five shown, the sixth counted
    assert all(r.startswith("• Sev1 HighErrorRate: &lt;&&lt;&") for r in rows)
    assert ["|source>" in r for r in rows] == [True] * 5  # links kept while they fit
    assert text.endswith("… and 1 more firing")


def test_a_url_ending_in_a_newline_is_no_link() -> None:
    """A regex's "$" also matches before a final newline: the link was kept, and the card
    line broke in two at it."""
    assert safe_url("https://x.example/a") == "https://x.example/a"
    assert safe_url("https://x.example/a\n") is None
    assert safe_url("https://x.example/a\nb") is None
