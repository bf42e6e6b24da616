"""Compare-and-set claims: the one way a job takes ownership of a row's next step.

A row lock is not enough everywhere: SQLite has no ``SELECT … FOR UPDATE``, and its reads
outside a write transaction can be stale, so two workers could both see a timer "pending".
An ``UPDATE … WHERE state = :expected`` is atomic on every backend; whoever changes the row
owns the effect, and the other sees zero rows and does nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, update
from sqlalchemy.orm import Session

from supportbot.db.models import Base


def claim(
    session: Session,
    model: type[Base],
    row_id: int,
    expected: object,
    *,
    field: str = "state",
    unless_changed: Sequence[ColumnElement[bool]] = (),
    **values: Any,
) -> bool:
    """Set ``values`` on the row if its ``field`` still equals ``expected``; True if we won.

    ``unless_changed``: more conditions checked by the same statement, for what the caller
    read before deciding (another row, a count) and must still hold when it writes."""
    column = getattr(model, field)
    result = session.execute(
        update(model)
        .where(model.id == row_id, column == expected, *unless_changed)  # type: ignore[attr-defined]
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
