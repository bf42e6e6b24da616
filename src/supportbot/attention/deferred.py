"""Pages held back by quiet hours or a contract's clock (filled in below)."""

from __future__ import annotations

from supportbot.delivery.kinds import DEFERRED_PAGE
from supportbot.runtime import Runtime


@DEFERRED_PAGE.runs
def deferred_page(deferred_id: int) -> str:
    return "stale"


def redrive(rt: Runtime) -> int:
    return 0
