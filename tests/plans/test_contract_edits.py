"""The contract file edited while the desk runs: a customer or a plan removed, a pack made
smaller than what was already used. The desk keeps working and says what is wrong."""

from __future__ import annotations

import re

from tests.conftest import Desk
from tests.plans.conftest import (
    CONTRACT,
    INITECH_CHANNEL,
    INITECH_PETER,
    UMBRELLA_CHANNEL,
    UMBRELLA_JO,
)
from tests.standins import block_text
from tests.support.records import (
    GLOBEX_CHANNEL,
    GLOBEX_HANS,
    answer,
    dump,
    everything_sent_to,
    posts,
)
from tests.support.slack_requests import TRIAGE


def say(desk: Desk, text: str, **kwargs: str) -> str:
    return answer(desk.slack.command(text, **kwargs))


def edit_contract(desk: Desk, edit: str) -> None:
    """Rewrite the contracts file on disk, as people do (it is reloaded when next read)."""
    desk.rt.settings.contracts_file.write_text(edit)


def test_a_customer_removed_from_the_contract_is_named_not_called_internal(desk: Desk) -> None:
    """Time on an incident whose customer was taken out of the file said the incident was
    internal, which it is not (and sent staff looking for the wrong problem)."""
    say(desk, "sev3 slow reports", channel=GLOBEX_CHANNEL, user=GLOBEX_HANS)
    without = re.sub(r"  - key: globex\n(    .*\n)+", "", CONTRACT.replace("POLICY", "warn"))
    edit_contract(desk, without)
    before = dump(desk.rt)
    gone = (
        ":warning: INC-1 belongs to customer `globex`, which is no longer in the contracts "
        "file: restore it in contracts/customers.yaml to log time against its plan"
    )
    assert say(desk, "time INC-1 45m") == gone
    assert say(desk, "timer start INC-1") == gone
    assert say(desk, "waive INC-1 product defect") == gone
    assert dump(desk.rt) == before
    # An internal incident is still called internal.
    say(desk, "sev3 internal chore")
    assert say(desk, "time INC-2 45m") == (
        ":warning: INC-2 is internal: time is logged against a customer's plan"
    )


def test_a_pack_made_smaller_than_what_was_used_says_so(desk: Desk) -> None:
    """Initech used 7 of its 10 incidents, then the file was edited to a pack of 4: the card,
    the answers and the notices read `Pack: -3 of 4 left` (and `175 % used`)."""
    say(desk, "sev3 printers offline", channel=INITECH_CHANNEL, user=INITECH_PETER)
    assert say(desk, "appointment INC-1 2h40m").endswith("Pack: 3 of 10 left")
    smaller = CONTRACT.replace("POLICY", "warn").replace(
        "incidents: 10, price: 2000.00}\n          - {start: 2027",
        "incidents: 4, price: 2000.00}\n          - {start: 2027",
    )
    edit_contract(desk, smaller)
    shown = "Pack: 0 of 4 left (7 used: 3 more than the term now holds)"
    assert say(desk, "INC-1", command="/sla").count(f"• {shown}\n") == 1
    # The desk keeps working: the next request is over the balance, flagged under `warn`.
    said = say(desk, "sev3 scanner jams", channel=INITECH_CHANNEL, user=INITECH_PETER)
    assert said.endswith(f"{shown}, 1 over")
    desk.drain()
    card = block_text(desk.api.message(TRIAGE, posts(desk.api, TRIAGE)[0]["ts"])["blocks"])
    assert shown in card and "-3" not in everything_sent_to(desk.api, TRIAGE)
    assert "-3" not in everything_sent_to(desk.api, INITECH_PETER)


def test_a_deposit_set_to_zero_reads_as_no_deposit(desk: Desk) -> None:
    """The file says `deposit: 0` means none on file, and a request is refused for it; the
    balance on the answers and the card read `deposit 0.00 USD` all the same."""
    edit_contract(desk, CONTRACT.replace("POLICY", "warn").replace(
        "        deposit_required: true\n", "        deposit_required: true\n        deposit: 0\n"
    ))  # fmt: skip
    said = say(desk, "sev3 how do I export?", channel=UMBRELLA_CHANNEL, user=UMBRELLA_JO)
    assert "No deposit is on file, so no request was opened" in said
    say(desk, "sev3 export question customer:umbrella")
    said = say(desk, "time INC-1 10m")
    assert said.endswith("Per minute: 10 agent-minutes this month (25.00 USD); no deposit")
