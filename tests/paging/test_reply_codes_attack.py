"""Ack codes as phones really send them: typed on a full-width keyboard (Japanese or Chinese
input), pasted with an invisible zero-width character, or with a space before the letter."""

from __future__ import annotations

import pytest

from supportbot.paging.codes import parse_reply
from tests.paging.conftest import EMEA_L1, TUESDAY_10_DUBLIN, Pager, emea_l1_on
from tests.paging.test_paging_scenarios import open_sev1


@pytest.mark.parametrize("body", ["１Ａ", "1A\u200b", "\ufeff1a", "1 A", "ack １ａ"])
def test_a_code_typed_or_pasted_oddly_is_still_the_code(body: str) -> None:
    assert parse_reply(body).code == "1A"


def test_a_full_width_code_acknowledges_the_page(pager: Pager) -> None:
    open_sev1(pager)
    primary, _ = emea_l1_on(TUESDAY_10_DUBLIN.date())

    status, body = pager.reply(EMEA_L1[primary], "１Ａ")

    assert status == 200 and "Acknowledged INC-1" in body, body
