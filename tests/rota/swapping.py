"""The ``/oncall swap`` script's words: Aoife (EMEA, Dublin) and Ana (Americas, Austin) on
the example rotation, from Monday 9 March 2026, 10:00 UTC."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from supportbot.db.rota import RotaSwap
from tests.conftest import Desk
from tests.oncall.conftest import AOIFE
from tests.support.records import answer

MONDAY = datetime(2026, 3, 9, 10, tzinfo=UTC)
WEDNESDAY = datetime(2026, 3, 11, tzinfo=UTC)  # Aoife holds EMEA's L1 08:00-13:00 UTC
ANA = "U0AMER0001"  # holds Americas' L1 Wednesday 13:00-00:00 UTC (08:00-19:00 in Austin)


def swap(desk: Desk, text: str, user: str = AOIFE) -> str:
    return answer(desk.slack.command(f"swap {text}", command="/oncall", user=user))


def swaps(desk: Desk) -> list[RotaSwap]:
    with desk.rt.session() as session:
        return list(session.scalars(select(RotaSwap).order_by(RotaSwap.id)))


def invitation(desk: Desk, user: str) -> dict:  # type: ignore[type-arg]
    desk.drain()
    [dm] = [m for m in desk.api.messages(channel=user) if m.get("blocks")]
    return dm


def press(desk: Desk, action: str, swap_id: int, user: str) -> dict:  # type: ignore[type-arg]
    before = len(desk.api.responses())
    desk.slack.block_action(f"rota_swap_{action}", value=str(swap_id), user=user, channel="D1")
    desk.settle()
    return desk.api.responses()[before]


def edit_rotation(desk: Desk, old: str, new: str) -> None:
    """Change the example rotation file on disk, as people do (it is reloaded when read)."""
    path = desk.rt.settings.rotations_dir / "follow-the-sun.yaml"
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))
