"""Answer Slack the moment a listener acknowledges, not at Bolt's next 10 ms poll.

With ``process_before_response=False`` Bolt runs each listener on its executor and the
request thread checks every 10 ms (``time.sleep(0.01)`` in ``ThreadListenerRunner``) whether
``ack()`` has been called. Every answer therefore leaves at the first check after the ack:
about 12 ms for a listener that acks in 2, and 22 ms when a busy machine makes the ack miss
the first check. Here the ack is an event: the request thread waits on it and returns as soon
as the listener acknowledges (or ends without acknowledging, or raises), and Bolt's own loop
then finds the response already set and never sleeps.

Everything else is Bolt's: the same runner (error handling, lazy listeners, the ack
timeout), the same executor for the listener's work after the ack, and "commit before ack"
is untouched (the answer still waits for the listener's ``ack()``).

A listener marked :func:`acks_last` (its ``ack()`` is its last step, as ``/incident``'s is)
has no work after the ack to hand to another thread, so the request thread runs it itself
(Bolt's same wrapper, with its error handling): one hand-over between threads less a
request, which under load is a good part of the web's CPU (docs/benchmarks.md).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any, TypeVar

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.context.ack import Ack
from slack_bolt.listener import Listener
from slack_bolt.listener.thread_runner import ThreadListenerRunner

F = TypeVar("F", bound=Callable[..., Any])
_ACKS_LAST = "__supportbot_acks_last__"


def acks_last(listener: F) -> F:
    """Mark a listener whose ``ack()`` is its last step: it runs on the request thread."""
    setattr(listener, _ACKS_LAST, True)
    return listener


class SignallingAck(Ack):
    """Bolt's ``ack`` that also wakes whoever waits for it."""

    def __init__(self) -> None:
        super().__init__()
        self._settled = threading.Event()

    def __call__(self, *args: Any, **kwargs: Any) -> BoltResponse:
        try:
            return super().__call__(*args, **kwargs)
        finally:
            self._settled.set()

    def listener_ended(self) -> None:
        """The listener returned or raised: nothing more will acknowledge."""
        self._settled.set()

    def wait(self, timeout: float) -> bool:
        return self._settled.wait(timeout)


# The ack of the request whose listener the runner is about to submit, from the request
# thread to the executor's submit (both run on that thread, one after the other).
_submitting = threading.local()


class AckWaitingExecutor(Executor):
    """Bolt's listener executor, whose ``submit`` of a listener returns once it has acked.

    Lazy listeners and anything submitted without a waiting ack go straight through.
    """

    def __init__(self, inner: Executor) -> None:
        self._inner = inner

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        waiting: tuple[SignallingAck, float, bool] | None = getattr(_submitting, "ack", None)
        _submitting.ack = None  # only the listener itself: lazy functions follow it
        if waiting is None:
            return self._inner.submit(fn, *args, **kwargs)
        ack, timeout, inline = waiting
        if inline:
            return _run_here(fn, *args, **kwargs)

        def run() -> Any:
            try:
                return fn(*args, **kwargs)
            finally:
                ack.listener_ended()

        future = self._inner.submit(run)
        ack.wait(timeout)  # Bolt's loop after this enforces the same timeout itself
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._inner.shutdown(wait=wait, cancel_futures=cancel_futures)


def _run_here(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
    """Run ``fn`` on this thread, as a finished future. Bolt's wrapper it is given catches
    the listener's exceptions itself (into a 500 answer and the error handler)."""
    future: Future[Any] = Future()
    try:
        future.set_result(fn(*args, **kwargs))
    except BaseException as exc:  # noqa: BLE001 - kept in the future, as an executor would
        future.set_exception(exc)
    return future


class PromptListenerRunner(ThreadListenerRunner):
    """Bolt's runner, handing its executor the ack to wait for.

    Whatever executor is given to it (the demo and the tests give their own, which count
    the listeners in flight) is wrapped, so the answer never falls back to the poll.
    """

    _executor: AckWaitingExecutor

    @property  # type: ignore[override]
    def listener_executor(self) -> Executor:
        return self._executor

    @listener_executor.setter
    def listener_executor(self, executor: Executor) -> None:
        if not isinstance(executor, AckWaitingExecutor):
            executor = AckWaitingExecutor(executor)
        self._executor = executor

    def run(
        self,
        request: BoltRequest,
        response: BoltResponse,
        listener_name: str,
        listener: Listener,
        starting_time: float | None = None,
    ) -> BoltResponse | None:
        prompt = not (
            self.process_before_response or request.lazy_only or listener.auto_acknowledgement
        )
        # Bolt made the context's plain ``Ack`` already (building any middleware's
        # arguments makes them all); nothing has called it yet, so it is swapped here,
        # before the listener's own arguments are built from the context.
        if prompt and request.context.ack.response is None:
            ack = SignallingAck()
            request.context["ack"] = ack
            inline = getattr(getattr(listener, "ack_function", None), _ACKS_LAST, False)
            _submitting.ack = (ack, float(listener.ack_timeout), bool(inline))
        try:
            return super().run(request, response, listener_name, listener, starting_time)
        finally:
            _submitting.ack = None


def answer_on_ack(app: App) -> None:
    """Make ``app`` answer each request as soon as its listener acknowledges."""
    old = app.listener_runner
    app._listener_runner = PromptListenerRunner(
        logger=old.logger,
        process_before_response=old.process_before_response,
        listener_error_handler=old.listener_error_handler,
        listener_start_handler=old.listener_start_handler,
        listener_completion_handler=old.listener_completion_handler,
        listener_executor=old.listener_executor,
        lazy_listener_runner=old.lazy_listener_runner,
    )
