"""Two (or more) things at once: the tests' one way to start calls together at a barrier."""

from __future__ import annotations

import threading
from collections.abc import Callable


def race(calls: list[Callable[[], object]], delays: list[float]) -> list[object]:
    """Run each call on its own thread, all released by one barrier, call ``i`` after
    ``delays[i]`` seconds more (so that either order happens); their results in order. An
    exception on any side fails the test here."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)
    errors: list[BaseException] = []

    def side(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            threading.Event().wait(delays[index])
            results[index] = calls[index]()
        except BaseException as exc:  # noqa: BLE001 - re-raised by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=side, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results
