"""Text someone wrote, escaped and shortened for Slack: never over the limit, never a
broken ``&lt;`` at the cut."""

from __future__ import annotations

import re

from hypothesis import example, given
from hypothesis import strategies as st

from supportbot.wording import inert, inert_within

PIECES = st.lists(
    st.sampled_from(["<", ">", "&", "a", " ", "<@U0STAFF001>", "<!channel>", "&lt;", "é"]),
    max_size=400,
).map("".join)


@given(text=PIECES, limit=st.integers(min_value=2, max_value=300), keep=st.booleans())
# A bare "&" typed just before an escaped "<": the cut keeps the "&" and leaves "&lt;" out.
@example(text="<<<<<<<!channel><!channel><!channel><!channel><!channel>&<", limit=107, keep=False)
def test_escaped_then_cut_within_the_limit(text: str, limit: int, keep: bool) -> None:
    shown = inert_within(text, limit, keep_mentions=keep)
    escaped = inert(text, keep_mentions=keep)

    assert len(shown) <= limit
    if len(escaped) <= limit:
        assert shown == escaped
    else:
        assert shown.endswith("…") and escaped.startswith(shown[:-1])
        # No entity cut in two: the cut falls at no point strictly inside one (a bare "&"
        # the person typed may end the text, its entity after it left out whole).
        end = len(shown) - 1
        spans = [m.span() for m in re.finditer(r"&(lt|gt|amp);", escaped)]
        assert not any(start < end < stop for start, stop in spans), (shown, escaped)
        assert "<!" not in shown and not re.search(r"<[^>]*$", shown[:-1])


def test_a_pasted_xml_fault_fits_a_slack_section() -> None:
    fault = "<soap:Fault><soap:Text>Invoice export failed</soap:Text></soap:Fault>\n" * 40
    assert len(fault) < 2900 < len(inert(fault))  # fits cut first, not once escaped

    shown = inert_within(fault, 2900)

    assert len(shown) <= 2900 and shown.startswith("&lt;soap:Fault&gt;")


def test_a_bare_ampersand_is_not_taken_for_a_cut_entity() -> None:
    """inert leaves "&" alone, so a typed "&" before the cut is no escape: the cut there
    dropped all the text after it (an alert summary "p99 > 2s & errors up…" showed 13 of
    its 200 characters)."""
    summary = "p99 > 2s & errors up " + "y" * 400

    shown = inert_within(summary, 200)

    assert len(shown) == 200 and shown.startswith("p99 &gt; 2s & errors up yyy")
    assert inert_within("a" * 10 + "&lt" * 5, 12) == "a" * 10 + "…"  # a real one is dropped
