"""Local wall-clock maths for rotations: the one place where local time becomes UTC.

Rotation boundaries (shift starts and ends, roster handoffs) are written as local wall-clock
times, and each must happen exactly once per local day, whatever daylight saving does. The
rule, used by every rotation module:

* A wall time that exists once is that instant.
* A wall time that happens twice (the fall-back fold) means its **first** occurrence. The
  clock is treated as never running backwards: during the repeated part it "stands still", so
  a boundary already passed is not passed again and nobody is handed the pager twice.
* A wall time that never happens (the spring-forward gap) means the **moment the clock jumps**:
  the first instant whose local reading is at or after it. A handoff at 02:30 in Chicago on the
  spring-forward day happens at 03:00 CDT.

Equivalently: a boundary at wall time ``w`` is passed at the first instant at which the running
maximum of the local reading reaches ``w``. The brute-force tests check exactly that.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    """A cached ``ZoneInfo``; names are validated when the rotation files are loaded."""
    return ZoneInfo(name)


def local_reading(instant: datetime, tz: ZoneInfo) -> datetime:
    """The naive local wall-clock reading of an aware instant."""
    return instant.astimezone(tz).replace(tzinfo=None)


def wall_to_utc(wall: datetime, tz: ZoneInfo) -> datetime:
    """The UTC instant at which the naive local ``wall`` time is reached (see module rule)."""
    first = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if local_reading(first, tz) == wall:
        return first  # exists; fold=0 is the first occurrence when it happens twice
    # In a gap: fold=0 and fold=1 land on either side of the jump. Search (to the second,
    # which is how tzdata records transitions) for the first instant reading >= wall.
    other = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    low = int(min(first, other).timestamp())  # reads before the jump
    high = int(max(first, other).timestamp()) + 1  # reads after it
    while high - low > 1:
        middle = (low + high) // 2
        if local_reading(datetime.fromtimestamp(middle, UTC), tz) >= wall:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)
